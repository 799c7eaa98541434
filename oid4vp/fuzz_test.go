package oid4vp

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"
)

// The fuzz targets of the parsers. Each is seeded from the examples of
// testdata/oid4vp (and fails on an empty corpus) and asserts, for every
// input: no panic; on error, no result and an error of the documented
// type; on success, encoding the result and parsing it again gives the
// same value.

func FuzzParseQuery(f *testing.F) {
	for _, s := range seedList(f, "dcql-") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		q, err := ParseQuery(data)
		if err != nil {
			var qe *QueryError
			if q != nil || !errors.As(err, &qe) || qe.Rule.Section() == "" {
				t.Fatalf("result %+v with error %v", q, err)
			}
			return
		}
		b, err := json.Marshal(q)
		if err != nil {
			t.Fatalf("encoding %+v: %v", q, err)
		}
		again, err := ParseQuery(b)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", b, err)
		}
		if !reflect.DeepEqual(q, again) {
			t.Fatalf("round trip changed the query:\n%+v\n%+v", q, again)
		}
	})
}
