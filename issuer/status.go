package issuer

import (
	"bytes"
	"context"
	"errors"
	"io"

	"github.com/ikdkit/ikdkit/credential/statuslist"
)

func isErr(err, target error) bool { return errors.Is(err, target) }

// An issuer instance hands out status indices from runs of positions of
// the lists' sequences (StatusListRecord) that it reserved in the store
// before signing: reserve tops its runs up in one committed transaction
// per run of blocks, so instances sharing the store never draw the same
// position, and a batch signs without touching the store. A run a process
// does not use up before it stops is lost: those indices stay unused.

// maxBlock bounds the positions one reservation takes beyond what the
// batch needs: a stopped process loses at most that many per list.
const maxBlock = 1024

// blockSize is how many positions a reservation takes at least: 1/64 of
// a list, at most maxBlock, so a small list is not reserved whole by one
// instance.
func (iss *Issuer) blockSize() int {
	return max(1, min(maxBlock, iss.cfg.StatusList.Size/64))
}

// listKeys is what drawing from a list needs besides its record: its
// permutation, and the indices drawn at random before schema version 5,
// which the sequence skips. Both never change, so a process keeps them.
type listKeys struct {
	key    []byte // the list's key, as read
	perm   *statuslist.Permutation
	legacy []uint64 // bitmap of the legacy indices; nil for none
}

func (k *listKeys) isLegacy(idx uint64) bool {
	return k.legacy != nil && k.legacy[idx/64]&(1<<(idx%64)) != 0
}

// seqBlock is a run of reserved positions of one list.
type seqBlock struct {
	list      StatusListRecord
	keys      *listKeys
	next, end uint64 // positions not handed out yet
	free      int    // of those, how many give an index that is not legacy
}

// take hands out the next position of b whose index is not legacy: its
// sequence number (position + 1) and index.
func (b *seqBlock) take() (seq, idx uint64, err error) {
	for b.next < b.end {
		pos := b.next
		b.next++
		if idx, err = b.keys.perm.Index(pos); err != nil {
			return 0, 0, errorf("allocate", ErrStore, "list %d: %v", b.list.Number, err)
		}
		if !b.keys.isLegacy(idx) {
			b.free--
			return pos + 1, idx, nil
		}
	}
	return 0, 0, errorf("allocate", ErrListFull, "no position left in the block")
}

// keysOf returns the permutation and legacy indices of list l, reading
// the legacy indices in tx the first time.
func (iss *Issuer) keysOf(tx Tx, l StatusListRecord) (*listKeys, error) {
	iss.mu.Lock()
	k := iss.keys[l.Number]
	iss.mu.Unlock()
	// A list read in a transaction that did not commit may be another
	// list, with another key, by the same number in the next: compare.
	if k != nil && bytes.Equal(k.key, l.Key) {
		return k, nil
	}
	perm, err := statuslist.NewPermutation(l.Key, l.Size)
	if err != nil {
		return nil, errorf("status list", ErrStore, "list %d: %v", l.Number, err)
	}
	k = &listKeys{key: bytes.Clone(l.Key), perm: perm}
	legacy, err := tx.LegacyIndices(l.Number)
	if err != nil {
		return nil, err
	}
	if len(legacy) > 0 {
		k.legacy = make([]uint64, (l.Size+63)/64)
		for _, i := range legacy {
			if i >= uint64(l.Size) {
				return nil, errorf("status list", ErrStore, "list %d: legacy index %d, size %d", l.Number, i, l.Size)
			}
			k.legacy[i/64] |= 1 << (i % 64)
		}
	}
	iss.mu.Lock()
	defer iss.mu.Unlock()
	if old := iss.keys[l.Number]; old != nil && bytes.Equal(old.key, l.Key) {
		return old, nil
	}
	iss.keys[l.Number] = k
	return k, nil
}

// newBlock reserves up to n positions of list l in tx: nil if it has none
// left.
func (iss *Issuer) newBlock(tx Tx, l StatusListRecord, n int) (*seqBlock, error) {
	keys, err := iss.keysOf(tx, l)
	if err != nil {
		return nil, err
	}
	first, count, err := tx.ReserveSequence(l.Number, n)
	if err != nil || count == 0 {
		return nil, err
	}
	return keys.block(l, first, count)
}

// block is the run [first, first+count) of list l.
func (k *listKeys) block(l StatusListRecord, first uint64, count int) (*seqBlock, error) {
	b := &seqBlock{list: l, keys: k, next: first, end: first + uint64(count), free: count}
	if k.legacy != nil {
		for pos := first; pos < b.end; pos++ {
			idx, err := k.perm.Index(pos)
			if err != nil {
				return nil, errorf("status list", ErrStore, "list %d: %v", l.Number, err)
			}
			if k.isLegacy(idx) {
				b.free--
			}
		}
	}
	return b, nil
}

// reserveExisting reserves, in tx, runs of the lists with positions left,
// oldest first, until they hold n free positions; each run takes at least
// block positions. It returns the runs and the highest list number.
func (iss *Issuer) reserveExisting(tx Tx, n, block int) ([]*seqBlock, int, error) {
	lists, last, err := tx.OpenStatusLists()
	if err != nil {
		return nil, 0, err
	}
	var out []*seqBlock
	for _, l := range lists {
		for n > 0 && l.Reserved < uint64(l.Size) {
			b, err := iss.newBlock(tx, l, max(n, block))
			if err != nil {
				return nil, 0, err
			}
			if b == nil {
				break // reserved up to the end by now
			}
			l.Reserved = b.end
			if b.free > 0 { // a run may give only legacy indices
				out = append(out, b)
				n -= b.free
			}
		}
	}
	return out, last, nil
}

