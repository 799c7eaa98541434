package oidcprovider

import (
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/ikdkit/ikdkit/internal/obs"
)

// Metrics receives the measurements of a [Provider]: the same method set
// as issuer.Metrics and verifier.Metrics, so one implementation serves
// all three. Its methods are called from many goroutines at once and on
// the request path: an implementation must be safe for concurrent use
// and fast. See the package documentation, "Operating", for the route
// and outcome names; all are fixed, low-cardinality strings.
type Metrics interface {
	// Request reports one HTTP request served by handler
	// ("oidcprovider") under the route name route (never the raw path),
	// its status code and how long it took.
	Request(handler, route string, status int, d time.Duration)
	// Outcome reports the outcome of operation op ("login": a login
	// finished with a verified presentation; "withdraw_grant"): "ok", or
	// why it failed.
	Outcome(op, outcome string)
}

// The declarations of Metrics stay identical.
var (
	_ obs.Metrics = Metrics(nil)
	_ Metrics     = obs.Metrics(nil)
)

// handlerName is the handler label of the Provider's requests.
const handlerName = "oidcprovider"

// noMetrics reports nothing: the Provider's embedded VPHandler, whose
// requests the Provider reports itself.
type noMetrics struct{}

func (noMetrics) Request(string, string, int, time.Duration) {}
func (noMetrics) Outcome(string, string)                     {}

// opRoutes name the endpoints of zitadel's provider, by path under the
// issuer's path.
var opRoutes = map[string]string{
	"/authorize":          "authorize",
	"/authorize/callback": "authorize_callback",
	"/oauth/token":        "token",
	"/oauth/introspect":   "introspect",
	"/userinfo":           "userinfo",
	"/revoke":             "revoke",
	"/end_session":        "end_session",
	"/keys":               "keys",
	"/healthz":            "healthz",
	"/ready":              "ready",
}

// vpRoutes name the endpoints of the embedded VPHandler, by the first
// segment of the path under {P}/vp.
var vpRoutes = map[string]string{
	"request":  "vp_request",
	"response": "vp_response",
	"result":   "vp_result",
	"dcapi":    "vp_dcapi_response",
	"dcapi.js": "vp_dcapi_script",
}

// routed serves the requests of next under the route name that name
// gives the path under the issuer's path.
func (p *Provider) routed(next http.Handler, name func(rest string) string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		obs.SetRoute(w, name(strings.TrimPrefix(r.URL.Path, p.path)))
		next.ServeHTTP(w, r)
	}
}

// opRoute is the route name of a request to zitadel's provider.
func opRoute(rest string) string {
	if n, ok := opRoutes[rest]; ok {
		return n
	}
	return "other"
}

// vpRoute is the route name of a request to the embedded VPHandler.
func vpRoute(rest string) string {
	rest = strings.TrimPrefix(rest, pathVP+"/")
	seg, _, _ := strings.Cut(rest, "/")
	if n, ok := vpRoutes[seg]; ok {
		return n
	}
	return "vp_other"
}

// serverError logs err, a failure of the provider, at Error: the route
// (never the path), the method and the error, redacted.
func (p *Provider) serverError(w http.ResponseWriter, r *http.Request, msg string, err error) {
	p.log.LogAttrs(r.Context(), slog.LevelError, msg, slog.String("route", obs.RouteOf(w)),
		slog.String("method", r.Method), obs.Err(err))
}
