package store

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// TestUpgradeFromSchema4 opens a database written before account
// requests and the gates (schema 4: two admins, one estate version, one
// incident)
// with this binary: the new migrations apply, the old version reads as
// usable (nothing pending), and with two admins dual control is on
// although no switch was ever recorded.
func TestUpgradeFromSchema4(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "old.db")
	raw, err := sql.Open("sqlite", sqliteDSN(path, true))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations("sqlite")
	if err != nil {
		t.Fatal(err)
	}
	old := &DB{d: sqliteDialect{}, write: raw}
	if _, err := raw.ExecContext(ctx, `CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	for range 4 {
		if done, err := old.migrateOne(ctx, ms[:4]); err != nil || done {
			t.Fatalf("migrating to 4: done %v, %v", done, err)
		}
	}
	for _, q := range []string{
		`INSERT INTO estate_versions (number, sha256, uploaded_by, uploaded_at, sources, systems, services, teams, document)
		 VALUES (1, 'x', 'ada', '2025-09-01T08:00:00.000000Z', '["estate.yaml"]', 1, 0, 1,
		 '{"version":1,"teams":[{"id":"t","capacity":1}],"systems":[{"id":"ad","kind":"identity","team":"t","criticality":1,"restore":"1h"}]}')`,
		`INSERT INTO incidents (id, name, kind, started_at, declared_by, declared_at, estate_version, total_shutdown, required_approvals, closed_at, closed_by)
		 VALUES (1, 'old', 'ransomware', '2025-09-01T08:00:00.000000Z', 'ada', '2025-09-01T08:00:00.000000Z', 1, 0, 2, '', '')`,
		`INSERT INTO users (id, name, password_hash, grants, disabled, created_at, created_by)
		 VALUES (1, 'ada', 'x', '[{"role":"admin"}]', 0, '2025-09-01T08:00:00.000000Z', 'cli:break-glass'),
		        (2, 'bob', 'x', '[{"role":"admin"}]', 0, '2025-09-01T08:00:00.000000Z', 'cli:break-glass')`,
	} {
		if _, err := raw.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	raw.Close()

	db, err := OpenSQLite(ctx, path, nil)
	if err != nil {
		t.Fatalf("opening the schema-4 database: %v", err)
	}
	defer db.Close()
	if v, err := db.SchemaVersion(ctx); err != nil || v != len(ms) {
		t.Fatalf("schema version %d (%v), want %d", v, err, len(ms))
	}
	err = db.View(ctx, func(tx incident.Tx) error {
		vs, err := tx.EstateVersions()
		if err != nil {
			return err
		}
		if len(vs) != 1 || vs[0].Pending() || len(vs[0].Weakens) != 0 || vs[0].ApprovedBy != "" || !vs[0].ApprovedAt.IsZero() {
			t.Errorf("the old version after the upgrade: %+v", vs)
		}
		in, err := tx.Incident(1)
		if err != nil || in.RequiredApprovals != 2 || in.Lowering != nil {
			t.Errorf("the old incident after the upgrade: %+v %v", in, err)
		}
		rs, err := tx.AccountRequests(incident.AccountQuery{})
		if err != nil || len(rs) != 0 {
			t.Errorf("account requests after the upgrade: %v %v", rs, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	svc := incident.New(incident.Config{Store: db, Clock: db.now})
	on, err := svc.DualControl(ctx, incident.Actor{UserID: 1, Name: "ada", Grants: []incident.Grant{{Role: incident.RoleAdmin}}})
	if err != nil || !on {
		t.Fatalf("dual control with two admins after the upgrade: %v %v", on, err)
	}
}
