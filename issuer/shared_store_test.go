package issuer

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/sdjwt"
	"github.com/ikdkit/ikdkit/credential/statuslist"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// barrier holds each of its parties until every party still in it has
// arrived. A party that leaves no longer counts, so the others never wait
// for it.
type barrier struct {
	mu      sync.Mutex
	parties int
	arrived int
	release chan struct{}
}

func newBarrier(parties int) *barrier {
	return &barrier{parties: parties, release: make(chan struct{})}
}

func (b *barrier) wait() {
	b.mu.Lock()
	b.arrived++
	ch := b.release
	if b.arrived >= b.parties {
		b.trip()
	}
	b.mu.Unlock()
	<-ch
}

func (b *barrier) leave() {
	b.mu.Lock()
	b.parties--
	if b.arrived > 0 && b.arrived >= b.parties {
		b.trip()
	}
	b.mu.Unlock()
}

// trip releases the waiting parties; b.mu is held.
func (b *barrier) trip() {
	close(b.release)
	b.release = make(chan struct{})
	b.arrived = 0
}

// process opens another Issuer on e's database (SQLite file or
// PostgreSQL database) through its own OpenStore, as a second process
// sharing the store would.
func (e *env) process(mod ...func(*Config)) *Issuer {
	e.t.Helper()
	s, err := OpenStore(e.ctx, e.path)
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { s.Close() })
	cfg := e.cfg
	cfg.Store = s
	for _, m := range mod {
		m(&cfg)
	}
	iss, err := New(e.ctx, cfg)
	if err != nil {
		e.t.Fatal(err)
	}
	return iss
}

// checkIssued checks that out are recorded as returned, each SD-JWT VC
// signed with the status reference it was recorded with, and that the
// binding holds want credentials, no (list, index) pair twice.
func (e *env) checkIssued(bindingID string, out []Credential, want int) {
	e.t.Helper()
	recs := e.recordsOf(bindingID)
	if len(recs) != want {
		e.t.Errorf("%d credential records, want %d", len(recs), want)
	}
	taken := map[[2]uint64]string{}
	for _, r := range recs {
		k := [2]uint64{uint64(r.List), r.Index}
		if other, ok := taken[k]; ok {
			e.t.Errorf("credentials %s and %s share list %d index %d", other, r.ID, r.List, r.Index)
		}
		taken[k] = r.ID
	}
	for _, c := range out {
		rec, err := e.iss.Credential(e.ctx, c.ID)
		if err != nil {
			e.t.Fatalf("credential %s was returned but not recorded: %v", c.ID, err)
		}
		if rec.Index != c.Status.Index || listURI(e.cfg.StatusList.BaseURI, rec.List) != c.Status.URI {
			e.t.Fatalf("credential %s returned with %v, recorded at list %d index %d", c.ID, c.Status, rec.List, rec.Index)
		}
		v, err := sdjwt.VerifyVC(c.Encoded(), sdjwt.VerifyOptions{IssuerKey: e.key.Public(), AllowNoKeyBinding: true, Now: e.clock.Now})
		if err != nil {
			e.t.Fatal(err)
		}
		st, _ := v.Get(sdjwt.P("status"))
		sc, err := statuslist.StatusClaimFromJSONValue(st)
		if err != nil || *sc.StatusList != c.Status {
			e.t.Fatalf("credential %s signed with status %v (%v), returned with %v", c.ID, st, err, c.Status)
		}
	}
}

// Finding 9 of issue 17: two issuer processes sharing one SQLite store ran
// concurrent IssueBatch rounds, and rounds failed with "UNIQUE constraint
// failed: credentials.list, credentials.idx" although an index taken by the
// other process is meant to be redrawn. Here two Issuers open the file
// each through its own OpenSQLite, and in every round both sign their batch
// before either records it (a barrier at the "issue:signed" hook), from
// small status lists: the indices the other process took are invisible to
// each one's allocator, and together they fill lists each believes half
// empty. Every round must succeed, and the store must hold every credential
// once, each at its own (list, index), signed with it.
func TestFinding9SharedStoreConcurrentBatches(t *testing.T) {
	forEachStore(t, testFinding9SharedStoreConcurrentBatches)
}

