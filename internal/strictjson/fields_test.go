package strictjson

import (
	"net/url"
	"strings"
	"testing"
)

func mustFields(t *testing.T, doc string, maxString int) *Fields {
	t.Helper()
	f, err := DecodeFields("doc", []byte(doc), 1<<16, 8, maxString)
	if err != nil {
		t.Fatalf("DecodeFields: %v", err)
	}
	return f
}

func TestFieldsRead(t *testing.T) {
	f := mustFields(t, `{"s":"x","t":"","n":42,"b":true,"a":["p","q"],"i":[1,-2],
		"o":{"k":"v","l":[{"z":1}]},"e":{"id":{"w":"y"}},"r":{"b":[1,"<"]},"u":"https://example.com/p?q"}`, 0)
	if got := f.Str("s", true); got != "x" {
		t.Errorf("Str = %q", got)
	}
	if got := f.Text("t"); got != "" {
		t.Errorf("Text = %q", got)
	}
	if got := f.Int("n", true, 0, 100); got != 42 {
		t.Errorf("Int = %d", got)
	}
	if !f.Bool("b", true) {
		t.Error("Bool = false")
	}
	if got := f.Strs("a", true, true, 2); len(got) != 2 || got[1] != "q" {
		t.Errorf("Strs = %q", got)
	}
	if got := f.Ints("i", true, 2); len(got) != 2 || got[1] != -2 {
		t.Errorf("Ints = %v", got)
	}
	o, ok := f.Object("o", true)
	if !ok || o.Str("k", true) != "v" || len(o.Map()) != 2 {
		t.Fatalf("Object = %v, %v", o, ok)
	}
	l := o.Array("l", true, 1)
	el, ok := o.Elem("l", 0, l[0])
	if !ok || el.Int("z", true, 1, 1) != 1 {
		t.Fatalf("Elem = %v, %v", el, ok)
	}
	e, _ := f.Object("e", true)
	en, ok := e.Entry("", "id", e.Map()["id"])
	if !ok || en.Str("w", true) != "y" {
		t.Fatalf("Entry = %v, %v", en, ok)
	}
	if got := string(f.Raw("r", true)); got != `{"b":[1,"<"]}` {
		t.Errorf("Raw = %s", got)
	}
	if got := f.URL("u", true); got != "https://example.com/p?q" {
		t.Errorf("URL = %q", got)
	}
	if !f.Has("s") || f.Has("missing") {
		t.Error("Has")
	}
	if f.Str("missing", false) != "" || f.Err() != nil {
		t.Errorf("optional missing member: %v", f.Err())
	}
	if (*Fields)(nil).Map() != nil {
		t.Error("nil Map")
	}
}

