package sdjwt

import (
	"strings"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/strictjson"
)

// FromJSONSerialization converts an SD-JWT or SD-JWT+KB in the JWS JSON
// Serialization (RFC 9901 §8), flattened or general, to the equivalent
// compact form, which [Parse], [Verify] and [VerifyVC] accept. RFC 9901
// §8.1 computes sd_hash over exactly this compact form.
//
// In the general serialization the disclosures and kb_jwt are carried by
// the first signature's unprotected header (§8.2); the compact form uses
// that first signature, and any further signatures are not verified.
func FromJSONSerialization(data []byte) (string, error) {
	if len(data) > MaxTokenSize {
		return "", newErr(check.Format, ErrTooLarge, "%d bytes, limit %d", len(data), MaxTokenSize)
	}
	obj, err := strictjson.UnmarshalObject(data, MaxDepth)
	if err != nil {
		return "", newErr(check.Format, ErrMalformed, "%v", err)
	}
	payload, ok := obj["payload"].(string)
	if !ok {
		return "", newErr(check.Format, ErrMalformed, "payload missing")
	}
	sig := obj // flattened: members at the top level
	if sigs, ok := obj["signatures"]; ok {
		arr, ok := sigs.([]any)
		if !ok || len(arr) == 0 {
			return "", newErr(check.Format, ErrMalformed, "signatures must be a non-empty array")
		}
		if sig, ok = arr[0].(map[string]any); !ok {
			return "", newErr(check.Format, ErrMalformed, "signature is not an object")
		}
		if _, flat := obj["signature"]; flat {
			return "", newErr(check.Format, ErrMalformed, "both signature and signatures present")
		}
	}
	protected, ok1 := sig["protected"].(string)
	signature, ok2 := sig["signature"].(string)
	if !ok1 || !ok2 {
		return "", newErr(check.Format, ErrMalformed, "protected or signature missing")
	}
	// RFC 7515 §7.2.1: the three members are base64url; anything else (a
	// '.' or '~' above all) would give a compact form of another shape.
	for _, part := range [...]string{protected, payload, signature} {
		if _, err := decodeB64(part); err != nil {
			return "", newErr(check.Format, ErrMalformed, "protected, payload and signature must be base64url: %v", err)
		}
	}
	var sb strings.Builder
	sb.WriteString(protected + "." + payload + "." + signature + "~")
	header, _ := sig["header"].(map[string]any)
	if ds, ok := header["disclosures"]; ok {
		arr, ok := ds.([]any)
		if !ok || len(arr) > MaxDisclosures {
			return "", newErr(check.Format, ErrMalformed, "disclosures must be an array of at most %d strings", MaxDisclosures)
		}
		for _, d := range arr {
			s, ok := d.(string)
			if !ok || s == "" || strings.Contains(s, "~") {
				return "", newErr(check.Format, ErrMalformedDisclosure, "disclosure is not a non-empty string")
			}
			sb.WriteString(s + "~")
		}
	}
	if kb, ok := header["kb_jwt"]; ok {
		s, ok := kb.(string)
		if !ok || strings.Contains(s, "~") {
			return "", newErr(check.Format, ErrMalformed, "kb_jwt is not a string")
		}
		sb.WriteString(s)
	}
	return sb.String(), nil
}

// ToJSONSerialization converts a compact SD-JWT or SD-JWT+KB to the
// flattened JWS JSON Serialization of RFC 9901 §8.
func ToJSONSerialization(compact string) ([]byte, error) {
	p, err := split(compact, nil)
	if err != nil {
		return nil, err
	}
	h, rest, _ := strings.Cut(p.jwt, ".")
	pl, sig, _ := strings.Cut(rest, ".")
	ds := make([]string, len(p.disclosures))
	for i, d := range p.disclosures {
		ds[i] = d.encoded
	}
	header := map[string]any{"disclosures": ds}
	if p.kb != "" {
		header["kb_jwt"] = p.kb
	}
	return marshalJSON(map[string]any{"protected": h, "payload": pl, "signature": sig, "header": header})
}
