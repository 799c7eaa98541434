// Package pgtest gives tests a PostgreSQL database of their own.
//
// The tests that need PostgreSQL (the issuer's PostgreSQL store) read the
// environment variable IKDKIT_TEST_POSTGRES_DSN: a DSN, with the right to
// create databases, to a running server, such as
// postgres://ikdkit@127.0.0.1:54329/postgres?sslmode=disable. [DSN] creates
// a fresh database with a random name on that server for the calling test,
// drops it when the test ends, and returns the DSN of that database, so
// tests never see each other's data and leave nothing behind.
//
// When the variable is unset, DSN skips the test: the one skip the project
// allows, because CI (.ci/run, through .ci/postgres) always starts a server
// and sets the variable.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvVar is the environment variable holding the admin DSN.
const EnvVar = "IKDKIT_TEST_POSTGRES_DSN"

// DSN returns the DSN of a new, empty database on the server of
// IKDKIT_TEST_POSTGRES_DSN, dropped (with any connections still open to
// it) when t ends. It skips t when the variable is unset and fails t when
// the server cannot be reached or the database cannot be created.
func DSN(t testing.TB) string {
	t.Helper()
	admin := os.Getenv(EnvVar)
	if admin == "" {
		t.Skip(EnvVar + " not set")
	}
	u, err := url.Parse(admin)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		t.Fatalf("pgtest: %s is not a postgres:// URL: %q", EnvVar, admin)
	}
	var raw [8]byte
	if _, err := rand.Read(raw[:]); err != nil {
		t.Fatal(err)
	}
	name := "ikdkit_test_" + hex.EncodeToString(raw[:])
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := pgx.Connect(ctx, admin)
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", EnvVar, err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		conn, err := pgx.Connect(ctx, admin)
		if err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
			return
		}
		defer conn.Close(ctx)
		// WITH (FORCE): connections a failed test left open do not keep
		// the database alive.
		if _, err := conn.Exec(ctx, "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)"); err != nil {
			t.Errorf("pgtest: drop database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
