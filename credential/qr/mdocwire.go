package qr

import (
	"crypto/sha256"
	"crypto/x509"

	"github.com/fxamacker/cbor/v2"
)

// COSE header labels (RFC 9360 §2) and the truncated hash algorithm
// SHA-256/64 (RFC 9054 §2.1, COSE algorithm -15).
const (
	headerX5Chain    = 33
	headerX5T        = 34
	algSHA256Trunc64 = -15
)

// DocumentSignerRef returns the reference the envelope carries instead of an
// mdoc's x5chain: the RFC 9360 x5t thumbprint of the document signer
// certificate with SHA-256/64, i.e. the first 8 bytes of SHA-256 over its
// DER encoding.
func DocumentSignerRef(cert *x509.Certificate) []byte {
	h := sha256.Sum256(cert.Raw)
	return h[:8]
}

// ChainResolver returns the certificate chain (document signer first) of
// the document signer whose [DocumentSignerRef] is ref, typically from the
// verifier's trust list. It must return an error for an unknown ref.
type ChainResolver func(ref []byte) ([]*x509.Certificate, error)

// StaticChains is a ChainResolver over a fixed set of chains, each
// document signer certificate first.
func StaticChains(chains ...[]*x509.Certificate) ChainResolver {
	m := make(map[[8]byte][]*x509.Certificate, len(chains))
	for _, c := range chains {
		if len(c) > 0 {
			m[[8]byte(DocumentSignerRef(c[0]))] = c
		}
	}
	return func(ref []byte) ([]*x509.Certificate, error) {
		if len(ref) == 8 {
			if c, ok := m[[8]byte(ref)]; ok {
				return c, nil
			}
		}
		return nil, errorf("verify", ErrUnknownSigner, "no document signer with x5t %x", ref)
	}
}

type certHash struct {
	_    struct{} `cbor:",toarray"`
	Alg  int64
	Hash []byte
}

// rewriteIssuerAuth walks DeviceResponse → documents[i] → issuerSigned →
// issuerAuth and replaces its unprotected header with fn(old). Everything
// that is signed or digested (the protected header, the tag-24 MSO and
// items, deviceSigned) is carried as raw bytes and is unchanged; only the
// unsigned outer maps are re-encoded deterministically.
func rewriteIssuerAuth(dr []byte, fn func(unprot map[int64]cbor.RawMessage) (map[int64]cbor.RawMessage, error)) ([]byte, error) {
	var resp map[string]cbor.RawMessage
	if err := decModeTags.Unmarshal(dr, &resp); err != nil {
		return nil, wrapErr("", ErrMalformed, err, "DeviceResponse")
	}
	var docs []cbor.RawMessage
	if err := decModeTags.Unmarshal(resp["documents"], &docs); err != nil || len(docs) == 0 {
		return nil, errorf("", ErrMalformed, "DeviceResponse has no documents")
	}
	for i, d := range docs {
		var doc map[string]cbor.RawMessage
		if err := decModeTags.Unmarshal(d, &doc); err != nil {
			return nil, wrapErr("", ErrMalformed, err, "document %d", i)
		}
		var is map[string]cbor.RawMessage
		if err := decModeTags.Unmarshal(doc["issuerSigned"], &is); err != nil {
			return nil, wrapErr("", ErrMalformed, err, "document %d issuerSigned", i)
		}
		var auth []cbor.RawMessage
		if err := decModeTags.Unmarshal(is["issuerAuth"], &auth); err != nil || len(auth) != 4 {
			return nil, errorf("", ErrMalformed, "document %d issuerAuth is not a 4-element COSE_Sign1", i)
		}
		var unprot map[int64]cbor.RawMessage
		if err := decModeTags.Unmarshal(auth[1], &unprot); err != nil {
			return nil, wrapErr("", ErrMalformed, err, "document %d unprotected header", i)
		}
		if unprot == nil {
			unprot = map[int64]cbor.RawMessage{}
		}
		unprot, err := fn(unprot)
		if err != nil {
			return nil, err
		}
		if auth[1], err = encMode.Marshal(unprot); err != nil {
			return nil, wrapErr("", ErrMalformed, err, "unprotected header")
		}
		if is["issuerAuth"], err = encMode.Marshal(auth); err != nil {
			return nil, wrapErr("", ErrMalformed, err, "issuerAuth")
		}
		if doc["issuerSigned"], err = encMode.Marshal(is); err != nil {
			return nil, wrapErr("", ErrMalformed, err, "issuerSigned")
		}
		if docs[i], err = encMode.Marshal(doc); err != nil {
			return nil, wrapErr("", ErrMalformed, err, "document")
		}
	}
	var err error
	if resp["documents"], err = encMode.Marshal(docs); err != nil {
		return nil, wrapErr("", ErrMalformed, err, "documents")
	}
	return encMode.Marshal(resp)
}

