package issuer

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/ikdkit/ikdkit/internal/obs"
	"github.com/ikdkit/ikdkit/oid4vci"
)

// Metrics receives the measurements of an [Issuer] and its [Handler]:
// the same method set as verifier.Metrics and oidcprovider.Metrics, so
// one implementation serves all three. Its methods are called from many
// goroutines at once and on the request path: an implementation must be
// safe for concurrent use and fast (increment a counter, observe a
// histogram). See the package documentation, "Operating", for the route,
// operation and outcome names; all are fixed, low-cardinality strings.
type Metrics interface {
	// Request reports one HTTP request served by handler ("issuer") under
	// the route name route (never the raw path: paths carry offer
	// references), its status code and how long it took.
	Request(handler, route string, status int, d time.Duration)
	// Outcome reports the outcome of operation op ("register",
	// "confirm", "activate", "refresh", "issue", "revoke",
	// "report_lost"): "ok", or why it failed.
	Outcome(op, outcome string)
}

// The declarations of Metrics stay identical.
var (
	_ obs.Metrics = Metrics(nil)
	_ Metrics     = obs.Metrics(nil)
)

// handlerName is the handler label of the [Handler]'s requests.
const handlerName = "issuer"

// sentinelNames are the outcome names of the sentinel errors.
var sentinelNames = []struct {
	err  error
	name string
}{
	{ErrConfig, "config"}, {ErrInvalidInput, "invalid_input"}, {ErrNotFound, "not_found"},
	{ErrCodeInvalid, "code_invalid"}, {ErrCodeExpired, "code_expired"}, {ErrCodeUsed, "code_used"},
	{ErrTooManyAttempts, "too_many_attempts"}, {ErrProof, "proof"}, {ErrNonce, "nonce"},
	{ErrKeyMismatch, "key_mismatch"}, {ErrUnauthorizedType, "unauthorized_type"},
	{ErrBindingRevoked, "binding_revoked"}, {ErrListFull, "list_full"}, {ErrStore, "store"},
	{ErrSigning, "signing"}, {ErrInvalidToken, "invalid_token"}, {ErrDPoP, "dpop"},
	{ErrKeyAttestation, "key_attestation"}, {ErrRefreshToken, "refresh_token"}, {ErrDenied, "denied"},
}

// outcomeName is the outcome of an operation that returned err: "ok",
// the name of its sentinel, the error code of an OpenID4VCI error
// without one, "canceled" for a canceled or timed-out context, or
// "error".
func outcomeName(err error) string {
	if err == nil {
		return "ok"
	}
	for _, s := range sentinelNames {
		if errors.Is(err, s.err) {
			return s.name
		}
	}
	var pe *oid4vci.ProtocolError
	switch {
	case errors.As(err, &pe) && pe.Code != "":
		return pe.Code
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "error"
}

// serverSide reports whether an outcome is a failure of the issuer
// rather than a refusal of the request.
func serverSide(outcome string) bool {
	switch outcome {
	case "store", "signing", "list_full", "error", oid4vci.CodeServerError:
		return true
	}
	return false
}

// observe reports the outcome of an Issuer method to Config.Metrics and
// logs a failure: a refusal at Debug, a failure of the issuer at Error.
// A refusal is logged by operation and outcome name only (the detail of
// an error can carry what the caller sent); a failure of the issuer with
// its error, redacted (obs.Redact).
func (iss *Issuer) observe(ctx context.Context, op string, err error) {
	o := outcomeName(err)
	obs.Outcome(iss.cfg.Metrics, op, o)
	if err == nil {
		return
	}
	if serverSide(o) {
		iss.log.LogAttrs(ctx, slog.LevelError, "issuer: operation failed", slog.String("op", op), slog.String("outcome", o), obs.Err(err))
		return
	}
	iss.log.LogAttrs(ctx, slog.LevelDebug, "issuer: operation refused", slog.String("op", op), slog.String("outcome", o))
}
