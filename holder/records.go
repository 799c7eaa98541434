package holder

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// MaxRecordSize caps one sealed record (a KTP-el mdoc with a portrait is
// about 20 KiB; activity entries are far smaller).
const MaxRecordSize = 1 << 20

// putRecord seals plaintext under the data key with id as associated data
// and inserts or replaces the row in tx. A new row gets the next seq.
func (w *Wallet) putRecord(ctx context.Context, tx *sql.Tx, id, kind string, plaintext []byte) error {
	if len(plaintext) > MaxRecordSize {
		return fmt.Errorf("record of %d bytes over MaxRecordSize", len(plaintext))
	}
	sealed, err := seal(w.opts.rand(), w.dek, plaintext, []byte(id))
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, `INSERT INTO records (id, kind, seq, data)
		VALUES (?, ?, (SELECT COALESCE(MAX(seq), 0) + 1 FROM records), ?)
		ON CONFLICT (id) DO UPDATE SET data = excluded.data`, id, kind, sealed)
	return err
}

// getRecord returns the opened record id of kind, errNoRecord if absent.
func (w *Wallet) getRecord(ctx context.Context, id, kind string) ([]byte, error) {
	return w.getRecordQ(ctx, w.db, id, kind)
}

// getRecordQ is getRecord through q: inside a transaction, pass its tx
// (the database has one connection).
func (w *Wallet) getRecordQ(ctx context.Context, q querier, id, kind string) ([]byte, error) {
	var sealed []byte
	var k string
	err := q.QueryRowContext(ctx, "SELECT kind, data FROM records WHERE id = ?", id).Scan(&k, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, errNoRecord
	}
	if err != nil {
		return nil, err
	}
	if k != kind {
		return nil, errNoRecord
	}
	return w.openRecord(id, sealed)
}

// corruptError is a record that failed authentication or, with why, one
// that opened but does not decode.
type corruptError struct{ id, why string }

func (e *corruptError) Error() string {
	if e.why != "" {
		return "record " + e.id + " " + e.why
	}
	return "record " + e.id + " failed authentication"
}

func (w *Wallet) openRecord(id string, sealed []byte) ([]byte, error) {
	if len(sealed) > MaxRecordSize+gcmNonce+16 {
		return nil, &corruptError{id: id}
	}
	pt, err := open(w.dek, sealed, []byte(id))
	if err != nil {
		return nil, &corruptError{id: id}
	}
	return pt, nil
}

type record struct {
	id   string
	seq  int64
	data []byte
}

// listRecords opens every record of kind, in seq order.
func (w *Wallet) listRecords(ctx context.Context, kind string) ([]record, error) {
	return w.listRecordsQ(ctx, w.db, kind)
}

// listRecordsQ is listRecords through q.
func (w *Wallet) listRecordsQ(ctx context.Context, q querier, kind string) ([]record, error) {
	rows, err := q.QueryContext(ctx, "SELECT id, seq, data FROM records WHERE kind = ? ORDER BY seq", kind)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []record
	for rows.Next() {
		var r record
		var sealed []byte
		if err := rows.Scan(&r.id, &r.seq, &sealed); err != nil {
			return nil, err
		}
		if r.data, err = w.openRecord(r.id, sealed); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// storeErr maps a storage or authentication failure to the package errors.
func storeErr(op string, err error) error {
	var ce *corruptError
	if errors.As(err, &ce) {
		return wrapErr(op, ErrCorrupt, nil, "%v", ce)
	}
	if errors.Is(err, errNoRecord) {
		return errorf(op, ErrNotFound, "no such record")
	}
	return wrapErr(op, ErrStore, err, "database")
}

// update runs fn in one write transaction.
func (w *Wallet) update(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
