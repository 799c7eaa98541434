package issuer

import (
	"context"
	"time"

	"github.com/ikdkit/ikdkit/credential"
	"github.com/ikdkit/ikdkit/credential/statuslist"
)

// Store persists the issuer's state. Every state change of the package runs
// inside one Store.Update call, so it happens completely or not at all, even
// if the process dies in the middle (see [OpenSQLite] for the default
// implementation, [OpenPostgres] for PostgreSQL).
//
// Implementations must give Update serializable isolation: two concurrent
// Update calls must behave as if run one after the other. An
// implementation may run fn again after a transaction that could not be
// serialized ([PostgresStore] does): fn must start from scratch each time
// and have no effect outside the transaction.
type Store interface {
	// Update runs fn in one read-write transaction: committed if fn returns
	// nil, rolled back (and fn's error returned) otherwise. The package
	// records failed attempts (a wrong tx_code, say) by returning nil
	// from fn and reporting the failure after the commit.
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction.
	View(ctx context.Context, fn func(Tx) error) error
	// Close releases the store.
	Close() error
}

// Tx is the set of reads and writes available inside a Store transaction.
// Methods return an error wrapping [ErrNotFound] when a record is absent.
type Tx interface {
	// InsertRegistration stores a new registration.
	InsertRegistration(r *Registration) error
	// Registration returns the registration with the given ID.
	Registration(id string) (*Registration, error)
	// UpdateRegistration replaces the mutable fields (Confirmed*) of r.
	UpdateRegistration(r *Registration) error

	// InsertNonce stores the hash of a fresh nonce.
	InsertNonce(hash []byte, expires time.Time) error
	// ConsumeNonce deletes the nonce with the given hash and returns its
	// expiry; a nonce can be consumed only once.
	ConsumeNonce(hash []byte) (expires time.Time, err error)
	// DeleteExpiredNonces removes nonces that expired before t.
	DeleteExpiredNonces(t time.Time) error

	// InsertBinding stores a new device binding. At most one binding per NIK
	// may be active; inserting a second active one fails.
	InsertBinding(b *Binding) error
	// Binding returns the binding with the given ID.
	Binding(id string) (*Binding, error)
	// ActiveBinding returns the active binding of a NIK.
	ActiveBinding(nik string) (*Binding, error)
	// RevokeBinding marks an active binding revoked.
	RevokeBinding(id string, at time.Time, reason string) error

	// StatusLists returns every status list, oldest first.
	StatusLists() ([]StatusListRecord, error)
	// OpenStatusLists returns the status lists with positions left to
	// reserve (Reserved < Size), oldest first, and the highest list
	// number (0 when there is none): what reserving reads, without the
	// full lists of a national issuer's thousands.
	OpenStatusLists() (open []StatusListRecord, last int, err error)
	// InsertStatusList stores a new status list; its Number must be one
	// more than the highest so far.
	InsertStatusList(l StatusListRecord) error
	// ReserveSequence advances the Reserved count of a list by up to n,
	// never past its Size, and returns the first position reserved and
	// how many were (0 when the list has none left). Reserved never goes
	// back, so a position is reserved once.
	ReserveSequence(list int, n int) (first uint64, count int, err error)
	// LegacyIndices returns the indices of a list's credentials recorded
	// without a sequence number (Seq 0): those drawn at random before
	// schema version 5.
	LegacyIndices(list int) ([]uint64, error)
	// RevokedIndices returns the indices of revoked credentials of a list.
	RevokedIndices(list int) ([]uint64, error)

	// InsertCredential records an issued credential. A (List, Seq) pair
	// already in use makes it fail, and so does a (List, Index) pair in
	// use by another credential without a Seq: a position, and so an
	// index, is never given out twice.
	InsertCredential(c *CredentialRecord) error
	// Credential returns the record with the given ID.
	Credential(id string) (*CredentialRecord, error)
	// CredentialsOfBinding returns the records of a binding.
	CredentialsOfBinding(bindingID string) ([]CredentialRecord, error)
	// RevokeCredentialsOfBinding marks every unrevoked credential of the
	// binding revoked and returns how many changed.
	RevokeCredentialsOfBinding(bindingID string, at time.Time) (int, error)
	// RevokeCredential marks one credential revoked; false if it already was.
	RevokeCredential(id string, at time.Time) (bool, error)

	// InsertOffer stores a new credential offer.
	InsertOffer(o *OfferRecord) error
	// OfferByCode returns the offer whose pre-authorized code has the
	// given hash.
	OfferByCode(codeHash []byte) (*OfferRecord, error)
	// OfferByRef returns the offer whose credential_offer_uri reference
	// has the given hash.
	OfferByRef(refHash []byte) (*OfferRecord, error)
	// UpdateOffer replaces the mutable fields (Attempts, UsedAt, EndedAt)
	// of o. A used offer stays used.
	UpdateOffer(o *OfferRecord) error
	// EndOffers marks every offer of a registration that is neither used
	// nor ended as ended at t, and returns how many changed.
	EndOffers(registrationID string, at time.Time) (int, error)

	// InsertSession stores a new session (an access token). One offer
	// gives at most one session; a session of the refresh token grant
	// has no offer (OfferID "").
	InsertSession(s *Session) error
	// Session returns the session whose access token has the given hash.
	Session(tokenHash []byte) (*Session, error)
	// SessionByID returns the session with the given ID.
	SessionByID(id string) (*Session, error)
	// UpdateSession replaces the mutable fields (Issued, BindingID) of s.
	UpdateSession(s *Session) error

	// InsertRefreshToken stores a new refresh token.
	InsertRefreshToken(r *RefreshTokenRecord) error
	// RefreshToken returns the refresh token with the given hash, used,
	// revoked or expired as it may be.
	RefreshToken(hash []byte) (*RefreshTokenRecord, error)
	// UseRefreshToken marks an unused refresh token used at t; a token is
	// used once (ErrNotFound for a used or unknown one).
	UseRefreshToken(hash []byte, at time.Time) error
	// RevokeRefreshTokens marks every unrevoked refresh token of a
	// family revoked and returns how many changed.
	RevokeRefreshTokens(family string, at time.Time) (int, error)

	// InsertBindingKey records a device key proven for a binding; a key
	// already recorded for the binding is left as it is.
	InsertBindingKey(k *BindingKey) error
	// BindingKey returns the key of a binding with the given thumbprint.
	BindingKey(bindingID, thumbprint string) (*BindingKey, error)

	// UseDPoPJTI records a DPoP proof's jti (RFC 9449 §11.1) by its hash
	// until expires, first forgetting those that expired before now. It
	// reports false, and records nothing, when the hash is already
	// recorded: the proof is a replay.
	UseDPoPJTI(hash []byte, now, expires time.Time) (fresh bool, err error)

	// InsertNotification stores the notification_id of a Credential
	// Response (OpenID4VCI 1.0 §11).
	InsertNotification(n *NotificationRecord) error
	// Notification returns the notification with the given ID.
	Notification(id string) (*NotificationRecord, error)
	// UpdateNotification replaces the mutable fields (Event, EventAt,
	// EventDescription) of n.
	UpdateNotification(n *NotificationRecord) error

	// AppendAudit appends an event to the audit log and sets its Seq.
	AppendAudit(e *AuditEvent) error
	// Audit lists events with Seq > after, oldest first, at most limit.
	Audit(after int64, limit int) ([]AuditEvent, error)
}

