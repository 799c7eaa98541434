// Package obs is the shared machinery behind the logging and metrics
// hooks of packages issuer, verifier and oidcprovider: the Metrics method
// set they each declare, the per-route measuring of their HTTP handlers,
// and the choice of a logger. Nothing in it is global.
//
// Each public package declares its own Metrics interface with the method
// set of [Metrics] (Go interfaces are structural, so one implementation
// serves them all); a compile-time assertion in each package keeps the
// declarations identical.
package obs

import (
	"log"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// Metrics receives request measurements and operation outcomes. Its
// methods are called from many goroutines at once and on the request
// path: an implementation must be safe for concurrent use and fast
// (increment a counter, observe a histogram).
type Metrics interface {
	// Request reports one HTTP request served by handler ("issuer",
	// "verifier", "oidcprovider") under the route name route (never the
	// raw path), its status code and how long it took.
	Request(handler, route string, status int, d time.Duration)
	// Outcome reports the outcome of operation op: "ok", or a short,
	// low-cardinality name of why it failed.
	Outcome(op, outcome string)
}

// Unmatched is the route name of a request no route took (404 or 405
// from the mux).
const Unmatched = "unmatched"

// Outcome reports op's outcome to m, if m is not nil.
func Outcome(m Metrics, op, outcome string) {
	if m != nil {
		m.Outcome(op, outcome)
	}
}

// Logger returns l; for nil, a logger that passes records of level Error
// to legacy (the deprecated ErrorLog fields) when it is not nil, or else
// slog.Default(). It never returns nil.
func Logger(l *slog.Logger, legacy *log.Logger) *slog.Logger {
	switch {
	case l != nil:
		return l
	case legacy != nil:
		return slog.New(slog.NewTextHandler(legacyWriter{legacy}, &slog.HandlerOptions{
			Level: slog.LevelError,
			// The *log.Logger adds its own time stamp (per its flags).
			ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
				if len(groups) == 0 && a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}))
	default:
		return slog.Default()
	}
}

// legacyWriter writes each record, one line, through a *log.Logger.
type legacyWriter struct{ l *log.Logger }

func (w legacyWriter) Write(p []byte) (int, error) {
	w.l.Print(strings.TrimSuffix(string(p), "\n"))
	return len(p), nil
}

// Handler measures the requests of an http.Handler whose routes are
// registered with [Route]: it reports each request's route, status and
// latency to Metrics, and lets the handlers' logs name the route
// ([RouteOf]). A nil Metrics reports nothing.
type Handler struct {
	// Name is the handler label: "issuer", "verifier", "oidcprovider".
	Name string
	// Metrics receives the measurements; nil means none.
	Metrics Metrics
	// Now is the clock of latencies; nil means time.Now.
	Now func() time.Time
}

// Serve serves r with next and reports the request, under the route name
// that the [Route] wrapper of the handler serving it set (or route, when
// it set none: [Unmatched] for a mux's own 404 and 405 answers).
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, route string, next http.Handler) {
	now := h.Now
	if now == nil {
		now = time.Now
	}
	start := now()
	rec := &recorder{ResponseWriter: w, route: route}
	next.ServeHTTP(rec, r)
	if h.Metrics == nil {
		return
	}
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	h.Metrics.Request(h.Name, rec.route, status, now().Sub(start))
}

// Route wraps next so that the requests it serves are reported under
// name, a fixed, low-cardinality route name.
func Route(name string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		SetRoute(w, name)
		next(w, r)
	}
}

// SetRoute names the route of the request whose ResponseWriter is w, if
// w is the recorder of a [Handler] (a handler serving several routes
// itself names them so).
func SetRoute(w http.ResponseWriter, name string) {
	if rec, ok := w.(*recorder); ok {
		rec.route = name
	}
}

// RouteOf returns the route name of the request whose ResponseWriter is
// w, or "" when w is not the recorder of a [Handler].
func RouteOf(w http.ResponseWriter) string {
	if rec, ok := w.(*recorder); ok {
		return rec.route
	}
	return ""
}

// recorder notes the status code of a response.
type recorder struct {
	http.ResponseWriter
	route  string
	status int
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

// Flush flushes the underlying writer when it can.
func (r *recorder) Flush() {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	http.NewResponseController(r.ResponseWriter).Flush()
}

// Unwrap returns the underlying writer, for http.ResponseController.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// Redact returns s with every run of 16 or more digits (a NIK, a family
// card number) replaced by "[redacted]": a safety net for error texts
// that come from outside (a DocumentSource, a database driver) before
// they are logged. Secrets of the protocols (tokens, codes, nonces) are
// never put into logged errors in the first place.
func Redact(s string) string {
	var b strings.Builder
	run := 0
	for i := 0; i <= len(s); i++ {
		if i < len(s) && s[i] >= '0' && s[i] <= '9' {
			run++
			continue
		}
		if run >= 16 {
			b.WriteString("[redacted]")
		} else {
			b.WriteString(s[i-run : i])
		}
		run = 0
		if i < len(s) {
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// Err is the slog attribute "error" of err's redacted text.
func Err(err error) slog.Attr { return slog.String("error", Redact(err.Error())) }
