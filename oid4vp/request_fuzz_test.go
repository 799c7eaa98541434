package oid4vp

import (
	"errors"
	"net/url"
	"reflect"
	"testing"
)

// The fuzz targets of the request parsers. Each is seeded from
// testdata/oid4vp/requests (failing on an empty corpus) and asserts, for
// every input: no panic; on error, no result and a typed error (a
// *ProtocolError wrapping a sentinel of this package); on success,
// encoding the result and parsing it again gives the same value.

// typedRequestError checks the error contract of the request parsers.
func typedRequestError(t *testing.T, err error) {
	t.Helper()
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.Code == "" {
		t.Fatalf("untyped error %v", err)
	}
	for _, s := range []error{ErrMalformed, ErrUnsupported, ErrInvalidQuery, ErrInvalidRequestObject,
		ErrUntrustedVerifier, ErrNotFresh, ErrWalletNonce, ErrOrigin} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

// reencodeRefused reports whether an encoder may refuse what a parser
// accepted: a Wallet accepts a DCQL query that points to a claim twice
// (§6.1 tells it to ignore duplicates) but a Verifier must not send one;
// and re-encoding may escape what came unescaped, beyond a cap.
func reencodeRefused(err error, inputLen, limit int) bool {
	var qe *QueryError
	if errors.As(err, &qe) && qe.Rule == RuleDuplicateClaim {
		return true
	}
	return errors.Is(err, ErrMalformed) && inputLen > limit/3
}

func FuzzParseAuthorizationRequest(f *testing.F) {
	for _, s := range sortedSeeds(f, "link-") {
		f.Add(string(s))
	}
	f.Fuzz(func(t *testing.T, link string) {
		r, err := ParseAuthorizationRequest(link)
		if err != nil {
			if r != nil {
				t.Fatalf("result %+v with error %v", r, err)
			}
			typedRequestError(t, err)
			return
		}
		again, err := r.Link(Scheme)
		if err != nil {
			if reencodeRefused(err, len(link), MaxRequestLinkSize) {
				return
			}
			t.Fatalf("re-encoding %+v: %v", r, err)
		}
		r2, err := ParseAuthorizationRequest(again)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", again, err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", r, r2)
		}
	})
}

func FuzzParseDCAPIRequest(f *testing.F) {
	for _, s := range sortedSeeds(f, "dcapi-") {
		f.Add(s)
	}
	for _, s := range sortedSeeds(f, "payload-") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseDCAPIRequest(ProtocolUnsigned, data)
		if err != nil {
			if r != nil {
				t.Fatalf("result %+v with error %v", r, err)
			}
			typedRequestError(t, err)
			return
		}
		proto, again, err := DCAPIRequest(r)
		if err != nil {
			if reencodeRefused(err, 0, 1) {
				return
			}
			t.Fatalf("re-encoding %+v: %v", r, err)
		}
		r2, err := ParseDCAPIRequest(proto, again)
		if err != nil {
			t.Fatalf("re-parsing %s: %v", again, err)
		}
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("round trip changed the request:\n%+v\n%+v", r, r2)
		}
	})
}

func FuzzVerifyRequestObject(f *testing.F) {
	p := newPKI(f, testDNS)
	req, _ := redirectRequest(f, p)
	hashReq, _ := redirectRequest(f, p)
	hashReq.ClientID = X509HashClientID(p.leaf)
	dcReq, _ := dcapiRequest(f, p)
	dcReq.ExpectedOrigins = []string{testOrigin}
	for _, r := range []*AuthorizationRequest{req, hashReq, dcReq} {
		tok, err := SignRequestObject(p.leafKey, p.chain(), r, SignOptions{Now: testNow, WalletNonce: "wn"})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(tok)
	}
	f.Add(p.mutate(f, req, nil, nil, func(m map[string]any) { m["response_uri"] = "https://evil.example/" }))
	f.Add(p.mutate(f, req, nil, func(m map[string]any) { m["typ"] = "JWT" }, nil))
	f.Fuzz(func(t *testing.T, tok string) {
		for _, origin := range []string{"", testOrigin} {
			opts := VerifyOptions{Roots: p.roots, Now: testNow, WalletNonce: "wn", Origin: origin}
			v, err := VerifyRequestObject(tok, opts)
			if err != nil {
				if v != nil {
					t.Fatalf("result with error %v", err)
				}
				typedRequestError(t, err)
				continue
			}
			// Only our signer's objects verify; signing the verified request
			// again must verify to the same request.
			again, err := SignRequestObject(p.leafKey, p.chain(), v.Request(), SignOptions{Now: testNow, WalletNonce: "wn"})
			if err != nil {
				if reencodeRefused(err, 0, 1) {
					continue
				}
				t.Fatalf("re-signing: %v", err)
			}
			v2, err := VerifyRequestObject(again, opts)
			if err != nil {
				t.Fatalf("re-verifying: %v", err)
			}
			if !reflect.DeepEqual(v.Request(), v2.Request()) {
				t.Fatalf("round trip changed the request:\n%+v\n%+v", v.Request(), v2.Request())
			}
		}
	})
}

func FuzzParseRequestURIPost(f *testing.F) {
	for _, s := range sortedSeeds(f, "requesturipost-") {
		f.Add(string(s))
	}
	f.Fuzz(func(t *testing.T, body string) {
		form, err := url.ParseQuery(body)
		if err != nil {
			return
		}
		p, err := ParseRequestURIPost(form)
		if err != nil {
			if p != nil {
				t.Fatalf("result with error %v", err)
			}
			typedRequestError(t, err)
			return
		}
		again, err := p.Form()
		if err != nil {
			t.Fatalf("re-encoding %+v: %v", p, err)
		}
		p2, err := ParseRequestURIPost(again)
		if err != nil || !reflect.DeepEqual(p, p2) {
			t.Fatalf("round trip: %+v %+v %v", p, p2, err)
		}
	})
}

func FuzzParseClientID(f *testing.F) {
	for _, s := range []string{"bank", "redirect_uri:https://client.example.org/cb", "x509_san_dns:client.example.org",
		"x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk", "decentralized_identifier:did:example:123",
		"openid_federation:https://federation-verifier.example.com", "verifier_attestation:example-client", "origin:https://x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseClientID(s)
		if err != nil {
			if c != (ClientID{}) {
				t.Fatalf("result %+v with error %v", c, err)
			}
			typedRequestError(t, err)
			return
		}
		if c.String() != s {
			t.Fatalf("String %q, input %q", c.String(), s)
		}
		if c2, err := ParseClientID(c.String()); err != nil || c2 != c {
			t.Fatalf("round trip %+v %+v %v", c, c2, err)
		}
	})
}
