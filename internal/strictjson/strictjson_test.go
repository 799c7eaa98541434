package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/bits"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestUnmarshalValid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any
	}{
		{"object", `{"a": 1, "b": [true, false, null], "c": {"d": "e"}}`,
			map[string]any{"a": json.Number("1"), "b": []any{true, false, nil}, "c": map[string]any{"d": "e"}}},
		{"escapes", `"a\"\\\/\b\f\n\r\t\u00f6\ud83d\ude00"`, "a\"\\/\b\f\n\r\tö😀"},
		{"numbers", `[0, -0, 1.5, -2e10, 3E+2, 4e-1, 12345678901234567890]`,
			[]any{json.Number("0"), json.Number("-0"), json.Number("1.5"), json.Number("-2e10"), json.Number("3E+2"), json.Number("4e-1"), json.Number("12345678901234567890")}},
		{"whitespace", " \t\r\n{ } ", map[string]any{}},
		{"utf8", `"Möbius"`, "Möbius"},
		{"long strings", `["abcdefghijklmnop\"q", "abcdefghijklmnöp", "0123456789abcdef"]`, []any{"abcdefghijklmnop\"q", "abcdefghijklmnöp", "0123456789abcdef"}},
		{"empty array", `[]`, []any{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Unmarshal([]byte(tc.in), 8)
			if err != nil {
				t.Fatalf("Unmarshal: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestUnmarshalInvalid(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want error
	}{
		{"duplicate key", `{"a": 1, "a": 2}`, ErrDuplicateKey},
		{"duplicate key after escape", `{"a": 1, "\u0061": 2}`, ErrDuplicateKey},
		{"nested duplicate", `{"x": {"b": 1, "b": 1}}`, ErrDuplicateKey},
		{"too deep", `[[[[[[[[[1]]]]]]]]]`, ErrTooDeep},
		{"trailing", `{} {}`, ErrSyntax},
		{"trailing comma", `[1,]`, ErrSyntax},
		{"leading zero", `01`, ErrSyntax},
		{"bare minus", `-`, ErrSyntax},
		{"fraction without digits", `1.`, ErrSyntax},
		{"lone high surrogate", `"\ud83d"`, ErrSyntax},
		{"lone low surrogate", `"\ude00"`, ErrSyntax},
		{"invalid utf8", "\"\xff\"", ErrSyntax},
		{"control char", "\"a\nb\"", ErrSyntax},
		{"invalid utf8 after 8 bytes", "\"abcdefghij\xff\"", ErrSyntax},
		{"truncated utf8 after 16 bytes", "\"abcdefghijklmnopq\xc3\"", ErrSyntax},
		{"control char after 9 bytes", "\"abcdefghi\x01jklmnopq\"", ErrSyntax},
		{"unterminated long string", "\"abcdefghijklmnopqrstuvwxyz", ErrSyntax},
		{"bad escape", `"\x"`, ErrSyntax},
		{"single quotes", `{'a': 1}`, ErrSyntax},
		{"unterminated", `{"a": "b`, ErrSyntax},
		{"empty", ``, ErrSyntax},
		{"NaN", `NaN`, ErrSyntax},
		{"truncated literal", `tru`, ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Unmarshal([]byte(tc.in), 8)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if got != nil {
				t.Fatalf("value %v returned with error", got)
			}
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %T is not a *SyntaxError", err)
			}
		})
	}
}

func TestUnmarshalObjectRejectsNonObject(t *testing.T) {
	if _, err := UnmarshalObject([]byte(`[1]`), 4); !errors.Is(err, ErrSyntax) {
		t.Fatalf("err = %v, want ErrSyntax", err)
	}
}

// FuzzUnmarshal checks that whatever strictjson accepts, encoding/json
// accepts too and decodes to the same value, and that on error no value is
// returned.
func FuzzUnmarshal(f *testing.F) {
	seeds := []string{`{"a":[1,2,{"b":null}],"c":"\u00e9"}`, `[]`, `"x"`, `-1.5e3`, `{"a":1,"a":2}`, `[[[[]]]]`, `[1,"a",[true,{]`}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := Unmarshal(data, 16)
		// UnmarshalOwned decodes alike, refuses alike.
		owned, oerr := UnmarshalOwned(bytes.Clone(data), 16)
		if (err == nil) != (oerr == nil) || (err != nil && err.Error() != oerr.Error()) || !reflect.DeepEqual(v, owned) {
			t.Fatalf("Unmarshal %#v, %v; UnmarshalOwned %#v, %v", v, err, owned, oerr)
		}
		// So does a decode that boxes its values from slabs, for an object;
		// and a second decode from the same Boxes leaves the first's values
		// as they were.
		// The stack room the boxed decodes read arrays into, lent and
		// taken back, holds nothing afterwards, whether they failed or not.
		var b Boxes
		b.Reserve(2)
		b.UseStack(make([]any, 0, 1))
		boxed, berr := UnmarshalObjectBoxed(bytes.Clone(data), 16, &b)
		again, _ := UnmarshalObjectBoxed(bytes.Clone(data), 16, &b)
		if _, isObj := v.(map[string]any); isObj {
			if berr != nil || !reflect.DeepEqual(v, any(boxed)) || !reflect.DeepEqual(v, any(again)) {
				t.Fatalf("Unmarshal %#v; UnmarshalObjectBoxed %#v, %v", v, boxed, berr)
			}
		}
		st := b.Stack()
		if len(st) != 0 {
			t.Fatalf("stack of %d elements returned", len(st))
		}
		for i, e := range st[:cap(st)] {
			if e != nil {
				t.Fatalf("stack room %d still holds %#v", i, e)
			}
		}
		if err != nil {
			if v != nil {
				t.Fatal("value returned with error")
			}
			return
		}
		var std any
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.UseNumber()
		if err := dec.Decode(&std); err != nil {
			t.Fatalf("strictjson accepted what encoding/json rejects: %v", err)
		}
		if !reflect.DeepEqual(v, std) {
			t.Fatalf("strictjson %#v != encoding/json %#v", v, std)
		}
	})
}

