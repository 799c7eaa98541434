package issuer

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/ikdkit/ikdkit/credential/statuslist"
)

func isErr(err, target error) bool { return errors.Is(err, target) }

// listState is the status lists as one transaction read them.
type listState struct {
	lists []StatusListRecord // every list, oldest first
	used  map[int][]uint64   // used indices of the lists read, by number
}

// readLists reads every status list in tx, and the used indices of the
// lists for which want reports true.
func readLists(tx Tx, want func(StatusListRecord) bool) (*listState, error) {
	lists, err := tx.StatusLists()
	if err != nil {
		return nil, err
	}
	st := &listState{lists: lists, used: map[int][]uint64{}}
	for _, l := range lists {
		if !want(l) {
			continue
		}
		if st.used[l.Number], err = tx.UsedIndices(l.Number); err != nil {
			return nil, err
		}
	}
	return st, nil
}

// mergeLists adds what st read from the store to the in-memory allocators.
// An index is only ever marked used, never freed: one the store holds, or
// one this process drew for a credential not recorded yet, stays out of
// the draw.
func (iss *Issuer) mergeLists(st *listState) error {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	for _, l := range st.lists {
		used, ok := st.used[l.Number]
		if !ok {
			continue
		}
		a, err := mergeAllocator(iss.allocs[l.Number], l.Size, used, iss.cfg.Rand)
		if err != nil {
			return errorf("load status lists", ErrStore, "list %d: %v", l.Number, err)
		}
		iss.allocs[l.Number] = a
	}
	// Lists are never deleted: a longer list of them is a later read.
	if len(st.lists) >= len(iss.lists) {
		iss.lists = st.lists
	}
	return nil
}

// mergeAllocator returns an allocator for a list of size entries with the
// indices used and those a (nil for none) has allocated.
func mergeAllocator(a *statuslist.Allocator, size int, used []uint64, rand io.Reader) (*statuslist.Allocator, error) {
	if a == nil {
		return statuslist.NewAllocator(size, used, rand)
	}
	bitmap, err := a.MarshalBinary()
	if err != nil {
		return nil, err
	}
	for _, i := range used {
		if i >= uint64(size) {
			return nil, fmt.Errorf("used index %d, size %d", i, size)
		}
		bitmap[i/8] |= 1 << (i % 8)
	}
	return statuslist.UnmarshalAllocator(size, bitmap, rand)
}

// drawable returns whether the allocators may still draw from a list: it
// is unknown to them or has room. The used indices of the other lists
// need not be read: nothing is drawn from them.
func (iss *Issuer) drawable() func(StatusListRecord) bool {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	room := make(map[int]bool, len(iss.allocs))
	for n, a := range iss.allocs {
		room[n] = a.Free() > 0
	}
	return func(l StatusListRecord) bool {
		r, known := room[l.Number]
		return r || !known
	}
}

// loadLists brings the in-memory allocators up to the store's committed
// state.
func (iss *Issuer) loadLists(ctx context.Context) error {
	var st *listState
	want := iss.drawable()
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		st, err = readLists(tx, want)
		return err
	})
	if err != nil {
		return wrapStore("load status lists", err)
	}
	return iss.mergeLists(st)
}

// newListRecord describes status list number n.
func (iss *Issuer) newListRecord(n int) (StatusListRecord, error) {
	rec := StatusListRecord{Number: n, URI: listURI(iss.cfg.StatusList.BaseURI, n), Bits: iss.cfg.StatusList.Bits, CreatedAt: iss.now()}
	l, err := statuslist.New(rec.Bits, iss.cfg.StatusList.Size)
	if err != nil {
		return rec, errorf("status list", ErrConfig, "%v", err)
	}
	rec.Size = l.Len()
	return rec, nil
}

// createList stores rec and audits its creation in tx.
func (iss *Issuer) createList(tx Tx, rec StatusListRecord) error {
	if err := tx.InsertStatusList(rec); err != nil {
		return err
	}
	return iss.audit(tx, "system", "create status list", rec.URI, nil, "")
}

// reserveMargin is how many more new lists than n indices need reserve
// tries before giving up.
const reserveMargin = 8

