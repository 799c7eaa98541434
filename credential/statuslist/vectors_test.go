package statuslist

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/jose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
	"github.com/ikdkit/ikdkit/internal/strictjson"
	"github.com/ikdkit/ikdkit/keys"
)

type expectedList struct {
	Bits         int    `json:"bits"`
	Lst          string `json:"lst"`
	CBORHex      string `json:"cbor_hex"`
	NumEntries   int    `json:"num_entries"`
	UncompLen    int    `json:"uncompressed_len_bytes"`
	NonzeroCount int    `json:"nonzero_entries_count"`
	Statuses     []struct {
		Idx    uint64 `json:"idx"`
		Status int    `json:"status"`
	} `json:"spec_listed_statuses"`
	AllValues       []int  `json:"all_values"`
	UncompressedHex string `json:"uncompressed_hex"`
}

func loadExpectedLists(t *testing.T) map[string]expectedList {
	t.Helper()
	var m map[string]expectedList
	if err := json.Unmarshal(readVector(t, "status_lists_expected.json"), &m); err != nil {
		t.Fatal(err)
	}
	if len(m) != 6 {
		t.Fatalf("expected 6 vector lists, got %d", len(m))
	}
	return m
}

// TestDraftEncodingVectors decodes every Status List example of the draft
// (§4.1, §4.2, §4.3 and Appendix "Test vectors") in both the JSON and the CBOR
// form and checks every listed status and that all other entries are VALID.
func TestDraftEncodingVectors(t *testing.T) {
	for name, want := range loadExpectedLists(t) {
		t.Run(name, func(t *testing.T) {
			// JSON form: lst is base64url without padding.
			compressed, err := b64.DecodeString(want.Lst)
			if err != nil {
				t.Fatal(err)
			}
			// CBOR form: {"bits": uint, "lst": bstr}.
			cb, err := hex.DecodeString(want.CBORHex)
			if err != nil {
				t.Fatal(err)
			}
			var sl cborStatusList
			if err := strictcbor.Unmarshal(cb, &sl); err != nil {
				t.Fatal(err)
			}
			if sl.Bits == nil || int(*sl.Bits) != want.Bits {
				t.Fatalf("CBOR bits = %v, want %d", sl.Bits, want.Bits)
			}
			if !bytes.Equal(sl.Lst, compressed) {
				t.Fatal("JSON and CBOR forms hold different compressed bytes")
			}
			l, err := Decode(want.Bits, compressed, 0)
			if err != nil {
				t.Fatal(err)
			}
			if got := len(l.Bytes()); got != want.UncompLen {
				t.Fatalf("uncompressed length %d, want %d", got, want.UncompLen)
			}
			if l.Len() != want.NumEntries {
				t.Fatalf("Len = %d, want %d", l.Len(), want.NumEntries)
			}
			listed := make(map[uint64]Status)
			for _, s := range want.Statuses {
				got, err := l.Get(s.Idx)
				if err != nil {
					t.Fatal(err)
				}
				if got != Status(s.Status) {
					t.Errorf("status[%d] = %d, want %d", s.Idx, got, s.Status)
				}
				listed[s.Idx] = Status(s.Status)
			}
			nonzero := 0
			for i := 0; i < l.Len(); i++ {
				s, _ := l.Get(uint64(i))
				if s != 0 {
					nonzero++
					if _, ok := listed[uint64(i)]; !ok {
						t.Errorf("status[%d] = %d but the draft lists no value there", i, s)
					}
				}
			}
			if nonzero != want.NonzeroCount {
				t.Errorf("%d non-zero entries, want %d", nonzero, want.NonzeroCount)
			}
			// Our encoder reproduces the layout: setting the listed statuses
			// on a fresh list gives the same uncompressed bytes, and our
			// compressed output decodes back to them (compression itself is
			// not canonical, see testdata/statuslist/README.md).
			mine, err := New(want.Bits, want.NumEntries)
			if err != nil {
				t.Fatal(err)
			}
			for idx, s := range listed {
				if err := mine.Set(idx, s); err != nil {
					t.Fatal(err)
				}
			}
			if !mine.Equal(l) {
				t.Fatal("encoder layout differs from the draft's byte array")
			}
			if want.UncompressedHex != "" && hex.EncodeToString(mine.Bytes()) != want.UncompressedHex {
				t.Fatalf("bytes %x, want %s", mine.Bytes(), want.UncompressedHex)
			}
			back, err := Decode(want.Bits, mine.Compress(), 0)
			if err != nil || !back.Equal(l) {
				t.Fatalf("round trip through our compressor failed: %v", err)
			}
			if c := mine.Compress(); c[0] != 0x78 || c[1] != 0xda {
				t.Fatalf("zlib header %x, want 78da (best compression)", c[:2])
			}
		})
	}
}

func TestDraftShortExamplesAllValues(t *testing.T) {
	m := loadExpectedLists(t)
	for _, name := range []string{"encoding_1bit_16", "encoding_2bit_12"} {
		want := m[name]
		if len(want.AllValues) == 0 {
			t.Fatalf("%s: no all_values in vectors", name)
		}
		raw, _ := hex.DecodeString(want.UncompressedHex)
		l, err := FromBytes(want.Bits, raw)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range want.AllValues {
			if got, _ := l.Get(uint64(i)); got != Status(v) {
				t.Errorf("%s: status[%d] = %d, want %d", name, i, got, v)
			}
		}
	}
}

