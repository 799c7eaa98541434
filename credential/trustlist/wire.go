package trustlist

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"net/url"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/ikdkit/ikdkit/didkey"
	"github.com/ikdkit/ikdkit/keys"
)

// decodePayload turns the strictly decoded payload object into a List and
// validates it.
func decodePayload(m map[string]any) (*List, error) {
	const op = "decode"
	if err := onlyMembers(m, "payload", "iss", "seq", "iat", "next_update", "issuers", "verifiers"); err != nil {
		return nil, err
	}
	l := &List{}
	var err error
	if l.Operator, err = str(m, "iss", true); err != nil {
		return nil, err
	}
	if l.Sequence, err = uintMember(m, "seq"); err != nil {
		return nil, err
	}
	if l.Sequence == 0 {
		return nil, errorf(op, ErrMalformed, "seq must be positive")
	}
	iat, err := uintMember(m, "iat")
	if err != nil {
		return nil, err
	}
	nu, err := uintMember(m, "next_update")
	if err != nil {
		return nil, err
	}
	if iat > 1<<40 || nu > 1<<40 {
		return nil, errorf(op, ErrMalformed, "time out of range")
	}
	l.IssuedAt, l.NextUpdate = time.Unix(int64(iat), 0).UTC(), time.Unix(int64(nu), 0).UTC()
	issuers, err := array(m, "issuers", MaxIssuers)
	if err != nil {
		return nil, err
	}
	for i, v := range issuers {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, errorf(op, ErrMalformed, "issuers[%d] is not an object", i)
		}
		is, err := decodeIssuer(o)
		if err != nil {
			return nil, err
		}
		l.Issuers = append(l.Issuers, is)
	}
	verifiers, err := array(m, "verifiers", MaxVerifiers)
	if err != nil {
		return nil, err
	}
	for i, v := range verifiers {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, errorf(op, ErrMalformed, "verifiers[%d] is not an object", i)
		}
		ve, err := decodeVerifier(o)
		if err != nil {
			return nil, err
		}
		l.Verifiers = append(l.Verifiers, ve)
	}
	if err := validate(l); err != nil {
		return nil, err
	}
	return l, nil
}

func decodeIssuer(m map[string]any) (Issuer, error) {
	var is Issuer
	if err := onlyMembers(m, "issuer", "id", "name", "keys", "iaca", "ds", "vct", "doctype"); err != nil {
		return is, err
	}
	var err error
	if is.ID, err = str(m, "id", true); err != nil {
		return is, err
	}
	if is.Name, err = str(m, "name", true); err != nil {
		return is, err
	}
	if is.Keys, err = decodeKeys(m); err != nil {
		return is, err
	}
	if is.IACARoots, err = decodeCerts(m, "iaca"); err != nil {
		return is, err
	}
	if is.DocumentSigners, err = decodeCerts(m, "ds"); err != nil {
		return is, err
	}
	if is.VCTs, err = strings_(m, "vct", MaxTypes); err != nil {
		return is, err
	}
	if is.DocTypes, err = strings_(m, "doctype", MaxTypes); err != nil {
		return is, err
	}
	return is, nil
}

func decodeVerifier(m map[string]any) (Verifier, error) {
	var v Verifier
	if err := onlyMembers(m, "verifier", "id", "name", "keys", "claims"); err != nil {
		return v, err
	}
	var err error
	if v.ID, err = str(m, "id", true); err != nil {
		return v, err
	}
	if v.Name, err = str(m, "name", true); err != nil {
		return v, err
	}
	if v.Keys, err = decodeKeys(m); err != nil {
		return v, err
	}
	raw, ok := m["claims"]
	if !ok {
		return v, nil
	}
	cm, ok := raw.(map[string]any)
	if !ok {
		return v, errorf("decode", ErrMalformed, "verifier claims is not an object")
	}
	if len(cm) > MaxTypes {
		return v, errorf("decode", ErrTooLarge, "verifier claims has %d types (max %d)", len(cm), MaxTypes)
	}
	v.Claims = make(map[string][]string, len(cm))
	for typ := range cm {
		list, err := strings_(cm, typ, MaxClaims)
		if err != nil {
			return v, err
		}
		v.Claims[typ] = list
	}
	return v, nil
}

