package oidcprovider_test

import (
	"encoding/base64"
	"log/slog"
	"os"
	"testing"
)

func base64URL(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

// TestMain keeps zitadel's warnings (it logs every refused request
// through slog's default logger) out of the test output.
func TestMain(m *testing.M) {
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	os.Exit(m.Run())
}
