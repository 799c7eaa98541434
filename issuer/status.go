package issuer

import (
	"context"
	"errors"

	"github.com/ikdkit/ikdkit/credential/statuslist"
)

func isErr(err, target error) bool { return errors.Is(err, target) }

// loadLists rebuilds the in-memory allocators from the store.
func (iss *Issuer) loadLists(ctx context.Context) error {
	var lists []StatusListRecord
	used := map[int][]uint64{}
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		if lists, err = tx.StatusLists(); err != nil {
			return err
		}
		for _, l := range lists {
			if used[l.Number], err = tx.UsedIndices(l.Number); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrapStore("load status lists", err)
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.lists = lists
	for _, l := range lists {
		a, err := statuslist.NewAllocator(l.Size, used[l.Number], iss.cfg.Rand)
		if err != nil {
			return errorf("load status lists", ErrStore, "list %d: %v", l.Number, err)
		}
		iss.allocs[l.Number] = a
	}
	return nil
}

// reserve makes sure the lists have at least n free indices, creating a new
// list (in its own committed transaction) if needed.
func (iss *Issuer) reserve(ctx context.Context, n int) error {
	for {
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
		rec := StatusListRecord{Number: next, URI: listURI(iss.cfg.StatusList.BaseURI, next), Bits: iss.cfg.StatusList.Bits, CreatedAt: iss.now()}
		l, err := statuslist.New(rec.Bits, iss.cfg.StatusList.Size)
		if err != nil {
			return errorf("status list", ErrConfig, "%v", err)
		}
		rec.Size = l.Len()
		err = iss.cfg.Store.Update(ctx, func(tx Tx) error {
			if err := tx.InsertStatusList(rec); err != nil {
				return err
			}
			return iss.audit(tx, "system", "create status list", rec.URI, nil, "")
		})
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