func decodeKeys(m map[string]any) ([]Key, error) {
	arr, err := array(m, "keys", MaxKeys)
	if err != nil {
		return nil, err
	}
	out := make([]Key, 0, len(arr))
	for i, v := range arr {
		o, ok := v.(map[string]any)
		if !ok {
			return nil, errorf("decode", ErrMalformed, "keys[%d] is not an object", i)
		}
		if err := onlyMembers(o, "key", "kid", "jwk", "did"); err != nil {
			return nil, err
		}
		kid, err := str(o, "kid", false)
		if err != nil {
			return nil, err
		}
		did, err := str(o, "did", false)
		if err != nil {
			return nil, err
		}
		j, hasJWK := o["jwk"]
		switch {
		case hasJWK && did == "":
			if kid == "" {
				return nil, errorf("decode", ErrMalformed, "keys[%d]: a jwk needs a kid", i)
			}
			if _, ok := j.(map[string]any); !ok {
				return nil, errorf("decode", ErrMalformed, "keys[%d]: jwk is not an object", i)
			}
			b, err := json.Marshal(j)
			if err != nil {
				return nil, errorf("decode", ErrMalformed, "keys[%d]: %v", i, err)
			}
			pub, err := keys.ParsePublicJWK(b)
			if err != nil {
				return nil, errorf("decode", ErrMalformed, "keys[%d]: %v", i, err)
			}
			out = append(out, Key{ID: kid, Public: pub})
		case !hasJWK && did != "":
			d, err := didkey.Parse(did)
			if err != nil {
				return nil, errorf("decode", ErrMalformed, "keys[%d]: %v", i, err)
			}
			if _, err := keys.AlgorithmFor(d.PublicKey()); err != nil {
				return nil, errorf("decode", ErrMalformed, "keys[%d]: %v", i, err)
			}
			if kid == "" {
				kid = d.KeyID()
			}
			out = append(out, Key{ID: kid, DID: d.String(), Public: d.PublicKey()})
		default:
			return nil, errorf("decode", ErrMalformed, "keys[%d]: exactly one of jwk and did is required", i)
		}
	}
	return out, nil
}

func decodeCerts(m map[string]any, name string) ([]*x509.Certificate, error) {
	arr, err := array(m, name, MaxCertificates)
	if err != nil {
		return nil, err
	}
	var out []*x509.Certificate
	for i, v := range arr {
		s, ok := v.(string)
		if !ok {
			return nil, errorf("decode", ErrMalformed, "%s[%d] is not a string", name, i)
		}
		// Standard base64 of the DER, as in the JWK x5c member (RFC 7517 §4.7).
		der, err := base64.StdEncoding.Strict().DecodeString(s)
		if err != nil {
			return nil, errorf("decode", ErrMalformed, "%s[%d]: %v", name, i, err)
		}
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, errorf("decode", ErrMalformed, "%s[%d]: %v", name, i, err)
		}
		out = append(out, c)
	}
	return out, nil
}

func onlyMembers(m map[string]any, what string, allowed ...string) error {
	for k := range m {
		ok := false
		for _, a := range allowed {
			if k == a {
				ok = true
				break
			}
		}
		if !ok {
			return errorf("decode", ErrMalformed, "unknown member %.64q in %s", k, what)
		}
	}
	return nil
}

