package issuer

import (
	"crypto"
	"errors"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/ikdkit/ikdkit/credential"
)

// A binding revoked while its batch is being signed (outside the store
// transaction) fails the batch: nothing is recorded or returned, and the
// failure is audited.
func TestIssueBatchBindingRevokedWhileSigning(t *testing.T) {
	var revokeNow atomic.Bool
	var e *env
	e = newEnv(t, func(c *Config) {
		c.hook = func(point string) {
			if point == "issue:signed" && revokeNow.Load() {
				if _, err := e.iss.ReportLost(e.ctx, "operator:1", testNIK); err != nil {
					t.Error(err)
				}
			}
		}
	})
	a := e.activate(newDevice(t))
	before := e.lastAudit()
	revokeNow.Store(true)
	reqs := []IssueRequest{{BindingID: a.Binding.ID, Document: sampleKTPEL(t)}, {BindingID: a.Binding.ID, Document: sampleKTPEL(t)}}
	out, err := e.iss.IssueBatch(e.ctx, "operator:batch", reqs)
	if !errors.Is(err, ErrBindingRevoked) || out != nil {
		t.Fatalf("got %d credentials, %v; want ErrBindingRevoked", len(out), err)
	}
	recorded := e.recordsOf(a.Binding.ID)
	if len(recorded) != len(a.Credentials) {
		t.Fatalf("%d credential records, want the activation's %d only", len(recorded), len(a.Credentials))
	}
	events, err := e.iss.Audit(e.ctx, before, 100)
	if err != nil {
		t.Fatal(err)
	}
	last := events[len(events)-1]
	if last.Action != "issue" || last.Subject != a.Binding.ID || last.Outcome != ErrBindingRevoked.Error() {
		t.Errorf("last audit event %+v, want the refused issue", last)
	}
}

// recordsOf returns the credential records of a binding.
func (e *env) recordsOf(bindingID string) []CredentialRecord {
	e.t.Helper()
	var recs []CredentialRecord
	if err := e.st.View(e.ctx, func(tx Tx) error {
		var err error
		recs, err = tx.CredentialsOfBinding(bindingID)
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return recs
}

// lastAudit returns the sequence number of the newest audit event.
func (e *env) lastAudit() int64 {
	e.t.Helper()
	var seq int64
	for {
		events, err := e.iss.Audit(e.ctx, seq, 1000)
		if err != nil {
			e.t.Fatal(err)
		}
		if len(events) == 0 {
			return seq
		}
		seq = events[len(events)-1].Seq
	}
}

// A batch signed on several goroutines comes back in request order, every
// credential with its own record, ID and status index; a reader that is not
// safe for concurrent use works as Rand (the race detector watches).
func TestIssueBatchParallelSigning(t *testing.T) {
	var seed [32]byte
	e := newEnv(t, func(c *Config) {
		c.SigningWorkers = 4
		c.Rand = rand.NewChaCha8(seed) // not safe for concurrent use
	})
	a := e.activate(newDevice(t))
	var reqs []IssueRequest
	for i := range 30 {
		p := ProfileFull
		if i%3 == 1 {
			p = ProfileQR
		}
		reqs = append(reqs, IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t), Profile: p})
	}
	out, err := e.iss.IssueBatch(e.ctx, "operator:batch", reqs)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2*len(reqs) {
		t.Fatalf("%d credentials for %d requests in 2 formats", len(out), len(reqs))
	}
	ids, idx := map[string]bool{}, map[uint64]bool{}
	for i, c := range out {
		r := reqs[i/2]
		want := []credential.Format{credential.FormatSDJWT, credential.FormatMdoc}[i%2]
		if c.Format != want || c.Profile != r.Profile {
			t.Fatalf("credential %d is %s %s, want %s %s", i, c.Format, c.Profile, want, r.Profile)
		}
		if ids[c.ID] || idx[c.Status.Index] {
			t.Fatalf("credential %d reuses an ID or a status index", i)
		}
		ids[c.ID], idx[c.Status.Index] = true, true
		rec, err := e.iss.Credential(e.ctx, c.ID)
		if err != nil || rec.Index != c.Status.Index || rec.Format != c.Format || rec.Profile != c.Profile {
			t.Fatalf("record of credential %d: %+v, %v", i, rec, err)
		}
	}
}