func TestDraftJWTToken(t *testing.T) {
	tok, err := vectorVerifier(t).VerifyJWT(bytes.TrimSpace(readVector(t, "status_list_token.jwt")))
	if err != nil {
		t.Fatal(err)
	}
	checkExampleToken(t, tok, TokenJWT)
	if tok.Issuer() != "https://example.com" {
		t.Errorf("iss = %q", tok.Issuer())
	}
}

func TestDraftCWTToken(t *testing.T) {
	tok, err := vectorVerifier(t).VerifyCWT(readHexVector(t, "status_list_cwt.hex"))
	if err != nil {
		t.Fatal(err)
	}
	checkExampleToken(t, tok, TokenCWT)
}

func checkExampleToken(t *testing.T, tok *Token, f TokenFormat) {
	t.Helper()
	if tok.Format() != f {
		t.Errorf("format %v", tok.Format())
	}
	if tok.Subject() != "https://example.com/statuslists/1" {
		t.Errorf("sub = %q", tok.Subject())
	}
	if tok.KeyID() != "12" {
		t.Errorf("kid = %q", tok.KeyID())
	}
	if !tok.IssuedAt().Equal(time.Unix(1686920170, 0)) {
		t.Errorf("iat = %v", tok.IssuedAt())
	}
	if exp, ok := tok.ExpiresAt(); !ok || !exp.Equal(time.Unix(2291720170, 0)) {
		t.Errorf("exp = %v %v", exp, ok)
	}
	if ttl, ok := tok.TTL(); !ok || ttl != 43200*time.Second {
		t.Errorf("ttl = %v %v", ttl, ok)
	}
	want := []Status{1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1}
	if tok.Bits() != 1 || tok.Len() != 16 {
		t.Fatalf("bits %d len %d", tok.Bits(), tok.Len())
	}
	for i, w := range want {
		if got, err := tok.Status(uint64(i)); err != nil || got != w {
			t.Errorf("status[%d] = %v, %v; want %v", i, got, err, w)
		}
	}
	if _, err := tok.Status(16); !errors.Is(err, ErrIndexOutOfRange) {
		t.Errorf("index 16: %v", err)
	}
}

// TestDraftReferencedTokenCWT verifies the draft's CWT Referenced Token (§6.3)
// and reads its status claim (65535).
func TestDraftReferencedTokenCWT(t *testing.T) {
	pub, _ := loadP256(t, "key.json")
	msg, err := cose.ParseSign1(readHexVector(t, "referenced_token_cwt.hex"), cose.Tagged)
	if err != nil {
		t.Fatal(err)
	}
	if err := msg.Verify(pub, nil); err != nil {
		t.Fatal(err)
	}
	var claims map[int64]cbor.RawMessage
	if err := strictcbor.Unmarshal(msg.Payload, &claims); err != nil {
		t.Fatal(err)
	}
	sc, err := ParseStatusClaimCBOR(claims[CWTClaimStatus])
	if err != nil {
		t.Fatal(err)
	}
	want := Reference{Index: 0, URI: "https://example.com/statuslists/1"}
	if sc.StatusList == nil || *sc.StatusList != want {
		t.Fatalf("status = %+v", sc.StatusList)
	}
	// Our encoder writes the same structure back.
	enc, err := sc.MarshalCBOR()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(enc, claims[CWTClaimStatus]) {
		t.Fatalf("re-encoded %x, original %x", enc, []byte(claims[CWTClaimStatus]))
	}
}

// TestDraftReferencedSDJWTIsRevoked checks the draft's SD-JWT Referenced
// Token (§6.2) end to end against the draft's Status List Token: index 0 is
// INVALID, so the credential must come out revoked.
func TestDraftReferencedSDJWTIsRevoked(t *testing.T) {
	sdjwt := strings.TrimSpace(string(readVector(t, "referenced_token_sdjwt.txt")))
	jws, _, ok := strings.Cut(sdjwt, "~")
	if !ok {
		t.Fatal("not an SD-JWT")
	}
	parts := strings.Split(jws, ".")
	if len(parts) != 3 {
		t.Fatal("issuer JWT is not compact JWS")
	}
	issuer, _ := loadP256(t, "sdjwt_issuer_key.json")
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil {
		t.Fatal(err)
	}
	if jose.VerifySignature(keys.ES256, issuer, parts[0]+"."+parts[1], sig, nil) != nil {
		t.Fatal("SD-JWT issuer signature does not verify with the RFC 9901 issuer key")
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	claims, err := strictjson.UnmarshalObject(payload, 16)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := StatusClaimFromJSONValue(claims["status"])
	if err != nil {
		t.Fatal(err)
	}
	cache, err := NewCache(CacheConfig{
		Keys: func(uri string) (*Verifier, error) { return vectorVerifier(t), nil },
		Now:  fixedClock(vectorTime),
		Policy: Policy{
			MaxAge:         time.Duration(1<<62 - 1),
			AllowBeyondTTL: true,
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := cache.Add(sc.StatusList.URI, bytes.TrimSpace(readVector(t, "status_list_token.jwt"))); err != nil {
		t.Fatal(err)
	}
	ans, err := cache.Lookup(*sc.StatusList)
	if err != nil {
		t.Fatal(err)
	}
	if ans.Status != Invalid {
		t.Fatalf("status %v, want INVALID (revoked)", ans.Status)
	}
}