func testFinding9SharedStoreConcurrentBatches(t *testing.T, kind backend) {
	const (
		size     = 64
		rounds   = 6
		perRound = 8
	)
	e := newEnvOn(t, kind, func(c *Config) { c.StatusList.Size = size; c.Formats = []credential.Format{credential.FormatSDJWT} })
	a := e.activate(newDevice(t))

	bothSigned := newBarrier(2)
	atSigned := func(c *Config) {
		c.hook = func(point string) {
			if point == "issue:signed" {
				bothSigned.wait()
			}
		}
	}
	procs := []*Issuer{e.process(atSigned), e.process(atSigned)}

	var (
		mu  sync.Mutex
		out []Credential
		wg  sync.WaitGroup
	)
	start := make(chan struct{})
	for p, iss := range procs {
		wg.Go(func() {
			defer bothSigned.leave()
			<-start
			for r := range rounds {
				reqs := make([]IssueRequest, perRound)
				for i := range reqs {
					reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t)}
				}
				got, err := iss.IssueBatch(e.ctx, "operator:batch", reqs)
				if err != nil {
					t.Errorf("process %d, round %d: %v", p, r, err)
					continue
				}
				mu.Lock()
				out = append(out, got...)
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	if len(out) != len(procs)*rounds*perRound {
		t.Errorf("%d credentials returned, want %d", len(out), len(procs)*rounds*perRound)
	}
	e.checkIssued(a.Binding.ID, out, len(a.Credentials)+len(out))
}

// Finding 9, without the scheduling: a process whose allocator was loaded
// before another process filled the status list still sees room in it.
// Every index it draws there is taken; it must learn that from the store
// and go on in a new list, instead of redrawing from its stale view until
// the redraws run out.
func TestFinding9ListFilledByOtherProcess(t *testing.T) {
	forEachStore(t, testFinding9ListFilledByOtherProcess)
}

func testFinding9ListFilledByOtherProcess(t *testing.T, kind backend) {
	const size = 16
	e := newEnvOn(t, kind, func(c *Config) { c.StatusList.Size = size; c.Formats = []credential.Format{credential.FormatSDJWT} })
	a := e.activate(newDevice(t))
	stale := e.process()

	reqs := make([]IssueRequest, size-len(a.Credentials))
	for i := range reqs {
		reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t)}
	}
	filled, err := e.process().IssueBatch(e.ctx, "operator:other", reqs)
	if err != nil {
		t.Fatal(err)
	}
	if lists, _ := e.iss.StatusLists(e.ctx); len(lists) != 1 {
		t.Fatalf("%d status lists after filling the first, want 1", len(lists))
	}

	out, err := stale.IssueBatch(e.ctx, "operator:stale", reqs[:2])
	if err != nil {
		t.Fatalf("issuing from a list another process filled: %v", err)
	}
	for _, c := range out {
		if c.Status.URI != listURI(e.cfg.StatusList.BaseURI, 2) {
			t.Errorf("credential %s in %s, want the new list 2", c.ID, c.Status.URI)
		}
	}
	e.checkIssued(a.Binding.ID, append(filled, out...), size+len(out))
}

// waitingKTPEL is the sample KTP-el whose SD-JWT claims are built only
// after every party of its barrier has reached that point, once.
type waitingKTPEL struct {
	*credential.KTPEL
	at   *barrier
	once sync.Once
}

func (d *waitingKTPEL) SDJWTClaims(at time.Time) map[string]any {
	d.once.Do(d.at.wait)
	return d.KTPEL.SDJWTClaims(at)
}

// Two batches of one Issuer both pass reserve on the same free indices
// (each batch is signed only once both have passed it): the batch that
// finds no index left when it signs draws one in its transaction, from a
// list created there, instead of failing with ErrListFull.
func TestConcurrentBatchesOutrunReserve(t *testing.T) {
	forEachStore(t, testConcurrentBatchesOutrunReserve)
}