// freeCount returns the positions left in the process's runs.
func (iss *Issuer) freeCount() int {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	free := 0
	for _, b := range iss.blocks {
		free += b.free
	}
	return free
}

// addBlocks adds runs reserved in a committed transaction to the
// process's.
func (iss *Issuer) addBlocks(bs ...*seqBlock) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	for _, b := range bs {
		if b != nil && b.free > 0 {
			iss.blocks = append(iss.blocks, b)
		}
	}
}

// loadLists reads the status lists with positions left and checks that
// each has a usable permutation: a store the issuer cannot draw from fails
// New.
func (iss *Issuer) loadLists(ctx context.Context) error {
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		lists, _, err := tx.OpenStatusLists()
		if err != nil {
			return err
		}
		for _, l := range lists {
			if _, err := iss.keysOf(tx, l); err != nil {
				return err
			}
		}
		return nil
	})
	return wrapStore("load status lists", err)
}

// newListRecord describes status list number n, with a fresh permutation
// key and reserved positions reserved.
func (iss *Issuer) newListRecord(n, reserved int) (StatusListRecord, error) {
	rec := StatusListRecord{Number: n, URI: listURI(iss.cfg.StatusList.BaseURI, n), Bits: iss.cfg.StatusList.Bits, CreatedAt: iss.now()}
	l, err := statuslist.New(rec.Bits, iss.cfg.StatusList.Size)
	if err != nil {
		return rec, errorf("status list", ErrConfig, "%v", err)
	}
	rec.Size = l.Len()
	rec.Reserved = uint64(min(max(reserved, 0), rec.Size))
	rec.Key = make([]byte, statuslist.PermutationKeySize)
	if _, err := io.ReadFull(iss.cfg.Rand, rec.Key); err != nil {
		return rec, errorf("status list", ErrConfig, "randomness: %v", err)
	}
	return rec, nil
}

// createList stores rec and audits its creation in tx, and returns the
// run of its positions rec reserves.
func (iss *Issuer) createList(tx Tx, rec StatusListRecord) (*seqBlock, error) {
	if err := tx.InsertStatusList(rec); err != nil {
		return nil, err
	}
	if err := iss.audit(tx, "system", "create status list", rec.URI, nil, ""); err != nil {
		return nil, err
	}
	perm, err := statuslist.NewPermutation(rec.Key, rec.Size)
	if err != nil {
		return nil, errorf("status list", ErrStore, "list %d: %v", rec.Number, err)
	}
	// A new list has no legacy indices; its keys are kept once tx has
	// committed, by keysOf.
	return (&listKeys{key: rec.Key, perm: perm}).block(rec, 0, int(rec.Reserved))
}

// reserveMargin is how many more new lists than n indices need reserve
// tries before giving up.
const reserveMargin = 8

// reserve makes sure the process's runs hold at least n free positions,
// reserving more of the lists with room in one committed transaction and,
// if they do not have enough, creating new lists (each in its own
// committed transaction). Another process sharing the store may create the
// same list number first; the store then refuses ours and the lists are
// read again. Every round creates or finds a list, so the rounds are
// bounded by the lists n indices need, plus a margin for lists other
// processes fill meanwhile; past that, ErrListFull.
func (iss *Issuer) reserve(ctx context.Context, n int) error {
	maxRounds := n/iss.cfg.StatusList.Size + reserveMargin
	block := iss.blockSize()
	for round := 0; ; round++ {
		free := iss.freeCount()
		if free >= n {
			return nil
		}
		if round == maxRounds {
			return errorf("status list", ErrListFull, "%d free status indices needed, %d found after %d new lists", n, free, round)
		}
		var got []*seqBlock
		var last int
		err := iss.cfg.Store.Update(ctx, func(tx Tx) error {
			var err error
			got, last, err = iss.reserveExisting(tx, n-free, block)
			return err
		})
		if err != nil {
			return wrapStore("status list", err)
		}
		iss.addBlocks(got...)
		for _, b := range got {
			free += b.free
		}
		if free >= n {
			return nil
		}
		rec, err := iss.newListRecord(last+1, max(n-free, block))
		if err != nil {
			return err
		}
		iss.hook("status list:create")
		var b *seqBlock
		err = iss.cfg.Store.Update(ctx, func(tx Tx) error {
			var err error
			b, err = iss.createList(tx, rec)
			return err
		})
		if isConflict(err) {
			continue // created by a concurrent caller: read the lists again
		} else if err != nil {
			return wrapStore("status list", err)
		}
		iss.addBlocks(b)
	}
}

// allocate hands out the next position of the process's oldest run.
func (iss *Issuer) allocate() (list StatusListRecord, seq, idx uint64, err error) {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	for len(iss.blocks) > 0 {
		b := iss.blocks[0]
		if b.free > 0 {
			seq, idx, err = b.take()
			return b.list, seq, idx, err
		}
		iss.blocks[0] = nil
		iss.blocks = iss.blocks[1:]
	}
	return StatusListRecord{}, 0, 0, errorf("allocate", ErrListFull, "no reserved status index left")
}

// StatusLists returns the issuer's status lists, without their
// permutation keys.
func (iss *Issuer) StatusLists(ctx context.Context) ([]StatusListRecord, error) {
	var out []StatusListRecord
	err := iss.cfg.Store.View(ctx, func(tx Tx) error {
		var err error
		out, err = tx.StatusLists()
		return err
	})
	for i := range out {
		out[i].Key = nil // secret
	}
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
