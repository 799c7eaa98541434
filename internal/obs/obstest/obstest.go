// Package obstest holds test doubles of the logging and metrics hooks: a
// Metrics that records what it is told and a slog handler that captures
// every record as text. Tests only.
package obstest

import (
	"bytes"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"
)

// Request is one call of Metrics.Request, without the latency.
type Request struct {
	Handler, Route string
	Status         int
}

// String is "handler route status".
func (r Request) String() string { return fmt.Sprintf("%s %s %d", r.Handler, r.Route, r.Status) }

// Metrics records the calls of the Metrics hooks. It is safe for
// concurrent use.
type Metrics struct {
	mu       sync.Mutex
	requests []Request
	outcomes []string // "op outcome"
	negative bool     // a negative latency was reported
}

// Request records a request.
func (m *Metrics) Request(handler, route string, status int, d time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.requests = append(m.requests, Request{handler, route, status})
	m.negative = m.negative || d < 0
}

// Outcome records an outcome as "op outcome".
func (m *Metrics) Outcome(op, outcome string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.outcomes = append(m.outcomes, op+" "+outcome)
}

// Requests returns the requests recorded so far.
func (m *Metrics) Requests() []Request {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.requests)
}

// Outcomes returns the outcomes recorded so far, as "op outcome".
func (m *Metrics) Outcomes() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.outcomes)
}

// HasRequest reports whether a request of handler at route answered
// status was recorded.
func (m *Metrics) HasRequest(handler, route string, status int) bool {
	return slices.Contains(m.Requests(), Request{handler, route, status})
}

// HasOutcome reports whether outcome of op was recorded.
func (m *Metrics) HasOutcome(op, outcome string) bool {
	return slices.Contains(m.Outcomes(), op+" "+outcome)
}

// NegativeLatency reports whether a negative latency was reported.
func (m *Metrics) NegativeLatency() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.negative
}

// Log captures log records of every level as text, one line each,
// without the time. It is safe for concurrent use.
type Log struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Logger returns a logger writing into the capture, at Debug level.
func (l *Log) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(lockedWriter{l}, &slog.HandlerOptions{Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		}}))
}

type lockedWriter struct{ l *Log }

func (w lockedWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	return w.l.buf.Write(p)
}

// String returns everything logged so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
