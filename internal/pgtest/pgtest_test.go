package pgtest_test

import (
	"database/sql"
	"strings"
	"testing"

	"github.com/phasegate/phasegate/internal/pgtest"
)

// schemaExists asks the server, not the schema's own connection.
func schemaExists(t *testing.T, name string) bool {
	t.Helper()
	db, err := sql.Open("pgx", pgtest.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var n int
	if err := db.QueryRow(`SELECT count(*) FROM pg_namespace WHERE nspname = $1`, name).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n == 1
}

func TestSchemaIsTheTestsOwnAndIsDroppedAfter(t *testing.T) {
	var first, second string
	t.Run("use", func(t *testing.T) {
		dsn, schema := pgtest.Schema(t, "pgtesttest")
		_, other := pgtest.Schema(t, "pgtesttest")
		first, second = schema, other
		if !strings.HasPrefix(schema, "pgtesttest_") || schema == other {
			t.Fatalf("schemas %q and %q: want two different names starting pgtesttest_", schema, other)
		}
		// A table made through the URL lands in the schema.
		db, err := sql.Open("pgx", dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		if _, err := db.Exec(`CREATE TABLE t (x int)`); err != nil {
			t.Fatal(err)
		}
		var got string
		if err := db.QueryRow(`SELECT table_schema FROM information_schema.tables WHERE table_name = 't' AND table_schema = current_schema()`).Scan(&got); err != nil || got != schema {
			t.Fatalf("table t is in schema %q (%v), want %q", got, err, schema)
		}
	})
	if first == "" {
		return // skipped
	}
	for _, s := range []string{first, second} {
		if schemaExists(t, s) {
			t.Errorf("schema %s is still there after the test", s)
		}
	}
}
