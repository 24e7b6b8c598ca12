package store

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"

	"github.com/phasegate/phasegate"
)

// copyPostgres copies a PostgreSQL store into a new SQLite store at path
// (an empty file): the SQLite migrations make the schema, then every
// table of that schema is filled from the same-named PostgreSQL table,
// all of it read in one read-only REPEATABLE READ transaction, so the
// copy is the store at one commit while writers go on.
//
// The tables are those of the migrated SQLite schema, not a list kept
// here: a table a new migration adds is copied without a change to this
// file, and a table or column on one side only refuses the copy, naming
// it, rather than leave something out.
//
// Both dialects store the same values (times as fixed-width TEXT, booleans
// as INTEGER 0/1, JSON as TEXT, ids assigned by the store as max+1, no
// sequences): the copy holds what the SQLite store would have written.
func (db *DB) copyPostgres(ctx context.Context, path string) (err error) {
	cp, err := OpenSQLite(ctx, path, db.clock)
	if err != nil {
		return fmt.Errorf("making the copy: %w", err)
	}
	defer func() {
		if cerr := cp.Close(); err == nil && cerr != nil {
			err = fmt.Errorf("closing the copy: %w", cerr)
		}
	}()
	// Not synced as it is filled: Backup syncs the whole file before it
	// takes the final name.
	if _, err := cp.write.ExecContext(ctx, `PRAGMA synchronous = OFF`); err != nil {
		return fmt.Errorf("making the copy: %w", err)
	}
	src, err := db.d.beginView(ctx, db.read)
	if err != nil {
		return fmt.Errorf("reading PostgreSQL: %w", err)
	}
	defer src.Rollback()

	tables, err := backupTables(ctx, cp.write, src)
	if err != nil {
		return err
	}
	dst, err := cp.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("writing the copy: %w", err)
	}
	defer dst.Rollback()
	// Foreign keys are checked once, at commit, so the tables are
	// emptied and filled in any order.
	if _, err := dst.ExecContext(ctx, `PRAGMA defer_foreign_keys = ON`); err != nil {
		return fmt.Errorf("writing the copy: %w", err)
	}
	// The rows the migrations made (the chain head's first) are
	// replaced by the store's. No trigger fires: the only ones (the
	// events' append-only guard) refuse UPDATE and DELETE of rows, and
	// the copy's events are empty.
	for _, t := range tables {
		if _, err := dst.ExecContext(ctx, `DELETE FROM `+quoteIdent(t.name)); err != nil {
			return fmt.Errorf("emptying %s in the copy: %w", t.name, err)
		}
	}
	for _, t := range tables {
		if err := copyTable(ctx, src, dst, t); err != nil {
			return err
		}
	}
	if err := dst.Commit(); err != nil {
		return fmt.Errorf("writing the copy: %w", err)
	}
	return nil
}

// backupTable is one table to copy: its columns as the SQLite schema has
// them, in order, and the primary key.
type backupTable struct {
	name string
	cols []string
	key  []string
}

