package mdoc

import (
	"crypto"
	"crypto/x509"
	"io"

	"github.com/ikdkit/ikdkit/internal/cose"
)

// The COSE messages of ISO 18013-5 go through internal/cose, in the
// untagged form the standard defines them in (IssuerAuth §9.1.2.4,
// DeviceSignature §9.1.3.4, DeviceMac §9.1.3.5).

// parseIssuerAuth decodes an issuerAuth COSE_Sign1 (ISO 18013-5 §9.1.2.4)
// and returns it with its x5chain certificates, document signer first,
// parsed through cache (nil: parsed afresh). The payload must be attached:
// it is the MSO.
func parseIssuerAuth(raw []byte, cache *CertificateCache) (*cose.Sign1, []*x509.Certificate, error) {
	msg, err := cose.ParseSign1(raw, cose.Untagged)
	if err != nil {
		return nil, nil, err
	}
	if msg.Detached {
		return nil, nil, errorf(ErrMalformed, "issuerAuth payload must be attached")
	}
	chain, err := x5chain(msg, cache)
	if err != nil {
		return nil, nil, err
	}
	return msg, chain, nil
}

// x5chain parses the x5chain header (RFC 9360 §2: a bstr for one
// certificate, an array of bstr for more, leaf first). ISO 18013-5
// §9.1.2.4 puts it in the unprotected header; a protected one is accepted
// too (internal/cose refuses it in both). The certificates are parsed from
// copies, so they do not alias the message.
func x5chain(msg *cose.Sign1, cache *CertificateCache) ([]*x509.Certificate, error) {
	ders, err := msg.X5Chain(MaxChainLength)
	if err != nil {
		return nil, err
	}
	if len(ders) == 0 {
		return nil, errorf(ErrMalformed, "issuerAuth lacks x5chain")
	}
	certs := make([]*x509.Certificate, len(ders))
	for i, d := range ders {
		c, err := cache.parse(d)
		if err != nil {
			return nil, errorf(ErrMalformed, "x5chain certificate %d: %v", i, err)
		}
		certs[i] = c
	}
	return certs, nil
}

// signIssuerAuth signs payload (the tag-24 MSO) as the untagged COSE_Sign1
// [protected {1: alg}, unprotected {33: x5chain}, payload, signature]
// (ISO 18013-5 §9.1.2.4, RFC 9052 §4.2, RFC 9360 §2).
func signIssuerAuth(rnd io.Reader, signer crypto.Signer, chain []*x509.Certificate, payload []byte) ([]byte, error) {
	var x5 any
	if len(chain) == 1 {
		x5 = chain[0].Raw
	} else {
		ders := make([][]byte, len(chain))
		for i, c := range chain {
			ders[i] = c.Raw
		}
		x5 = ders
	}
	s, err := cose.NewSigner(signer)
	if err != nil {
		return nil, err
	}
	return s.Sign1(rnd, cose.Sign1Params{Form: cose.Untagged, Payload: payload,
		Unprotected: []cose.HeaderParam{{Label: cose.HeaderX5Chain, Value: x5}}})
}

// signDevice signs DeviceAuthenticationBytes as a deviceSignature: an
// untagged COSE_Sign1 with a detached payload (ISO 18013-5 §9.1.3.4).
func signDevice(rnd io.Reader, signer crypto.Signer, dab []byte) ([]byte, error) {
	s, err := cose.NewSigner(signer)
	if err != nil {
		return nil, err
	}
	return s.Sign1(rnd, cose.Sign1Params{Form: cose.Untagged, Payload: dab, Detached: true})
}
