package mdoc

import (
	"crypto"
	"crypto/rand"
	"io"
	"sort"

	"github.com/ikdkit/ikdkit/internal/strictcbor"
)

// PresentOptions configure [Present].
type PresentOptions struct {
	// SessionTranscript is the CBOR SessionTranscript of this session
	// (see [VerifyOptions].SessionTranscript). Required.
	SessionTranscript []byte
	// DeviceKey is the holder's private device key, the one whose public
	// key the MSO holds. Any crypto.Signer works (Secure Enclave, Android
	// Keystore, HSM). Required.
	DeviceKey crypto.Signer
	// Rand is the signature randomness. Nil means crypto/rand.
	Rand io.Reader
}

// Present builds a DeviceResponse (ISO 18013-5 §8.3.2.1.2.2: version "1.0",
// status 0, one document) disclosing only the requested elements of cred.
// request maps namespace → element identifiers. DeviceSigned carries empty
// DeviceNameSpaces and a deviceSignature: a COSE_Sign1 with detached payload
// over DeviceAuthenticationBytes (§9.1.3.4). A requested element the
// credential lacks fails with ErrElementNotFound.
func Present(cred *IssuerSigned, request map[string][]string, opts PresentOptions) ([]byte, error) {
	b, err := present(cred, request, opts)
	return b, wrap(err)
}

func present(cred *IssuerSigned, request map[string][]string, opts PresentOptions) ([]byte, error) {
	if cred == nil || opts.DeviceKey == nil || len(opts.SessionTranscript) == 0 {
		return nil, errorf(ErrInvalidArgument, "Present needs a credential, DeviceKey and SessionTranscript")
	}
	if err := strictcbor.Wellformed(opts.SessionTranscript); err != nil {
		return nil, errorf(ErrInvalidArgument, "SessionTranscript: %v", err)
	}
	rnd := opts.Rand
	if rnd == nil {
		rnd = rand.Reader
	}
	disclosed := map[string][]rawItem{}
	for ns, names := range request {
		byName := map[string]rawItem{}
		for _, raw := range cred.nameSpaces[ns] {
			it, err := parseItem(raw)
			if err != nil {
				return nil, err
			}
			byName[it.ElementIdentifier] = raw
		}
		picked := map[string]bool{}
		for _, name := range names {
			raw, ok := byName[name]
			if !ok {
				return nil, errorf(ErrElementNotFound, "%q in %q", name, ns)
			}
			if picked[name] {
				continue
			}
			picked[name] = true
			disclosed[ns] = append(disclosed[ns], raw)
		}
		// Keep the stored (issuer) order, not the request order.
		sort.Slice(disclosed[ns], func(i, j int) bool {
			return string(disclosed[ns][i]) < string(disclosed[ns][j])
		})
	}
	devNS := strictcbor.WrapTag24([]byte{0xa0}) // DeviceNameSpaces = {}
	dab, err := deviceAuthenticationBytes(opts.SessionTranscript, cred.docType, devNS)
	if err != nil {
		return nil, err
	}
	sig, err := signDevice(rnd, opts.DeviceKey, dab)
	if err != nil {
		return nil, err
	}
	doc, err := marshal(documentWire{
		DocType:      cred.docType,
		IssuerSigned: issuerSignedWire{NameSpaces: disclosed, IssuerAuth: cred.issuerAuth},
		DeviceSigned: &deviceSignedWire{
			NameSpaces: devNS,
			DeviceAuth: deviceAuthWire{DeviceSignature: sig},
		},
	})
	if err != nil {
		return nil, err
	}
	status := uint64(0)
	return marshal(deviceResponseWire{Version: "1.0", Documents: []rawItem{doc}, Status: &status})
}
