package keys

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/pem"
)

// Size caps for untrusted input.
const (
	// MaxPEMSize caps the PEM text given to the Parse*PEM functions
	// (1 MiB: far above a certificate chain, far below a memory problem).
	MaxPEMSize = 1 << 20
	// MaxCertificates caps the number of certificates in one PEM chain.
	MaxCertificates = 16
)

// PEM block types (RFC 7468 §10, §11, §13 labels).
const (
	pemPrivateKey  = "PRIVATE KEY"
	pemPublicKey   = "PUBLIC KEY"
	pemCertificate = "CERTIFICATE"
)

// ParsePrivateKeyPEM parses exactly one "PRIVATE KEY" PEM block holding a
// PKCS #8 key (RFC 5958, labelled per RFC 7468 §10) and returns it as a
// [crypto.Signer]. Legacy "EC PRIVATE KEY" (SEC 1) blocks, encrypted keys,
// PEM headers, several blocks and non-whitespace text around the block are
// all rejected. Only the key types listed in the package doc are accepted.
func ParsePrivateKeyPEM(data []byte) (crypto.Signer, error) {
	der, err := onePEMBlock(data, pemPrivateKey)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKCS8PrivateKey(der)
	if err != nil {
		return nil, newErr(ErrMalformed, "PKCS #8: %v", err)
	}
	return signerOf(k)
}

// MarshalPrivateKeyPEM encodes an *ecdsa.PrivateKey or ed25519.PrivateKey as
// a PKCS #8 "PRIVATE KEY" PEM block. A signer whose private key is not
// accessible (an HSM key, or an [Opaque] signer) cannot be exported and
// gives [ErrUnsupportedKey].
func MarshalPrivateKeyPEM(key crypto.Signer) ([]byte, error) {
	if _, err := signerOf(key); err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, newErr(ErrInvalidKey, "PKCS #8: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPrivateKey, Bytes: der}), nil
}

// ParsePublicKeyPEM parses exactly one "PUBLIC KEY" PEM block holding a
// SubjectPublicKeyInfo (RFC 5280 §4.1.2.7, labelled per RFC 7468 §13).
func ParsePublicKeyPEM(data []byte) (crypto.PublicKey, error) {
	der, err := onePEMBlock(data, pemPublicKey)
	if err != nil {
		return nil, err
	}
	k, err := x509.ParsePKIXPublicKey(der)
	if err != nil {
		return nil, newErr(ErrMalformed, "SubjectPublicKeyInfo: %v", err)
	}
	return publicOf(k)
}

// MarshalPublicKeyPEM encodes a public key (or the public half of a private
// key or signer) as a SubjectPublicKeyInfo "PUBLIC KEY" PEM block.
func MarshalPublicKeyPEM(key any) ([]byte, error) {
	pub, err := publicOf(key)
	if err != nil {
		return nil, err
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, newErr(ErrInvalidKey, "SubjectPublicKeyInfo: %v", err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: pemPublicKey, Bytes: der}), nil
}

// ParseCertificatesPEM parses one or more "CERTIFICATE" PEM blocks (RFC 7468
// §5) in order, for example a leaf followed by its intermediates. At most
// [MaxCertificates] blocks are accepted; any other block type, PEM headers
// or non-whitespace text between blocks is an error. The certificates are
// only parsed, not verified: chain building and trust decisions belong to
// the caller. The certificate's key type is not restricted.
func ParseCertificatesPEM(data []byte) ([]*x509.Certificate, error) {
	if len(data) > MaxPEMSize {
		return nil, newErr(ErrTooLarge, "PEM input is %d bytes, limit %d", len(data), MaxPEMSize)
	}
	var certs []*x509.Certificate
	rest := data
	for {
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 {
			break
		}
		block, r := pem.Decode(rest)
		if block == nil {
			return nil, newErr(ErrMalformed, "text that is not a PEM block")
		}
		rest = r
		if block.Type != pemCertificate {
			return nil, newErr(ErrMalformed, "PEM block %q, want %q", block.Type, pemCertificate)
		}
		if len(block.Headers) != 0 {
			return nil, newErr(ErrMalformed, "PEM headers are not allowed")
		}
		if len(certs) == MaxCertificates {
			return nil, newErr(ErrTooLarge, "more than %d certificates", MaxCertificates)
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, newErr(ErrMalformed, "certificate %d: %v", len(certs), err)
		}
		certs = append(certs, c)
	}
	if len(certs) == 0 {
		return nil, newErr(ErrMalformed, "no CERTIFICATE PEM block")
	}
	return certs, nil
}

// MarshalCertificatesPEM encodes certificates as consecutive "CERTIFICATE"
// PEM blocks, in the order given.
func MarshalCertificatesPEM(certs ...*x509.Certificate) []byte {
	var buf bytes.Buffer
	for _, c := range certs {
		// pem.Encode to a bytes.Buffer cannot fail.
		_ = pem.Encode(&buf, &pem.Block{Type: pemCertificate, Bytes: c.Raw})
	}
	return buf.Bytes()
}

// onePEMBlock returns the DER of the single PEM block of type typ in data.
func onePEMBlock(data []byte, typ string) ([]byte, error) {
	if len(data) > MaxPEMSize {
		return nil, newErr(ErrTooLarge, "PEM input is %d bytes, limit %d", len(data), MaxPEMSize)
	}
	block, rest := pem.Decode(bytes.TrimLeft(data, " \t\r\n"))
	if block == nil {
		return nil, newErr(ErrMalformed, "no PEM block found")
	}
	if block.Type != typ {
		return nil, newErr(ErrMalformed, "PEM block %q, want %q", block.Type, typ)
	}
	if len(block.Headers) != 0 {
		// RFC 7468 §2: headers are not part of the strict textual encoding;
		// they mark legacy encrypted keys.
		return nil, newErr(ErrMalformed, "PEM headers are not allowed")
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		return nil, newErr(ErrMalformed, "trailing data after the PEM block")
	}
	return block.Bytes, nil
}

// signerOf checks that k is a supported private key and returns it as a
// crypto.Signer.
func signerOf(k any) (crypto.Signer, error) {
	switch s := k.(type) {
	case *ecdsa.PrivateKey:
		if s == nil {
			return nil, newErr(ErrUnsupportedKey, "nil key")
		}
		if _, err := publicOf(&s.PublicKey); err != nil {
			return nil, err
		}
		return s, nil
	case ed25519.PrivateKey:
		if len(s) != ed25519.PrivateKeySize {
			return nil, newErr(ErrInvalidKey, "Ed25519 private key is %d bytes, want %d", len(s), ed25519.PrivateKeySize)
		}
		return s, nil
	case nil:
		return nil, newErr(ErrUnsupportedKey, "nil key")
	default:
		return nil, newErr(ErrUnsupportedKey, "private key type %T", k)
	}
}