// TestFieldsFailures checks the first failure's path and message, which
// the oid4vci and oid4vp errors carry.
func TestFieldsFailures(t *testing.T) {
	tests := []struct {
		name      string
		doc       string
		maxString int
		read      func(f *Fields)
		want      string
	}{
		{"missing", `{}`, 0, func(f *Fields) { f.Str("a", true) }, "a: required member missing"},
		{"not a string", `{"a":1}`, 0, func(f *Fields) { f.Str("a", true) }, "a: not a string"},
		{"empty string", `{"a":""}`, 0, func(f *Fields) { f.Str("a", true) }, "a: empty string"},
		{"string cap", `{"a":"abcd"}`, 3, func(f *Fields) { f.Str("a", true) }, "a: over 3 bytes"},
		{"StrMax", `{"a":"abcd"}`, 0, func(f *Fields) { f.StrMax("a", true, 2) }, "a: over 2 bytes"},
		{"text not a string", `{"a":[]}`, 0, func(f *Fields) { f.Text("a") }, "a: not a string"},
		{"not a boolean", `{"a":"true"}`, 0, func(f *Fields) { f.Bool("a", true) }, "a: not a boolean"},
		{"fraction", `{"a":1.0}`, 0, func(f *Fields) { f.Int("a", true, 0, 9) }, "a: not an integer"},
		{"exponent", `{"a":1e2}`, 0, func(f *Fields) { f.Int("a", true, 0, 999) }, "a: not an integer"},
		{"overflow", `{"a":9223372036854775808}`, 0, func(f *Fields) { f.Int("a", true, 0, 9) }, "a: not an integer"},
		{"range", `{"a":10}`, 0, func(f *Fields) { f.Int("a", true, 0, 9) }, "a: 10 is out of range [0, 9]"},
		{"not an array", `{"a":{}}`, 0, func(f *Fields) { f.Array("a", true, 9) }, "a: not an array"},
		{"empty array", `{"a":[]}`, 0, func(f *Fields) { f.Array("a", true, 9) }, "a: empty array"},
		{"array cap", `{"a":[1,2]}`, 0, func(f *Fields) { f.Array("a", true, 1) }, "a: 2 elements, over the cap of 1"},
		{"strs element", `{"a":["x",""]}`, 0, func(f *Fields) { f.Strs("a", true, false, 9) }, "a: element 1 is not a non-empty string"},
		{"strs element cap", `{"a":["xyz"]}`, 2, func(f *Fields) { f.Strs("a", true, false, 9) },
			"a: element 0 is not a non-empty string of at most 2 bytes"},
		{"strs twice", `{"a":["x","x"]}`, 0, func(f *Fields) { f.Strs("a", true, true, 9) }, `a: "x" appears twice`},
		{"ints element", `{"a":[1,"2"]}`, 0, func(f *Fields) { f.Ints("a", false, 9) }, "a: element 1 is not an integer"},
		{"not an object", `{"a":1}`, 0, func(f *Fields) { f.Object("a", true) }, "a: not an object"},
		{"nested path", `{"a":{"b":[{"c":1}]}}`, 0, func(f *Fields) {
			a, _ := f.Object("a", true)
			e, _ := a.Elem("b", 0, a.Array("b", true, 1)[0])
			e.Str("c", true)
		}, "a.b[0].c: not a string"},
		{"elem not an object", `{"a":[1]}`, 0, func(f *Fields) { f.Elem("a", 0, f.Array("a", true, 1)[0]) }, "a: element 0 is not an object"},
		{"entry path", `{"a":{"k":{"c":1}}}`, 0, func(f *Fields) {
			e, _ := f.Entry("a", "k", map[string]any{"c": true})
			e.Str("c", true)
		}, `a["k"].c: not a string`},
		{"entry not an object", `{}`, 0, func(f *Fields) { f.Entry("", "k", 1) }, `"k" is not an object`},
		{"url", `{"u":"http://example.com/"}`, 0, func(f *Fields) { f.URL("u", true) }, `u: "http://example.com/" is not https`},
		{"url string cap first", `{"u":"https://example.com/"}`, 5, func(f *Fields) { f.URL("u", true) }, "u: over 5 bytes"},
		{"first failure wins", `{"a":1,"b":1}`, 0, func(f *Fields) {
			f.Str("a", true)
			f.Str("b", true)
		}, "a: not a string"},
		{"Failf on the object", `{}`, 0, func(f *Fields) { f.Failf("", "bad %s", "thing") }, "bad thing"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := mustFields(t, tc.doc, tc.maxString)
			tc.read(f)
			if err := f.Err(); err == nil || err.Error() != tc.want {
				t.Fatalf("Err = %v, want %q", err, tc.want)
			}
		})
	}
}

func TestFieldsAfterFailure(t *testing.T) {
	f := mustFields(t, `{"a":1,"b":"x"}`, 0)
	f.Str("a", true)
	if f.Str("b", true) != "" {
		t.Fatal("a read after a failure returned a value")
	}
	if _, ok := f.Get("b", true); ok {
		t.Fatal("Get after a failure succeeded")
	}
}