func str(m map[string]any, name string, required bool) (string, error) {
	v, ok := m[name]
	if !ok {
		if required {
			return "", errorf("decode", ErrMalformed, "missing %q", name)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", errorf("decode", ErrMalformed, "%q is not a string", name)
	}
	if err := checkString(name, s); err != nil {
		return "", err
	}
	return s, nil
}

func checkString(name, s string) error {
	if s == "" {
		return errorf("decode", ErrMalformed, "%q is empty", name)
	}
	if len(s) > MaxStringLen {
		return errorf("decode", ErrTooLarge, "%q longer than %d bytes", name, MaxStringLen)
	}
	if !utf8.ValidString(s) {
		return errorf("decode", ErrMalformed, "%q is not UTF-8", name)
	}
	return nil
}

func uintMember(m map[string]any, name string) (uint64, error) {
	v, ok := m[name]
	if !ok {
		return 0, errorf("decode", ErrMalformed, "missing %q", name)
	}
	n, ok := v.(json.Number)
	if !ok {
		return 0, errorf("decode", ErrMalformed, "%q is not a number", name)
	}
	u, err := strconv.ParseUint(string(n), 10, 64)
	if err != nil {
		return 0, errorf("decode", ErrMalformed, "%q is not a non-negative integer", name)
	}
	return u, nil
}

func array(m map[string]any, name string, max int) ([]any, error) {
	v, ok := m[name]
	if !ok {
		return nil, nil
	}
	a, ok := v.([]any)
	if !ok {
		return nil, errorf("decode", ErrMalformed, "%q is not an array", name)
	}
	if len(a) > max {
		return nil, errorf("decode", ErrTooLarge, "%q has %d entries (max %d)", name, len(a), max)
	}
	return a, nil
}

func strings_(m map[string]any, name string, max int) ([]string, error) {
	a, err := array(m, name, max)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			return nil, errorf("decode", ErrMalformed, "%q[%d] is not a string", name, i)
		}
		if err := checkString(name, s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// validate checks the rules shared by Sign and Verify, then indexes l.
func validate(l *List) error {
	const op = "validate"
	if err := checkString("iss", l.Operator); err != nil {
		return err
	}
	if l.Sequence == 0 {
		return errorf(op, ErrMalformed, "sequence must be positive")
	}
	if !l.NextUpdate.After(l.IssuedAt) {
		return errorf(op, ErrMalformed, "next_update must be after iat")
	}
	if len(l.Issuers) > MaxIssuers || len(l.Verifiers) > MaxVerifiers {
		return errorf(op, ErrTooLarge, "too many issuers or verifiers")
	}
	seen := map[string]bool{}
	for i := range l.Issuers {
		is := &l.Issuers[i]
		if err := checkString("id", is.ID); err != nil {
			return err
		}
		if err := checkString("name", is.Name); err != nil {
			return err
		}
		// The issuer id is the iss of its SD-JWT VCs, an https URL
		// (draft-ietf-oauth-sd-jwt-vc-18 §3.2.2.2, §5).
		u, err := url.Parse(is.ID)
		if err != nil || u.Scheme != "https" || u.Host == "" || u.Fragment != "" {
			return errorf(op, ErrMalformed, "issuer id %.100q is not an https URL", is.ID)
		}
		if seen[is.ID] {
			return errorf(op, ErrMalformed, "duplicate issuer %.100q", is.ID)
		}
		seen[is.ID] = true
		if err := validateKeys(is.Keys); err != nil {
			return err
		}
		if len(is.IACARoots) > MaxCertificates || len(is.DocumentSigners) > MaxCertificates {
			return errorf(op, ErrTooLarge, "issuer %.100q: too many certificates", is.ID)
		}
		for _, c := range is.IACARoots {
			// ISO/IEC 18013-5 Annex B.1.2: the IACA root certificate is a
			// CA certificate (basicConstraints cA = TRUE).
			if c == nil || !c.BasicConstraintsValid || !c.IsCA {
				return errorf(op, ErrMalformed, "issuer %.100q: IACA root is not a CA certificate", is.ID)
			}
		}
		for _, c := range is.DocumentSigners {
			// Annex B.1.4: a document signer certificate is not a CA.
			if c == nil || c.IsCA {
				return errorf(op, ErrMalformed, "issuer %.100q: document signer is a CA certificate", is.ID)
			}
		}
		if len(is.VCTs)+len(is.DocTypes) > MaxTypes {
			return errorf(op, ErrTooLarge, "issuer %.100q: too many types", is.ID)
		}
		if len(is.VCTs)+len(is.DocTypes) == 0 {
			return errorf(op, ErrMalformed, "issuer %.100q is authorised for no type", is.ID)
		}
		for _, t := range append(slicesClone(is.VCTs), is.DocTypes...) {
			if err := checkString("type", t); err != nil {
				return err
			}
		}
		if len(is.Keys) == 0 && len(is.IACARoots) == 0 {
			return errorf(op, ErrMalformed, "issuer %.100q has neither keys nor IACA roots", is.ID)
		}
	}
	seen = map[string]bool{}
	for i := range l.Verifiers {
		v := &l.Verifiers[i]
		if err := checkString("id", v.ID); err != nil {
			return err
		}
		if err := checkString("name", v.Name); err != nil {
			return err
		}
		if seen[v.ID] {
			return errorf(op, ErrMalformed, "duplicate verifier %.100q", v.ID)
		}
		seen[v.ID] = true
		if err := validateKeys(v.Keys); err != nil {
			return err
		}
		if len(v.Claims) > MaxTypes {
			return errorf(op, ErrTooLarge, "verifier %.100q: too many types", v.ID)
		}
		for typ, cs := range v.Claims {
			if err := checkString("type", typ); err != nil {
				return err
			}
			if len(cs) > MaxClaims {
				return errorf(op, ErrTooLarge, "verifier %.100q: too many claims", v.ID)
			}
			for _, c := range cs {
				if err := checkString("claim", c); err != nil {
					return err
				}
			}
		}
	}
	l.index()
	return nil
}

func slicesClone(s []string) []string { return append([]string(nil), s...) }

func validateKeys(ks []Key) error {
	if len(ks) > MaxKeys {
		return errorf("validate", ErrTooLarge, "%d keys (max %d)", len(ks), MaxKeys)
	}
	seen := map[string]bool{}
	for _, k := range ks {
		if err := checkString("kid", k.ID); err != nil {
			return err
		}
		if seen[k.ID] {
			return errorf("validate", ErrMalformed, "duplicate kid %.100q", k.ID)
		}
		seen[k.ID] = true
		if _, err := keys.AlgorithmFor(k.Public); err != nil {
			return errorf("validate", ErrMalformed, "kid %.100q: %v", k.ID, err)
		}
		if k.DID != "" && !strings.HasPrefix(k.DID, "did:key:") {
			return errorf("validate", ErrMalformed, "kid %.100q: DID is not a did:key", k.ID)
		}
	}
	return nil
}

// encodePayload is the inverse of decodePayload.
func encodePayload(l *List) ([]byte, error) {
	m := map[string]any{
		"iss":         l.Operator,
		"seq":         l.Sequence,
		"iat":         l.IssuedAt.Unix(),
		"next_update": l.NextUpdate.Unix(),
	}
	if len(l.Issuers) > 0 {
		iss := make([]any, 0, len(l.Issuers))
		for _, is := range l.Issuers {
			o := map[string]any{"id": is.ID, "name": is.Name}
			ks, err := encodeKeys(is.Keys)
			if err != nil {
				return nil, err
			}
			if ks != nil {
				o["keys"] = ks
			}
			if len(is.IACARoots) > 0 {
				o["iaca"] = encodeCerts(is.IACARoots)
			}
			if len(is.DocumentSigners) > 0 {
				o["ds"] = encodeCerts(is.DocumentSigners)
			}
			if len(is.VCTs) > 0 {
				o["vct"] = is.VCTs
			}
			if len(is.DocTypes) > 0 {
				o["doctype"] = is.DocTypes
			}
			iss = append(iss, o)
		}
		m["issuers"] = iss
	}
	if len(l.Verifiers) > 0 {
		vs := make([]any, 0, len(l.Verifiers))
		for _, v := range l.Verifiers {
			o := map[string]any{"id": v.ID, "name": v.Name}
			ks, err := encodeKeys(v.Keys)
			if err != nil {
				return nil, err
			}
			if ks != nil {
				o["keys"] = ks
			}
			if len(v.Claims) > 0 {
				o["claims"] = v.Claims
			}
			vs = append(vs, o)
		}
		m["verifiers"] = vs
	}
	return json.Marshal(m)
}

func encodeKeys(ks []Key) ([]any, error) {
	if len(ks) == 0 {
		return nil, nil
	}
	out := make([]any, 0, len(ks))
	for _, k := range ks {
		if k.DID != "" {
			out = append(out, map[string]any{"kid": k.ID, "did": k.DID})
			continue
		}
		j, err := keys.MarshalPublicJWK(k.Public)
		if err != nil {
			return nil, errorf("sign", ErrMalformed, "kid %.100q: %v", k.ID, err)
		}
		out = append(out, map[string]any{"kid": k.ID, "jwk": json.RawMessage(j)})
	}
	return out, nil
}

func encodeCerts(cs []*x509.Certificate) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = base64.StdEncoding.EncodeToString(c.Raw)
	}
	return out
}
