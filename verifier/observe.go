package verifier

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/credential/check"
	"github.com/ikdkit/ikdkit/internal/obs"
)

// Metrics receives the measurements of a [Verifier] and its [VPHandler]:
// the same method set as issuer.Metrics and oidcprovider.Metrics, so one
// implementation serves all three. Its methods are called from many
// goroutines at once and on the request path: an implementation must be
// safe for concurrent use and fast (increment a counter, observe a
// histogram). See the package documentation, "Operating", for the route
// and outcome names; all are fixed, low-cardinality strings.
type Metrics interface {
	// Request reports one HTTP request served by handler ("verifier")
	// under the route name route (never the raw path: paths carry
	// transaction ids), its status code and how long it took.
	Request(handler, route string, status int, d time.Duration)
	// Outcome reports the outcome of operation op ("verify": each call
	// of a Verify method): "ok", or the name of the failed check
	// (OutcomeName).
	Outcome(op, outcome string)
}

// The declarations of Metrics stay identical.
var (
	_ obs.Metrics = Metrics(nil)
	_ Metrics     = obs.Metrics(nil)
)

// handlerName is the handler label of the [VPHandler]'s requests.
const handlerName = "verifier"

// OutcomeName is the outcome a verification that returned err reports
// to Metrics: "ok" for nil; for a *check.Error the name of its check with
// spaces as underscores ("format", "trust", "holder_binding", "status",
// ...); "canceled" for a canceled or timed-out context; else "error".
func OutcomeName(err error) string {
	if err == nil {
		return "ok"
	}
	var ce *check.Error
	switch {
	case errors.As(err, &ce):
		return strings.ReplaceAll(ce.Check.String(), " ", "_")
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return "canceled"
	}
	return "error"
}

// observe reports a verification's outcome to Config.Metrics and logs a
// failure: at Warn when the verifier's own state is at fault (a stale
// trust list or status cache, a full replay store), else at Debug. Only
// the check, the sentinel and the credential's index are logged, never
// the detail, which can quote claims.
func (v *Verifier) observe(ctx context.Context, err error) {
	o := OutcomeName(err)
	obs.Outcome(v.cfg.Metrics, "verify", o)
	if err == nil {
		return
	}
	level := slog.LevelDebug
	if errors.Is(err, ErrTrustListStale) || errors.Is(err, ErrStatusStale) || errors.Is(err, ErrReplayStoreFull) {
		level = slog.LevelWarn
	}
	attrs := []slog.Attr{slog.String("check", o)}
	var ce *check.Error
	if errors.As(err, &ce) {
		attrs = append(attrs, slog.String("error", ce.Err.Error()), slog.Int("credential", ce.Credential))
	}
	v.log.LogAttrs(ctx, level, "verifier: presentation refused", attrs...)
}
