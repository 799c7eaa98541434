// Package sqldb holds what ikdkit's stores that run on SQLite or
// PostgreSQL share: telling a PostgreSQL DSN from a SQLite path, and
// writing SQL once with "?" placeholders.
package sqldb

import (
	"strconv"
	"strings"
)

// IsPostgres reports whether database names a PostgreSQL database: a
// postgres:// or postgresql:// URL. Anything else is a SQLite file path.
func IsPostgres(database string) bool {
	return strings.HasPrefix(database, "postgres://") || strings.HasPrefix(database, "postgresql://")
}

// Rebind numbers the "?" placeholders of query as PostgreSQL's $1, $2, …
// The queries it is given have no "?" inside a literal or an identifier.
func Rebind(query string) string {
	if !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	b.Grow(len(query) + 8)
	n := 0
	for i := 0; i < len(query); i++ {
		if query[i] == '?' {
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
			continue
		}
		b.WriteByte(query[i])
	}
	return b.String()
}
