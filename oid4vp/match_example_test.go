package oid4vp_test

import (
	"fmt"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/oid4vp"
)

// The Wallet matches a KTP-el request against what it holds and
// discloses only the claims asked for.
func ExampleQuery_Match() {
	q, err := oid4vp.ParseQuery([]byte(`{"credentials":[{
		"id": "ktp", "format": "dc+sd-jwt",
		"meta": {"vct_values": ["` + credential.VCTKTPEL + `"]},
		"claims": [
			{"id": "adult", "path": ["age_equal_or_over", "18"], "values": [true]},
			{"id": "nik", "path": ["nik"]}
		],
		"claim_sets": [["adult"], ["nik"]]
	}]}`))
	if err != nil {
		panic(err)
	}
	held := []oid4vp.Candidate{{
		Format: credential.FormatSDJWT, VCT: credential.VCTKTPEL, HolderBinding: true,
		Claims: map[string]any{
			"iss": "https://dukcapil.example", "nik": "3171234567890001",
			"age_equal_or_over": map[string]any{"18": true, "65": false},
		},
		AlwaysDisclosed: []oid4vp.ClaimsPath{{"iss"}},
	}}
	m, err := q.Match(held)
	if err != nil {
		panic(err)
	}
	for _, cm := range m.Credentials {
		for _, c := range cm.Chosen {
			fmt.Println(cm.ID, "candidate", c.Index, "claim set", c.ClaimSet, "disclose", c.Disclose)
		}
	}
	// Output: ktp candidate 0 claim set 0 disclose [["age_equal_or_over","18"]]
}
