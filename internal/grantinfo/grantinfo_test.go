package grantinfo

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/oid4vp"
)

func TestRoundTrip(t *testing.T) {
	in := &Info{Endpoint: "https://login.example.go.id/grants", ClientID: "portal", ClientName: "Portal Layanan Publik",
		Scopes: []string{"openid", "identity"}, ExpiresAt: 1800000000}
	vi, err := in.VerifierInfo()
	if err != nil {
		t.Fatal(err)
	}
	out, err := Find([]oid4vp.VerifierInfo{{Format: "registration_cert", Data: json.RawMessage(`"x"`)}, vi})
	if err != nil || out == nil || out.ClientID != "portal" || out.Until().Unix() != 1800000000 || len(out.Scopes) != 2 {
		t.Fatalf("%+v %v", out, err)
	}
	if out, err := Find(nil); out != nil || err != nil {
		t.Fatalf("none: %+v %v", out, err)
	}
}

func TestRefusals(t *testing.T) {
	for name, data := range map[string]string{
		"http endpoint":   `{"grant_endpoint":"http://login.example/g","client_id":"p","client_name":"P","scopes":["openid"],"expires_at":1}`,
		"no scopes":       `{"grant_endpoint":"https://login.example/g","client_id":"p","client_name":"P","scopes":[],"expires_at":1}`,
		"no client":       `{"grant_endpoint":"https://login.example/g","client_name":"P","scopes":["openid"],"expires_at":1}`,
		"duplicate":       `{"grant_endpoint":"https://login.example/g","grant_endpoint":"https://x/g","client_id":"p","client_name":"P","scopes":["openid"],"expires_at":1}`,
		"negative expiry": `{"grant_endpoint":"https://login.example/g","client_id":"p","client_name":"P","scopes":["openid"],"expires_at":-1}`,
		"long name":       `{"grant_endpoint":"https://login.example/g","client_id":"p","client_name":"` + strings.Repeat("x", 300) + `","scopes":["openid"],"expires_at":1}`,
		"not an object":   `"x"`,
	} {
		if _, err := Find([]oid4vp.VerifierInfo{{Format: Format, Data: json.RawMessage(data)}}); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	ok := json.RawMessage(`{"grant_endpoint":"https://login.example/g","client_id":"p","client_name":"P","scopes":["openid"],"expires_at":1}`)
	if _, err := Find([]oid4vp.VerifierInfo{{Format: Format, Data: ok}, {Format: Format, Data: ok}}); err == nil {
		t.Error("two entries accepted")
	}
}

func FuzzFind(f *testing.F) {
	f.Add([]byte(`{"grant_endpoint":"https://login.example/g","client_id":"p","client_name":"P","scopes":["openid"],"expires_at":1}`))
	f.Add([]byte(`{}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		i, err := Find([]oid4vp.VerifierInfo{{Format: Format, Data: data}})
		if err == nil && i == nil {
			t.Fatal("an entry neither found nor refused")
		}
		if err == nil {
			if _, err := i.VerifierInfo(); err != nil {
				t.Fatalf("a found entry does not encode: %v", err)
			}
		}
	})
}
