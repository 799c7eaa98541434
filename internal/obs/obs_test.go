package obs

import (
	"bytes"
	"errors"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

type rec struct {
	route  string
	status int
	d      time.Duration
	n      int
}

func (r *rec) Request(_, route string, status int, d time.Duration) {
	r.route, r.status, r.d, r.n = route, status, d, r.n+1
}
func (r *rec) Outcome(string, string) {}

func TestHandler(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /a", Route("a", func(w http.ResponseWriter, r *http.Request) {
		if RouteOf(w) != "a" {
			t.Errorf("RouteOf %q", RouteOf(w))
		}
		w.WriteHeader(http.StatusTeapot)
		w.WriteHeader(http.StatusOK) // superfluous: the first counts
	}))
	mux.HandleFunc("GET /b", Route("b", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("x"))
		http.NewResponseController(w).Flush()
	}))
	var m rec
	clock := time.Unix(0, 0)
	h := Handler{Name: "t", Metrics: &m, Now: func() time.Time { clock = clock.Add(time.Second); return clock }}
	for _, tc := range []struct {
		method, path, route string
		status              int
	}{
		{"GET", "/a", "a", http.StatusTeapot},
		{"GET", "/b", "b", http.StatusOK},
		{"GET", "/c", Unmatched, http.StatusNotFound},
		{"POST", "/a", Unmatched, http.StatusMethodNotAllowed},
	} {
		w := httptest.NewRecorder()
		h.Serve(w, httptest.NewRequest(tc.method, tc.path, nil), Unmatched, mux)
		if m.route != tc.route || m.status != tc.status || m.d != time.Second || w.Code != tc.status {
			t.Errorf("%s %s: %+v, answered %d", tc.method, tc.path, m, w.Code)
		}
	}
	if m.n != 4 {
		t.Errorf("%d requests", m.n)
	}
	// No Metrics: served all the same.
	w := httptest.NewRecorder()
	(&Handler{}).Serve(w, httptest.NewRequest("GET", "/b", nil), Unmatched, mux)
	if w.Code != http.StatusOK || w.Body.String() != "x" || !w.Flushed {
		t.Errorf("without Metrics: %d %q", w.Code, w.Body)
	}
}

func TestLogger(t *testing.T) {
	l := slog.New(slog.DiscardHandler)
	if Logger(l, log.Default()) != l || Logger(nil, nil) != slog.Default() {
		t.Error("Logger does not prefer l, then slog.Default()")
	}
	var buf bytes.Buffer
	lg := Logger(nil, log.New(&buf, "p: ", 0))
	lg.Info("not this")
	lg.Error("server error", "route", "token", Err(errors.New("db 3174015708950021 down")))
	if got := buf.String(); got != "p: level=ERROR msg=\"server error\" route=token error=\"db [redacted] down\"\n" {
		t.Errorf("legacy log %q", got)
	}
}

func TestRedact(t *testing.T) {
	for in, want := range map[string]string{
		"":                         "",
		"nik 3174015708950021":     "nik [redacted]",
		"3174015708950021":         "[redacted]",
		"a31740157089500211b":      "a[redacted]b",
		"list 12, 123456789012345": "list 12, 123456789012345",
	} {
		if got := Redact(in); got != want {
			t.Errorf("Redact(%q) = %q, want %q", in, got, want)
		}
	}
}
