package issuer

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/internal/pgtest"
)

// TestStoreConformanceSQLite runs the store conformance suite on SQLite.
func TestStoreConformanceSQLite(t *testing.T) {
	testStore(t, func(t testing.TB) Store {
		s, err := OpenSQLite(context.Background(), filepath.Join(t.TempDir(), "issuer.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// TestStoreConformancePostgres runs the store conformance suite on
// PostgreSQL (a fresh database per subtest, see internal/pgtest).
func TestStoreConformancePostgres(t *testing.T) {
	testStore(t, func(t testing.TB) Store {
		s, err := OpenPostgres(context.Background(), pgtest.DSN(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}

// listKey is a permutation key for conformance list n.
func listKey(n int) []byte { return bytes.Repeat([]byte{byte(n)}, 16) }

// ct is the time the conformance records are made at: whole nanoseconds,
// UTC, as the stores give them back.
var ct = time.Date(2026, 5, 1, 8, 0, 0, 123456789, time.UTC)

// testStore is the conformance suite of the Store contract: every Tx
// method, and the invariants the issuer relies on, also under concurrent
// Update calls. open returns a new, empty store.
func testStore(t *testing.T, open func(t testing.TB) Store) {
	ctx := context.Background()
	// update and view run fn and fail the test on an error.
	update := func(t testing.TB, s Store, fn func(Tx) error) {
		t.Helper()
		if err := s.Update(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	view := func(t testing.TB, s Store, fn func(Tx) error) {
		t.Helper()
		if err := s.View(ctx, fn); err != nil {
			t.Fatal(err)
		}
	}
	// seed stores a registration, a binding of it, status list 1 and an
	// offer with a session.
	seed := func(t testing.TB, s Store) {
		t.Helper()
		update(t, s, func(tx Tx) error {
			return errors.Join(
				tx.InsertRegistration(&Registration{ID: "reg1", NIK: testNIK, Email: "rina@example.id", Phone: "+6281234567890", CreatedAt: ct}),
				tx.InsertBinding(&Binding{ID: "bind1", NIK: testNIK, RegistrationID: "reg1", KeyThumbprint: "tp1", PublicJWK: []byte(`{"kty":"EC"}`), State: BindingActive, CreatedAt: ct}),
				tx.InsertStatusList(StatusListRecord{Number: 1, URI: testIssuer + "/status/1", Bits: 1, Size: 16, CreatedAt: ct, Key: listKey(1)}),
				tx.InsertOffer(&OfferRecord{ID: "off1", RegistrationID: "reg1", RefHash: []byte("ref1"), CodeHash: []byte("code1"), TxCodeHash: []byte("tx1"),
					TxCodeLength: 6, ConfigurationIDs: []string{"a", "b"}, CreatedAt: ct, ExpiresAt: ct.Add(time.Minute)}),
				tx.InsertSession(&Session{TokenHash: []byte("tok1"), ID: "sess1", OfferID: "off1", RegistrationID: "reg1", NIK: testNIK, JKT: "jkt1",
					ConfigurationIDs: []string{"a", "b"}, CreatedAt: ct, ExpiresAt: ct.Add(time.Minute)}),
			)
		})
	}
	cred := func(id string, list int, idx uint64) *CredentialRecord {
		return &CredentialRecord{ID: id, BindingID: "bind1", VCT: "urn:eudi:pid:id:1", Format: credential.FormatSDJWT, Profile: ProfileFull,
			List: list, Index: idx, KeyThumbprint: "tp1", IssuedAt: ct, ExpiresAt: ct.Add(time.Hour)}
	}
	// concurrently runs n Update calls of fn(i) at once and returns their
	// errors.
	concurrently := func(s Store, n int, fn func(i int, tx Tx) error) []error {
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				errs[i] = s.Update(ctx, func(tx Tx) error { return fn(i, tx) })
			}()
		}
		close(start)
		wg.Wait()
		return errs
	}
	// wantOne checks that exactly one of errs is nil and the others wrap
	// sentinel.
	wantOne := func(t testing.TB, errs []error, sentinel error) {
		t.Helper()
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else if !errors.Is(err, sentinel) {
				t.Errorf("error %v, want one wrapping %v", err, sentinel)
			}
		}
		if ok != 1 {
			t.Errorf("%d of %d concurrent Updates succeeded, want 1", ok, len(errs))
		}
	}
	// wantConflicts checks that every error of errs is a uniqueness
	// conflict (not, say, a serialization failure past the retries).
	wantConflicts := func(t testing.TB, errs []error) {
		t.Helper()
		for _, err := range errs {
			if err != nil && !isConflict(err) {
				t.Errorf("error %v, want a uniqueness conflict", err)
			}
		}
	}
	const workers = 8
	errMine := errors.New("fn failed")

	t.Run("Registration", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		update(t, s, func(tx Tx) error {
			r, err := tx.Registration("reg1")
			if err != nil {
				return err
			}
			want := Registration{ID: "reg1", NIK: testNIK, Email: "rina@example.id", Phone: "+6281234567890", CreatedAt: ct}
			if *r != want {
				t.Errorf("registration %+v, want %+v", *r, want)
			}
			r.ConfirmedAt, r.ConfirmedBy = ct.Add(time.Second), "operator:1"
			return tx.UpdateRegistration(r)
		})
		view(t, s, func(tx Tx) error {
			r, err := tx.Registration("reg1")
			if err == nil && (!r.ConfirmedAt.Equal(ct.Add(time.Second)) || r.ConfirmedBy != "operator:1") {
				t.Errorf("confirmation not stored: %+v", r)
			}
			if _, err := tx.Registration("nope"); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown registration: %v", err)
			}
			return err
		})
		update(t, s, func(tx Tx) error {
			if err := tx.UpdateRegistration(&Registration{ID: "nope"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("update of an unknown registration: %v", err)
			}
			return nil
		})
		// A taken ID is a conflict, and the transaction goes on.
		update(t, s, func(tx Tx) error {
			if err := tx.InsertRegistration(&Registration{ID: "reg1", NIK: testNIK, CreatedAt: ct}); !isConflict(err) {
				t.Errorf("second registration reg1: %v, want a conflict", err)
			}
			return tx.InsertRegistration(&Registration{ID: "reg2", NIK: testNIK, CreatedAt: ct})
		})
		view(t, s, func(tx Tx) error { _, err := tx.Registration("reg2"); return err })
	})

	t.Run("Nonce", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx Tx) error {
			return errors.Join(tx.InsertNonce([]byte("n1"), ct), tx.InsertNonce([]byte("n2"), ct.Add(time.Hour)))
		})
		update(t, s, func(tx Tx) error {
			ex, err := tx.ConsumeNonce([]byte("n1"))
			if err != nil || !ex.Equal(ct) {
				t.Errorf("consume: %v, %v", ex, err)
			}
			if _, err := tx.ConsumeNonce([]byte("n1")); !errors.Is(err, ErrNotFound) {
				t.Errorf("second consume: %v", err)
			}
			return tx.DeleteExpiredNonces(ct.Add(time.Hour + time.Nanosecond))
		})
		update(t, s, func(tx Tx) error {
			if _, err := tx.ConsumeNonce([]byte("n2")); !errors.Is(err, ErrNotFound) {
				t.Errorf("expired nonce consumed: %v", err)
			}
			return nil
		})
	})

	t.Run("NonceSingleUseConcurrently", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx Tx) error { return tx.InsertNonce([]byte("n"), ct) })
		wantOne(t, concurrently(s, workers, func(_ int, tx Tx) error {
			_, err := tx.ConsumeNonce([]byte("n"))
			return err
		}), ErrNotFound)
	})

	t.Run("Binding", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		view(t, s, func(tx Tx) error {
			b, err := tx.Binding("bind1")
			if err != nil {
				return err
			}
			if b.NIK != testNIK || b.State != BindingActive || string(b.PublicJWK) != `{"kty":"EC"}` || !b.CreatedAt.Equal(ct) || !b.RevokedAt.IsZero() {
				t.Errorf("binding %+v", b)
			}
			a, err := tx.ActiveBinding(testNIK)
			if err != nil || a.ID != "bind1" {
				t.Errorf("active binding %+v, %v", a, err)
			}
			if _, err := tx.Binding("nope"); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown binding: %v", err)
			}
			return nil
		})
		// A second active binding of the NIK is refused, the transaction
		// going on; a revoked one is not.
		update(t, s, func(tx Tx) error {
			err := tx.InsertBinding(&Binding{ID: "bind2", NIK: testNIK, RegistrationID: "reg1", KeyThumbprint: "tp2", PublicJWK: []byte("{}"), State: BindingActive, CreatedAt: ct})
			if !isConflict(err) {
				t.Errorf("second active binding: %v, want a conflict", err)
			}
			return tx.InsertBinding(&Binding{ID: "bind3", NIK: testNIK, RegistrationID: "reg1", KeyThumbprint: "tp3", PublicJWK: []byte("{}"), State: BindingRevoked, CreatedAt: ct, RevokedAt: ct})
		})
		update(t, s, func(tx Tx) error {
			if err := tx.RevokeBinding("bind1", ct.Add(time.Second), "lost"); err != nil {
				return err
			}
			if err := tx.RevokeBinding("bind1", ct.Add(time.Second), "lost"); !errors.Is(err, ErrNotFound) {
				t.Errorf("second revocation: %v", err)
			}
			if _, err := tx.ActiveBinding(testNIK); !errors.Is(err, ErrNotFound) {
				t.Errorf("active binding after revocation: %v", err)
			}
			return tx.InsertBinding(&Binding{ID: "bind2", NIK: testNIK, RegistrationID: "reg1", KeyThumbprint: "tp2", PublicJWK: []byte("{}"), State: BindingActive, CreatedAt: ct})
		})
		view(t, s, func(tx Tx) error {
			b, err := tx.Binding("bind1")
			if err == nil && (b.State != BindingRevoked || b.RevokeReason != "lost" || !b.RevokedAt.Equal(ct.Add(time.Second))) {
				t.Errorf("revoked binding %+v", b)
			}
			a, err := tx.ActiveBinding(testNIK)
			if err != nil || a.ID != "bind2" {
				t.Errorf("active binding %+v, %v", a, err)
			}
			return nil
		})
	})

	t.Run("OneActiveBindingConcurrently", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		update(t, s, func(tx Tx) error { return tx.RevokeBinding("bind1", ct, "test") })
		// Every worker inserts an active binding for the NIK: one wins.
		errs := concurrently(s, workers, func(i int, tx Tx) error {
			return tx.InsertBinding(&Binding{ID: fmt.Sprintf("c%d", i), NIK: testNIK, RegistrationID: "reg1", KeyThumbprint: "tp", PublicJWK: []byte("{}"), State: BindingActive, CreatedAt: ct})
		})
		wantOne(t, errs, ErrStore)
		wantConflicts(t, errs)
		// Every worker replaces the active binding, as an activation
		// does: all succeed, one after the other, and one stays active.
		errs = concurrently(s, workers, func(i int, tx Tx) error {
			if b, err := tx.ActiveBinding(testNIK); err == nil {
				if err := tx.RevokeBinding(b.ID, ct, "replaced"); err != nil {
					return err
				}
			} else if !errors.Is(err, ErrNotFound) {
				return err
			}
			return tx.InsertBinding(&Binding{ID: fmt.Sprintf("r%d", i), NIK: testNIK, RegistrationID: "reg1", KeyThumbprint: "tp", PublicJWK: []byte("{}"), State: BindingActive, CreatedAt: ct})
		})
		for _, err := range errs {
			if err != nil {
				t.Errorf("replacing the binding: %v", err)
			}
		}
		view(t, s, func(tx Tx) error {
			active := 0
			for i := range workers {
				b, err := tx.Binding(fmt.Sprintf("r%d", i))
				if err != nil {
					return err
				}
				if b.State == BindingActive {
					active++
				}
			}
			if active != 1 {
				t.Errorf("%d active bindings of the NIK, want 1", active)
			}
			return nil
		})
	})

	t.Run("StatusLists", func(t *testing.T) {
		s := open(t)
		view(t, s, func(tx Tx) error {
			l, err := tx.StatusLists()
			if err == nil && len(l) != 0 {
				t.Errorf("lists of an empty store: %v", l)
			}
			return err
		})
		rec := func(n int) StatusListRecord {
			return StatusListRecord{Number: n, URI: fmt.Sprintf("%s/status/%d", testIssuer, n), Bits: 1, Size: 16, CreatedAt: ct, Key: listKey(n), Reserved: uint64(n)}
		}
		update(t, s, func(tx Tx) error {
			if err := tx.InsertStatusList(rec(2)); !isConflict(err) {
				t.Errorf("list 2 first: %v, want a conflict", err)
			}
			return errors.Join(tx.InsertStatusList(rec(1)), tx.InsertStatusList(rec(2)))
		})
		update(t, s, func(tx Tx) error {
			if err := tx.InsertStatusList(rec(2)); !isConflict(err) {
				t.Errorf("list 2 again: %v, want a conflict", err)
			}
			dup := rec(3)
			dup.URI = rec(1).URI
			if err := tx.InsertStatusList(dup); !isConflict(err) {
				t.Errorf("list 3 with list 1's URI: %v, want a conflict", err)
			}
			return tx.InsertStatusList(rec(3))
		})
		view(t, s, func(tx Tx) error {
			l, err := tx.StatusLists()
			if err == nil && !reflect.DeepEqual(l, []StatusListRecord{rec(1), rec(2), rec(3)}) {
				t.Errorf("lists %v", l)
			}
			return err
		})
		update(t, s, func(tx Tx) error {
			over := rec(4)
			over.Reserved = 17
			if err := tx.InsertStatusList(over); !errors.Is(err, ErrStore) || isConflict(err) {
				t.Errorf("list with 17 of 16 positions reserved: %v, want ErrStore", err)
			}
			return nil
		})
	})

	t.Run("ReserveSequence", func(t *testing.T) {
		s := open(t)
		seed(t, s) // list 1: 16 positions, none reserved
		type run struct {
			first uint64
			count int
		}
		// openLists checks what OpenStatusLists gives.
		openLists := func(tx Tx, want []int, wantLast int) {
			t.Helper()
			open, last, err := tx.OpenStatusLists()
			var got []int
			for _, l := range open {
				got = append(got, l.Number)
			}
			if err != nil || !slices.Equal(got, want) || last != wantLast {
				t.Errorf("open lists %v, last %d, %v; want %v, %d", got, last, err, want, wantLast)
			}
		}
		update(t, s, func(tx Tx) error {
			openLists(tx, []int{1}, 1)
			var got []run
			for _, n := range []int{10, 0, -1, 10, 10} {
				first, count, err := tx.ReserveSequence(1, n)
				if err != nil {
					return err
				}
				got = append(got, run{first, count})
			}
			// Up to the size, never past it, and 0 of 0 or fewer.
			if want := []run{{0, 10}, {10, 0}, {10, 0}, {10, 6}, {16, 0}}; !slices.Equal(got, want) {
				t.Errorf("runs %v, want %v", got, want)
			}
			if _, _, err := tx.ReserveSequence(2, 1); !errors.Is(err, ErrNotFound) {
				t.Errorf("reserving in a missing list: %v, want ErrNotFound", err)
			}
			openLists(tx, nil, 1) // list 1 reserved to the end
			return nil
		})
		view(t, s, func(tx Tx) error {
			l, err := tx.StatusLists()
			if err == nil && (len(l) != 1 || l[0].Reserved != 16) {
				t.Errorf("lists %+v, want list 1 with 16 reserved", l)
			}
			return err
		})
		// A rolled-back reservation is not kept.
		update(t, s, func(tx Tx) error {
			return tx.InsertStatusList(StatusListRecord{Number: 2, URI: testIssuer + "/status/2", Bits: 1, Size: 64, CreatedAt: ct, Key: listKey(2)})
		})
		if err := s.Update(ctx, func(tx Tx) error {
			if _, _, err := tx.ReserveSequence(2, 5); err != nil {
				return err
			}
			return errMine
		}); !errors.Is(err, errMine) {
			t.Fatalf("update: %v, want fn's error", err)
		}
		// Concurrent reservations get runs that do not overlap.
		errs := concurrently(s, workers, func(i int, tx Tx) error {
			_, _, err := tx.ReserveSequence(2, 3)
			return err
		})
		for _, err := range errs {
			if err != nil {
				t.Errorf("concurrent reservation: %v", err)
			}
		}
		update(t, s, func(tx Tx) error {
			openLists(tx, []int{2}, 2)
			first, count, err := tx.ReserveSequence(2, 100)
			if err == nil && (first != 3*workers || count != 64-3*workers) {
				t.Errorf("after %d runs of 3: run %d+%d, want %d+%d", workers, first, count, 3*workers, 64-3*workers)
			}
			openLists(tx, nil, 2)
			return err
		})
	})

	t.Run("StatusListNumberingConcurrently", func(t *testing.T) {
		s := open(t)
		// Every worker creates the next list as it sees it, as reserve
		// does: the numbers stay 1, 2, ... without gaps or twins.
		errs := concurrently(s, workers, func(i int, tx Tx) error {
			l, err := tx.StatusLists()
			if err != nil {
				return err
			}
			n := len(l) + 1
			return tx.InsertStatusList(StatusListRecord{Number: n, URI: fmt.Sprintf("%s/status/%d", testIssuer, n), Bits: 1, Size: 16, CreatedAt: ct, Key: listKey(n)})
		})
		for _, err := range errs {
			if err != nil {
				t.Errorf("creating the next list: %v", err)
			}
		}
		view(t, s, func(tx Tx) error {
			l, err := tx.StatusLists()
			for i, r := range l {
				if r.Number != i+1 {
					t.Errorf("list %d numbered %d", i+1, r.Number)
				}
			}
			if len(l) != workers {
				t.Errorf("%d lists, want %d", len(l), workers)
			}
			return err
		})
	})

	t.Run("Credential", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		c1, c2, c3 := cred("c1", 1, 5), cred("c2", 1, 7), cred("c3", 1, 9)
		c2.IssuedAt = ct.Add(time.Second)
		c3.Claims = []byte(`{"nik":"x"}`)
		update(t, s, func(tx Tx) error {
			return errors.Join(tx.InsertCredential(c3), tx.InsertCredential(c2), tx.InsertCredential(c1))
		})
		// A taken index or ID is a conflict, and the transaction goes on
		// (the issuer then draws another index in it).
		update(t, s, func(tx Tx) error {
			if err := tx.InsertCredential(cred("c4", 1, 5)); !isConflict(err) {
				t.Errorf("index 5 again: %v, want a conflict", err)
			}
			if err := tx.InsertCredential(cred("c1", 1, 6)); !isConflict(err) {
				t.Errorf("ID c1 again: %v, want a conflict", err)
			}
			return tx.InsertCredential(cred("c4", 1, 6))
		})
		update(t, s, func(tx Tx) error {
			got, err := tx.Credential("c3")
			if err != nil {
				return err
			}
			if got.VCT != c3.VCT || got.Format != c3.Format || got.Profile != c3.Profile || got.List != 1 || got.Index != 9 || got.KeyThumbprint != "tp1" ||
				!got.IssuedAt.Equal(ct) || !got.ExpiresAt.Equal(ct.Add(time.Hour)) || !got.RevokedAt.IsZero() || string(got.Claims) != `{"nik":"x"}` {
				t.Errorf("credential %+v", got)
			}
			if got, _ := tx.Credential("c1"); got == nil || got.Claims != nil {
				t.Errorf("credential without claims: %+v", got)
			}
			if _, err := tx.Credential("nope"); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown credential: %v", err)
			}
			of, err := tx.CredentialsOfBinding("bind1")
			var ids []string
			for _, c := range of {
				ids = append(ids, c.ID)
			}
			if err != nil || !slices.Equal(ids, []string{"c1", "c3", "c4", "c2"}) {
				t.Errorf("credentials of the binding %v, %v (want ordered by issued_at, id)", ids, err)
			}
			used, err := tx.LegacyIndices(1)
			slices.Sort(used)
			if err != nil || !slices.Equal(used, []uint64{5, 6, 7, 9}) {
				t.Errorf("legacy indices %v, %v", used, err)
			}
			if ok, err := tx.RevokeCredential("c2", ct.Add(time.Minute)); !ok || err != nil {
				t.Errorf("revoke: %v, %v", ok, err)
			}
			if ok, err := tx.RevokeCredential("c2", ct.Add(2*time.Minute)); ok || err != nil {
				t.Errorf("second revocation: %v, %v", ok, err)
			}
			if _, err := tx.RevokeCredential("nope", ct); !errors.Is(err, ErrNotFound) {
				t.Errorf("revoking an unknown credential: %v", err)
			}
			return nil
		})
		update(t, s, func(tx Tx) error {
			if c, err := tx.Credential("c2"); err != nil || !c.RevokedAt.Equal(ct.Add(time.Minute)) {
				t.Errorf("revoked credential %+v, %v (the first revocation's time stays)", c, err)
			}
			n, err := tx.RevokeCredentialsOfBinding("bind1", ct.Add(time.Hour))
			if err != nil || n != 3 {
				t.Errorf("revoked %d of the binding, %v; want 3", n, err)
			}
			if n, err := tx.RevokeCredentialsOfBinding("bind1", ct.Add(time.Hour)); err != nil || n != 0 {
				t.Errorf("revoked %d again, %v", n, err)
			}
			rev, err := tx.RevokedIndices(1)
			slices.Sort(rev)
			if err != nil || !slices.Equal(rev, []uint64{5, 6, 7, 9}) {
				t.Errorf("revoked indices %v, %v", rev, err)
			}
			if l, err := tx.LegacyIndices(2); err != nil || len(l) != 0 {
				t.Errorf("legacy indices of a missing list %v, %v", l, err)
			}
			return nil
		})
	})

	t.Run("CredentialSequence", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		at := func(id string, seq, idx uint64) *CredentialRecord {
			c := cred(id, 1, idx)
			c.Seq = seq
			return c
		}
		update(t, s, func(tx Tx) error {
			return errors.Join(tx.InsertCredential(cred("old", 1, 2)), tx.InsertCredential(at("c1", 1, 11)), tx.InsertCredential(at("c2", 2, 4)))
		})
		update(t, s, func(tx Tx) error {
			// A taken position is a conflict, whatever the index.
			if err := tx.InsertCredential(at("c3", 2, 9)); !isConflict(err) {
				t.Errorf("position 2 again: %v, want a conflict", err)
			}
			if c, err := tx.Credential("c2"); err != nil || c.Seq != 2 || c.Index != 4 {
				t.Errorf("credential %+v, %v; want seq 2, index 4", c, err)
			}
			if c, err := tx.Credential("old"); err != nil || c.Seq != 0 {
				t.Errorf("credential without a position %+v, %v", c, err)
			}
			// Only the credentials without a position are legacy.
			if l, err := tx.LegacyIndices(1); err != nil || !slices.Equal(l, []uint64{2}) {
				t.Errorf("legacy indices %v, %v; want [2]", l, err)
			}
			return nil
		})
	})

	t.Run("UniqueStatusIndexConcurrently", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		// Every worker records a credential at index 3 of list 1: one
		// index, one credential.
		errs := concurrently(s, workers, func(i int, tx Tx) error {
			return tx.InsertCredential(cred(fmt.Sprintf("c%d", i), 1, 3))
		})
		wantOne(t, errs, ErrStore)
		wantConflicts(t, errs)
		view(t, s, func(tx Tx) error {
			used, err := tx.LegacyIndices(1)
			if err == nil && !slices.Equal(used, []uint64{3}) {
				t.Errorf("legacy indices %v", used)
			}
			return err
		})
	})

	t.Run("Offer", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		update(t, s, func(tx Tx) error {
			o, err := tx.OfferByCode([]byte("code1"))
			if err != nil {
				return err
			}
			if o.ID != "off1" || string(o.RefHash) != "ref1" || string(o.TxCodeHash) != "tx1" || o.TxCodeLength != 6 || !slices.Equal(o.ConfigurationIDs, []string{"a", "b"}) ||
				!o.CreatedAt.Equal(ct) || !o.ExpiresAt.Equal(ct.Add(time.Minute)) || o.Attempts != 0 || !o.UsedAt.IsZero() || !o.EndedAt.IsZero() {
				t.Errorf("offer %+v", o)
			}
			if r, err := tx.OfferByRef([]byte("ref1")); err != nil || r.ID != "off1" {
				t.Errorf("offer by reference %+v, %v", r, err)
			}
			if _, err := tx.OfferByCode([]byte("ref1")); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown code: %v", err)
			}
			if err := tx.InsertOffer(&OfferRecord{ID: "off2", RegistrationID: "reg1", RefHash: []byte("ref2"), CodeHash: []byte("code1"), TxCodeHash: []byte("tx"), ConfigurationIDs: []string{"a"}, CreatedAt: ct, ExpiresAt: ct}); !isConflict(err) {
				t.Errorf("offer with a taken code: %v, want a conflict", err)
			}
			o.Attempts = 2
			if err := tx.UpdateOffer(o); err != nil {
				return err
			}
			if err := tx.UpdateOffer(&OfferRecord{ID: "nope"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("update of an unknown offer: %v", err)
			}
			return errors.Join(
				tx.InsertOffer(&OfferRecord{ID: "off2", RegistrationID: "reg1", RefHash: []byte("ref2"), CodeHash: []byte("code2"), TxCodeHash: []byte("tx"), ConfigurationIDs: []string{"a"}, CreatedAt: ct, ExpiresAt: ct}),
				tx.InsertOffer(&OfferRecord{ID: "off3", RegistrationID: "reg1", RefHash: []byte("ref3"), CodeHash: []byte("code3"), TxCodeHash: []byte("tx"), ConfigurationIDs: []string{"a"}, CreatedAt: ct, ExpiresAt: ct}),
			)
		})
		update(t, s, func(tx Tx) error {
			o, err := tx.OfferByCode([]byte("code1"))
			if err != nil {
				return err
			}
			if o.Attempts != 2 {
				t.Errorf("attempts %d, want 2", o.Attempts)
			}
			o.UsedAt = ct.Add(time.Second)
			if err := tx.UpdateOffer(o); err != nil {
				return err
			}
			n, err := tx.EndOffers("reg1", ct.Add(2*time.Second))
			if err != nil || n != 2 {
				t.Errorf("ended %d offers, %v; want the 2 unused", n, err)
			}
			if n, err := tx.EndOffers("reg1", ct.Add(3*time.Second)); err != nil || n != 0 {
				t.Errorf("ended %d offers again, %v", n, err)
			}
			return nil
		})
		view(t, s, func(tx Tx) error {
			o, err := tx.OfferByRef([]byte("ref2"))
			if err == nil && !o.EndedAt.Equal(ct.Add(2*time.Second)) {
				t.Errorf("ended offer %+v", o)
			}
			return err
		})
		// A used offer stays used: the store refuses another use.
		err := s.Update(ctx, func(tx Tx) error {
			o, err := tx.OfferByCode([]byte("code1"))
			if err != nil {
				return err
			}
			o.UsedAt = ct.Add(time.Hour)
			return tx.UpdateOffer(o)
		})
		if !errors.Is(err, ErrStore) {
			t.Errorf("second use of an offer: %v, want ErrStore", err)
		}
		view(t, s, func(tx Tx) error {
			o, err := tx.OfferByCode([]byte("code1"))
			if err == nil && !o.UsedAt.Equal(ct.Add(time.Second)) {
				t.Errorf("used_at changed to %v", o.UsedAt)
			}
			return err
		})
	})

	t.Run("OfferCodeSingleUseConcurrently", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		update(t, s, func(tx Tx) error {
			return tx.InsertOffer(&OfferRecord{ID: "off2", RegistrationID: "reg1", RefHash: []byte("ref2"), CodeHash: []byte("code2"), TxCodeHash: []byte("tx"), ConfigurationIDs: []string{"a"}, CreatedAt: ct, ExpiresAt: ct})
		})
		// Every worker redeems the code as the token endpoint does: one
		// access token.
		errs := concurrently(s, workers, func(i int, tx Tx) error {
			o, err := tx.OfferByCode([]byte("code2"))
			if err != nil {
				return err
			}
			if !o.UsedAt.IsZero() {
				return &Error{Op: "token", Err: ErrCodeUsed}
			}
			o.UsedAt = ct
			if err := tx.UpdateOffer(o); err != nil {
				return err
			}
			return tx.InsertSession(&Session{TokenHash: fmt.Appendf(nil, "t%d", i), ID: fmt.Sprintf("s%d", i), OfferID: "off2", RegistrationID: "reg1", NIK: testNIK, CreatedAt: ct, ExpiresAt: ct})
		})
		wantOne(t, errs, ErrCodeUsed)
	})

	t.Run("Session", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		update(t, s, func(tx Tx) error {
			se, err := tx.Session([]byte("tok1"))
			if err != nil {
				return err
			}
			if se.ID != "sess1" || se.OfferID != "off1" || se.NIK != testNIK || se.JKT != "jkt1" || !slices.Equal(se.ConfigurationIDs, []string{"a", "b"}) ||
				len(se.Issued) != 0 || se.BindingID != "" || !se.CreatedAt.Equal(ct) || !se.ExpiresAt.Equal(ct.Add(time.Minute)) {
				t.Errorf("session %+v", se)
			}
			se.Issued, se.BindingID = []string{"a"}, "bind1"
			if err := tx.UpdateSession(se); err != nil {
				return err
			}
			if err := tx.UpdateSession(&Session{TokenHash: []byte("nope")}); !errors.Is(err, ErrNotFound) {
				t.Errorf("update of an unknown session: %v", err)
			}
			if _, err := tx.Session([]byte("nope")); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown session: %v", err)
			}
			// One session per offer; any number without one.
			if err := tx.InsertSession(&Session{TokenHash: []byte("tok2"), ID: "sess2", OfferID: "off1", RegistrationID: "reg1", NIK: testNIK, CreatedAt: ct, ExpiresAt: ct}); !isConflict(err) {
				t.Errorf("second session of an offer: %v, want a conflict", err)
			}
			return errors.Join(
				tx.InsertSession(&Session{TokenHash: []byte("tok3"), ID: "sess3", RegistrationID: "reg1", NIK: testNIK, BindingID: "bind1", CreatedAt: ct, ExpiresAt: ct}),
				tx.InsertSession(&Session{TokenHash: []byte("tok4"), ID: "sess4", RegistrationID: "reg1", NIK: testNIK, BindingID: "bind1", CreatedAt: ct, ExpiresAt: ct}),
			)
		})
		view(t, s, func(tx Tx) error {
			se, err := tx.SessionByID("sess1")
			if err == nil && (!slices.Equal(se.Issued, []string{"a"}) || se.BindingID != "bind1") {
				t.Errorf("updated session %+v", se)
			}
			if se, err := tx.SessionByID("sess4"); err != nil || se.OfferID != "" || string(se.TokenHash) != "tok4" {
				t.Errorf("session without offer %+v, %v", se, err)
			}
			return err
		})
	})

	t.Run("RefreshToken", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		rt := func(h, id string) *RefreshTokenRecord {
			return &RefreshTokenRecord{Hash: []byte(h), ID: id, Family: "fam1", SessionID: "sess1", JKT: "jkt1", CreatedAt: ct, ExpiresAt: ct.Add(time.Hour)}
		}
		update(t, s, func(tx Tx) error {
			if err := errors.Join(tx.InsertRefreshToken(rt("h1", "rt1")), tx.InsertRefreshToken(rt("h2", "rt2"))); err != nil {
				return err
			}
			if err := tx.InsertRefreshToken(rt("h1", "rt3")); !isConflict(err) {
				t.Errorf("taken refresh token: %v, want a conflict", err)
			}
			return nil
		})
		update(t, s, func(tx Tx) error {
			r, err := tx.RefreshToken([]byte("h1"))
			if err != nil {
				return err
			}
			if r.ID != "rt1" || r.Family != "fam1" || r.SessionID != "sess1" || r.JKT != "jkt1" || !r.CreatedAt.Equal(ct) || !r.ExpiresAt.Equal(ct.Add(time.Hour)) || !r.UsedAt.IsZero() || !r.RevokedAt.IsZero() {
				t.Errorf("refresh token %+v", r)
			}
			if err := tx.UseRefreshToken([]byte("h1"), ct.Add(time.Second)); err != nil {
				return err
			}
			if err := tx.UseRefreshToken([]byte("h1"), ct.Add(2*time.Second)); !errors.Is(err, ErrNotFound) {
				t.Errorf("second use: %v", err)
			}
			if err := tx.UseRefreshToken([]byte("nope"), ct); !errors.Is(err, ErrNotFound) {
				t.Errorf("use of an unknown token: %v", err)
			}
			n, err := tx.RevokeRefreshTokens("fam1", ct.Add(time.Minute))
			if err != nil || n != 2 {
				t.Errorf("revoked %d, %v; want 2", n, err)
			}
			if n, err := tx.RevokeRefreshTokens("fam1", ct.Add(time.Hour)); err != nil || n != 0 {
				t.Errorf("revoked %d again, %v", n, err)
			}
			return nil
		})
		view(t, s, func(tx Tx) error {
			r, err := tx.RefreshToken([]byte("h1"))
			if err == nil && (!r.UsedAt.Equal(ct.Add(time.Second)) || !r.RevokedAt.Equal(ct.Add(time.Minute))) {
				t.Errorf("used and revoked token %+v", r)
			}
			if _, err := tx.RefreshToken([]byte("nope")); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown token: %v", err)
			}
			return err
		})
	})

	t.Run("RefreshTokenSingleUseConcurrently", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		update(t, s, func(tx Tx) error {
			return tx.InsertRefreshToken(&RefreshTokenRecord{Hash: []byte("h"), ID: "rt", Family: "rt", SessionID: "sess1", CreatedAt: ct, ExpiresAt: ct})
		})
		wantOne(t, concurrently(s, workers, func(_ int, tx Tx) error {
			return tx.UseRefreshToken([]byte("h"), ct)
		}), ErrNotFound)
	})

	t.Run("BindingKey", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		update(t, s, func(tx Tx) error {
			return errors.Join(
				tx.InsertBindingKey(&BindingKey{BindingID: "bind1", Thumbprint: "k1", PublicJWK: []byte("first"), CreatedAt: ct}),
				// Already recorded: left as it is.
				tx.InsertBindingKey(&BindingKey{BindingID: "bind1", Thumbprint: "k1", PublicJWK: []byte("second"), CreatedAt: ct.Add(time.Hour)}),
			)
		})
		view(t, s, func(tx Tx) error {
			k, err := tx.BindingKey("bind1", "k1")
			if err == nil && (string(k.PublicJWK) != "first" || !k.CreatedAt.Equal(ct) || k.BindingID != "bind1" || k.Thumbprint != "k1") {
				t.Errorf("binding key %+v", k)
			}
			if _, err := tx.BindingKey("bind1", "k2"); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown key: %v", err)
			}
			return err
		})
	})

	t.Run("DPoPJTI", func(t *testing.T) {
		s := open(t)
		update(t, s, func(tx Tx) error {
			if fresh, err := tx.UseDPoPJTI([]byte("j1"), ct, ct.Add(time.Minute)); !fresh || err != nil {
				t.Errorf("first use: %v, %v", fresh, err)
			}
			if fresh, err := tx.UseDPoPJTI([]byte("j1"), ct, ct.Add(time.Minute)); fresh || err != nil {
				t.Errorf("replay: %v, %v", fresh, err)
			}
			// Forgotten once expired.
			if fresh, err := tx.UseDPoPJTI([]byte("j1"), ct.Add(time.Minute+time.Nanosecond), ct.Add(time.Hour)); !fresh || err != nil {
				t.Errorf("use after expiry: %v, %v", fresh, err)
			}
			return nil
		})
		fresh := make([]bool, workers)
		for i, err := range concurrently(s, workers, func(i int, tx Tx) error {
			var err error
			fresh[i], err = tx.UseDPoPJTI([]byte("j2"), ct, ct.Add(time.Minute))
			return err
		}) {
			if err != nil {
				t.Errorf("worker %d: %v", i, err)
			}
		}
		if n := len(slices.DeleteFunc(fresh, func(f bool) bool { return !f })); n != 1 {
			t.Errorf("a jti fresh for %d concurrent requests, want 1", n)
		}
	})

	t.Run("Notification", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		update(t, s, func(tx Tx) error {
			if err := tx.InsertNotification(&NotificationRecord{ID: "n1", SessionID: "sess1", ConfigurationID: "a", CredentialIDs: []string{"c1", "c2"}, CreatedAt: ct}); err != nil {
				return err
			}
			n, err := tx.Notification("n1")
			if err != nil {
				return err
			}
			if n.SessionID != "sess1" || n.ConfigurationID != "a" || !slices.Equal(n.CredentialIDs, []string{"c1", "c2"}) || !n.CreatedAt.Equal(ct) || n.Event != "" || !n.EventAt.IsZero() {
				t.Errorf("notification %+v", n)
			}
			n.Event, n.EventAt, n.EventDescription = "credential_accepted", ct.Add(time.Second), "ok"
			if err := tx.UpdateNotification(n); err != nil {
				return err
			}
			if err := tx.UpdateNotification(&NotificationRecord{ID: "nope"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("update of an unknown notification: %v", err)
			}
			return nil
		})
		view(t, s, func(tx Tx) error {
			n, err := tx.Notification("n1")
			if err == nil && (n.Event != "credential_accepted" || !n.EventAt.Equal(ct.Add(time.Second)) || n.EventDescription != "ok") {
				t.Errorf("updated notification %+v", n)
			}
			if _, err := tx.Notification("nope"); !errors.Is(err, ErrNotFound) {
				t.Errorf("unknown notification: %v", err)
			}
			return err
		})
	})

	t.Run("Audit", func(t *testing.T) {
		s := open(t)
		ev := func(i int) *AuditEvent {
			return &AuditEvent{At: ct.Add(time.Duration(i)), Actor: "system", Action: "test", Subject: fmt.Sprint(i), Outcome: "ok", Detail: "d"}
		}
		update(t, s, func(tx Tx) error {
			for i := 1; i <= 5; i++ {
				e := ev(i)
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
				if e.Seq != int64(i) {
					t.Errorf("event %d got seq %d", i, e.Seq)
				}
			}
			return nil
		})
		// An append rolled back leaves no gap.
		if err := s.Update(ctx, func(tx Tx) error {
			if err := tx.AppendAudit(ev(99)); err != nil {
				return err
			}
			return errMine
		}); !errors.Is(err, errMine) {
			t.Fatalf("Update: %v, want fn's error", err)
		}
		update(t, s, func(tx Tx) error {
			e := ev(6)
			err := tx.AppendAudit(e)
			if e.Seq != 6 {
				t.Errorf("seq after a rolled-back append %d, want 6", e.Seq)
			}
			return err
		})
		view(t, s, func(tx Tx) error {
			page, err := tx.Audit(2, 3)
			if err != nil {
				return err
			}
			var subjects []string
			for _, e := range page {
				subjects = append(subjects, e.Subject)
				if e.Seq != int64(len(subjects)+2) || !e.At.Equal(ct.Add(time.Duration(e.Seq))) || e.Actor != "system" || e.Outcome != "ok" || e.Detail != "d" {
					t.Errorf("event %+v", e)
				}
			}
			if !slices.Equal(subjects, []string{"3", "4", "5"}) {
				t.Errorf("page after 2 of 3: %v", subjects)
			}
			if rest, err := tx.Audit(5, 100); err != nil || len(rest) != 1 || rest[0].Subject != "6" {
				t.Errorf("rest %v, %v", rest, err)
			}
			return nil
		})
	})

	t.Run("AuditConcurrently", func(t *testing.T) {
		s := open(t)
		const each = 10
		// Even workers append and commit, odd ones append and roll back:
		// the committed events are numbered 1, 2, ... without a gap.
		for w, err := range concurrently(s, 2*workers, func(i int, tx Tx) error {
			for j := range each {
				e := &AuditEvent{At: ct, Actor: "system", Action: "test", Subject: fmt.Sprintf("%d/%d", i, j), Outcome: "ok"}
				if err := tx.AppendAudit(e); err != nil {
					return err
				}
			}
			if i%2 == 1 {
				return errMine
			}
			return nil
		}) {
			if (w%2 == 0 && err != nil) || (w%2 == 1 && !errors.Is(err, errMine)) {
				t.Errorf("worker %d: %v", w, err)
			}
		}
		view(t, s, func(tx Tx) error {
			all, err := tx.Audit(0, 10*workers*each)
			if err != nil {
				return err
			}
			if len(all) != workers*each {
				t.Errorf("%d events, want %d", len(all), workers*each)
			}
			seen := map[string]bool{}
			for i, e := range all {
				if e.Seq != int64(i+1) {
					t.Fatalf("event %d has seq %d: a gap", i+1, e.Seq)
				}
				var w, j int
				fmt.Sscanf(e.Subject, "%d/%d", &w, &j)
				if w%2 == 1 || seen[e.Subject] {
					t.Errorf("event %+v: rolled back or twice", e)
				}
				seen[e.Subject] = true
			}
			return nil
		})
	})

	t.Run("RollbackLeavesNothing", func(t *testing.T) {
		s := open(t)
		seed(t, s)
		err := s.Update(ctx, func(tx Tx) error {
			if err := errors.Join(
				tx.InsertRegistration(&Registration{ID: "reg2", NIK: testNIK, CreatedAt: ct}),
				tx.InsertNonce([]byte("n"), ct),
				tx.RevokeBinding("bind1", ct, "x"),
				tx.InsertBinding(&Binding{ID: "bind2", NIK: testNIK, RegistrationID: "reg1", KeyThumbprint: "tp", PublicJWK: []byte("{}"), State: BindingActive, CreatedAt: ct}),
				tx.InsertStatusList(StatusListRecord{Number: 2, URI: "u2", Bits: 1, Size: 16, CreatedAt: ct, Key: listKey(2)}),
				tx.InsertCredential(cred("c1", 2, 1)),
				tx.InsertBindingKey(&BindingKey{BindingID: "bind1", Thumbprint: "k", PublicJWK: []byte("{}"), CreatedAt: ct}),
				tx.AppendAudit(&AuditEvent{At: ct, Actor: "a", Action: "a", Subject: "a", Outcome: "ok"}),
			); err != nil {
				t.Errorf("writes: %v", err)
			}
			if fresh, err := tx.UseDPoPJTI([]byte("j"), ct, ct.Add(time.Hour)); !fresh || err != nil {
				t.Errorf("jti: %v, %v", fresh, err)
			}
			o, err := tx.OfferByCode([]byte("code1"))
			if err != nil {
				return err
			}
			o.UsedAt = ct
			if err := tx.UpdateOffer(o); err != nil {
				t.Errorf("update offer: %v", err)
			}
			return errMine
		})
		if !errors.Is(err, errMine) {
			t.Fatalf("Update: %v, want fn's error", err)
		}
		update(t, s, func(tx Tx) error {
			if _, err := tx.Registration("reg2"); !errors.Is(err, ErrNotFound) {
				t.Errorf("registration kept: %v", err)
			}
			if _, err := tx.ConsumeNonce([]byte("n")); !errors.Is(err, ErrNotFound) {
				t.Errorf("nonce kept: %v", err)
			}
			if b, err := tx.ActiveBinding(testNIK); err != nil || b.ID != "bind1" {
				t.Errorf("active binding %+v, %v", b, err)
			}
			if l, err := tx.StatusLists(); err != nil || len(l) != 1 {
				t.Errorf("lists %v, %v", l, err)
			}
			if _, err := tx.Credential("c1"); !errors.Is(err, ErrNotFound) {
				t.Errorf("credential kept: %v", err)
			}
			if _, err := tx.BindingKey("bind1", "k"); !errors.Is(err, ErrNotFound) {
				t.Errorf("binding key kept: %v", err)
			}
			if a, err := tx.Audit(0, 10); err != nil || len(a) != 0 {
				t.Errorf("audit %v, %v", a, err)
			}
			if o, err := tx.OfferByCode([]byte("code1")); err != nil || !o.UsedAt.IsZero() {
				t.Errorf("offer %+v, %v", o, err)
			}
			if fresh, err := tx.UseDPoPJTI([]byte("j"), ct, ct.Add(time.Hour)); !fresh || err != nil {
				t.Errorf("jti kept: %v, %v", fresh, err)
			}
			return nil
		})
	})
}