// backupTables lists the tables of the copy's SQLite schema, by name,
// and checks that PostgreSQL has
// the same schema version, tables and columns.
func backupTables(ctx context.Context, cp *sql.DB, src *sql.Tx) ([]backupTable, error) {
	var sqliteVersion, pgVersion int
	if err := cp.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&sqliteVersion); err != nil {
		return nil, fmt.Errorf("reading the copy's schema version: %w", err)
	}
	if err := src.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&pgVersion); err != nil {
		return nil, fmt.Errorf("reading PostgreSQL's schema version: %w", err)
	}
	if pgVersion != sqliteVersion {
		return nil, phasegate.Errorf(phasegate.ECONFLICT,
			"the PostgreSQL store is at schema version %d, and this phasegate makes SQLite stores at version %d: the two schemas differ "+
				"(a newer or older phasegate migrated the store); back it up with the phasegate that serves it", pgVersion, sqliteVersion)
	}

	rows, err := cp.QueryContext(ctx, `SELECT name FROM sqlite_master
		WHERE type = 'table' AND name NOT LIKE 'sqlite\_%' ESCAPE '\' AND name <> 'schema_migrations' ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("listing the copy's tables: %w", err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			rows.Close()
			return nil, err
		}
		names = append(names, n)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing the copy's tables: %w", err)
	}

	pgCols, err := postgresColumns(ctx, src)
	if err != nil {
		return nil, err
	}
	var tables []backupTable
	for _, name := range names {
		t, err := sqliteTable(ctx, cp, name)
		if err != nil {
			return nil, err
		}
		if err := sameColumns(name, t.cols, pgCols); err != nil {
			return nil, err
		}
		tables = append(tables, t)
	}
	for name := range pgCols {
		if name != "schema_migrations" && !slices.Contains(names, name) {
			return nil, phasegate.Errorf(phasegate.ECONFLICT,
				"the PostgreSQL store has a table %s that this phasegate's SQLite schema lacks: the two schemas differ "+
					"(a newer phasegate migrated the store?); back it up with the phasegate that serves it", name)
		}
	}
	return tables, nil
}

// sqliteTable reads a table of the copy's schema: its columns and its
// primary key.
func sqliteTable(ctx context.Context, cp *sql.DB, name string) (backupTable, error) {
	t := backupTable{name: name}
	rows, err := cp.QueryContext(ctx, `SELECT name, pk FROM pragma_table_info(?) ORDER BY cid`, name)
	if err != nil {
		return t, fmt.Errorf("reading the columns of %s: %w", name, err)
	}
	defer rows.Close()
	keyAt := map[int]string{} // position in the primary key (from 1)
	for rows.Next() {
		var col string
		var pk int
		if err := rows.Scan(&col, &pk); err != nil {
			return t, err
		}
		t.cols = append(t.cols, col)
		if pk > 0 {
			keyAt[pk] = col
		}
	}
	if err := rows.Err(); err != nil {
		return t, fmt.Errorf("reading the columns of %s: %w", name, err)
	}
	for i := 1; i <= len(keyAt); i++ {
		t.key = append(t.key, keyAt[i])
	}
	return t, nil
}

// postgresColumns reads the columns of every table of the store's schema
// (the first of the search path, where the migrations made them).
func postgresColumns(ctx context.Context, src *sql.Tx) (map[string][]string, error) {
	cols := map[string][]string{}
	rows, err := src.QueryContext(ctx, `SELECT t.table_name, c.column_name
		FROM information_schema.tables t
		LEFT JOIN information_schema.columns c ON c.table_schema = t.table_schema AND c.table_name = t.table_name
		WHERE t.table_schema = current_schema() AND t.table_type = 'BASE TABLE'
		ORDER BY t.table_name, c.ordinal_position`)
	if err != nil {
		return nil, fmt.Errorf("listing PostgreSQL's tables: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var table string
		var col sql.NullString
		if err := rows.Scan(&table, &col); err != nil {
			return nil, err
		}
		cols[table] = append(cols[table], col.String)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("listing PostgreSQL's tables: %w", err)
	}
	return cols, nil
}

// sameColumns refuses a table whose columns differ between the schemas.
func sameColumns(table string, sqliteCols []string, pgCols map[string][]string) error {
	pg, ok := pgCols[table]
	if !ok {
		return phasegate.Errorf(phasegate.ECONFLICT,
			"the PostgreSQL store has no table %s, which this phasegate's SQLite schema has: the two schemas differ "+
				"(an older phasegate migrated the store?); back it up with the phasegate that serves it", table)
	}
	for _, c := range sqliteCols {
		if !slices.Contains(pg, c) {
			return phasegate.Errorf(phasegate.ECONFLICT,
				"the PostgreSQL store's table %s has no column %s, which this phasegate's SQLite schema has: the two schemas differ "+
					"(an older phasegate migrated the store?); back it up with the phasegate that serves it", table, c)
		}
	}
	for _, c := range pg {
		if !slices.Contains(sqliteCols, c) {
			return phasegate.Errorf(phasegate.ECONFLICT,
				"the PostgreSQL store's table %s has a column %s that this phasegate's SQLite schema lacks: the two schemas differ "+
					"(a newer phasegate migrated the store?); back it up with the phasegate that serves it", table, c)
		}
	}
	return nil
}

// copyTable fills one table of the copy from PostgreSQL, in the order of
// its primary key, through one prepared statement.
func copyTable(ctx context.Context, src, dst *sql.Tx, t backupTable) error {
	cols := make([]string, len(t.cols))
	for i, c := range t.cols {
		cols[i] = quoteIdent(c)
	}
	q := `SELECT ` + strings.Join(cols, ", ") + ` FROM ` + quoteIdent(t.name)
	if len(t.key) > 0 {
		key := make([]string, len(t.key))
		for i, c := range t.key {
			key[i] = quoteIdent(c)
		}
		q += ` ORDER BY ` + strings.Join(key, ", ")
	}
	ins, err := dst.PrepareContext(ctx, `INSERT INTO `+quoteIdent(t.name)+` (`+strings.Join(cols, ", ")+`) VALUES (?`+
		strings.Repeat(", ?", len(cols)-1)+`)`)
	if err != nil {
		return fmt.Errorf("copying %s: %w", t.name, err)
	}
	defer ins.Close()
	rows, err := src.QueryContext(ctx, q)
	if err != nil {
		return fmt.Errorf("reading %s from PostgreSQL: %w", t.name, err)
	}
	defer rows.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("reading %s from PostgreSQL: %w", t.name, err)
		}
		for i, v := range vals {
			// The stores write integers (booleans as 0/1), reals, text
			// and NULL; anything else means the schemas differ.
			switch v.(type) {
			case nil, int64, float64, string:
			default:
				return phasegate.Errorf(phasegate.ECONFLICT, "%s.%s in PostgreSQL holds a %T, which phasegate stores never write: the two schemas differ",
					t.name, t.cols[i], v)
			}
		}
		if _, err := ins.ExecContext(ctx, vals...); err != nil {
			return fmt.Errorf("copying %s: %w", t.name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading %s from PostgreSQL: %w", t.name, err)
	}
	return nil
}

// quoteIdent quotes a table or column name alike for SQLite and
// PostgreSQL.
func quoteIdent(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, `""`) + `"`
}