// Registration is the record of a person who asked for activation (IKD SOP
// step 3: NIK, email and phone). It becomes usable once an operator has
// confirmed the person in front of them (step 4).
type Registration struct {
	ID          string
	NIK         string
	Email       string
	Phone       string
	CreatedAt   time.Time
	ConfirmedAt time.Time // zero until an operator confirms
	ConfirmedBy string    // operator identifier
}

// BindingState is the state of a device binding.
type BindingState string

// Binding states.
const (
	BindingActive  BindingState = "active"
	BindingRevoked BindingState = "revoked"
)

// Binding ties a NIK to one device key (one NIK, one phone).
type Binding struct {
	ID             string
	NIK            string
	RegistrationID string
	// KeyThumbprint is the RFC 7638 SHA-256 thumbprint of the device key.
	KeyThumbprint string
	// PublicJWK is the device's public key as JWK JSON.
	PublicJWK    []byte
	State        BindingState
	CreatedAt    time.Time
	RevokedAt    time.Time
	RevokeReason string
}

// StatusListRecord describes one status list of the issuer.
//
// The issuer hands out the list's indices in the order of a sequence: the
// credential at position n (0, 1, ...) gets index π(n), π the keyed
// permutation [statuslist.Permutation] under Key. Issuer instances
// sharing the store reserve runs of positions (Reserved) before they sign,
// so none waits for another, and the store's unique key on (list, Seq)
// grows in order, while the published list shows no order of issuance.
type StatusListRecord struct {
	Number    int    // 1, 2, ...
	URI       string // the Status List Token's sub and the credentials' status uri
	Bits      int
	Size      int
	CreatedAt time.Time
	// Key is the key of the list's permutation (statuslist.PermutationKeySize
	// bytes). It is secret: whoever holds it can order the list's
	// credentials by issuance. [Issuer.StatusLists] leaves it out.
	Key []byte
	// Reserved is how many positions of the sequence are reserved, by
	// [Tx.ReserveSequence] or when the list is created: positions
	// [0, Reserved) are taken, used or lost with a process that stopped.
	Reserved uint64
}

// CredentialRecord is what the issuer keeps about an issued credential:
// no personal data unless [Config.StoreClaims] is set.
type CredentialRecord struct {
	ID        string
	BindingID string
	VCT       string // credential type (vct; the doctype follows from it)
	Format    credential.Format
	Profile   Profile
	List      int    // status list number
	Index     uint64 // status list index
	// Seq is 1 + the credential's position in its list's sequence (Index
	// is the permutation of Seq-1), or 0 for a credential whose index was
	// drawn at random (schema version 4 and before).
	Seq           uint64
	KeyThumbprint string // holder key thumbprint (RFC 7638)
	IssuedAt      time.Time
	ExpiresAt     time.Time
	RevokedAt     time.Time // zero while valid
	// Claims is the issued claim set as JSON, only with Config.StoreClaims.
	Claims []byte
}

