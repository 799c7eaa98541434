package issuer

import (
	"cmp"
	"crypto/x509"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/mdoc"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/keys"
)

// statusOf fetches the published token of ref's list and returns ref's status.
func (e *env) statusOf(ref statuslist.Reference) statuslist.Status {
	e.t.Helper()
	lists, err := e.iss.StatusLists(e.ctx)
	if err != nil {
		e.t.Fatal(err)
	}
	for _, l := range lists {
		if l.URI != ref.URI {
			continue
		}
		tok, err := e.iss.StatusListToken(e.ctx, l.Number)
		if err != nil {
			e.t.Fatal(err)
		}
		v := statuslist.Verifier{Key: e.key.Public(), Now: e.clock.Now}
		vt, err := v.VerifyJWT(tok)
		if err != nil {
			e.t.Fatal(err)
		}
		if vt.Subject() != ref.URI {
			e.t.Fatalf("token sub %q, want %q", vt.Subject(), ref.URI)
		}
		s, err := vt.Status(ref.Index)
		if err != nil {
			e.t.Fatal(err)
		}
		return s
	}
	e.t.Fatalf("no list %s", ref.URI)
	return 0
}

func TestActivationIssuesBoundCredentials(t *testing.T) {
	e := newEnv(t)
	device := newDevice(t)
	a := e.activate(device)
	if len(a.Credentials) != 4 || a.Replaced != nil {
		t.Fatalf("got %d credentials, replaced %v", len(a.Credentials), a.Replaced)
	}
	tp, _ := keys.Thumbprint(device.Public())
	if a.Binding.KeyThumbprint != tp || a.Binding.State != BindingActive {
		t.Fatalf("binding %+v", a.Binding)
	}
	seen := map[statuslist.Reference]bool{}
	for _, c := range a.Credentials {
		if seen[c.Status] {
			t.Fatalf("status reference %v used twice", c.Status)
		}
		seen[c.Status] = true
		if s := e.statusOf(c.Status); s != statuslist.Valid {
			t.Fatalf("fresh credential has status %v", s)
		}
		rec, err := e.iss.Credential(e.ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if rec.KeyThumbprint != tp || rec.Index != c.Status.Index || rec.Claims != nil || rec.VCT != c.VCT || rec.Profile != c.Profile {
			t.Fatalf("record %+v", rec)
		}
		switch c.Format {
		case credential.FormatSDJWT:
			v, err := sdjwt.VerifyVC(c.Encoded(), sdjwt.VerifyOptions{IssuerKey: e.key.Public(), AllowNoKeyBinding: true, Now: e.clock.Now})
			if err != nil {
				t.Fatal(err)
			}
			if want := map[Profile]string{ProfileFull: credential.VCTKTPEL, ProfileQR: credential.VCTQR}[c.Profile]; v.VCT() != want || c.VCT != want {
				t.Fatalf("vct %q, want %q", v.VCT(), want)
			}
			st, _ := v.Get(sdjwt.P("status"))
			sc, err := statuslist.StatusClaimFromJSONValue(st)
			if err != nil || *sc.StatusList != c.Status {
				t.Fatalf("status claim %v (%v), want %v", st, err, c.Status)
			}
			if iss, _ := v.Get(sdjwt.P("iss")); iss != testIssuer {
				t.Fatalf("iss %v", iss)
			}
			// Bound to the device: a presentation signed by it verifies.
			u, err := sdjwt.Parse(c.Encoded())
			if err != nil {
				t.Fatal(err)
			}
			pres, err := u.Present(sdjwt.KeyBindingOptions{Signer: device, Audience: "https://bank.example.id", Nonce: "n-1", IssuedAt: e.clock.Now()})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := sdjwt.VerifyVC(pres, sdjwt.VerifyOptions{IssuerKey: e.key.Public(), Audience: "https://bank.example.id", Nonce: "n-1", Now: e.clock.Now}); err != nil {
				t.Fatal(err)
			}
		case credential.FormatMdoc:
			cred, err := mdoc.ParseIssuerSigned(c.Data)
			if err != nil {
				t.Fatal(err)
			}
			tr, _ := mdoc.OpenID4VPSessionTranscript("x509_san_dns:bank.example.id", "n-2", nil, "https://bank.example.id/r")
			request := map[string][]string{credential.DocTypeKTPEL: {"name"}}
			if c.Profile == ProfileQR {
				request = map[string][]string{credential.DocTypeQR: {"age_over_18"}}
			}
			resp, err := mdoc.Present(cred, request, mdoc.PresentOptions{SessionTranscript: tr, DeviceKey: device})
			if err != nil {
				t.Fatal(err)
			}
			roots := x509.NewCertPool()
			roots.AddCert(e.root)
			if _, err := mdoc.Verify(resp, mdoc.VerifyOptions{Roots: roots, SessionTranscript: tr, DocType: c.DocType, Now: e.clock.Now}); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("format %q", c.Format)
		}
		// Both profiles live DefaultValidity (30 days), floored to the
		// start of the UTC day; the KTP-el's age claims would cap it at
		// the next birthday (00:00 WIB, 17:00 UTC the day before), months
		// away (TestValidityCappedAtBirthday).
		want := time.Date(2026, 3, 31, 0, 0, 0, 0, time.UTC)
		if !credential.NextAgeChange(credential.Date{Year: 1995, Month: 8, Day: 17}, t0).Equal(time.Date(2026, 8, 16, 17, 0, 0, 0, time.UTC)) {
			t.Fatal("next birthday moved")
		}
		if !c.ExpiresAt.Equal(want) {
			t.Fatalf("exp %v, want %v", c.ExpiresAt, want)
		}
	}
}

func TestNewDeviceRevokesOldBinding(t *testing.T) {
	e := newEnv(t)
	first := e.activate(newDevice(t))
	e.clock.Advance(time.Hour)
	second := e.activate(newDevice(t))
	if second.Replaced == nil || second.Replaced.ID != first.Binding.ID || second.Revoked != 4 {
		t.Fatalf("replaced %+v, revoked %d", second.Replaced, second.Revoked)
	}
	for _, c := range first.Credentials {
		if s := e.statusOf(c.Status); s != statuslist.Invalid {
			t.Fatalf("old credential %s has status %v", c.ID, s)
		}
	}
	for _, c := range second.Credentials {
		if s := e.statusOf(c.Status); s != statuslist.Valid {
			t.Fatalf("new credential %s has status %v", c.ID, s)
		}
	}
	b, err := e.iss.Binding(e.ctx, first.Binding.ID)
	if err != nil || b.State != BindingRevoked {
		t.Fatalf("old binding %+v, %v", b, err)
	}
	_, err = e.iss.Issue(e.ctx, "operator:1", IssueRequest{BindingID: first.Binding.ID, Document: sampleKTPEL(t)})
	if !errors.Is(err, ErrBindingRevoked) {
		t.Fatalf("issue to replaced binding: %v", err)
	}
}

func TestLostPhoneThenReactivation(t *testing.T) {
	e := newEnv(t)
	first := e.activate(newDevice(t))
	n, err := e.iss.ReportLost(e.ctx, "operator:kec-tebet-01", testNIK)
	if err != nil || n != 4 {
		t.Fatalf("report lost: %d, %v", n, err)
	}
	for _, c := range first.Credentials {
		if e.statusOf(c.Status) != statuslist.Invalid {
			t.Fatal("credential of the lost phone still valid")
		}
	}
	if _, err := e.iss.ReportLost(e.ctx, "operator:kec-tebet-01", testNIK); !errors.Is(err, ErrNotFound) {
		t.Fatalf("second report: %v", err)
	}
	_, err = e.iss.Issue(e.ctx, "operator:1", IssueRequest{BindingID: first.Binding.ID, Document: sampleKTPEL(t)})
	if !errors.Is(err, ErrBindingRevoked) {
		t.Fatalf("issue to revoked binding: %v", err)
	}
	again := e.activate(newDevice(t))
	if again.Replaced != nil || len(again.Credentials) != 4 {
		t.Fatalf("re-activation: %+v", again)
	}
}

func TestIssueBatch(t *testing.T) {
	e := newEnv(t)
	a := e.activate(newDevice(t))
	var reqs []IssueRequest
	for range 50 {
		reqs = append(reqs, IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t), Formats: []credential.Format{credential.FormatSDJWT}})
	}
	reqs = append(reqs, IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t), Formats: []credential.Format{credential.FormatMdoc}})
	out, err := e.iss.IssueBatch(e.ctx, "operator:batch", reqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 51 {
		t.Fatalf("%d credentials", len(out))
	}
	seen := map[uint64]bool{}
	for _, c := range append(out, a.Credentials...) {
		if seen[c.Status.Index] {
			t.Fatalf("index %d given twice", c.Status.Index)
		}
		seen[c.Status.Index] = true
	}
	// Revoke one; only it changes.
	if err := e.iss.Revoke(e.ctx, "operator:1", out[7].ID); err != nil {
		t.Fatal(err)
	}
	if err := e.iss.Revoke(e.ctx, "operator:1", out[7].ID); err != nil {
		t.Fatalf("revoking twice: %v", err)
	}
	if e.statusOf(out[7].Status) != statuslist.Invalid || e.statusOf(out[8].Status) != statuslist.Valid {
		t.Fatal("revocation not reflected exactly")
	}
	if err := e.iss.Revoke(e.ctx, "operator:1", "nosuchcredential"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("revoke unknown: %v", err)
	}
}

