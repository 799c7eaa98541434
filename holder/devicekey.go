package holder

import (
	"context"
	"crypto"
	"database/sql"
	"encoding/json"
	"errors"

	"github.com/ikdkit/ikdkit/keys"
)

// DeviceKeyStore creates and holds device keys in the phone's keystore
// (Android Keystore, Secure Enclave): one for every copy of every
// credential received (see [Credential]), each under an alias of its
// own, and the device key of [Wallet.Import]. The wallet stores only the
// alias and the public key and signs through the returned crypto.Signer,
// so the private key never has to leave the keystore. It deletes the key
// of a copy it deletes (spent copies replaced by [Wallet.Refresh],
// [Wallet.RemoveCredential], [Wallet.Delete]).
type DeviceKeyStore interface {
	// CreateKey makes a new P-256 (or other ES256/ES384/ES512/EdDSA) key
	// under alias.
	CreateKey(ctx context.Context, alias string) (crypto.Signer, error)
	// LoadKey returns the key created under alias.
	LoadKey(ctx context.Context, alias string) (crypto.Signer, error)
	// DeleteKey removes the key under alias.
	DeleteKey(ctx context.Context, alias string) error
}

const deviceKeyID = "device-key"

// deviceKeyRecord is the sealed device key record: a software key as a
// private JWK, or a keystore alias with the public JWK.
type deviceKeyRecord struct {
	PrivateJWK json.RawMessage `json:"private_jwk,omitempty"`
	Alias      string          `json:"alias,omitempty"`
	PublicJWK  json.RawMessage `json:"public_jwk"`
}

type deviceKey struct {
	signer     crypto.Signer
	thumbprint string
}

func (w *Wallet) loadDeviceKeyRecord(ctx context.Context) (*deviceKeyRecord, error) {
	b, err := w.getRecord(ctx, deviceKeyID, kindDeviceKey)
	if err != nil {
		return nil, err
	}
	var r deviceKeyRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, &corruptError{deviceKeyID, "does not decode"}
	}
	return &r, nil
}

// deviceLocked returns the device key, loading it on first use.
func (w *Wallet) deviceLocked(ctx context.Context, op string) (*deviceKey, error) {
	if w.device != nil {
		return w.device, nil
	}
	r, err := w.loadDeviceKeyRecord(ctx)
	if errors.Is(err, errNoRecord) {
		return nil, errorf(op, ErrNoDeviceKey, "activate the wallet first")
	}
	if err != nil {
		return nil, storeErr(op, err)
	}
	k, err := w.signerFromRecord(ctx, op, r)
	if err != nil {
		return nil, err
	}
	s, tp := k.signer, k.thumbprint
	w.device = &deviceKey{signer: s, thumbprint: tp}
	return w.device, nil
}

// signerFromRecord loads the key of a key record: from the keystore by
// alias, or the sealed private JWK; it must match the recorded public key.
func (w *Wallet) signerFromRecord(ctx context.Context, op string, r *deviceKeyRecord) (*proofKey, error) {
	var s crypto.Signer
	var err error
	switch {
	case r.Alias != "":
		if w.opts.DeviceKeys == nil {
			return nil, errorf(op, ErrConfig, "device key is in a keystore and Options.DeviceKeys is nil")
		}
		if s, err = w.opts.DeviceKeys.LoadKey(ctx, r.Alias); err != nil {
			return nil, wrapErr(op, ErrStore, err, "load device key")
		}
	default:
		if s, err = keys.ParsePrivateJWK(r.PrivateJWK); err != nil {
			return nil, wrapErr(op, ErrCorrupt, err, "device key")
		}
	}
	pub, err := keys.ParsePublicJWK(r.PublicJWK)
	if err != nil {
		return nil, wrapErr(op, ErrCorrupt, err, "device public key")
	}
	tp, err := keys.Thumbprint(pub)
	if err != nil {
		return nil, wrapErr(op, ErrCorrupt, err, "device public key")
	}
	if got, err := keys.Thumbprint(s.Public()); err != nil || got != tp {
		return nil, errorf(op, ErrCorrupt, "device key does not match its stored public key")
	}
	return &proofKey{signer: s, thumbprint: tp, rec: *r}, nil
}

// ensureDeviceKeyLocked returns the device key, creating it in tx if the
// wallet has none.
func (w *Wallet) ensureDeviceKeyLocked(ctx context.Context, op string) (*deviceKey, error) {
	dk, err := w.deviceLocked(ctx, op)
	if err == nil || !errors.Is(err, ErrNoDeviceKey) {
		return dk, err
	}
	var r deviceKeyRecord
	var s crypto.Signer
	if w.opts.DeviceKeys != nil {
		alias := "ikdkit-holder-" + hexString(w.id)
		if s, err = w.opts.DeviceKeys.CreateKey(ctx, alias); err != nil {
			return nil, wrapErr(op, ErrStore, err, "create device key")
		}
		r.Alias = alias
	} else {
		if s, err = keys.Generate(keys.ES256, w.opts.rand()); err != nil {
			return nil, wrapErr(op, ErrStore, err, "generate device key")
		}
		if r.PrivateJWK, err = keys.MarshalPrivateJWK(s); err != nil {
			return nil, wrapErr(op, ErrStore, err, "encode device key")
		}
	}
	if r.PublicJWK, err = keys.MarshalPublicJWK(s.Public()); err != nil {
		return nil, wrapErr(op, ErrConfig, err, "device public key")
	}
	b, _ := json.Marshal(r)
	if err := w.update(ctx, func(tx *sql.Tx) error { return w.putRecord(ctx, tx, deviceKeyID, kindDeviceKey, b) }); err != nil {
		return nil, storeErr(op, err)
	}
	return w.deviceLocked(ctx, op)
}

// DeviceKey returns the wallet's device key, the key [Wallet.Import]
// requires credentials to be bound to, as a crypto.Signer, or
// ErrNoDeviceKey before [Wallet.CreateDeviceKey]. Credentials received
// with [Wallet.ReceiveOffer] are not bound to it: each of their copies
// has a device key of its own.
func (w *Wallet) DeviceKey(ctx context.Context) (crypto.Signer, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked("device key"); err != nil {
		return nil, err
	}
	dk, err := w.deviceLocked(ctx, "device key")
	if err != nil {
		return nil, err
	}
	return dk.signer, nil
}

// CreateDeviceKey makes the device key if the wallet has none and returns
// it: the key to give an issuer that issues credentials for
// [Wallet.Import] ("ikd wallet init"). The software default is an ECDSA
// P-256 key stored in the wallet, sealed like every record; with
// Options.DeviceKeys it is made in the keystore.
func (w *Wallet) CreateDeviceKey(ctx context.Context) (crypto.Signer, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if err := w.unlockedLocked("device key"); err != nil {
		return nil, err
	}
	dk, err := w.ensureDeviceKeyLocked(ctx, "device key")
	if err != nil {
		return nil, err
	}
	return dk.signer, nil
}

func hexString(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