func TestDecodeFields(t *testing.T) {
	if _, err := DecodeFields("offer", []byte(`{"a":1}`), 3, 2, 0); err == nil || err.Error() != "offer is 7 bytes, over the 3-byte cap" {
		t.Fatalf("over the cap: %v", err)
	}
	if _, err := DecodeFields("offer", []byte(`{"a":1,"a":2}`), 99, 2, 0); err == nil || !strings.HasPrefix(err.Error(), "offer: strictjson: duplicate") {
		t.Fatalf("duplicate: %v", err)
	}
	if _, err := DecodeFields("offer", []byte(`[]`), 99, 2, 0); err == nil {
		t.Fatal("array accepted")
	}
}

func TestCheckURL(t *testing.T) {
	tests := []struct {
		url string
		ok  bool
	}{
		{"https://example.com", true},
		{"https://example.com/cb?x=1", true},
		{"http://localhost:8080/cb", true},
		{"http://127.0.0.1/cb", true},
		{"http://[::1]:9/cb", true},
		{"http://LOCALHOST/cb", true},
		{"http://example.com/cb", false},
		{"http://localhost.example.com/cb", false},
		{"ftp://example.com/", false},
		{"https:///path", false},
		{"https:opaque", false},
		{"https://user@example.com/", false},
		{"https://example.com/#", false},
		{"https://example.com/#f", false},
		{"/relative", false},
		{"https://exa mple.com/", false},
		{"https://example.com/" + strings.Repeat("a", MaxURLLen), false},
	}
	for _, tc := range tests {
		if err := CheckURL(tc.url); (err == nil) != tc.ok {
			t.Errorf("CheckURL(%.80q) = %v, want ok=%v", tc.url, err, tc.ok)
		}
	}
}

// FuzzCheckURL checks that every URL CheckURL accepts is short, parses,
// is https or http on a loopback host, and has a host but no userinfo or
// fragment.
func FuzzCheckURL(f *testing.F) {
	for _, s := range []string{"https://example.com/a?b", "http://localhost:1/", "http://[::1]/", "https://u@h/", "https://h/#", "http://h/", "https:x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if CheckURL(s) != nil {
			return
		}
		u, err := url.Parse(s)
		if err != nil || len(s) > MaxURLLen {
			t.Fatalf("accepted %q: %v", s, err)
		}
		if !(u.Scheme == "https" || u.Scheme == "http" && IsLoopbackHost(u.Hostname())) {
			t.Fatalf("accepted scheme %q host %q", u.Scheme, u.Hostname())
		}
		if u.Hostname() == "" || u.User != nil || strings.Contains(s, "#") {
			t.Fatalf("accepted %q", s)
		}
	})
}

// FuzzFields reads every kind of member from arbitrary JSON: no panic,
// and a value comes back only while no failure is recorded.
func FuzzFields(f *testing.F) {
	for _, s := range []string{`{"a":"x","b":[1,2],"c":{"d":[{"e":true}]},"u":"https://h/"}`, `{"a":1.5,"b":["x","x"]}`, `{"c":{"d":[1]}}`} {
		f.Add([]byte(s), 0)
		f.Add([]byte(s), 2)
	}
	f.Fuzz(func(t *testing.T, data []byte, maxString int) {
		if maxString < 0 {
			maxString = -maxString
		}
		r, err := DecodeFields("doc", data, 1<<16, 8, maxString%64)
		if err != nil {
			return
		}
		r.Str("a", false)
		r.Text("t")
		r.Int("n", false, -5, 5)
		r.Bool("f", false)
		r.Strs("b", false, true, 4)
		r.Ints("i", false, 4)
		r.URL("u", false)
		r.Raw("r", false)
		if c, ok := r.Object("c", false); ok {
			for i, v := range c.Array("d", false, 4) {
				if e, ok := c.Elem("d", i, v); ok {
					e.Str("e", false)
				}
			}
			for k, v := range c.Map() {
				if e, ok := c.Entry("", k, v); ok {
					e.Int("n", false, 0, 1)
				}
			}
		}
		failed := r.Err() != nil
		if s := r.Str("a", false); failed && s != "" {
			t.Fatalf("value %q after failure %v", s, r.Err())
		}
	})
}