// exclusiveSigner fails if two Sign calls overlap.
type exclusiveSigner struct {
	crypto.Signer
	busy, overlaps atomic.Int32
}

func (s *exclusiveSigner) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	if s.busy.Add(1) > 1 {
		s.overlaps.Add(1)
	}
	defer s.busy.Add(-1)
	return s.Signer.Sign(r, d, o)
}

// SigningWorkers 1 never calls the Signer concurrently; a negative value
// is refused.
func TestSigningWorkers(t *testing.T) {
	var sig *exclusiveSigner
	e := newEnv(t, func(c *Config) {
		sig = &exclusiveSigner{Signer: c.Signer}
		c.Signer, c.SigningWorkers = sig, 1
	})
	a := e.activate(newDevice(t))
	var reqs []IssueRequest
	for range 20 {
		reqs = append(reqs, IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t)})
	}
	if _, err := e.iss.IssueBatch(e.ctx, "operator:batch", reqs); err != nil {
		t.Fatal(err)
	}
	if n := sig.overlaps.Load(); n != 0 {
		t.Errorf("%d overlapping Sign calls with SigningWorkers 1", n)
	}
	cfg := e.cfg
	cfg.SigningWorkers = -1
	if _, err := New(e.ctx, cfg); !errors.Is(err, ErrConfig) {
		t.Errorf("SigningWorkers -1: %v, want ErrConfig", err)
	}
}

// AppendAudit sets each event's Seq to the sequence number the log lists
// it under, also for several events in one transaction.
func TestAppendAuditSetsSeq(t *testing.T) {
	e := newEnv(t)
	before := e.lastAudit()
	events := []*AuditEvent{
		{At: t0, Actor: "test", Action: "a", Subject: "s1", Outcome: "ok"},
		{At: t0, Actor: "test", Action: "b", Subject: "s2", Outcome: "ok"},
		{At: t0, Actor: "test", Action: "c", Subject: "s3", Outcome: "ok"},
	}
	if err := e.st.Update(e.ctx, func(tx Tx) error {
		for _, ev := range events {
			if err := tx.AppendAudit(ev); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	listed, err := e.iss.Audit(e.ctx, before, 10)
	if err != nil || len(listed) != len(events) {
		t.Fatalf("%d events listed, %v", len(listed), err)
	}
	for i, ev := range events {
		if ev.Seq == 0 || ev.Seq != listed[i].Seq || listed[i].Subject != ev.Subject {
			t.Errorf("event %d: Seq %d, listed as %d (%s)", i, ev.Seq, listed[i].Seq, listed[i].Subject)
		}
	}
}

// panickySigner panics on every Sign.
type panickySigner struct{ crypto.Signer }

func (panickySigner) Sign(io.Reader, []byte, crypto.SignerOpts) ([]byte, error) {
	panic("signer exploded")
}

// A panic on a signing goroutine reaches the goroutine that called
// IssueBatch, where it can be recovered (net/http does), instead of
// killing the process; nothing is recorded.
func TestSigningPanicReachesCaller(t *testing.T) {
	e := newEnv(t)
	a := e.activate(newDevice(t))
	cfg := e.cfg
	cfg.Signer, cfg.SigningWorkers = panickySigner{e.cfg.Signer}, 4
	iss, err := New(e.ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	var reqs []IssueRequest
	for range 8 {
		reqs = append(reqs, IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t)})
	}
	got := func() (r any) {
		defer func() { r = recover() }()
		iss.IssueBatch(e.ctx, "operator:batch", reqs)
		return nil
	}()
	if got != "signer exploded" {
		t.Fatalf("recovered %v, want the signer's panic", got)
	}
	recorded := e.recordsOf(a.Binding.ID)
	if len(recorded) != len(a.Credentials) {
		t.Errorf("%d records after the panic, want the activation's %d", len(recorded), len(a.Credentials))
	}
}
