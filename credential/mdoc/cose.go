package mdoc

import (
	"crypto"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
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
	var got int64
	if err := decMode.Unmarshal(a, &got); err != nil {
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
	var m coseMessage
	if err := decode(decMode, raw, &m); err != nil {
		return nil, nil, err
	}
	var prot map[int64]cbor.RawMessage
	if len(m.Protected) > 0 {
		if err := decode(decMode, m.Protected, &prot); err != nil {
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
	return &m, prot, nil
}

// payloadBytes returns the attached payload, or nil when it is CBOR null
// (detached).
func (m *coseMessage) payloadBytes() ([]byte, bool, error) {
	if len(m.Payload) == 1 && m.Payload[0] == 0xf6 {
		return nil, false, nil
	}
	var b byteString
	if err := b.UnmarshalCBOR(m.Payload); err != nil {
		return nil, false, err
	}
	return b, true, nil
}

// sigStructure is Sig_structure for COSE_Sign1 (RFC 9052 §4.4) with empty
// external_aad; protected is the header bstr content exactly as received.
func sigStructure(protected, payload []byte) ([]byte, error) {
	return marshal([]any{"Signature1", []byte(protected), []byte{}, payload})
}

// macStructure is MAC_structure for COSE_Mac0 (RFC 9052 §6.3).
func macStructure(protected, payload []byte) ([]byte, error) {
	return marshal([]any{"MAC0", []byte(protected), []byte{}, payload})
}

// verifySign1 checks the signature of m over payload with pub.
func verifySign1(m *coseMessage, alg cose.Algorithm, pub crypto.PublicKey, payload []byte) error {
	v, err := cose.NewVerifier(alg, pub)
	if err != nil {
		return errorf(ErrUnsupportedAlgorithm, "%v", err)
	}
	tbs, err := sigStructure(m.Protected, payload)
	if err != nil {
		return err
	}
	if err := v.Verify(tbs, m.Signature); err != nil {
		return errorf(ErrInvalidSignature, "%v", err)
	}
	return nil
}

// verifyMac0 checks an HMAC 256/256 COSE_Mac0 tag over payload.
func verifyMac0(m *coseMessage, key, payload []byte) error {
	tbm, err := macStructure(m.Protected, payload)
	if err != nil {
		return err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(tbm)
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
// too, but not both.
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
	var ders [][]byte
	if len(raw) > 0 && raw[0]>>5 == majorByteString {
		var one byteString
		if err := one.UnmarshalCBOR(raw); err != nil {
			return nil, err
		}
		ders = [][]byte{one}
	} else {
		var many []byteString
		if err := decMode.Unmarshal(raw, &many); err != nil {
			return nil, errorf(ErrMalformed, "x5chain: %v", err)
		}
		if len(many) == 0 {
			return nil, errorf(ErrMalformed, "empty x5chain")
		}
		for _, d := range many {
			ders = append(ders, d)
		}
	}
	if len(ders) > MaxChainLength {
		return nil, errorf(ErrTooLarge, "x5chain of %d certificates, limit %d", len(ders), MaxChainLength)
	}
	certs := make([]*x509.Certificate, len(ders))
	for i, d := range ders {
		c, err := x509.ParseCertificate(d)
		if err != nil {
			return nil, errorf(ErrMalformed, "x5chain certificate %d: %v", i, err)
		}
		certs[i] = c
	}
	return certs, nil
}
