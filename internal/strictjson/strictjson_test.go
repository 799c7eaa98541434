package strictjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
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
	seeds := []string{`{"a":[1,2,{"b":null}],"c":"\u00e9"}`, `[]`, `"x"`, `-1.5e3`, `{"a":1,"a":2}`, `[[[[]]]]`}
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
