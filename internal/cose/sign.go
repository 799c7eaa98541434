package cose

import (
	"crypto"
	"crypto/ed25519"
	"crypto/sha512"
	"fmt"
	"io"
	"slices"
	"unicode/utf8"

	"github.com/ikdkit/ikdkit/internal/ecdsasig"
	"github.com/ikdkit/ikdkit/internal/strictcbor"
	"github.com/ikdkit/ikdkit/keys"
)

// Signer signs COSE_Sign1 messages with one crypto.Signer, whose public
// key fixes the algorithm. It is safe for concurrent use if the
// crypto.Signer is.
type Signer struct {
	s    crypto.Signer
	alg  keys.Algorithm
	id   int64
	hash crypto.Hash
	size int
}

// NewSigner returns a Signer for s with the algorithm that fits its public
// key (keys.AlgorithmFor, which also validates the key).
func NewSigner(s crypto.Signer) (*Signer, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: no signer", ErrSigner)
	}
	alg, err := keys.AlgorithmFor(s.Public())
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrAlgorithm, err)
	}
	id, _ := AlgorithmID(alg)
	h, size, _ := ecdsaParams(id)
	return &Signer{s: s, alg: alg, id: id, hash: h, size: size}, nil
}

// Algorithm returns the algorithm this Signer signs with.
func (s *Signer) Algorithm() keys.Algorithm { return s.alg }

// Public returns the public key of the signer.
func (s *Signer) Public() crypto.PublicKey { return s.s.Public() }

// HeaderParam is one header parameter to write. Value is an int, int64,
// string, []byte or, for an x5chain of several certificates, [][]byte.
type HeaderParam struct {
	Label int64
	Value any
}

// Sign1Params describe a COSE_Sign1 to sign.
type Sign1Params struct {
	// Form is Untagged or Tagged (tag 18).
	Form Form
	// Protected are the protected header parameters besides alg, which
	// the Signer writes itself; alg and crit are refused here.
	Protected []HeaderParam
	// Unprotected are the unprotected header parameters.
	Unprotected []HeaderParam
	// Payload is signed; it is written as nil when Detached.
	Payload  []byte
	Detached bool
	// ExternalAAD is the external_aad of the Sig_structure (RFC 9052
	// §4.3); nil means empty.
	ExternalAAD []byte
}

// Sign1 signs p and returns the encoded COSE_Sign1 (RFC 9052 §4.2, §4.4):
// the protected header holds alg (the Signer's) and p.Protected, in the
// core deterministic order of RFC 8949 §4.2.1, as does the unprotected
// header. For ECDSA the Sig_structure is hashed as it is streamed, never
// assembled, and the signature is r||s of the curve's size (RFC 9053
// §2.1).
func (s *Signer) Sign1(rand io.Reader, p Sign1Params) ([]byte, error) {
	if p.Form != Untagged && p.Form != Tagged {
		return nil, fmt.Errorf("%w: unknown form %d", ErrSigner, p.Form)
	}
	prot := make([]HeaderParam, 0, 1+len(p.Protected))
	prot = append(prot, HeaderParam{Label: HeaderAlg, Value: s.id})
	for _, hp := range p.Protected {
		if hp.Label == HeaderAlg || hp.Label == HeaderCrit {
			return nil, fmt.Errorf("%w: protected header %d is the Signer's to write", ErrSigner, hp.Label)
		}
		prot = append(prot, hp)
	}
	var pbuf [64]byte
	protected, err := appendHeader(pbuf[:0], prot)
	if err != nil {
		return nil, err
	}
	var sigBuf [2 * 66]byte
	sig, err := s.sign(rand, protected, p.ExternalAAD, p.Payload, sigBuf[:0])
	if err != nil {
		return nil, err
	}

	n := 2 + 1 + 9 + len(protected) + 9 + len(p.Payload) + 9 + len(sig)
	for _, hp := range p.Unprotected {
		n += 9 + valueLen(hp.Value)
	}
	out := make([]byte, 0, n)
	if p.Form == Tagged {
		out = strictcbor.AppendHead(out, strictcbor.MajorTag, strictcbor.TagCOSESign1)
	}
	out = append(out, 0x84)
	out = strictcbor.AppendBytes(out, protected)
	if out, err = appendHeader(out, p.Unprotected); err != nil {
		return nil, err
	}
	if p.Detached {
		out = append(out, 0xf6)
	} else {
		out = strictcbor.AppendBytes(out, p.Payload)
	}
	return strictcbor.AppendBytes(out, sig), nil
}

