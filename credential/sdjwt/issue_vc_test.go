package sdjwt

import (
	"crypto/ed25519"
	"errors"
	"testing"
)

// IssueVCBytes gives IssueVC's token, byte for byte, and refuses what
// IssueVC refuses, with the same error.
func TestIssueVCBytesMatchesIssueVC(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(seededReader(9))
	base := func() map[string]any {
		return map[string]any{"vct": "urn:x", "iss": "https://i.example", "given_name": "Budi",
			"address": map[string]any{"city": "Bandung", "street": "Jl. Merdeka 1"}, "nums": []any{1, 2, 3}}
	}
	cases := []struct {
		name   string
		claims map[string]any
		opts   IssueOptions
	}{
		{"plain", base(), IssueOptions{}},
		{"disclosable", base(), IssueOptions{Disclosable: []Path{{"given_name"}, {"address", "city"}, {"nums", nil}}, Decoys: 2}},
		{"holder", base(), IssueOptions{HolderKey: key.Public(), Disclosable: []Path{{"address"}}}},
		{"no vct", map[string]any{"iss": "x"}, IssueOptions{}},
		{"empty vct", map[string]any{"vct": ""}, IssueOptions{}},
		{"bad typ", base(), IssueOptions{Type: "jwt"}},
		{"legacy typ", base(), IssueOptions{Type: TypeVCLegacy}},
		{"status disclosable", base(), IssueOptions{Disclosable: []Path{{"iss"}}}},
		{"nested iss ok", map[string]any{"vct": "v", "x": map[string]any{"iss": 1}}, IssueOptions{Disclosable: []Path{{"x", "iss"}}}},
	}
	for _, tc := range cases {
		o1, o2 := tc.opts, tc.opts
		o1.Signer, o2.Signer = key, key
		o1.Rand, o2.Rand = seededReader(1), seededReader(1)
		s, err1 := IssueVC(tc.claims, o1)
		b, err2 := IssueVCBytes(tc.claims, o2)
		if (err1 == nil) != (err2 == nil) || (err1 != nil && err1.Error() != err2.Error()) {
			t.Errorf("%s: errors %v / %v", tc.name, err1, err2)
			continue
		}
		var ce1, ce2 interface{ Unwrap() error }
		if err1 != nil && errors.As(err1, &ce1) != errors.As(err2, &ce2) {
			t.Errorf("%s: error kinds differ", tc.name)
		}
		if string(b) != s {
			t.Errorf("%s: tokens differ:\n%s\n%s", tc.name, s, b)
		}
	}
}
