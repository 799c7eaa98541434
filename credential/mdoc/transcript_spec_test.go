package mdoc

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/ikdkit/ikdkit/keys"
)

// The SessionTranscript examples of OpenID4VP 1.0 Appendix B.2.6.1
// (redirects) and B.2.6.2 (Digital Credentials API), from
// openid/OpenID4VP 1.0/openid-4-verifiable-presentations-1_0.md at commit
// 46f6965: the same JWK, nonce and (for redirects) client_id and
// response_uri, and the expected CBOR.
func TestOpenID4VPSessionTranscriptSpecExamples(t *testing.T) {
	const (
		jwk         = `{"kty":"EC","crv":"P-256","x":"DxiH5Q4Yx3UrukE2lWCErq8N8bqC9CHLLrAwLz5BmE0","y":"XtLM4-3h5o3HUH0MHVJV0kyq0iBlrBwlh8qEDMZ4-Pc"}`
		nonce       = "exc7gBkxjx1rdc9udRrveKvSsJIq80avlXeLHhGwqtA"
		thumbprint  = "4283ec927ae0f208daaa2d026a814f2b22dca52cf85ffa8f3f8626c6bd669047"
		redirectHex = "83f6f682714f70656e494434565048616e646f7665725820048bc053c00442af9b8eed494cefdd9d95240d254b046b11b68013722aad38ac"
		dcAPIHex    = "83f6f682764f70656e4944345650444341504948616e646f7665725820fbece366f4212f9762c74cfdbf83b8c69e371d5d68cea09cb4c48ca6daab761a"
	)
	pub, err := keys.ParsePublicJWK([]byte(jwk))
	if err != nil {
		t.Fatal(err)
	}
	tp, err := keys.Thumbprint(pub)
	if err != nil {
		t.Fatal(err)
	}
	tpb, _ := base64.RawURLEncoding.DecodeString(tp)
	if hex.EncodeToString(tpb) != thumbprint {
		t.Fatalf("RFC 7638 thumbprint %x, the example's %s", tpb, thumbprint)
	}
	got, err := OpenID4VPSessionTranscript("x509_san_dns:example.com", nonce, tpb, "https://example.com/response")
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := hex.DecodeString(redirectHex); !bytes.Equal(got, want) {
		t.Errorf("B.2.6.1 SessionTranscript\n got %x\nwant %s", got, redirectHex)
	}
	got, err = OpenID4VPDCAPISessionTranscript("https://example.com", nonce, tpb)
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := hex.DecodeString(dcAPIHex); !bytes.Equal(got, want) {
		t.Errorf("B.2.6.2 SessionTranscript\n got %x\nwant %s", got, dcAPIHex)
	}
}