// stripChain replaces each document's x5chain by its x5t (SHA-256/64 of the
// document signer certificate): the verifier has the certificates in its
// trust list, and the chain would not fit the QR.
func stripChain(dr []byte) ([]byte, error) {
	return rewriteIssuerAuth(dr, func(u map[int64]cbor.RawMessage) (map[int64]cbor.RawMessage, error) {
		raw, ok := u[headerX5Chain]
		if !ok {
			return nil, errorf("", ErrUnsupported, "issuerAuth has no x5chain in its unprotected header")
		}
		// RFC 9360 §2: x5chain is a bstr for one certificate or an array
		// of bstr, document signer first.
		var leaf []byte
		var one []byte
		if err := decModeTags.Unmarshal(raw, &one); err == nil {
			leaf = one
		} else {
			var many [][]byte
			if err := decModeTags.Unmarshal(raw, &many); err != nil || len(many) == 0 {
				return nil, errorf("", ErrMalformed, "x5chain is neither a bstr nor an array of bstr")
			}
			leaf = many[0]
		}
		h := sha256.Sum256(leaf)
		x5t, err := encMode.Marshal(certHash{Alg: algSHA256Trunc64, Hash: h[:8]})
		if err != nil {
			return nil, err
		}
		delete(u, headerX5Chain)
		u[headerX5T] = x5t
		return u, nil
	})
}

// restoreChain reverses stripChain with the chain the resolver returns for
// each document's x5t. It checks that the resolved leaf has that x5t.
func restoreChain(dr []byte, resolve ChainResolver) ([]byte, error) {
	return rewriteIssuerAuth(dr, func(u map[int64]cbor.RawMessage) (map[int64]cbor.RawMessage, error) {
		var ch certHash
		if err := decModeTags.Unmarshal(u[headerX5T], &ch); err != nil {
			return nil, wrapErr("verify", ErrMalformed, err, "x5t header")
		}
		if ch.Alg != algSHA256Trunc64 || len(ch.Hash) != 8 {
			return nil, errorf("verify", ErrMalformed, "x5t must be SHA-256/64 (alg -15, 8 bytes)")
		}
		if _, dup := u[headerX5Chain]; dup {
			return nil, errorf("verify", ErrMalformed, "both x5t and x5chain present")
		}
		chain, err := resolve(ch.Hash)
		if err != nil {
			return nil, wrapErr("verify", ErrUnknownSigner, err, "x5t %x", ch.Hash)
		}
		if len(chain) == 0 || string(DocumentSignerRef(chain[0])) != string(ch.Hash) {
			return nil, errorf("verify", ErrUnknownSigner, "resolved chain does not match x5t %x", ch.Hash)
		}
		var x5chain []byte
		if len(chain) == 1 {
			x5chain, err = encMode.Marshal(chain[0].Raw)
		} else {
			ders := make([][]byte, len(chain))
			for i, c := range chain {
				ders[i] = c.Raw
			}
			x5chain, err = encMode.Marshal(ders)
		}
		if err != nil {
			return nil, err
		}
		delete(u, headerX5T)
		u[headerX5Chain] = x5chain
		return u, nil
	})
}