// reserve makes sure the lists have at least n free indices, creating new
// lists (each in its own committed transaction) if needed. Another process
// sharing the store may create the same list number first; the store then
// refuses ours and the lists are read again. Every round creates or finds
// a list, so the rounds are bounded by the lists n indices need, plus a
// margin for lists other processes fill meanwhile; past that, ErrListFull.
func (iss *Issuer) reserve(ctx context.Context, n int) error {
	maxRounds := n/iss.cfg.StatusList.Size + reserveMargin
	for round := 0; ; round++ {
		iss.mu.Lock()
		free := 0
		for _, a := range iss.allocs {
			free += a.Free()
		}
		next := len(iss.lists) + 1
		iss.mu.Unlock()
		if free >= n {
			return nil
		}
		if round == maxRounds {
			return errorf("status list", ErrListFull, "%d free status indices needed, %d found after %d new lists", n, free, round)
		}
		rec, err := iss.newListRecord(next)
		if err != nil {
			return err
		}
		iss.hook("status list:create")
		err = iss.cfg.Store.Update(ctx, func(tx Tx) error { return iss.createList(tx, rec) })
		if err != nil && !isConflict(err) {
			return wrapStore("status list", err)
		}
		// Created by us or by a concurrent caller: reload.
		if err := iss.loadLists(ctx); err != nil {
			return err
		}
	}
}

// allocate picks a random unused index from the newest list with room.
func (iss *Issuer) allocate() (StatusListRecord, uint64, error) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	for i := len(iss.lists) - 1; i >= 0; i-- {
		l := iss.lists[i]
		a := iss.allocs[l.Number]
		if a == nil || a.Free() == 0 {
			continue
		}
		idx, err := a.Allocate()
		if err != nil {
			return StatusListRecord{}, 0, errorf("allocate", ErrListFull, "%v", err)
		}
		return l, idx, nil
	}
	return StatusListRecord{}, 0, errorf("allocate", ErrListFull, "every status list is full")
}

// StatusLists returns the issuer's status lists.
func (iss *Issuer) StatusLists(ctx context.Context) ([]StatusListRecord, error) {
	var out []StatusListRecord
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.StatusLists()
		return err
	})
	return out, wrapStore("status lists", err)
}

// StatusListToken signs the current state of status list number n as a
// Status List Token in JWT form (draft-ietf-oauth-status-list-20 §5.1), with
// sub the list's URI, iat now, exp and ttl from the configuration. Serve it
// with content type statuslist.MediaTypeJWT.
func (iss *Issuer) StatusListToken(ctx context.Context, n int) ([]byte, error) {
	const op = "status list token"
	var rec *StatusListRecord
	var revoked []uint64
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		lists, err := tx.StatusLists()
		if err != nil {
			return err
		}
		for i := range lists {
			if lists[i].Number == n {
				rec = &lists[i]
			}
		}
		if rec == nil {
			return errorf(op, ErrNotFound, "no status list %d", n)
		}
		revoked, err = tx.RevokedIndices(n)
		return err
	})
	if err != nil {
		return nil, wrapStore(op, err)
	}
	list, err := statuslist.New(rec.Bits, rec.Size)
	if err != nil {
		return nil, errorf(op, ErrStore, "%v", err)
	}
	for _, i := range revoked {
		// draft-20 §7.1: 0x01 INVALID, the status of a revoked token.
		if err := list.Set(i, statuslist.Invalid); err != nil {
			return nil, errorf(op, ErrStore, "%v", err)
		}
	}
	now := iss.now()
	tok, err := statuslist.SignJWT(iss.cfg.Rand, iss.cfg.Signer, list, statuslist.TokenParams{
		Subject:   rec.URI,
		Issuer:    iss.cfg.Identifier,
		IssuedAt:  now,
		ExpiresAt: now.Add(iss.cfg.StatusList.TokenValidity),
		TTL:       iss.cfg.StatusList.TTL,
		KeyID:     iss.cfg.KeyID,
	})
	if err != nil {
		return nil, errorf(op, ErrSigning, "%v", err)
	}
	return tok, nil
}