// OfferRecord is the stored form of a credential offer (OpenID4VCI 1.0 §4)
// made when an operator confirmed a registration: only hashes of its
// secrets are kept.
type OfferRecord struct {
	ID             string
	RegistrationID string
	// RefHash is the hash of the reference in the offer's
	// credential_offer_uri, CodeHash of its pre-authorized code and
	// TxCodeHash of its tx_code (bound to the offer ID).
	RefHash, CodeHash, TxCodeHash []byte
	// TxCodeLength is the number of digits of the tx_code.
	TxCodeLength int
	// ConfigurationIDs are the offered credential configurations.
	ConfigurationIDs []string
	CreatedAt        time.Time
	ExpiresAt        time.Time
	// Attempts counts wrong tx_codes; at Config.MaxCodeAttempts the offer
	// is dead.
	Attempts int
	// UsedAt is when an access token was issued for the offer (zero
	// until then): the pre-authorized code works once.
	UsedAt time.Time
	// EndedAt is when the offer was withdrawn unused (by a new
	// confirmation), zero otherwise.
	EndedAt time.Time
}

// Session is an access token (OpenID4VCI 1.0 §6.2), stored as its hash:
// an activation session, issued for an offer, or a top-up session, issued
// for a refresh token. The first credential request of an activation
// session creates the NIK's device binding; a top-up session starts with
// the binding of the session its refresh token came from. Every key proven
// under a session belongs to its binding.
type Session struct {
	// TokenHash is the hash of the access token.
	TokenHash []byte
	// ID names the session in the audit log and in notifications; it is
	// not a secret.
	ID string
	// OfferID is the offer an activation session redeemed; "" for a
	// top-up session.
	OfferID        string
	RegistrationID string
	NIK            string
	// JKT is the RFC 7638 thumbprint of the DPoP key the token is bound
	// to (RFC 9449 §6), or "" for a Bearer token.
	JKT string
	// ConfigurationIDs are the configurations the token covers (the
	// offer's); Issued those already issued under it.
	ConfigurationIDs, Issued []string
	// BindingID is the device binding the session created, "" until its
	// first credential request.
	BindingID string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// RefreshTokenRecord is a refresh token (RFC 6749 §1.5) handed out in a
// Token Response, stored as its hash. It is exchanged once, for a new
// access token (a top-up session) and a new refresh token of the same
// family; the binding it tops up is its session's.
type RefreshTokenRecord struct {
	// Hash is the hash of the refresh token.
	Hash []byte
	// ID names the token in the audit log; it is not a secret.
	ID string
	// Family is the ID of the first token of its rotation chain: the one
	// an activation session's Token Response carried.
	Family string
	// SessionID is the session whose Token Response carried the token.
	SessionID string
	// JKT is the RFC 7638 thumbprint of the DPoP key the token is bound
	// to (RFC 9449 §5), or "" for a token of a Bearer session.
	JKT       string
	CreatedAt time.Time
	ExpiresAt time.Time
	// UsedAt is when the token was exchanged, zero until then.
	UsedAt time.Time
	// RevokedAt is when the token's family was revoked (a used token was
	// presented again), zero otherwise.
	RevokedAt time.Time
}

// BindingKey is a device key proven for a binding: the first proof of an
// activation, and every further key of a batch or of another credential
// configuration requested in the same session.
type BindingKey struct {
	BindingID string
	// Thumbprint is the RFC 7638 SHA-256 thumbprint of the key.
	Thumbprint string
	// PublicJWK is the key as JWK JSON.
	PublicJWK []byte
	CreatedAt time.Time
}

// NotificationRecord is a notification_id handed out with a Credential
// Response and what the wallet later said about it (OpenID4VCI 1.0 §11).
type NotificationRecord struct {
	ID              string
	SessionID       string
	ConfigurationID string
	CredentialIDs   []string
	CreatedAt       time.Time
	// Event is the last event received ("" until one is), EventAt when.
	Event            string
	EventAt          time.Time
	EventDescription string
}

// AuditEvent is one entry of the append-only audit log: who did what, when,
// and with which outcome.
type AuditEvent struct {
	Seq     int64 // assigned by the store, increasing
	At      time.Time
	Actor   string // operator ID, "holder:<thumbprint>" or "system"
	Action  string // "register", "confirm", "activate", "issue", "revoke", ...
	Subject string // registration, binding or credential ID
	Outcome string // "ok" or the error sentinel's text
	Detail  string
}

// checkListRecord refuses a status list record a Store must not hold: one
// without a permutation key, or with more positions reserved than it has.
func checkListRecord(l StatusListRecord) error {
	if len(l.Key) != statuslist.PermutationKeySize {
		return errorf("insert status list", ErrStore, "permutation key of %d bytes, want %d", len(l.Key), statuslist.PermutationKeySize)
	}
	if l.Size <= 0 || l.Reserved > uint64(l.Size) {
		return errorf("insert status list", ErrStore, "%d positions reserved in a list of %d", l.Reserved, l.Size)
	}
	return nil
}
