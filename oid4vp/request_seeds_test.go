package oid4vp

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/ikdkit/ikdkit/keys"
)

// requestsDir holds the OpenID4VP request and response examples (see its
// README).
const requestsDir = "../testdata/oid4vp/requests"

// requestSeeds returns the files of requestsDir whose names start with
// prefix, by name, failing when there are none: a fuzz target must never
// run on an empty seed corpus.
func requestSeeds(t testing.TB, prefix string) map[string][]byte {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(requestsDir, prefix+"*"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string][]byte{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out[filepath.Base(f)] = bytes.TrimSpace(b)
	}
	if len(out) == 0 {
		t.Fatalf("no seed files %s*", prefix)
	}
	return out
}

func sortedSeeds(t testing.TB, prefix string) [][]byte {
	m := requestSeeds(t, prefix)
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	out := make([][]byte, len(names))
	for i, n := range names {
		out[i] = m[n]
	}
	return out
}

// seedExpect says what each example must give: "" accepted, else the
// error code. Every file of requestsDir must be listed.
var seedExpect = map[string]string{
	"link-spec-redirect-uri-fragment.txt":      CodeInvalidRequest,
	"link-ikdkit-redirect-uri-direct-post.txt": "",
	"link-spec-by-reference-post.txt":          "",
	"link-spec-x509-hash-get.txt":              "",
	"link-spec-scope.txt":                      CodeInvalidScope,
	"link-ikdkit-bad-method.txt":               CodeInvalidRequestURIMethod,
	"payload-spec-request-uri-response.json":   "",
	"payload-spec-direct-post.json":            "",
	"payload-spec-did.json":                    CodeInvalidRequest,
	"dcapi-spec-unsigned.json":                 "",
	"dcapi-spec-signed-payload.json":           "",
	"dcapi-spec-encrypted.json":                "",
	"response-spec-jwe.txt":                    "",
	"response-spec-jwe-key.json":               "",
	"response-spec-direct-post-jwt.txt":        "",
	"response-spec-direct-post.txt":            "",
	"response-spec-direct-post-multiple.txt":   "",
	"response-spec-error.txt":                  "",
	"requesturipost-spec.txt":                  "",
	"responseresult-spec.json":                 "",
}

func TestRequestSeeds(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(requestsDir, "*"))
	for _, f := range files {
		if n := filepath.Base(f); n != "README.md" {
			if _, ok := seedExpect[n]; !ok {
				t.Errorf("%s has no expectation in seedExpect", n)
			}
		}
	}
	specKey, err := keys.ParsePrivateJWK(requestSeeds(t, "response-spec-jwe-key.json")["response-spec-jwe-key.json"])
	if err != nil {
		t.Fatal(err)
	}
	jweOpts := ResponseOptions{Mode: ResponseModeDirectPostJWT, DecryptionKey: func(kid string) (any, error) { return specKey, nil }}
	for name, want := range seedExpect {
		t.Run(name, func(t *testing.T) {
			data := requestSeeds(t, name)[name]
			var err error
			switch {
			case strings.HasPrefix(name, "link-"):
				_, err = ParseAuthorizationRequest(string(data))
			case name == "payload-spec-request-uri-response.json":
				_, err = parseRequestJSON(data, flow{signed: true})
			case strings.HasPrefix(name, "payload-"):
				_, err = parseRequestJSON(data, flow{})
			case name == "dcapi-spec-signed-payload.json":
				_, err = parseRequestJSON(data, flow{dcAPI: true, signed: true})
			case strings.HasPrefix(name, "dcapi-"):
				var r *AuthorizationRequest
				r, err = ParseDCAPIRequest(ProtocolUnsigned, data)
				if err == nil && name == "dcapi-spec-encrypted.json" {
					k, kerr := r.ClientMetadata.EncryptionKey()
					enc, eerr := r.ClientMetadata.ContentEncryption()
					if kerr != nil || eerr != nil || k.KeyID != "ac" || enc != "A128GCM" || len(r.ClientMetadata.JWKS) != 4 {
						t.Fatalf("key %+v %v, enc %s %v", k, kerr, enc, eerr)
					}
				}
			case name == "response-spec-jwe.txt":
				var resp *AuthorizationResponse
				resp, err = DecryptResponse(string(data), jweOpts)
				if err == nil && (resp.KeyID != "ac" || len(resp.VPToken["example_credential_id"]) != 1) {
					t.Fatalf("decrypted %+v", resp)
				}
			case name == "requesturipost-spec.txt":
				form, perr := url.ParseQuery(string(data))
				if perr != nil {
					t.Fatal(perr)
				}
				_, err = ParseRequestURIPost(form)
			case name == "responseresult-spec.json":
				_, err = ParseResponseResult(data)
			case name == "response-spec-jwe-key.json":
			case strings.HasPrefix(name, "response-"):
				form, perr := url.ParseQuery(string(data))
				if perr != nil {
					t.Fatal(perr)
				}
				opts := ResponseOptions{Mode: ResponseModeDirectPost}
				if strings.Contains(name, "-jwt") {
					opts = jweOpts
				}
				var resp *AuthorizationResponse
				resp, err = ParseResponse(form, opts)
				if err == nil && name == "response-spec-error.txt" && (resp.Error == nil || resp.Error.Code != CodeInvalidRequest || resp.State != "eyJhb...6-sVA") {
					t.Fatalf("error response %+v", resp)
				}
			default:
				t.Fatalf("no parser for %s", name)
			}
			if want == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantErr(t, err, want, nil)
		})
	}
}
