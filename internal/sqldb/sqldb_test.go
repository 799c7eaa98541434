package sqldb

import "testing"

func TestRebind(t *testing.T) {
	for in, want := range map[string]string{
		"SELECT 1": "SELECT 1",
		"UPDATE t SET a = ? WHERE b = ? AND c = ?": "UPDATE t SET a = $1 WHERE b = $2 AND c = $3",
		"INSERT INTO t (a) VALUES (?)":             "INSERT INTO t (a) VALUES ($1)",
	} {
		if got := Rebind(in); got != want {
			t.Errorf("Rebind(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestIsPostgres(t *testing.T) {
	for dsn, want := range map[string]bool{
		"postgres://u@h/db": true, "postgresql://u@h/db": true, "/var/lib/x.db": false, "x.db": false, "postgres.db": false,
	} {
		if IsPostgres(dsn) != want {
			t.Errorf("IsPostgres(%q) = %v", dsn, !want)
		}
	}
}