func testConcurrentBatchesOutrunReserve(t *testing.T, kind backend) {
	const size = 8
	e := newEnvOn(t, kind, func(c *Config) { c.StatusList.Size = size; c.Formats = []credential.Format{credential.FormatSDJWT} })
	a := e.activate(newDevice(t))
	free := size - len(a.Credentials)
	perBatch := free/2 + 1 // two batches need more than the list has left

	bothReserved := newBarrier(2)
	var (
		mu  sync.Mutex
		out []Credential
		wg  sync.WaitGroup
	)
	for range 2 {
		wg.Go(func() {
			defer bothReserved.leave()
			doc := &waitingKTPEL{KTPEL: mustKTPEL(), at: bothReserved}
			reqs := make([]IssueRequest, perBatch)
			for i := range reqs {
				reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: doc}
			}
			got, err := e.iss.IssueBatch(e.ctx, "operator:batch", reqs)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			out = append(out, got...)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(out) != 2*perBatch {
		t.Errorf("%d credentials returned, want %d", len(out), 2*perBatch)
	}
	e.checkIssued(a.Binding.ID, out, len(a.Credentials)+len(out))
	if lists, _ := e.iss.StatusLists(e.ctx); len(lists) != 2 {
		t.Errorf("%d status lists, want 2", len(lists))
	}
}

// Two processes that find the status list full at the same moment both
// create list 2 (both pass the "status list:create" hook before either
// writes): the store refuses the second, which then reads the lists again
// and issues into the list the first created.
func TestSharedStoreCreateSameStatusList(t *testing.T) {
	forEachStore(t, testSharedStoreCreateSameStatusList)
}

func testSharedStoreCreateSameStatusList(t *testing.T, kind backend) {
	const size = 8
	e := newEnvOn(t, kind, func(c *Config) { c.StatusList.Size = size; c.Formats = []credential.Format{credential.FormatSDJWT} })
	a := e.activate(newDevice(t))
	fill := make([]IssueRequest, size-len(a.Credentials))
	for i := range fill {
		fill[i] = IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t)}
	}
	filled, err := e.iss.IssueBatch(e.ctx, "operator:fill", fill)
	if err != nil {
		t.Fatal(err)
	}

	bothCreate := newBarrier(2)
	atCreate := func(c *Config) {
		c.hook = func(point string) {
			if point == "status list:create" {
				bothCreate.wait()
			}
		}
	}
	procs := []*Issuer{e.process(atCreate), e.process(atCreate)}
	var (
		mu  sync.Mutex
		out = filled
		wg  sync.WaitGroup
	)
	for p, iss := range procs {
		wg.Go(func() {
			defer bothCreate.leave()
			got, err := iss.IssueBatch(e.ctx, "operator:batch", fill[:2])
			if err != nil {
				t.Errorf("process %d: %v", p, err)
				return
			}
			mu.Lock()
			out = append(out, got...)
			mu.Unlock()
		})
	}
	wg.Wait()
	e.checkIssued(a.Binding.ID, out, len(a.Credentials)+len(filled)+4)
	lists, err := e.iss.StatusLists(e.ctx)
	if err != nil || len(lists) != 2 {
		t.Fatalf("status lists %+v, %v; want 2", lists, err)
	}
	events, err := e.iss.Audit(e.ctx, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	created := 0
	for _, ev := range events {
		if ev.Action == "create status list" {
			created++
		}
	}
	if created != len(lists) {
		t.Errorf("%d status list creations audited for %d lists", created, len(lists))
	}
}

// Two processes activate the same NIK on two devices at once: the first
// credential requests of two sessions, each at the Handler of its own
// process, both past the document lookup (the last step before the
// transaction) before either writes. One NIK, one phone: both succeed in
// some order, the later one revokes the earlier binding and its
// credentials, and one binding stays active; the bindings_one_active index
// is never hit.
func TestSharedStoreActivateSameNIK(t *testing.T) { forEachStore(t, testSharedStoreActivateSameNIK) }

func testSharedStoreActivateSameNIK(t *testing.T, kind backend) {
	he := newHandlerEnvOn(t, kind, HandlerConfig{}, func(c *Config) { c.StatusList.Size = 64; c.Formats = []credential.Format{credential.FormatSDJWT} })
	bothRead := newBarrier(2)
	atDocuments := func(c *Config) {
		c.Documents = DocumentsFunc(func(context.Context, credential.NIK) ([]credential.Document, error) {
			bothRead.wait()
			return []credential.Document{mustKTPEL()}, nil
		})
	}
	var hs []*Handler
	for range 2 {
		h, err := NewHandler(he.process(atDocuments), HandlerConfig{})
		if err != nil {
			t.Fatal(err)
		}
		hs = append(hs, h)
	}
	reqs := make([]*http.Request, len(hs))
	for i := range reqs {
		s := he.redeem(nil)
		reqs[i] = he.resourceRequest(s, "/credential", credentialBody("ktpel_dc_sd_jwt", he.proofs(he.nonce(), newDevice(t))...))
	}
	resps := make([]*oid4vci.CredentialResponse, len(hs))
	var wg sync.WaitGroup
	for p, h := range hs {
		wg.Go(func() {
			defer bothRead.leave()
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, reqs[p])
			if rec.Code != http.StatusOK {
				t.Errorf("process %d: %d %s", p, rec.Code, rec.Body)
				return
			}
			var err error
			if resps[p], err = oid4vci.ParseCredentialResponse(rec.Body.Bytes()); err != nil {
				t.Errorf("process %d: %v", p, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var bindings []Binding
	for _, state := range []BindingState{BindingRevoked, BindingActive} {
		var id string
		if err := he.queryRow(`SELECT id FROM bindings WHERE nik = ? AND state = ?`, testNIK, string(state)).Scan(&id); err != nil {
			t.Fatalf("%s binding: %v", state, err)
		}
		b, err := he.iss.Binding(he.ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		bindings = append(bindings, *b)
	}
	if n := he.count(`SELECT COUNT(*) FROM bindings WHERE nik = ?`, testNIK); n != 2 {
		t.Fatalf("%d bindings, want 2", n)
	}
	if len(bindings) != 2 {
		t.Fatalf("%d bindings, want 2", len(bindings))
	}
	// The one that was replaced ran first.
	first, second := bindings[0], bindings[1]
	if first.State == BindingActive {
		first, second = second, first
	}
	if first.State != BindingRevoked || first.RevokeReason != "replaced by a new device" || second.State != BindingActive {
		t.Fatalf("bindings %+v and %+v; want the second to replace the first", first, second)
	}
	var active *Binding
	if err := he.st.View(he.ctx, func(tx Tx) error {
		var err error
		active, err = tx.ActiveBinding(testNIK)
		return err
	}); err != nil || active.ID != second.ID {
		t.Fatalf("active binding %+v, %v; want %s", active, err, second.ID)
	}
	replaced := he.recordsOf(first.ID)
	if len(replaced) != 1 {
		t.Fatalf("%d credentials of the replaced binding, want 1", len(replaced))
	}
	for _, r := range replaced {
		if r.RevokedAt.IsZero() {
			t.Errorf("credential %s of the replaced binding not revoked", r.ID)
		}
	}
	for _, r := range he.recordsOf(second.ID) {
		if !r.RevokedAt.IsZero() {
			t.Errorf("credential %s of the active binding revoked", r.ID)
		}
	}
	he.checkIssued(second.ID, nil, 1)
	checkInvariants(t, he.env)
}

// conflictingStore is a Store whose transactions refuse every credential
// record or every new status list as a uniqueness conflict, as a Store
// that breaks its isolation contract might keep doing.
type conflictingStore struct {
	Store
	credentials, lists bool
	inserts            atomic.Int32 // refused inserts
}

func (s *conflictingStore) Update(ctx context.Context, fn func(Tx) error) error {
	return s.Store.Update(ctx, func(tx Tx) error { return fn(&conflictingTx{Tx: tx, s: s}) })
}

type conflictingTx struct {
	Tx
	s *conflictingStore
}

func (tx *conflictingTx) InsertCredential(c *CredentialRecord) error {
	if !tx.s.credentials {
		return tx.Tx.InsertCredential(c)
	}
	tx.s.inserts.Add(1)
	return &Error{Op: "insert credential", Err: ErrStore, Detail: "refused", conflict: true}
}

func (tx *conflictingTx) InsertStatusList(l StatusListRecord) error {
	if !tx.s.lists {
		return tx.Tx.InsertStatusList(l)
	}
	tx.s.inserts.Add(1)
	return &Error{Op: "insert status list", Err: ErrStore, Detail: "refused", conflict: true}
}

// The redraws of a refused index, and the new lists tried for want of
// room, are bounded: past the bound the call fails with a sentinel error
// and nothing is recorded.
func TestConflictRetriesBounded(t *testing.T) { forEachStore(t, testConflictRetriesBounded) }

func testConflictRetriesBounded(t *testing.T, kind backend) {
	const size = 8
	e := newEnvOn(t, kind, func(c *Config) { c.StatusList.Size = size; c.Formats = []credential.Format{credential.FormatSDJWT} })
	a := e.activate(newDevice(t))
	open := func(s *conflictingStore) *Issuer {
		return e.process(func(c *Config) { s.Store = c.Store; c.Store = s })
	}
	req := []IssueRequest{{BindingID: a.Binding.ID, Document: sampleKTPEL(t)}}

	s := &conflictingStore{credentials: true}
	_, err := open(s).IssueBatch(e.ctx, "operator:batch", req)
	if !errors.Is(err, ErrStore) || s.inserts.Load() != maxRedraws+1 {
		t.Errorf("every record refused: %d inserts, %v; want %d, ErrStore", s.inserts.Load(), err, maxRedraws+1)
	}

	// The refused process reserved positions of list 1 it never used:
	// they are lost, as those of any process that stops.
	var reserved int
	if err := e.queryRow(`SELECT reserved FROM status_lists WHERE number = 1`).Scan(&reserved); err != nil || reserved <= len(a.Credentials) {
		t.Fatalf("%d positions of list 1 reserved, %v; want more than the activation's %d", reserved, err, len(a.Credentials))
	}
	full := make([]IssueRequest, size-reserved)
	for i := range full {
		full[i] = req[0]
	}
	if _, err := e.iss.IssueBatch(e.ctx, "operator:fill", full); err != nil {
		t.Fatal(err)
	}
	s = &conflictingStore{lists: true}
	_, err = open(s).IssueBatch(e.ctx, "operator:batch", req)
	if !errors.Is(err, ErrListFull) || s.inserts.Load() != 1/size+reserveMargin {
		t.Errorf("every new list refused: %d inserts, %v; want %d, ErrListFull", s.inserts.Load(), err, 1/size+reserveMargin)
	}
	e.checkIssued(a.Binding.ID, nil, len(a.Credentials)+len(full))
}

// TestSharedStoreManyWriters: four issuer instances issue batches into one
// store as fast as they can; every batch succeeds. (On PostgreSQL every
// write transaction appends to the one gapless audit sequence: without
// the writers queueing for it, SERIALIZABLE transactions failed on it
// after all their retries.)
func TestSharedStoreManyWriters(t *testing.T) {
	forEachStore(t, func(t *testing.T, kind backend) {
		e := newEnvOn(t, kind, func(c *Config) {
			c.StatusList.Size = DefaultStatusListSize
			c.Formats = []credential.Format{credential.FormatSDJWT}
		})
		a := e.activate(newDevice(t))
		const instances, rounds, perRound = 4, 20, 100
		var wg sync.WaitGroup
		var mu sync.Mutex
		var out []Credential
		for p := range instances {
			iss := e.process()
			wg.Go(func() {
				for r := range rounds {
					reqs := make([]IssueRequest, perRound)
					for i := range reqs {
						reqs[i] = IssueRequest{BindingID: a.Binding.ID, Document: sampleKTPEL(t)}
					}
					got, err := iss.IssueBatch(e.ctx, "operator:batch", reqs)
					if err != nil {
						t.Errorf("instance %d, round %d: %v", p, r, err)
						return
					}
					mu.Lock()
					out = append(out, got...)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		if len(out) != instances*rounds*perRound {
			t.Fatalf("%d credentials issued, want %d", len(out), instances*rounds*perRound)
		}
		e.checkIssued(a.Binding.ID, out, len(a.Credentials)+len(out))
	})
}
