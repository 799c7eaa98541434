package verifier

import (
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"time"

	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/statuslist"
)

// mdocDoc is what the verifier reads of a verified mdoc document.
type mdocDoc struct {
	docType          string
	nameSpaces       map[string]map[string]any
	chain            []*x509.Certificate
	deviceAuth       mdoc.DeviceAuthMethod
	deviceKey        crypto.PublicKey
	validUntil       time.Time
	status           *statuslist.Reference
	deviceAuthDigest [32]byte
}

func mdocDocuments(vr *mdoc.VerifiedResponse, transcript []byte) []mdocDoc {
	out := make([]mdocDoc, len(vr.Documents))
	for i := range vr.Documents {
		d := &vr.Documents[i]
		h := sha256.New()
		h.Write(transcript)
		h.Write([]byte{0})
		h.Write([]byte(d.DocType))
		out[i] = mdocDoc{docType: d.DocType, nameSpaces: d.NameSpaces, chain: d.Chain, deviceAuth: d.DeviceAuth,
			deviceKey: d.DeviceKey, validUntil: d.Validity.ValidUntil, status: d.Status}
		h.Sum(out[i].deviceAuthDigest[:0])
	}
	return out
}
