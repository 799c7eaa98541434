package mdoc

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/x509"
	"hash"
	"io"

	"github.com/fxamacker/cbor/v2"
	"github.com/veraison/go-cose"
)

// COSE header labels and algorithm values, RFC 9052 §3.1, RFC 9360 §2,
// RFC 9053 §3.1.
const (
	headerAlg     = 1
	headerCrit    = 2
	headerX5Chain = 33
	algHMAC256    = 5 // HMAC 256/256
)

// coseMessage is COSE_Sign1 or COSE_Mac0 (RFC 9052 §4.2, §6.2): both are an
// array of protected bstr, unprotected map, payload (bstr / nil) and a
// signature or tag bstr. ISO 18013-5 uses the untagged form.
type coseMessage struct {
	_           struct{} `cbor:",toarray"`
	Protected   byteString
	Unprotected map[any]cbor.RawMessage
	Payload     rawItem
	Signature   byteString
}

// parseCOSE decodes an untagged COSE_Sign1 or COSE_Mac0 and its protected
// header, and requires the protected alg to equal alg: ISO 18013-5 §9.1.2.4
// and §9.1.3.6 carry alg in the protected header, and the value the caller
// passes comes from the key, never from the message.
func parseCOSE(raw []byte, alg int64) (*coseMessage, map[int64]cbor.RawMessage, error) {
	m, prot, err := parseCOSEAnyAlg(raw)
	if err != nil {
		return nil, nil, err
	}
	if err := checkAlg(prot, alg); err != nil {
		return nil, nil, err
	}
	return m, prot, nil
}

// checkAlg requires the protected alg header to equal alg.
func checkAlg(prot map[int64]cbor.RawMessage, alg int64) error {
	a, ok := prot[headerAlg]
	if !ok {
		return errorf(ErrMalformed, "COSE protected header lacks alg")
	}
	got, err := rawInt(a)
	if err != nil {
		return errorf(ErrMalformed, "COSE alg: %v", err)
	}
	if got != alg {
		return errorf(ErrUnsupportedAlgorithm, "COSE alg %d, the key requires %d", got, alg)
	}
	return nil
}

// parseCOSEAnyAlg decodes the structure without checking alg.
func parseCOSEAnyAlg(raw []byte) (*coseMessage, map[int64]cbor.RawMessage, error) {
	// RFC 9052 §4.2/§6.2: exactly four elements; untagged (ISO 18013-5
	// defines IssuerAuth, DeviceSignature and DeviceMac without tag 18/17).
	if len(raw) == 0 || raw[0] != 0x84 {
		return nil, nil, errorf(ErrMalformed, "COSE message is not an array of 4")
	}
	m, err := parseCOSEMessage(raw)
	if err != nil {
		return nil, nil, err
	}
	var prot map[int64]cbor.RawMessage
	if len(m.Protected) > 0 {
		// RFC 9052 §3: the protected header is a serialized map.
		w, err := start(m.Protected)
		if err != nil {
			return nil, nil, err
		}
		if prot, err = w.intKeyed(); err != nil {
			return nil, nil, err
		}
	}
	// RFC 9052 §3.1: we understand no critical header parameter.
	if _, ok := prot[headerCrit]; ok {
		return nil, nil, errorf(ErrMalformed, "COSE crit header not supported")
	}
	if len(m.Signature) == 0 {
		return nil, nil, errorf(ErrMalformed, "empty COSE signature or tag")
	}
	return m, prot, nil
}

// payloadBytes returns the attached payload, or nil when it is CBOR null
// (detached). The payload aliases the message.
func (m *coseMessage) payloadBytes() ([]byte, bool, error) {
	if len(m.Payload) == 1 && m.Payload[0] == 0xf6 {
		return nil, false, nil
	}
	w := walker{data: m.Payload}
	b, err := w.bstr()
	if err != nil {
		return nil, false, err
	}
	if w.off != len(m.Payload) {
		return nil, false, errorf(ErrMalformed, "COSE payload is not one byte string")
	}
	return b, true, nil
}

// Context strings of RFC 9052 §4.4 and §6.3.
const (
	contextSignature1 = "Signature1"
	contextMAC0       = "MAC0"
)