// countingKTPEL is a KTP-el that counts how often its claims are built.
type countingKTPEL struct {
	*credential.KTPEL
	sdjwt, mdoc atomic.Int32
}

func (d *countingKTPEL) SDJWTClaims(at time.Time) map[string]any {
	d.sdjwt.Add(1)
	return d.KTPEL.SDJWTClaims(at)
}

func (d *countingKTPEL) MdocElements(at time.Time) map[string]map[string]any {
	d.mdoc.Add(1)
	return d.KTPEL.MdocElements(at)
}

// The copies of a document in one batch share its claims, built once per
// format and profile on the signing workers, and each is a credential of
// its own with every claim of the document (the signing workers only read
// the shared claims: go test -race holds them to it).
func TestCopiesShareClaims(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.SigningWorkers = 4 })
	a := e.activate(newDevice(t))
	doc, other := &countingKTPEL{KTPEL: sampleKTPEL(t)}, &countingKTPEL{KTPEL: sampleKTPEL(t)}
	var reqs []IssueRequest
	for range 10 {
		// The QR profile is read from the KTP-el's fields, not counted.
		reqs = append(reqs, IssueRequest{BindingID: a.Binding.ID, Document: doc}, IssueRequest{BindingID: a.Binding.ID, Document: doc.KTPEL, Profile: ProfileQR})
	}
	reqs = append(reqs, IssueRequest{BindingID: a.Binding.ID, Document: other, Formats: []credential.Format{credential.FormatSDJWT}})
	out, err := e.iss.IssueBatch(e.ctx, "operator:batch", reqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 41 {
		t.Fatalf("%d credentials, want 41", len(out))
	}
	// The full profile's SD-JWT VC, and its mdoc's expiry.
	if doc.sdjwt.Load() != 2 || doc.mdoc.Load() != 1 || other.sdjwt.Load() != 1 || other.mdoc.Load() != 0 {
		t.Errorf("claims built %d/%d times (SD-JWT/mdoc), the other document's %d/%d; want 2/1 and 1/0",
			doc.sdjwt.Load(), doc.mdoc.Load(), other.sdjwt.Load(), other.mdoc.Load())
	}
	want := sampleKTPEL(t).SDJWTClaims(e.clock.Now())
	seen := map[string]bool{}
	for _, c := range out {
		if seen[c.ID] {
			t.Fatalf("credential %s twice", c.ID)
		}
		seen[c.ID] = true
		if c.Format != credential.FormatSDJWT || c.Profile != ProfileFull {
			continue
		}
		v, err := sdjwt.VerifyVC(c.Encoded(), sdjwt.VerifyOptions{IssuerKey: e.key.Public(), AllowNoKeyBinding: true, Now: e.clock.Now})
		if err != nil {
			t.Fatal(err)
		}
		for name, value := range want {
			if got, ok := v.Claims()[name]; !ok || fmt.Sprint(got) != fmt.Sprint(value) {
				t.Errorf("credential %s: %s = %v, want %v", c.ID, name, got, value)
			}
		}
		if v.Issuer() != testIssuer {
			t.Errorf("credential %s: iss %q", c.ID, v.Issuer())
		}
	}
}

