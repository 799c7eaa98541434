package main

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/didkey"
	"github.com/ikdkit/ikdkit/keys"
	"github.com/ikdkit/ikdkit/verifier"
)

// bareKey is an issuer key given with --trust as a JWK, a PEM public key or
// a did:key.
type bareKey struct {
	// id is the key's identifier: the JWK's kid, the did:key's key ID, or
	// the RFC 7638 thumbprint.
	id string
	// did is the did:key the key was given as, or "".
	did string
	pub crypto.PublicKey
}

// trustSet is what --trust gave: a signed trust list (standing alone), or
// bare keys and certificates.
type trustSet struct {
	keys    []bareKey
	roots   []*x509.Certificate // CA certificates: IACA roots
	signers []*x509.Certificate // other certificates: document signers
	store   *trustlist.Store    // the signed trust list, verified
	list    *trustlist.List     // store's current list
}

// loadTrust reads every --trust value. A signed trust list needs the
// operator's key and stands alone.
func loadTrust(args []string, opKeyFile string, now func() time.Time) (*trustSet, error) {
	ts := &trustSet{}
	for _, a := range args {
		if strings.HasPrefix(a, "did:key:") {
			d, err := didkey.Parse(strings.SplitN(a, "#", 2)[0])
			if err != nil {
				return nil, usagef("--trust %s: %v", a, err)
			}
			ts.keys = append(ts.keys, bareKey{id: d.KeyID(), did: d.String(), pub: d.PublicKey()})
			continue
		}
		data, err := readFile(a)
		if err != nil {
			return nil, err
		}
		trimmed := bytes.TrimSpace(data)
		switch {
		case bytes.HasPrefix(trimmed, []byte("-----BEGIN CERTIFICATE")):
			certs, err := keys.ParseCertificatesPEM(data)
			if err != nil {
				return nil, usagef("--trust %s: %v", a, err)
			}
			for _, c := range certs {
				if c.IsCA {
					ts.roots = append(ts.roots, c)
				} else {
					ts.signers = append(ts.signers, c)
				}
			}
		case bytes.HasPrefix(trimmed, []byte("-----BEGIN")):
			k, err := keys.ParsePublicKeyPEM(data)
			if err != nil {
				return nil, usagef("--trust %s: %v", a, err)
			}
			id, err := keys.Thumbprint(k)
			if err != nil {
				return nil, usagef("--trust %s: %v", a, err)
			}
			ts.keys = append(ts.keys, bareKey{id: id, pub: k})
		case bytes.HasPrefix(trimmed, []byte("{")):
			k, err := keys.ParsePublicJWK(trimmed)
			if err != nil {
				return nil, usagef("--trust %s: %v", a, err)
			}
			var member struct {
				Kid string `json:"kid"`
			}
			_ = json.Unmarshal(trimmed, &member) // it parsed as a JWK above
			id := member.Kid
			if id == "" {
				if id, err = keys.Thumbprint(k); err != nil {
					return nil, usagef("--trust %s: %v", a, err)
				}
			}
			ts.keys = append(ts.keys, bareKey{id: id, pub: k})
		case bytes.HasPrefix(trimmed, []byte("ey")):
			if opKeyFile == "" {
				return nil, usagef("--trust %s is a trust list: give the operator's key with --operator-key", a)
			}
			if len(args) > 1 {
				return nil, usagef("--trust %s: a signed trust list stands alone; give no other --trust with it", a)
			}
			op, err := readPublicKey(opKeyFile)
			if err != nil {
				return nil, err
			}
			if ts.store, err = trustlist.NewStore(op, trustlist.StoreOptions{Now: now}); err != nil {
				return nil, err
			}
			if ts.list, err = ts.store.Update(trimmed); err != nil {
				return nil, fmt.Errorf("--trust %s: %w", a, err)
			}
		default:
			return nil, usagef("--trust %s: not a JWK, PEM, did:key or trust list", a)
		}
	}
	return ts, nil
}

// presented is what the presentations of a run name, read before any
// verification: only to build the local trust list that bare keys and
// certificates stand for.
type presented struct {
	// sdjwt maps an SD-JWT VC's iss to the vct values and the kid headers
	// presented under it.
	sdjwt map[string]*issuerUse
	// docTypes are the mdoc doctypes presented.
	docTypes []string
}

type issuerUse struct{ vcts, kids []string }

func (p *presented) addSDJWT(iss, kid, vct string) {
	if p.sdjwt == nil {
		p.sdjwt = map[string]*issuerUse{}
	}
	u := p.sdjwt[iss]
	if u == nil {
		u = &issuerUse{}
		p.sdjwt[iss] = u
	}
	if !slices.Contains(u.vcts, vct) {
		u.vcts = append(u.vcts, vct)
	}
	if kid != "" && !slices.Contains(u.kids, kid) {
		u.kids = append(u.kids, kid)
	}
}

func (p *presented) addDocType(dt string) {
	if !slices.Contains(p.docTypes, dt) {
		p.docTypes = append(p.docTypes, dt)
	}
}