// TestUnmarshalCopiesUnlessOwned: Unmarshal's strings survive the caller
// reusing its buffer; UnmarshalOwned's share it (the caller promised never
// to write it), which is what saves the copy.
func TestUnmarshalCopiesUnlessOwned(t *testing.T) {
	buf := []byte(`{"name":"RINA","salt":"abc"}`)
	v, err := Unmarshal(buf, 4)
	if err != nil {
		t.Fatal(err)
	}
	o, err := UnmarshalObjectOwned(bytes.Clone(buf), 4)
	if err != nil || o["name"] != "RINA" || o["salt"] != "abc" {
		t.Fatalf("%v %v", o, err)
	}
	copy(buf, bytes.Repeat([]byte("x"), len(buf)))
	if m := v.(map[string]any); m["name"] != "RINA" || m["salt"] != "abc" {
		t.Fatalf("Unmarshal's strings changed with the buffer: %v", m)
	}
}

// scanArray reads an array with a Scanner, element by element, as a caller
// of known-shape input does.
func scanArray(data []byte, maxDepth int) ([]any, error) {
	s := NewOwnedScanner(data, maxDepth)
	if err := s.Expect('['); err != nil {
		return nil, err
	}
	a := []any{}
	if c, _ := s.Peek(); c == ']' {
		s.Expect(']')
		return a, s.End()
	}
	for {
		v, err := s.Value()
		if err != nil {
			return nil, err
		}
		a = append(a, v)
		if c, _ := s.Peek(); c == ',' {
			s.Expect(',')
			continue
		}
		if err := s.Expect(']'); err != nil {
			return nil, err
		}
		return a, s.End()
	}
}

func TestScanner(t *testing.T) {
	s := NewOwnedScanner([]byte(` [ "salt" , "name", {"a": [1, "x"]} ] `), 3)
	if err := s.Expect('['); err != nil {
		t.Fatal(err)
	}
	if v, err := s.String(); err != nil || v != "salt" {
		t.Fatalf("String = %q, %v", v, err)
	}
	if err := s.Expect(']'); !errors.Is(err, ErrSyntax) {
		t.Fatalf("Expect(']') before ',' = %v, want ErrSyntax", err)
	}
	s.Expect(',')
	if c, ok := s.Peek(); !ok || c != '"' {
		t.Fatalf("Peek = %q, %v", c, ok)
	}
	s.String()
	s.Expect(',')
	v, err := s.Value()
	if err != nil || !reflect.DeepEqual(v, map[string]any{"a": []any{json.Number("1"), "x"}}) {
		t.Fatalf("Value = %#v, %v", v, err)
	}
	if err := s.End(); !errors.Is(err, ErrSyntax) {
		t.Fatalf("End before ']' = %v", err)
	}
	s.Expect(']')
	if err := s.End(); err != nil {
		t.Fatalf("End = %v", err)
	}
	// The depth limit counts the arrays opened with Expect.
	s = NewOwnedScanner([]byte(`[[[1]]]`), 2)
	s.Expect('[')
	if _, err := s.Value(); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("Value 2 levels below an opened array with limit 2 = %v, want ErrTooDeep", err)
	}
	s = NewOwnedScanner([]byte(`[]`), 0)
	if err := s.Expect('['); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("Expect('[') with limit 0 = %v", err)
	}
	s = NewOwnedScanner([]byte(` 1`), 1)
	if _, err := s.String(); !errors.Is(err, ErrSyntax) {
		t.Fatalf("String on a number = %v", err)
	}
}