// appendToBeSigned appends Sig_structure (RFC 9052 §4.4) or MAC_structure
// (§6.3) with empty external_aad: [context, body_protected as received,
// an empty bstr, payload], deterministically encoded.
func appendToBeSigned(b []byte, context string, protected, payload []byte) []byte {
	b = append(b, 0x84)
	b = appendHead(b, 3, uint64(len(context)))
	b = append(b, context...)
	b = appendHead(b, majorByteString, uint64(len(protected)))
	b = append(b, protected...)
	b = append(b, 0x40)
	b = appendHead(b, majorByteString, uint64(len(payload)))
	return append(b, payload...)
}

// writeToBeSigned streams the same bytes as appendToBeSigned into h,
// without copying the payload.
func writeToBeSigned(h hash.Hash, context string, protected, payload []byte) {
	var buf [64]byte
	b := appendToBeSigned(buf[:0], context, protected, nil)
	// appendToBeSigned ended with the head of an empty payload: replace it.
	b = appendHead(b[:len(b)-1], majorByteString, uint64(len(payload)))
	h.Write(b)
	h.Write(payload)
}

// sigStructure is Sig_structure for COSE_Sign1 (RFC 9052 §4.4) with empty
// external_aad; protected is the header bstr content exactly as received.
func sigStructure(protected, payload []byte) ([]byte, error) {
	return appendToBeSigned(nil, contextSignature1, protected, payload), nil
}

// verifySign1 checks the signature of m over payload with pub (RFC 9052
// §4.4; RFC 9053 §2.1 ECDSA with r||s of the curve's size, §2.2 EdDSA).
// The ECDSA to-be-signed bytes are hashed as they are streamed, never
// assembled.
func verifySign1(m *coseMessage, alg cose.Algorithm, pub crypto.PublicKey, payload []byte) error {
	switch alg {
	case cose.AlgorithmES256, cose.AlgorithmES384, cose.AlgorithmES512:
		k, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return errorf(ErrUnsupportedAlgorithm, "%v with a %T key", alg, pub)
		}
		var h hash.Hash
		switch alg {
		case cose.AlgorithmES256:
			h = sha256.New()
		case cose.AlgorithmES384:
			h = sha512.New384()
		default:
			h = sha512.New()
		}
		writeToBeSigned(h, contextSignature1, m.Protected, payload)
		var sum [sha512.Size]byte
		digest := h.Sum(sum[:0])
		// RFC 9053 §2.1: the signature is r||s, each the size of the
		// curve's order in bytes.
		size := (k.Curve.Params().BitSize + 7) / 8
		if len(m.Signature) != 2*size {
			return errorf(ErrInvalidSignature, "ECDSA signature of %d bytes, want %d", len(m.Signature), 2*size)
		}
		var der [2*66 + 16]byte
		sig := appendECDSASignature(der[:0], m.Signature[:size], m.Signature[size:])
		if !ecdsa.VerifyASN1(k, digest, sig) {
			return errorf(ErrInvalidSignature, "%v signature does not verify", alg)
		}
		return nil
	case cose.AlgorithmEdDSA:
		k, ok := pub.(ed25519.PublicKey)
		if !ok || len(k) != ed25519.PublicKeySize {
			return errorf(ErrUnsupportedAlgorithm, "%v with a %T key", alg, pub)
		}
		if !ed25519.Verify(k, appendToBeSigned(nil, contextSignature1, m.Protected, payload), m.Signature) {
			return errorf(ErrInvalidSignature, "EdDSA signature does not verify")
		}
		return nil
	}
	return errorf(ErrUnsupportedAlgorithm, "COSE algorithm %v", alg)
}

// appendECDSASignature appends the ASN.1 DER Ecdsa-Sig-Value (RFC 5480
// §2.2.3: SEQUENCE {r INTEGER, s INTEGER}) for unsigned big-endian r and
// s, the form crypto/ecdsa verifies.
func appendECDSASignature(b, r, s []byte) []byte {
	r, s = bytes.TrimLeft(r, "\x00"), bytes.TrimLeft(s, "\x00")
	intLen := func(v []byte) int {
		if len(v) == 0 || v[0]&0x80 != 0 {
			return len(v) + 1
		}
		return len(v)
	}
	appendLen := func(b []byte, n int) []byte {
		if n < 0x80 {
			return append(b, byte(n))
		}
		return append(b, 0x81, byte(n)) // n < 256 for every supported curve
	}
	appendInt := func(b, v []byte) []byte {
		b = append(b, 0x02)
		b = appendLen(b, intLen(v))
		if len(v) == 0 || v[0]&0x80 != 0 {
			b = append(b, 0)
		}
		return append(b, v...)
	}
	rl, sl := intLen(r), intLen(s)
	body := 2 + rl + 2 + sl
	if rl >= 0x80 {
		body++
	}
	if sl >= 0x80 {
		body++
	}
	b = append(b, 0x30)
	b = appendLen(b, body)
	return appendInt(appendInt(b, r), s)
}

