package sdjwt

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// TestAppendJSONMatchesEncodingJSON checks the issuance encoder against
// encoding/json (without HTML escaping) on decoded-JSON values.
func TestAppendJSONMatchesEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"b":[1,2.5,-3e10,true,false,null],"a":{"z":"x","y":{}},"c":[]}`,
		`"quote \" backslash \\ nl \n cr \r tab \t ctl \u0001 \u001f del \u007f"`,
		`"Möbius 太郎 😀 <tag> & amp"`,
		`{"":"", "é": "\u00e9"}`,
	} {
		v, err := strictjson.Unmarshal([]byte(in), MaxDepth)
		if err != nil {
			t.Fatal(err)
		}
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := marshalJSON(v)
		if string(got) != string(want) {
			t.Fatalf("appendJSON %s\nencoding/json %s", got, want)
		}
	}
	if got := appendString(nil, "a\xffb"); string(got) != `"a\ufffdb"` {
		t.Fatalf("invalid UTF-8: %s", got)
	}
	if _, err := appendJSON(nil, struct{}{}); err == nil {
		t.Fatal("a struct was encoded without normalisation")
	}
}

func TestNormalize(t *testing.T) {
	type addr struct {
		Kota string `json:"kota"`
	}
	v, err := normalize(map[string]any{
		"i": 7, "i64": int64(-8), "u": uint64(9), "f": 1.5, "s": []string{"a"}, "st": addr{"BANDUNG"},
		"t": time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
	}, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := appendJSON(nil, v)
	want := `{"f":1.5,"i":7,"i64":-8,"s":["a"],"st":{"kota":"BANDUNG"},"t":"2026-01-02T03:04:05Z","u":9}`
	if string(b) != want {
		t.Fatalf("got %s\nwant %s", b, want)
	}
	for _, bad := range []any{math.NaN(), math.Inf(1), make(chan int), map[string]any{"x": func() {}}} {
		if _, err := normalize(bad, 0); err == nil {
			t.Errorf("normalize(%T) succeeded", bad)
		}
	}
	deep := any("x")
	for range MaxDepth + 2 {
		deep = []any{deep}
	}
	if _, err := normalize(deep, 0); err == nil {
		t.Error("normalize accepted nesting beyond MaxDepth")
	}
}

// FuzzAppendJSON checks that the encoder and encoding/json agree on every
// value strictjson decodes.
func FuzzAppendJSON(f *testing.F) {
	for _, s := range []string{`{"a":["b",1,null]}`, `"\u0000\u2028"`, `[1e400]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := strictjson.Unmarshal(data, MaxDepth)
		if err != nil {
			return
		}
		got, err := appendJSON(nil, v)
		if err != nil {
			t.Fatal(err)
		}
		back, err := strictjson.Unmarshal(got, MaxDepth)
		if err != nil {
			t.Fatalf("output does not parse: %v", err)
		}
		g1, _ := json.Marshal(v)
		g2, _ := json.Marshal(back)
		if string(g1) != string(g2) {
			t.Fatalf("round trip changed the value: %s -> %s", g1, g2)
		}
	})
}
