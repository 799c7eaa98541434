package credential

import "testing"

func TestClaimPathIn(t *testing.T) {
	claims := map[string]any{
		"name":        "RINA",
		"address":     map[string]any{"locality": "JAKARTA"},
		"nationality": []any{"ID"},
		"empty":       []any{},
		"members":     []any{map[string]any{"nik": "1"}},
	}
	for _, tc := range []struct {
		path ClaimPath
		want bool
	}{
		{ClaimPath{"name"}, true},
		{ClaimPath{"address", "locality"}, true},
		{ClaimPath{"address", "postal_code"}, false},
		{ClaimPath{"nationality", nil}, true},
		{ClaimPath{"empty", nil}, false},
		{ClaimPath{"members", nil, "nik"}, true},
		{ClaimPath{"members", nil, "name"}, false},
		{ClaimPath{"name", "x"}, false},
		{ClaimPath{"name", nil}, false},
		{ClaimPath{"nationality", 0}, false},
		{ClaimPath{}, true},
		{ClaimPath{"missing"}, false},
	} {
		if got := tc.path.In(claims); got != tc.want {
			t.Errorf("%v.In = %v, want %v", tc.path, got, tc.want)
		}
	}
}
