package statuslist

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"testing"

	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// sentinels lists every sentinel error; a fuzzed failure must wrap one.
var sentinels = []error{
	ErrMalformed, ErrTooLarge, ErrBits, ErrStatusValue, ErrIndexOutOfRange, ErrAlgorithm,
	ErrUntrusted, ErrSignature, ErrType, ErrExpired, ErrNotYetValid, ErrSubject, ErrNotCached,
	ErrStale, ErrRollback, ErrFetch, ErrListFull,
}

func checkTypedError(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %T %v is not *Error", err, err)
	}
	for _, s := range sentinels {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

// FuzzVerifyToken feeds JWT and CWT Status List Tokens to a Verifier that
// holds the draft's example key. Property: a failure returns a nil token and
// a typed error; a success returns a consistent token, and every strict
// prefix of an accepted token is rejected.
func FuzzVerifyToken(f *testing.F) {
	seeds := [][]byte{
		bytes.TrimSpace(readVector(f, "status_list_token.jwt")),
		readHexVector(f, "status_list_cwt.hex"),
		readHexVector(f, "referenced_token_cwt.hex"),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	if len(seeds) == 0 {
		f.Fatal("empty seed corpus")
	}
	v := vectorVerifier(f)
	v.MaxListBytes = 1 << 20
	f.Fuzz(func(t *testing.T, data []byte) {
		tok, err := v.Verify(data)
		if err != nil {
			if tok != nil {
				t.Fatal("token returned with an error")
			}
			checkTypedError(t, err)
			return
		}
		if tok.Len()*tok.Bits()%8 != 0 || tok.Len() == 0 || checkURI(tok.Subject()) != nil {
			t.Fatalf("inconsistent token: len %d bits %d sub %q", tok.Len(), tok.Bits(), tok.Subject())
		}
		if _, err := tok.Status(uint64(tok.Len())); !errors.Is(err, ErrIndexOutOfRange) {
			t.Fatalf("index Len() accepted: %v", err)
		}
		for _, n := range []int{0, 1, len(data) / 2, len(data) - 1} {
			if n >= len(data) {
				continue
			}
			if _, err := v.Verify(data[:n]); err == nil {
				t.Fatalf("strict prefix of %d bytes accepted", n)
			}
		}
	})
}

// FuzzClaims exercises the claim parsers that run after a signature has
// verified, which FuzzVerifyToken rarely reaches. Property: failures are
// typed; successes carry valid bits and a URI subject.
func FuzzClaims(f *testing.F) {
	f.Add([]byte(`{"exp":2291720170,"iat":1686920170,"iss":"https://example.com","status_list":{"bits":1,"lst":"eNrbuRgAAhcBXQ"},"sub":"https://example.com/statuslists/1","ttl":43200}`), false)
	cwt := readHexVector(f, "status_list_cwt.hex")
	// The claims set is the third element of the COSE_Sign1 array; the
	// vector's payload is the 80-byte bstr after the unprotected header.
	i := bytes.Index(cwt, []byte{0x58, 0x50})
	if i < 0 {
		f.Fatal("could not find the CWT payload in the vector")
	}
	f.Add(cwt[i+2:i+2+0x50], true)
	f.Fuzz(func(t *testing.T, data []byte, isCBOR bool) {
		var c *claimSet
		var err error
		if isCBOR {
			c, err = cwtClaims("fuzz", data)
		} else {
			var m map[string]any
			if m, err = strictjson.UnmarshalObject(data, maxJSONDepth); err != nil {
				return
			}
			c, err = jwtClaims("fuzz", m)
		}
		if err != nil {
			if c != nil {
				t.Fatal("claims returned with an error")
			}
			checkTypedError(t, err)
			return
		}
		if !validBits(c.bits) || checkURI(c.sub) != nil || c.iat < 0 || c.ttl < 0 {
			t.Fatalf("accepted bad claims %+v", c)
		}
	})
}

// FuzzDecode decompresses arbitrary lst bytes. Property: failures are typed
// and return nil; a decoded list survives Compress/Decode unchanged.
func FuzzDecode(f *testing.F) {
	var m map[string]expectedList
	if err := json.Unmarshal(readVector(f, "status_lists_expected.json"), &m); err != nil {
		f.Fatal(err)
	}
	for _, want := range m {
		lst, err := b64.DecodeString(want.Lst)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(uint8(want.Bits), lst)
	}
	if len(m) == 0 {
		f.Fatal("empty seed corpus")
	}
	f.Fuzz(func(t *testing.T, bits uint8, lst []byte) {
		l, err := Decode(int(bits), lst, 1<<20)
		if err != nil {
			if l != nil {
				t.Fatal("list returned with an error")
			}
			checkTypedError(t, err)
			return
		}
		back, err := Decode(int(bits), l.Compress(), 1<<20)
		if err != nil || !back.Equal(l) {
			t.Fatalf("round trip failed: %v", err)
		}
	})
}

// FuzzStatusClaim parses status claims in JSON and CBOR. Property: an
// accepted claim re-encodes to a form that parses to the same reference.
func FuzzStatusClaim(f *testing.F) {
	f.Add([]byte(`{"status_list":{"idx":0,"uri":"https://example.com/statuslists/1"}}`), false)
	cb, _ := hex.DecodeString("a16b7374617475735f6c697374a2636964780063757269782168747470733a2f2f6578616d706c652e636f6d2f7374617475736c697374732f31")
	f.Add(cb, true)
	f.Fuzz(func(t *testing.T, data []byte, isCBOR bool) {
		var sc StatusClaim
		var err error
		if isCBOR {
			sc, err = ParseStatusClaimCBOR(data)
		} else {
			sc, err = ParseStatusClaimJSON(data)
		}
		if err != nil {
			checkTypedError(t, err)
			return
		}
		var again StatusClaim
		if isCBOR {
			enc, err := sc.MarshalCBOR()
			if err != nil {
				t.Fatal(err)
			}
			again, err = ParseStatusClaimCBOR(enc)
			if err != nil {
				t.Fatal(err)
			}
		} else {
			enc, err := json.Marshal(sc)
			if err != nil {
				t.Fatal(err)
			}
			if again, err = ParseStatusClaimJSON(enc); err != nil {
				t.Fatal(err)
			}
		}
		if *again.StatusList != *sc.StatusList {
			t.Fatalf("round trip %+v -> %+v", sc.StatusList, again.StatusList)
		}
	})
}

// FuzzAddToken feeds tokens to Cache.AddToken, whose Keys trusts the draft's
// example key for every uri. Property: a failure stores nothing and is a
// typed error; a success stores the token under its own sub, which is a
// valid uri.
func FuzzAddToken(f *testing.F) {
	seeds := [][]byte{
		bytes.TrimSpace(readVector(f, "status_list_token.jwt")),
		readHexVector(f, "status_list_cwt.hex"),
	}
	for _, s := range seeds {
		f.Add(s)
	}
	if len(seeds) == 0 {
		f.Fatal("empty seed corpus")
	}
	v := vectorVerifier(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := NewCache(CacheConfig{Keys: func(string) (*Verifier, error) { return v, nil }, Now: v.Now,
			Policy: Policy{MaxAge: 1 << 62, AllowBeyondTTL: true}})
		if err != nil {
			t.Fatal(err)
		}
		tok, err := c.AddToken(data)
		if err != nil {
			if tok != nil || len(c.m) != 0 {
				t.Fatal("a refused token was returned or stored")
			}
			checkTypedError(t, err)
			return
		}
		if checkURI(tok.Subject()) != nil || c.m[tok.Subject()] == nil || len(c.m) != 1 {
			t.Fatalf("accepted token stored wrongly under %q", tok.Subject())
		}
	})
}