// localOperator names the operator of the list bare --trust values make.
const localOperator = "ikd verify --trust (local, not signed)"

// localList is the trust list that bare keys and certificates stand for,
// for the presentations of this run: a key trusts the issuer a presentation
// names (its iss) for the types presented under that iss, and an IACA root
// trusts the documents that chain to it for the doctypes presented. The
// caller vouches for these keys; per-type authorisation needs a signed
// trust list. An issuer the list cannot hold (an iss that is not an https
// URL) is left out, so the verifier finds it untrusted.
func localList(ts *trustSet, p *presented, now time.Time) (*trustlist.List, error) {
	l := &trustlist.List{Operator: localOperator, Sequence: 1, IssuedAt: now, NextUpdate: now.Add(24 * time.Hour)}
	add := func(is trustlist.Issuer) {
		cand := *l
		cand.Issuers = append(slices.Clone(l.Issuers), is)
		if _, err := trustlist.NewLocal(&cand); err == nil {
			l.Issuers = cand.Issuers
		}
	}
	if len(ts.keys) > 0 {
		issuers := make([]string, 0, len(p.sdjwt))
		for iss := range p.sdjwt {
			issuers = append(issuers, iss)
		}
		slices.Sort(issuers)
		for _, iss := range issuers {
			u := p.sdjwt[iss]
			add(trustlist.Issuer{ID: iss, Name: iss, Keys: localKeys(ts.keys, u.kids), VCTs: u.vcts})
		}
	}
	if len(p.docTypes) > 0 {
		for _, root := range ts.roots {
			is := trustlist.Issuer{ID: localRootID(root), Name: certName(root), IACARoots: []*x509.Certificate{root},
				DocTypes: p.docTypes}
			for _, ds := range ts.signers {
				if ds.CheckSignatureFrom(root) == nil {
					is.DocumentSigners = append(is.DocumentSigners, ds)
				}
			}
			add(is)
		}
	}
	for _, ds := range ts.signers {
		if !slices.ContainsFunc(ts.roots, func(r *x509.Certificate) bool { return ds.CheckSignatureFrom(r) == nil }) {
			return nil, usagef("--trust: document signer certificate %q: give the IACA root it chains to", certName(ds))
		}
	}
	return trustlist.NewLocal(l)
}

// localKeys lists bare keys for one issuer. One key is the issuer's key
// whatever kid its presentations name, so it is listed under each of them;
// several keys are listed under their own identifiers, which the
// presentation's kid must name.
func localKeys(bare []bareKey, kids []string) []trustlist.Key {
	if len(bare) == 1 && len(kids) > 0 {
		out := make([]trustlist.Key, 0, len(kids))
		for _, kid := range kids {
			out = append(out, trustlist.Key{ID: kid, Public: bare[0].pub})
		}
		return out
	}
	var out []trustlist.Key
	for _, k := range bare {
		if !slices.ContainsFunc(out, func(o trustlist.Key) bool { return o.ID == k.id }) {
			out = append(out, trustlist.Key{ID: k.id, DID: k.did, Public: k.pub})
		}
	}
	return out
}

// localRootID is the identifier the local list gives the issuer of an IACA
// root given with --trust: a name under the reserved .invalid domain (RFC
// 2606), since a bare certificate names no issuer identifier.
func localRootID(root *x509.Certificate) string {
	h := sha256.Sum256(root.Raw)
	return "https://iaca.invalid/" + hex.EncodeToString(h[:8])
}

// certName is a certificate's common name, or its whole subject.
func certName(c *x509.Certificate) string {
	if c.Subject.CommonName != "" {
		return c.Subject.CommonName
	}
	return c.Subject.String()
}

// fixedTrust is a verifier.TrustSource holding one list.
type fixedTrust struct{ l *trustlist.List }

func (f fixedTrust) Current() *trustlist.List { return f.l }

// statusKeys says which key a Status List Token must be signed with: with a
// signed trust list, the key of the issuer that serves the token's uri
// (verifier.StatusKeys); with bare keys the same on the local list, or, if
// --trust gave exactly one key, that key.
func statusKeys(trust verifier.TrustSource, ts *trustSet) func(string) (*statuslist.Verifier, error) {
	byList := verifier.StatusKeys(trust)
	if ts.store != nil || len(ts.keys) != 1 {
		return byList
	}
	return func(uri string) (*statuslist.Verifier, error) {
		if v, err := byList(uri); err == nil {
			return v, nil
		}
		return &statuslist.Verifier{Key: ts.keys[0].pub}, nil
	}
}

// readPublicKey reads a JWK or PEM public key file.
func readPublicKey(name string) (crypto.PublicKey, error) {
	data, err := readFile(name)
	if err != nil {
		return nil, err
	}
	if bytes.HasPrefix(bytes.TrimSpace(data), []byte("-----BEGIN")) {
		return keys.ParsePublicKeyPEM(data)
	}
	return keys.ParsePublicJWK(bytes.TrimSpace(data))
}
