package strictjson

import (
	"encoding/json"
	"fmt"
	"reflect"
	"runtime"
	"testing"
)

// TestBoxesValues: values boxed from slabs are the values, of their types,
// whether they come from the reserved room or from slabs made later, and
// stay so after the garbage collector ran and more values were boxed.
func TestBoxesValues(t *testing.T) {
	var b Boxes
	b.Reserve(3)
	var got []any
	var want []any
	for i := range 3 * boxSlab {
		s := fmt.Sprintf("value %d", i)
		got = append(got, b.String(s), b.num(json.Number(fmt.Sprint(i))))
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
	m := map[any]int{got[2]: 1}
	if m["value 1"] != 1 {
		t.Fatal("a boxed string does not hash as the string")
	}
}

// TestBoxesAllocations: a decode that boxes from reserved room allocates
// fewer objects than one that boxes each value.
func TestBoxesAllocations(t *testing.T) {
	data := []byte(`{"_sd":["a","b","c","d","e","f","g","h","i","j","k","l"],"iat":1,"exp":2}`)
	plain := testing.AllocsPerRun(100, func() { UnmarshalObjectOwned(data, 8) })
	boxed := testing.AllocsPerRun(100, func() {
		var b Boxes
		b.Reserve(16)
		UnmarshalObjectBoxed(data, 8, &b)
	})
	if boxed > plain-10 {
		t.Fatalf("%v allocations boxed, %v not: want at least 10 fewer", boxed, plain)
	}
}