// sign appends the signature over the Sig_structure to out.
func (s *Signer) sign(rand io.Reader, protected, aad, payload, out []byte) ([]byte, error) {
	if s.alg == keys.EdDSA {
		tbs := appendPrefix(make([]byte, 0, prefixLen(protected, aad)+len(payload)), contextSignature1, protected, aad, len(payload))
		sig, err := s.s.Sign(rand, append(tbs, payload...), crypto.Hash(0))
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrSigner, err)
		}
		if len(sig) != ed25519.SignatureSize {
			return nil, fmt.Errorf("%w: Ed25519 signature of %d bytes", ErrSigner, len(sig))
		}
		return append(out, sig...), nil
	}
	h := newHash(s.hash)
	writeToBeSigned(h, contextSignature1, protected, aad, payload)
	// COSE carries r||s, each half the size of the curve order (RFC 9053
	// §2.1).
	var sum [sha512.Size]byte
	out, err := ecdsasig.Sign(rand, s.s, s.hash, s.size, h.Sum(sum[:0]), out)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrSigner, err)
	}
	return out, nil
}

// appendHeader appends the header map of params with the keys in the core
// deterministic order (RFC 8949 §4.2.1: bytewise order of the encoded
// labels). Labels must be unique.
func appendHeader(b []byte, params []HeaderParam) ([]byte, error) {
	type enc struct {
		label [9]byte
		n     int
		value any
	}
	var small [4]enc
	es := small[:0]
	for _, p := range params {
		var e enc
		e.n = len(strictcbor.AppendInt(e.label[:0], p.Label))
		e.value = p.Value
		for _, o := range es {
			if string(o.label[:o.n]) == string(e.label[:e.n]) {
				return nil, fmt.Errorf("%w: duplicate header label %d", ErrSigner, p.Label)
			}
		}
		es = append(es, e)
	}
	slices.SortFunc(es, func(a, c enc) int {
		switch x, y := string(a.label[:a.n]), string(c.label[:c.n]); {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	})
	b = strictcbor.AppendHead(b, strictcbor.MajorMap, uint64(len(es)))
	for _, e := range es {
		b = append(b, e.label[:e.n]...)
		var err error
		if b, err = appendValue(b, e.value); err != nil {
			return nil, err
		}
	}
	return b, nil
}

func appendValue(b []byte, v any) ([]byte, error) {
	switch t := v.(type) {
	case int:
		return strictcbor.AppendInt(b, int64(t)), nil
	case int64:
		return strictcbor.AppendInt(b, t), nil
	case string:
		if !utf8.ValidString(t) {
			return nil, fmt.Errorf("%w: header text is not valid UTF-8", ErrSigner)
		}
		return strictcbor.AppendText(b, t), nil
	case []byte:
		return strictcbor.AppendBytes(b, t), nil
	case [][]byte:
		b = strictcbor.AppendHead(b, strictcbor.MajorArray, uint64(len(t)))
		for _, e := range t {
			b = strictcbor.AppendBytes(b, e)
		}
		return b, nil
	}
	return nil, fmt.Errorf("%w: header value of type %T", ErrSigner, v)
}

func valueLen(v any) int {
	switch t := v.(type) {
	case string:
		return len(t)
	case []byte:
		return len(t)
	case [][]byte:
		n := 0
		for _, e := range t {
			n += 9 + len(e)
		}
		return n
	}
	return 0
}