func TestStatusListRollsOver(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.StatusList.Size = 8; c.Formats = []credential.Format{credential.FormatSDJWT} })
	a := e.activate(newDevice(t))
	var reqs []IssueRequest
	for range 20 {
		reqs = append(reqs, IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t)})
	}
	out, err := e.iss.IssueBatch(e.ctx, "operator:batch", reqs)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[statuslist.Reference]bool{}
	for _, c := range out {
		if seen[c.Status] {
			t.Fatalf("%v twice", c.Status)
		}
		seen[c.Status] = true
	}
	lists, _ := e.iss.StatusLists(e.ctx)
	if len(lists) != 3 {
		t.Fatalf("%d lists for 21 credentials of 8 entries", len(lists))
	}
}

// The indices of a list are its positions, in the order they were
// handed out, through the list's keyed permutation: the credentials of a
// batch have consecutive positions, but their indices are in no order, and
// the key stays in the store.
func TestStatusIndicesFollowPermutation(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind backend) {
		e := newEnvOn(t, kind, func(c *Config) { c.Formats = []credential.Format{credential.FormatSDJWT} })
		a := e.activate(newDevice(t))
		reqs := make([]IssueRequest, 40)
		for i := range reqs {
			reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t)}
		}
		if _, err := e.iss.IssueBatch(e.ctx, "operator:batch", reqs); err != nil {
			t.Fatal(err)
		}
		var lists []StatusListRecord
		e.view(func(tx Tx) error {
			var err error
			lists, err = tx.StatusLists()
			return err
		})
		if len(lists) != 1 || len(lists[0].Key) != statuslist.PermutationKeySize {
			t.Fatalf("lists %+v, want one with a key", lists)
		}
		perm, err := statuslist.NewPermutation(lists[0].Key, lists[0].Size)
		if err != nil {
			t.Fatal(err)
		}
		recs := e.recordsOf(a.Binding.ID)
		slices.SortFunc(recs, func(x, y CredentialRecord) int { return cmp.Compare(x.Seq, y.Seq) })
		decreases := 0
		for i, r := range recs {
			if r.Seq != uint64(i+1) {
				t.Fatalf("record %d has position %d, want %d: the positions of one process run on", i, r.Seq-1, i)
			}
			if idx, err := perm.Index(r.Seq - 1); err != nil || idx != r.Index {
				t.Errorf("record at position %d has index %d, the permutation gives %d (%v)", r.Seq-1, r.Index, idx, err)
			}
			if i > 0 && r.Index < recs[i-1].Index {
				decreases++
			}
		}
		if len(recs) < 40 || decreases < len(recs)/4 {
			t.Errorf("%d of %d indices in issuance order fall: they follow the order of issuance", decreases, len(recs))
		}
		public, err := e.iss.StatusLists(e.ctx)
		if err != nil || len(public) != 1 || public[0].Key != nil || public[0].Reserved < uint64(len(recs)) {
			t.Errorf("Issuer.StatusLists %+v, %v; want the list without its key", public, err)
		}
	})
}

