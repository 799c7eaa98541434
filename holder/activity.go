package holder

import (
	"context"
	"database/sql"
	"encoding/json"
	"io"
	"time"

	"github.com/ikdkit/ikdkit/credential"
)

// ActivityKind says what an activity entry records.
type ActivityKind string

// Activity kinds.
const (
	ActivityActivation     ActivityKind = "activation"
	ActivityImport         ActivityKind = "import"
	ActivityPresentation   ActivityKind = "presentation"
	ActivityConsentRefused ActivityKind = "consent_refused"
	// ActivityRefresh: new copies of a credential replaced spent ones
	// ([Wallet.Refresh]); Copies lists the new copies.
	ActivityRefresh ActivityKind = "refresh"
)

// Activity is one entry of the activity history (riwayat aktivitas): when,
// with whom, which credentials and claims, in which format. It is stored
// encrypted like every record.
type Activity struct {
	ID   string       `json:"id"`
	At   time.Time    `json:"at"`
	Kind ActivityKind `json:"kind"`
	// Counterparty is the verifier (presentation) or issuer (activation,
	// import) identifier.
	Counterparty string `json:"counterparty,omitempty"`
	// CounterpartyName is the verifier's registered name, when known.
	CounterpartyName string `json:"counterparty_name,omitempty"`
	// Verified says whether Counterparty was authenticated (a signed
	// request from a registered verifier) rather than self-declared.
	Verified bool `json:"verified,omitempty"`
	// Format is the format used (empty when several were).
	Format credential.Format `json:"format,omitempty"`
	// Credentials names the credentials involved.
	Credentials []string `json:"credentials,omitempty"`
	// Claims lists the claims disclosed ("KTP-el: name"); names only, never
	// values.
	Claims []string `json:"claims,omitempty"`
	// Copies says which copy of each credential a presentation used, or
	// which copies a refresh added.
	Copies []CopyUse `json:"copies,omitempty"`
	// Grant is the ID of the grant a login presentation made, or of the
	// grant withdrawn ([Grant], [Wallet.RevokeGrant]).
	Grant string `json:"grant,omitempty"`
}

// CopyUse names one copy of a credential in the activity history.
type CopyUse struct {
	// Credential is the credential's ID.
	Credential string `json:"credential"`
	// Copy is the copy's number (CopyInfo.Number) and Key the thumbprint
	// of its device key.
	Copy int    `json:"copy"`
	Key  string `json:"key"`
	// Reused is true when the copy was presented before (the app allowed
	// it through PresentOptions.ReuseSpentCopy).
	Reused bool `json:"reused,omitempty"`
}

func (w *Wallet) addActivity(ctx context.Context, tx *sql.Tx, a Activity) error {
	id := make([]byte, 12)
	if _, err := io.ReadFull(w.opts.rand(), id); err != nil {
		return err
	}
	a.ID = "act-" + hexString(id)
	if a.At.IsZero() {
		a.At = w.opts.now().UTC()
	}
	b, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return w.putRecord(ctx, tx, a.ID, kindActivity, b)
}

// Activity lists the activity history, oldest first.
func (w *Wallet) Activity(ctx context.Context) ([]Activity, error) {
	const op = "activity"
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked(op); err != nil {
		return nil, err
	}
	recs, err := w.listRecords(ctx, kindActivity)
	if err != nil {
		return nil, storeErr(op, err)
	}
	out := make([]Activity, 0, len(recs))
	for _, r := range recs {
		var a Activity
		if err := json.Unmarshal(r.data, &a); err != nil || a.ID != r.id {
			return nil, errorf(op, ErrCorrupt, "activity record %s", r.id)
		}
		out = append(out, a)
	}
	return out, nil
}

// ExportActivity writes the activity history to out as a JSON document
// {"version":1,"activity":[...]}, for the user to keep or hand over. The
// export is NOT encrypted: it is what the user asked to see.
func (w *Wallet) ExportActivity(ctx context.Context, out io.Writer) error {
	list, err := w.Activity(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetIndent("", "  ")
	if err := enc.Encode(struct {
		Version  int        `json:"version"`
		Activity []Activity `json:"activity"`
	}{1, list}); err != nil {
		return wrapErr("export", ErrStore, err, "write")
	}
	return nil
}