// verifyMac0 checks an HMAC 256/256 COSE_Mac0 tag over payload (RFC 9052
// §6.3, RFC 9053 §3.1).
func verifyMac0(m *coseMessage, key, payload []byte) error {
	mac := hmac.New(sha256.New, key)
	writeToBeSigned(mac, contextMAC0, m.Protected, payload)
	if !hmac.Equal(mac.Sum(nil), m.Signature) {
		return errorf(ErrInvalidMAC, "deviceMac tag does not verify")
	}
	return nil
}

// sign1 produces an untagged COSE_Sign1 with protected {1: alg}, the given
// unprotected header and payload; when detached the payload is signed but
// encoded as null.
func sign1(rand io.Reader, signer crypto.Signer, unprotected map[int64]any, payload []byte, detached bool) ([]byte, error) {
	alg, err := algorithmFor(signer.Public())
	if err != nil {
		return nil, err
	}
	cs, err := cose.NewSigner(alg, signer)
	if err != nil {
		return nil, errorf(ErrUnsupportedAlgorithm, "%v", err)
	}
	protected, err := marshal(map[int64]any{headerAlg: int64(alg)})
	if err != nil {
		return nil, err
	}
	tbs, err := sigStructure(protected, payload)
	if err != nil {
		return nil, err
	}
	sig, err := cs.Sign(rand, tbs)
	if err != nil {
		return nil, err
	}
	if unprotected == nil {
		unprotected = map[int64]any{}
	}
	var p any = payload
	if detached {
		p = nil
	}
	return marshal([]any{protected, unprotected, p, sig})
}

// x5chain extracts and parses the x5chain header (RFC 9360 §2: a bstr for
// one certificate, an array of bstr for more, leaf first). ISO 18013-5
// §9.1.2.4 puts it in the unprotected header; a protected one is accepted
// too, but not both. The certificates are parsed from copies, so they do
// not alias the message.
func x5chain(prot map[int64]cbor.RawMessage, unprot map[any]cbor.RawMessage) ([]*x509.Certificate, error) {
	raw, inProt := prot[headerX5Chain]
	if u, ok := unprot[int64(headerX5Chain)]; ok {
		if inProt {
			return nil, errorf(ErrMalformed, "x5chain in both headers")
		}
		raw = u
	} else if !inProt {
		return nil, errorf(ErrMalformed, "issuerAuth lacks x5chain")
	}
	w := walker{data: raw, anyTag: true}
	var ders [MaxChainLength][]byte
	n := 1
	if len(raw) > 0 && raw[0]>>5 == majorByteString {
		one, err := w.bstr()
		if err != nil {
			return nil, err
		}
		ders[0] = one
	} else {
		if w.nilValue() {
			return nil, errorf(ErrMalformed, "empty x5chain")
		}
		var err error
		if n, err = w.container(4, "an array"); err != nil {
			return nil, errorf(ErrMalformed, "x5chain: %v", err)
		}
		if n == 0 {
			return nil, errorf(ErrMalformed, "empty x5chain")
		}
		if n > MaxChainLength {
			return nil, errorf(ErrTooLarge, "x5chain of %d certificates, limit %d", n, MaxChainLength)
		}
		for i := range n {
			if ders[i], err = w.bstr(); err != nil {
				return nil, errorf(ErrMalformed, "x5chain: %v", err)
			}
		}
	}
	if w.off != len(raw) {
		return nil, errorf(ErrMalformed, "x5chain: trailing bytes")
	}
	certs := make([]*x509.Certificate, n)
	for i, d := range ders[:n] {
		c, err := x509.ParseCertificate(bytes.Clone(d))
		if err != nil {
			return nil, errorf(ErrMalformed, "x5chain certificate %d: %v", i, err)
		}
		certs[i] = c
	}
	return certs, nil
}