// FuzzScanner holds a Scanner that reads an array element by element to
// Unmarshal: the same arrays accepted, decoded alike.
func FuzzScanner(f *testing.F) {
	for _, s := range []string{`["a","b",{"c":[1,2]}]`, ` [ ] `, `["x",]`, `[[[[1]]]]`, `["\u00e9", 1e5, null, true]`, `[1 2]`, `[1]x`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const depth = 4
		want, werr := Unmarshal(data, depth)
		if _, isArray := want.([]any); werr == nil && !isArray {
			return
		}
		got, gerr := scanArray(bytes.Clone(data), depth)
		if werr == nil && !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("[")) {
			t.Fatalf("Unmarshal accepted a non-array as []any: %q", data)
		}
		if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("[")) {
			return
		}
		if (werr == nil) != (gerr == nil) {
			t.Fatalf("%q: Unmarshal error %v, Scanner error %v", data, werr, gerr)
		}
		if werr == nil && !reflect.DeepEqual(want, any(got)) {
			t.Fatalf("%q: Unmarshal %#v, Scanner %#v", data, want, got)
		}
	})
}

func isSpecial(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c >= 0x80 }

// TestSpecial8 checks the eight-byte scan of strings against the byte rule:
// one byte of every value at every position among plain ones, exactly; and
// never a miss on words with several bytes set (FuzzSpecial8).
func TestSpecial8(t *testing.T) {
	for pos := 0; pos < 8; pos++ {
		for c := 0; c < 256; c++ {
			w := []byte("aaaaaaaa")
			w[pos] = byte(c)
			x := uint64(0)
			for i := 7; i >= 0; i-- {
				x = x<<8 | uint64(w[i])
			}
			got := special8(x)
			if (got != 0) != isSpecial(byte(c)) {
				t.Errorf("special8(%q) = %#x", w, got)
			}
			if got != 0 && bits.TrailingZeros64(got)>>3 != pos {
				t.Errorf("special8(%q) = %#x: lowest flag not at byte %d", w, got, pos)
			}
		}
	}
}

func FuzzSpecial8(f *testing.F) {
	f.Add(uint64(0x2161616161616161))
	f.Add(uint64(0x225c1f7f80ff0020))
	f.Fuzz(func(t *testing.T, x uint64) {
		first := -1 // the first byte that needs a look
		for i := 7; i >= 0; i-- {
			if isSpecial(byte(x >> (8 * i))) {
				first = i
			}
		}
		got := special8(x)
		switch {
		case first < 0 && got != 0:
			t.Fatalf("special8(%#x) = %#x, but no byte needs a look", x, got)
		case first >= 0 && got == 0:
			t.Fatalf("special8(%#x) = 0, but byte %d needs a look", x, first)
		case first >= 0 && bits.TrailingZeros64(got)>>3 != first:
			t.Fatalf("special8(%#x) = %#x: lowest flag not at byte %d", x, got, first)
		}
	})
}

// TestArrayLengths decodes arrays of every length around the room the
// decoder keeps on the goroutine's stack (localElems), nested ones among
// them, as encoding/json does; a failure inside a long array leaves the
// shared stack empty, so the next decode with the same Boxes is right.
func TestArrayLengths(t *testing.T) {
	var boxes Boxes
	for n := 0; n <= 3*localElems; n++ {
		for _, nest := range []int{-1, 0, localElems - 1, localElems, n - 1} {
			elems := make([]string, n)
			for i := range elems {
				elems[i] = strconv.Quote(fmt.Sprint("e", i))
				if i == nest {
					elems[i] = "[" + strings.Repeat(`"x",`, localElems) + `[1,2],"y"]`
				}
			}
			data := []byte(`{"a":[` + strings.Join(elems, ",") + `]}`)
			var want any
			dec := json.NewDecoder(bytes.NewReader(data))
			dec.UseNumber()
			if err := dec.Decode(&want); err != nil {
				t.Fatal(err)
			}
			for _, b := range []*Boxes{nil, &boxes} {
				var got any
				var err error
				if b == nil {
					got, err = Unmarshal(data, 8)
				} else {
					got, err = UnmarshalObjectBoxed(data, 8, b)
				}
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Fatalf("n=%d nest=%d: %v, %v; want %v", n, nest, got, err, want)
				}
			}
			if len(boxes.stack) != 0 {
				t.Fatalf("n=%d nest=%d: %d elements left on the shared stack", n, nest, len(boxes.stack))
			}
			// The same array cut short, and with a bad element at its end.
			for _, bad := range [][]byte{data[:len(data)-2], append(data[:len(data)-2:len(data)-2], []byte(`,tru]}`)...)} {
				if _, err := UnmarshalObjectBoxed(bad, 8, &boxes); err == nil {
					t.Fatalf("n=%d nest=%d: %q accepted", n, nest, bad)
				}
				if len(boxes.stack) != 0 {
					t.Fatalf("n=%d nest=%d: %d elements left on the shared stack after %q", n, nest, len(boxes.stack), bad)
				}
			}
		}
	}
}
