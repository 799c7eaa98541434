package mdoc

import (
	"bytes"
	"crypto/elliptic"
	"crypto/sha256"
	"crypto/x509"
	"errors"
	"testing"
	"time"

	"github.com/fxamacker/cbor/v2"

	"github.com/ikdkit/ikdkit/internal/cose"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// The reference for DetachChains and AttachChains is the reflection-based
// rewrite package qr used before (credential/qr/mdocwire.go up to this
// change): decode each map on the path with a tag-tolerant strict mode,
// swap the header, re-encode deterministically. Whatever the hand-written
// rewrite accepts, the reference must accept with the same bytes, so the
// QR envelope's wire format does not change.
var (
	refTagsMode = func() cbor.DecMode {
		m, err := cbor.DecOptions{
			DupMapKey:         cbor.DupMapKeyEnforcedAPF,
			IndefLength:       cbor.IndefLengthForbidden,
			MaxNestedLevels:   16,
			MaxArrayElements:  2048,
			MaxMapPairs:       2048,
			IntDec:            cbor.IntDecConvertSigned,
			UTF8:              cbor.UTF8RejectInvalid,
			FieldNameMatching: cbor.FieldNameMatchingCaseSensitive,
		}.DecMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
	refEncMode = func() cbor.EncMode {
		m, err := cbor.EncOptions{Sort: cbor.SortCoreDeterministic, IndefLength: cbor.IndefLengthForbidden}.EncMode()
		if err != nil {
			panic(err)
		}
		return m
	}()
)

type refCertHash struct {
	_    struct{} `cbor:",toarray"`
	Alg  int64
	Hash []byte
}

func refRewrite(dr []byte, fn func(map[int64]cbor.RawMessage) (map[int64]cbor.RawMessage, error)) ([]byte, error) {
	var resp map[string]cbor.RawMessage
	if err := refTagsMode.Unmarshal(dr, &resp); err != nil {
		return nil, err
	}
	var docs []cbor.RawMessage
	if err := refTagsMode.Unmarshal(resp["documents"], &docs); err != nil || len(docs) == 0 {
		return nil, errors.New("no documents")
	}
	for i, d := range docs {
		var doc map[string]cbor.RawMessage
		if err := refTagsMode.Unmarshal(d, &doc); err != nil {
			return nil, err
		}
		var is map[string]cbor.RawMessage
		if err := refTagsMode.Unmarshal(doc["issuerSigned"], &is); err != nil {
			return nil, err
		}
		var auth []cbor.RawMessage
		if err := refTagsMode.Unmarshal(is["issuerAuth"], &auth); err != nil || len(auth) != 4 {
			return nil, errors.New("issuerAuth")
		}
		var unprot map[int64]cbor.RawMessage
		if err := refTagsMode.Unmarshal(auth[1], &unprot); err != nil {
			return nil, err
		}
		if unprot == nil {
			unprot = map[int64]cbor.RawMessage{}
		}
		unprot, err := fn(unprot)
		if err != nil {
			return nil, err
		}
		if auth[1], err = refEncMode.Marshal(unprot); err != nil {
			return nil, err
		}
		if is["issuerAuth"], err = refEncMode.Marshal(auth); err != nil {
			return nil, err
		}
		if doc["issuerSigned"], err = refEncMode.Marshal(is); err != nil {
			return nil, err
		}
		if docs[i], err = refEncMode.Marshal(doc); err != nil {
			return nil, err
		}
	}
	var err error
	if resp["documents"], err = refEncMode.Marshal(docs); err != nil {
		return nil, err
	}
	return refEncMode.Marshal(resp)
}

// refDetach is the former stripChain; it also returns the chains it took
// out, by x5t, for refAttach and AttachChains.
func refDetach(dr []byte) ([]byte, map[[8]byte][]*x509.Certificate, error) {
	chains := map[[8]byte][]*x509.Certificate{}
	out, err := refRewrite(dr, func(u map[int64]cbor.RawMessage) (map[int64]cbor.RawMessage, error) {
		raw, ok := u[cose.HeaderX5Chain]
		if !ok {
			return nil, errors.New("no x5chain")
		}
		var ders [][]byte
		var one []byte
		if err := refTagsMode.Unmarshal(raw, &one); err == nil {
			ders = [][]byte{one}
		} else if err := refTagsMode.Unmarshal(raw, &ders); err != nil || len(ders) == 0 {
			return nil, errors.New("x5chain")
		}
		sum := sha256.Sum256(ders[0])
		chain := make([]*x509.Certificate, len(ders))
		for i, d := range ders {
			chain[i] = &x509.Certificate{Raw: d}
		}
		chains[[8]byte(sum[:8])] = chain
		x5t, err := refEncMode.Marshal(refCertHash{Alg: -15, Hash: sum[:8]})
		if err != nil {
			return nil, err
		}
		delete(u, cose.HeaderX5Chain)
		u[cose.HeaderX5T] = x5t
		return u, nil
	})
	return out, chains, err
}

// refAttach is the former restoreChain.
func refAttach(dr []byte, chains map[[8]byte][]*x509.Certificate) ([]byte, error) {
	return refRewrite(dr, func(u map[int64]cbor.RawMessage) (map[int64]cbor.RawMessage, error) {
		var ch refCertHash
		if err := refTagsMode.Unmarshal(u[cose.HeaderX5T], &ch); err != nil || ch.Alg != -15 || len(ch.Hash) != 8 {
			return nil, errors.New("x5t")
		}
		if _, dup := u[cose.HeaderX5Chain]; dup {
			return nil, errors.New("both")
		}
		chain, ok := chains[[8]byte(ch.Hash)]
		if !ok {
			return nil, errors.New("unknown x5t")
		}
		var x5 []byte
		var err error
		if len(chain) == 1 {
			x5, err = refEncMode.Marshal(chain[0].Raw)
		} else {
			ders := make([][]byte, len(chain))
			for i, c := range chain {
				ders[i] = c.Raw
			}
			x5, err = refEncMode.Marshal(ders)
		}
		delete(u, cose.HeaderX5T)
		u[cose.HeaderX5Chain] = x5
		return u, err
	})
}

func resolverOf(chains map[[8]byte][]*x509.Certificate) func([]byte) ([]*x509.Certificate, error) {
	return func(ref []byte) ([]*x509.Certificate, error) {
		if len(ref) == 8 {
			if c, ok := chains[[8]byte(ref)]; ok {
				return c, nil
			}
		}
		return nil, errors.New("unknown document signer")
	}
}

// checkChainsAgree runs DetachChains and AttachChains on in and, when they
// accept, requires the reference to give the same bytes.
func checkChainsAgree(t *testing.T, in []byte) {
	t.Helper()
	got, err := DetachChains(in)
	if err != nil {
		if got != nil || !isSentinel(err) {
			t.Fatalf("DetachChains = %x, %v", got, err)
		}
	} else {
		want, chains, rerr := refDetach(in)
		if rerr != nil {
			t.Fatalf("DetachChains accepts, the reference rejects: %v", rerr)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("DetachChains differs from the reference:\n%x\n%x", got, want)
		}
		back, err := AttachChains(got, resolverOf(chains))
		if err != nil {
			t.Fatalf("AttachChains of DetachChains: %v", err)
		}
		ref, err := refAttach(want, chains)
		if err != nil || !bytes.Equal(back, ref) {
			t.Fatalf("AttachChains differs from the reference (%v)", err)
		}
	}
	// AttachChains on arbitrary input, with a resolver that knows nothing.
	got, err = AttachChains(in, resolverOf(nil))
	if err == nil || got != nil || !isSentinel(err) {
		t.Fatalf("AttachChains = %x, %v", got, err)
	}
}

// isSentinel reports whether err wraps one of the package's sentinels.
func isSentinel(err error) bool {
	for _, s := range []error{ErrMalformed, ErrTooLarge, ErrUntrustedIssuer, ErrNoDocuments, ErrInvalidArgument} {
		if errors.Is(err, s) {
			return true
		}
	}
	return false
}

// multiChainResponse is a response whose x5chain holds two certificates,
// and two documents.
func multiChainResponse(t testing.TB) ([]byte, *testPKI) {
	t.Helper()
	pki := newPKI(t)
	device := newECKey(t, elliptic.P256())
	iss := &Issuer{Signer: pki.dsKey, Chain: []*x509.Certificate{pki.ds, pki.root}, Now: func() time.Time { return testNow }}
	cred, err := iss.Issue(IssueRequest{DocType: ktpDocType, NameSpaces: ktpElements(), DeviceKey: device.Public(), ValidUntil: testNow.AddDate(0, 0, 30)})
	if err != nil {
		t.Fatal(err)
	}
	resp, err := Present(cred, threeElements, PresentOptions{SessionTranscript: testTranscript, DeviceKey: device})
	if err != nil {
		t.Fatal(err)
	}
	var r deviceResponseWire
	if err := decode(decMode, resp, &r, tagEncodedCBOR); err != nil {
		t.Fatal(err)
	}
	r.Documents = append(r.Documents, r.Documents[0])
	two, err := marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	return two, pki
}

func TestDetachAttachChains(t *testing.T) {
	pki, _, resp, opts := newFixture(t)
	two, pki2 := multiChainResponse(t)
	for _, tc := range []struct {
		name  string
		resp  []byte
		chain []*x509.Certificate
		n     int
	}{
		{"one certificate", resp, []*x509.Certificate{pki.ds}, 1},
		{"two certificates, two documents", two, []*x509.Certificate{pki2.ds, pki2.root}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := DetachChains(tc.resp)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(tc.chain[0].Raw)
			x5t := append([]byte{0xa1, 0x18, 0x22, 0x82, 0x2e, 0x48}, sum[:8]...)
			if bytes.Count(d, x5t) != tc.n || bytes.Contains(d, tc.chain[0].Raw) || len(d) >= len(tc.resp) {
				t.Fatalf("detached response: %d x5t headers, chain present %v", bytes.Count(d, x5t), bytes.Contains(d, tc.chain[0].Raw))
			}
			if _, err := Verify(d, opts()); !errors.Is(err, ErrMalformed) {
				t.Fatalf("verify without the chain: %v", err)
			}
			calls := 0
			back, err := AttachChains(d, func(ref []byte) ([]*x509.Certificate, error) {
				calls++
				if !bytes.Equal(ref, sum[:8]) {
					t.Fatalf("resolver asked for %x", ref)
				}
				return tc.chain, nil
			})
			if err != nil || calls != tc.n {
				t.Fatalf("AttachChains: %v after %d calls", err, calls)
			}
			// mdoc.Present writes deterministic CBOR: the round trip gives
			// the holder's bytes back.
			if !bytes.Equal(back, tc.resp) {
				t.Fatal("round trip changed the response")
			}
			checkChainsAgree(t, tc.resp)
		})
	}
	if _, err := Verify(resp, opts()); err != nil {
		t.Fatal(err)
	}
}

// TestChainsMatchReference compares with the former implementation on
// responses it re-encoded: the Annex D response and one whose maps are
// not in deterministic order.
func TestChainsMatchReference(t *testing.T) {
	annex, _ := annexD(t)
	_, _, resp, _ := newFixture(t)
	// The DeviceResponse map with its members in reverse order.
	w := newWalker(resp)
	ms, err := w.rawMembers(deviceResponseMembers)
	if err != nil {
		t.Fatal(err)
	}
	unsorted := strictcbor.AppendHead(nil, strictcbor.MajorMap, uint64(len(ms)))
	for i := len(ms) - 1; i >= 0; i-- {
		unsorted = append(append(unsorted, ms[i].key...), ms[i].value...)
	}
	if bytes.Equal(unsorted, resp) {
		t.Fatal("not reordered")
	}
	for name, in := range map[string][]byte{"Annex D": annex, "unsorted": unsorted, "fixture": resp} {
		t.Run(name, func(t *testing.T) {
			if _, err := DetachChains(in); err != nil {
				t.Fatal(err)
			}
			checkChainsAgree(t, in)
		})
	}
}

func TestChainsReject(t *testing.T) {
	pki, _, resp, _ := newFixture(t)
	detached, err := DetachChains(resp)
	if err != nil {
		t.Fatal(err)
	}
	good := func([]byte) ([]*x509.Certificate, error) { return []*x509.Certificate{pki.ds}, nil }
	// withUnprotected replaces the issuerAuth unprotected header.
	withUnprotected := func(in []byte, u string) []byte {
		return editDoc(t, in, func(d *documentWire) {
			m := parseCOSEParts(t, d.IssuerSigned.IssuerAuth)
			m.Unprotected = map[any]cbor.RawMessage{}
			var hm map[int64]cbor.RawMessage
			if err := refTagsMode.Unmarshal(h(u), &hm); err != nil {
				t.Fatal(err)
			}
			for k, v := range hm {
				m.Unprotected[k] = v
			}
			d.IssuerSigned.IssuerAuth = mustMarshal(t, m)
		})
	}
	x5t := func(ds *x509.Certificate) string {
		sum := sha256.Sum256(ds.Raw)
		return "82 2e 48" + hexString(sum[:8])
	}
	for _, tc := range []struct {
		name    string
		in      []byte
		attach  bool
		resolve func([]byte) ([]*x509.Certificate, error)
		want    error
	}{
		{"detach: no x5chain", withUnprotected(resp, "a0"), false, nil, ErrMalformed},
		{"detach: x5chain not a certificate list", withUnprotected(resp, "a1 1821 a0"), false, nil, ErrMalformed},
		{"detach: unknown DeviceResponse member", append(h("a4 63 666f6f 00"), resp[1:]...), false, nil, ErrMalformed},
		{"detach: no documents", h("a2 67 76657273696f6e 63 312e30 66 737461747573 00"), false, nil, ErrNoDocuments},
		{"detach: empty documents", h("a3 67 76657273696f6e 63 312e30 66 737461747573 00 69 646f63756d656e7473 80"), false, nil, ErrNoDocuments},
		{"detach: trailing byte", append(bytes.Clone(resp), 0), false, nil, ErrMalformed},
		{"detach: over the size cap", make([]byte, MaxMessageSize+1), false, nil, ErrTooLarge},
		{"attach: nil resolver", detached, true, nil, ErrInvalidArgument},
		{"attach: no x5t", resp, true, good, ErrMalformed},
		{"attach: x5t and x5chain", withUnprotected(resp, "a2 1821 40 1822 "+x5t(pki.ds)), true, good, ErrMalformed},
		{"attach: x5t of SHA-256", withUnprotected(resp, "a1 1822 82 2f 48 0102030405060708"), true, good, ErrMalformed},
		{"attach: x5t of 7 bytes", withUnprotected(resp, "a1 1822 82 2e 47 01020304050607"), true, good, ErrMalformed},
		{"attach: x5t with a third element", withUnprotected(resp, "a1 1822 83 2e 48 0102030405060708 00"), true, good, ErrMalformed},
		{"attach: resolver fails", detached, true, func([]byte) ([]*x509.Certificate, error) { return nil, errors.New("not in the trust list") }, ErrUntrustedIssuer},
		{"attach: resolver returns nothing", detached, true, func([]byte) ([]*x509.Certificate, error) { return nil, nil }, ErrUntrustedIssuer},
		{"attach: another document signer", detached, true, func([]byte) ([]*x509.Certificate, error) { return []*x509.Certificate{pki.root}, nil }, ErrUntrustedIssuer},
		{"attach: chain over the cap", detached, true, func([]byte) ([]*x509.Certificate, error) {
			return append([]*x509.Certificate{pki.ds}, make([]*x509.Certificate, MaxChainLength)...), nil
		}, ErrTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []byte
			var err error
			if tc.attach {
				got, err = AttachChains(tc.in, tc.resolve)
			} else {
				got, err = DetachChains(tc.in)
			}
			if got != nil || !errors.Is(err, tc.want) {
				t.Fatalf("got %x, %v; want %v", got, err, tc.want)
			}
		})
	}
	// The resolver's error is kept as the cause.
	cause := errors.New("not in the trust list")
	_, err = AttachChains(detached, func([]byte) ([]*x509.Certificate, error) { return nil, cause })
	if !errors.Is(err, cause) {
		t.Fatalf("resolver error lost: %v", err)
	}
}

// FuzzChains holds DetachChains and AttachChains to the former
// implementation: no panic, typed errors, and the reference's bytes
// whenever they accept.
func FuzzChains(f *testing.F) {
	annex, _ := annexD(f)
	two, _ := multiChainResponse(f)
	seeds := [][]byte{annex, two}
	if d, err := DetachChains(two); err == nil {
		seeds = append(seeds, d)
	}
	if len(seeds) < 3 {
		f.Fatal("seed corpus incomplete")
	}
	for _, s := range seeds {
		f.Add(s)
	}
	f.Fuzz(checkChainsAgree)
}
