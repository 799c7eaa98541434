package verifier

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/credential/trustlist"
	"github.com/ikdkit/ikdkit/keys"
)

// StatusKeys returns a statuslist.CacheConfig.Keys function that trusts, for
// a Status List Token at uri, the key of the trust-list issuer that serves
// uri: the one whose identifier is the same https origin as uri and the
// longest path prefix of it (the issuer kit publishes its lists under its
// own identifier, and an issuer at https://gov.example must not answer for
// the lists of https://gov.example/dukcapil). That issuer must have exactly
// one key; the algorithm follows from it. The current list is consulted on
// every call, so trust list updates apply at once.
func StatusKeys(trust TrustSource) func(uri string) (*statuslist.Verifier, error) {
	return func(uri string) (*statuslist.Verifier, error) {
		l := trust.Current()
		if l == nil {
			return nil, fmt.Errorf("%w: no trust list loaded", statuslist.ErrUntrusted)
		}
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "https" || u.RawQuery != "" || u.Fragment != "" {
			return nil, fmt.Errorf("%w: %.200q is not an https URI without query or fragment", statuslist.ErrUntrusted, uri)
		}
		var best *trustlist.Issuer
		bestLen := -1
		for i := range l.Issuers {
			is := &l.Issuers[i]
			iu, err := url.Parse(is.ID)
			if err != nil || iu.Scheme != "https" || iu.Host != u.Host {
				continue
			}
			prefix := strings.TrimSuffix(iu.Path, "/") + "/"
			if !strings.HasPrefix(u.Path, prefix) || len(prefix) <= bestLen {
				continue
			}
			best, bestLen = is, len(prefix)
		}
		if best == nil {
			return nil, fmt.Errorf("%w: no trust-list issuer serves %.200q", statuslist.ErrUntrusted, uri)
		}
		if len(best.Keys) != 1 {
			return nil, fmt.Errorf("%w: issuer %.100q has %d keys", statuslist.ErrUntrusted, best.ID, len(best.Keys))
		}
		if _, err := keys.AlgorithmFor(best.Keys[0].Public); err != nil {
			return nil, fmt.Errorf("%w: %v", statuslist.ErrUntrusted, err)
		}
		return &statuslist.Verifier{Key: best.Keys[0].Public}, nil
	}
}

// nikOfDocument returns the holder's NIK from a typed document.
func nikOfDocument(d credential.Document) string {
	switch x := d.(type) {
	case *credential.KK:
		f := x.Fields()
		if f.HolderRow >= 1 && f.HolderRow <= len(f.Members) {
			return f.Members[f.HolderRow-1].NIK.String()
		}
	case *credential.KTPEL:
		return x.Fields().NIK.String()
	}
	return ""
}
