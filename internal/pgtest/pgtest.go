// Package pgtest gives a test a fresh schema of its own in the test
// PostgreSQL (127.0.0.1:5432, database test, user postgres, trust auth),
// so tests that share the database never see each other's tables. Only
// tests import it.
package pgtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// URL is the test PostgreSQL.
const URL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Schema creates a schema named prefix and a random suffix, and returns
// its name and a URL whose search_path is that schema. The schema is
// dropped when the test ends, after the cleanups the test registers
// later (closing its store, say). Without PostgreSQL the test fails,
// unless PHASEGATE_SKIP_POSTGRES=1 says to skip it.
func Schema(t testing.TB, prefix string) (dsn, schema string) {
	t.Helper()
	if os.Getenv("PHASEGATE_SKIP_POSTGRES") == "1" {
		t.Skip("PHASEGATE_SKIP_POSTGRES=1: PostgreSQL tests skipped")
	}
	admin, err := sql.Open("pgx", URL)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = admin.PingContext(ctx)
		cancel()
	}
	if err != nil {
		t.Fatalf("PostgreSQL is not reachable at %s (%v): start it (database test, user postgres, trust auth) "+
			"or set PHASEGATE_SKIP_POSTGRES=1 to skip the PostgreSQL tests explicitly", URL, err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	schema = prefix + "_" + hex.EncodeToString(b)
	if _, err := admin.Exec(`CREATE SCHEMA ` + schema); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA ` + schema + ` CASCADE`); err != nil {
			t.Errorf("drop schema %s: %v", schema, err)
		}
		admin.Close()
	})
	u, _ := url.Parse(URL)
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), schema
}
