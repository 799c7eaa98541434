package strictjson

import "testing"

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
