package verifier

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/keys"
)

// StatusKeys returns a statuslist.CacheConfig.Keys function that trusts, for
// a Status List Token at uri, the key of the trust-list issuer whose
// identifier is the same https origin as uri and a path prefix of it (the
// issuer kit publishes its lists under its own identifier). The issuer must
// have exactly one key; the algorithm follows from it. The current list is
// consulted on every call, so trust list updates apply at once.
func StatusKeys(trust TrustSource) func(uri string) (*statuslist.Verifier, error) {
	return func(uri string) (*statuslist.Verifier, error) {
		l := trust.Current()
		if l == nil {
			return nil, fmt.Errorf("%w: no trust list loaded", statuslist.ErrUntrusted)
		}
		u, err := url.Parse(uri)
		if err != nil || u.Scheme != "https" {
			return nil, fmt.Errorf("%w: %.200q is not an https URI", statuslist.ErrUntrusted, uri)
		}
		for i := range l.Issuers {
			is := &l.Issuers[i]
			iu, err := url.Parse(is.ID)
			if err != nil || iu.Host != u.Host || !strings.HasPrefix(u.Path, strings.TrimSuffix(iu.Path, "/")+"/") {
				continue
			}
			if len(is.Keys) != 1 {
				return nil, fmt.Errorf("%w: issuer %.100q has %d keys", statuslist.ErrUntrusted, is.ID, len(is.Keys))
			}
			if _, err := keys.AlgorithmFor(is.Keys[0].Public); err != nil {
				return nil, fmt.Errorf("%w: %v", statuslist.ErrUntrusted, err)
			}
			return &statuslist.Verifier{Key: is.Keys[0].Public}, nil
		}
		return nil, fmt.Errorf("%w: no trust-list issuer serves %.200q", statuslist.ErrUntrusted, uri)
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
