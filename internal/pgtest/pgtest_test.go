package pgtest

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"testing"

	"github.com/jackc/pgx/v5"
)

// TestDSN: each call gives an empty database of its own, which lives
// until its test ends and is gone then.
func TestDSN(t *testing.T) {
	ctx := context.Background()
	outer, err := pgx.Connect(ctx, DSN(t))
	if err != nil {
		t.Fatal(err)
	}
	defer outer.Close(ctx)
	var names []string
	t.Run("databases", func(t *testing.T) {
		for range 2 {
			conn, err := pgx.Connect(ctx, DSN(t))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var name string
			var tables int
			if err := conn.QueryRow(ctx, `SELECT current_database(), (SELECT COUNT(*) FROM pg_tables WHERE schemaname = 'public')`).Scan(&name, &tables); err != nil {
				t.Fatal(err)
			}
			if tables != 0 {
				t.Errorf("database %s has %d tables", name, tables)
			}
			names = append(names, name)
		}
		if len(names) == 2 && names[0] == names[1] {
			t.Errorf("both calls gave database %s", names[0])
		}
	})
	if err := outer.Ping(ctx); err != nil {
		t.Errorf("the test's own database is gone before the test ends: %v", err)
	}
	conn, err := pgx.Connect(ctx, os.Getenv(EnvVar))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, name := range names {
		var n int
		if err := conn.QueryRow(ctx, `SELECT COUNT(*) FROM pg_database WHERE datname = $1`, name).Scan(&n); err != nil || n != 0 {
			t.Errorf("database %s still there (%d, %v)", name, n, err)
		}
	}
}

// skipRecorder is a testing.TB whose Skip records its reason and ends
// only the calling goroutine, so the skip is observed, not taken.
type skipRecorder struct {
	testing.TB
	skipped string
}

func (r *skipRecorder) Helper() {}

func (r *skipRecorder) Skip(args ...any) {
	r.skipped = fmt.Sprint(args...)
	runtime.Goexit()
}

// TestDSNUnset: without the variable, DSN skips the test with the reason.
func TestDSNUnset(t *testing.T) {
	t.Setenv(EnvVar, "")
	r := &skipRecorder{TB: t}
	returned := false
	done := make(chan struct{})
	go func() {
		defer close(done)
		DSN(r)
		returned = true
	}()
	<-done
	if returned || r.skipped != EnvVar+" not set" {
		t.Errorf("DSN returned %v, skipped %q", returned, r.skipped)
	}
}