func TestStoreClaimsOptIn(t *testing.T) {
	e := newEnv(t, func(c *Config) { c.StoreClaims = true })
	a := e.activate(newDevice(t))
	rec, err := e.iss.Credential(e.ctx, a.Credentials[0].ID)
	if err != nil || len(rec.Claims) == 0 {
		t.Fatalf("claims not stored with StoreClaims: %v", err)
	}
}

// Record identifiers sort in the order they were made (so SQLite appends
// to its primary-key index) and stay unique and valid within one
// millisecond.
func TestNewIDSortsByTime(t *testing.T) {
	e := newEnv(t)
	seen := map[string]bool{}
	prev := ""
	for i := range 300 {
		if i%3 == 0 {
			e.clock.Advance(time.Millisecond)
		}
		id, err := e.iss.newID()
		if err != nil {
			t.Fatal(err)
		}
		if err := checkID("test", id); err != nil || len(id) != 26 {
			t.Fatalf("id %q: len %d, %v", id, len(id), err)
		}
		if seen[id] {
			t.Fatalf("id %q made twice", id)
		}
		seen[id] = true
		if i%3 == 0 && id <= prev {
			t.Fatalf("id %q made later sorts before %q", id, prev)
		}
		prev = id
	}
	// The first 6 bytes are the clock's Unix milliseconds.
	id, _ := e.iss.newID()
	raw, err := idTimeEncoding.DecodeString(id)
	if err != nil {
		t.Fatal(err)
	}
	var ms int64
	for _, b := range raw[:6] {
		ms = ms<<8 | int64(b)
	}
	if want := e.clock.Now().UnixMilli(); ms != want {
		t.Errorf("time prefix %d, want %d", ms, want)
	}
}

