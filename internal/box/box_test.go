package box

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"testing"
)

// TestSlabValues: boxed values are the values, of their types, whether
// they come from the reserved room or from slabs made later, and stay so
// after the garbage collector ran and more values were boxed.
func TestSlabValues(t *testing.T) {
	var strs Slab[string]
	var nums Slab[json.Number]
	strs.Reserve(3)
	var got, want []any
	for i := range 3 * size {
		s := fmt.Sprintf("value %d", i)
		got = append(got, strs.Box(s), nums.Box(json.Number(fmt.Sprint(i))))
		want = append(want, s, json.Number(fmt.Sprint(i)))
	}
	runtime.GC()
	for i := range got {
		if !reflect.DeepEqual(got[i], want[i]) || reflect.TypeOf(got[i]) != reflect.TypeOf(want[i]) {
			t.Fatalf("value %d: %#v (%T), want %#v (%T)", i, got[i], got[i], want[i], want[i])
		}
	}
	if s, ok := got[0].(string); !ok || s != "value 0" {
		t.Fatalf("type switch on a boxed string: %#v", got[0])
	}
	if m := map[any]int{got[2]: 1}; m["value 1"] != 1 {
		t.Fatal("a boxed string does not hash as the string")
	}
}

// TestSlabAllocations: boxing from reserved room allocates nothing.
func TestSlabAllocations(t *testing.T) {
	var s Slab[string]
	s.Reserve(1000)
	var sink any
	if n := testing.AllocsPerRun(100, func() { sink = s.Box("x") }); n != 0 {
		t.Fatalf("%v allocations per Box", n)
	}
	_ = sink
}