// TestValidityCappedAtBirthday: a KTP-el issued within Validity of the
// holder's birthday (17 August) expires at 00:00 WIB of it, floored to
// the UTC day, since its age claims change then; the QR profile too.
func TestValidityCappedAtBirthday(t *testing.T) {
	e := newEnv(t)
	e.clock.t = time.Date(2026, 7, 27, 9, 0, 0, 0, time.UTC)
	a := e.activate(newDevice(t))
	want := time.Date(2026, 8, 16, 0, 0, 0, 0, time.UTC)
	for _, c := range a.Credentials {
		if !c.ExpiresAt.Equal(want) {
			t.Errorf("%s %s: exp %v, want %v", c.VCT, c.Format, c.ExpiresAt, want)
		}
	}
}

// An SD-JWT VC discloses exactly the claims its type marks selectively
// disclosable that the document carries: every match of every policy path
// (a nil element matching each array element), and nothing for the
// optional claims the document leaves out (the sample KTP-el has no KITAP
// number, signature, expiry date or postal code).
func TestIssuedDisclosuresFollowTypePolicy(t *testing.T) {
	e := newEnv(t)
	a := e.activate(newDevice(t))
	for _, doc := range []credential.Document{sampleKTPEL(t)} {
		cs, err := e.iss.Issue(e.ctx, "test", IssueRequest{BindingID: a.Binding.ID, Document: doc, Formats: []credential.Format{credential.FormatSDJWT}})
		if err != nil {
			t.Fatal(err)
		}
		u, err := sdjwt.Parse(string(cs[0].Data))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, d := range u.Disclosures() {
			got = append(got, fmt.Sprint(d.Path()))
		}
		var want []string
		claims := doc.SDJWTClaims(t0)
		var expand func(v any, p, at []any)
		expand = func(v any, p, at []any) {
			if len(p) == 0 {
				want = append(want, fmt.Sprint(sdjwt.Path(at)))
				return
			}
			switch k := p[0].(type) {
			case string:
				if m, ok := v.(map[string]any); ok {
					if c, ok := m[k]; ok {
						expand(c, p[1:], append(slices.Clip(at), k))
					}
				}
			case nil:
				if arr, ok := v.([]any); ok {
					for i, c := range arr {
						expand(c, p[1:], append(slices.Clip(at), i))
					}
				}
			}
		}
		for _, cp := range doc.Type().SelectivelyDisclosable() {
			expand(claims, cp, nil)
		}
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) || len(want) < 5 {
			t.Errorf("%s: disclosed %v\nwant %v", doc.Type().VCT, got, want)
		}
	}
}
