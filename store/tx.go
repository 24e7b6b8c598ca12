package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// tx implements incident.Tx with SQL shared by both dialects.
type tx struct {
	ctx   context.Context
	tx    *sql.Tx
	d     dialect
	now   time.Time
	write bool
}

func (t *tx) Now() time.Time { return t.now }

func (t *tx) exec(q string, args ...any) (sql.Result, error) {
	return t.tx.ExecContext(t.ctx, t.d.rebind(q), args...)
}

func (t *tx) query(q string, args ...any) (*sql.Rows, error) {
	return t.tx.QueryContext(t.ctx, t.d.rebind(q), args...)
}

// queryAll runs a query and scans each row of its answer with scan.
func queryAll[T any](t *tx, scan func(interface{ Scan(...any) error }) (*T, error), q string, args ...any) ([]T, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		v, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *v)
	}
	return out, rows.Err()
}

func (t *tx) row(q string, args ...any) *sql.Row {
	return t.tx.QueryRowContext(t.ctx, t.d.rebind(q), args...)
}

// nextID assigns max+1: safe because writers are serialised, and the
// same in both dialects.
func (t *tx) nextID(table, col string) (int64, error) {
	var id int64
	err := t.row(`SELECT COALESCE(MAX(` + col + `), 0) + 1 FROM ` + table).Scan(&id)
	return id, err
}

func (t *tx) mustWrite() error {
	if !t.write {
		return errors.New("store: write in a read-only transaction")
	}
	return nil
}

func ts(tm time.Time) string {
	if tm.IsZero() {
		return ""
	}
	return incident.FormatTime(tm)
}

func pt(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	return time.Parse(incident.TimeFormat, s)
}

// times parses stored times into the given destinations.
func times(pairs ...any) error {
	for i := 0; i < len(pairs); i += 2 {
		v, err := pt(pairs[i].(string))
		if err != nil {
			return fmt.Errorf("store: stored time %q: %w", pairs[i], err)
		}
		*(pairs[i+1].(*time.Time)) = v
	}
	return nil
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func notFound(err error, format string, args ...any) error {
	if errors.Is(err, sql.ErrNoRows) {
		return phasegate.Errorf(phasegate.ENOTFOUND, format, args...)
	}
	return err
}

// ---- events ----

const eventCols = `seq, at, actor, type, incident_id, subject, payload, prev_hash, hash`

func scanEvent(sc interface{ Scan(...any) error }) (incident.Event, error) {
	var e incident.Event
	var at, payload string
	if err := sc.Scan(&e.Seq, &at, &e.Actor, &e.Type, &e.IncidentID, &e.Subject, &payload, &e.PrevHash, &e.Hash); err != nil {
		return e, err
	}
	e.Payload = json.RawMessage(payload)
	var err error
	e.At, err = pt(at)
	if err != nil {
		// Keep a damaged time visible to Verify rather than failing
		// the scan: the hash check will name the event.
		e.At = time.Time{}
	}
	return e, nil
}

func (t *tx) AppendEvent(e incident.Event) (incident.Event, error) {
	if err := t.mustWrite(); err != nil {
		return e, err
	}
	payload, err := incident.CanonicalJSON(e.Payload)
	if err != nil {
		return e, fmt.Errorf("store: event %s: %w", e.Type, err)
	}
	var seq int64
	var prev string
	if err := t.row(`SELECT seq, hash FROM chain_head WHERE id = 1`).Scan(&seq, &prev); err != nil {
		return e, fmt.Errorf("store: read chain head: %w", err)
	}
	e.Seq, e.At, e.PrevHash, e.Payload = seq+1, t.now, prev, payload
	if e.Hash, err = incident.HashEvent(e); err != nil {
		return e, err
	}
	if _, err := t.exec(`INSERT INTO events (`+eventCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.Seq, ts(e.At), e.Actor, e.Type, e.IncidentID, e.Subject, string(e.Payload), e.PrevHash, e.Hash); err != nil {
		return e, fmt.Errorf("store: append event: %w", err)
	}
	if _, err := t.exec(`UPDATE chain_head SET seq = ?, hash = ? WHERE id = 1`, e.Seq, e.Hash); err != nil {
		return e, fmt.Errorf("store: advance chain head: %w", err)
	}
	return e, nil
}

func (t *tx) Events(q incident.EventQuery) ([]incident.Event, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 1000
	}
	sqlq := `SELECT ` + eventCols + ` FROM events WHERE seq > ?`
	args := []any{q.After}
	if q.IncidentID != 0 {
		sqlq += ` AND incident_id = ?`
		args = append(args, q.IncidentID)
	}
	sqlq += ` ORDER BY seq LIMIT ?`
	args = append(args, limit)
	rows, err := t.query(sqlq, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []incident.Event
	for rows.Next() {
		e, err := scanEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// ScanEvents reads in the physical seq order (ORDER BY seq): a swapped or
// renumbered row then shows up as a broken link.
func (t *tx) ScanEvents(after int64, fn func(incident.Event) error) error {
	const page = 1000
	for {
		rows, err := t.query(`SELECT `+eventCols+` FROM events WHERE seq > ? ORDER BY seq LIMIT ?`, after, page)
		if err != nil {
			return err
		}
		n := 0
		for rows.Next() {
			e, err := scanEvent(rows)
			if err != nil {
				rows.Close()
				return err
			}
			n++
			after = e.Seq
			if err := fn(e); err != nil {
				rows.Close()
				return err
			}
		}
		if err := rows.Err(); err != nil {
			rows.Close()
			return err
		}
		rows.Close()
		if n < page {
			return nil
		}
	}
}

func (t *tx) ChainHead() (int64, string, error) {
	var seq int64
	var hash string
	err := t.row(`SELECT seq, hash FROM chain_head WHERE id = 1`).Scan(&seq, &hash)
	return seq, hash, err
}

// ---- estate versions ----

func (t *tx) InsertEstateVersion(v *incident.EstateVersion) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	n, err := t.nextID("estate_versions", "number")
	if err != nil {
		return err
	}
	v.Number = int(n)
	sources, _ := json.Marshal(v.Sources)
	weakens, err := json.Marshal(v.Weakens)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO estate_versions (number, sha256, uploaded_by, uploaded_at, sources, systems, services, teams, document,
		weakens, approved_by, approved_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.Number, v.SHA256, v.UploadedBy, ts(v.UploadedAt), string(sources), v.Systems, v.Services, v.Teams, string(v.Document),
		string(weakens), v.ApprovedBy, ts(v.ApprovedAt))
	return err
}

func (t *tx) ApproveEstateVersion(v *incident.EstateVersion) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE estate_versions SET approved_by = ?, approved_at = ? WHERE number = ?`,
		v.ApprovedBy, ts(v.ApprovedAt), v.Number)
	return affected(res, err, "there is no estate version %d", v.Number)
}

const estateCols = `number, sha256, uploaded_by, uploaded_at, sources, systems, services, teams, weakens, approved_by, approved_at`

func scanEstate(sc interface{ Scan(...any) error }, withDoc bool) (*incident.EstateVersion, error) {
	var v incident.EstateVersion
	var at, sources, weakens, approved, doc string
	dest := []any{&v.Number, &v.SHA256, &v.UploadedBy, &at, &sources, &v.Systems, &v.Services, &v.Teams,
		&weakens, &v.ApprovedBy, &approved}
	if withDoc {
		dest = append(dest, &doc)
	}
	if err := sc.Scan(dest...); err != nil {
		return nil, err
	}
	if err := times(at, &v.UploadedAt, approved, &v.ApprovedAt); err != nil {
		return nil, err
	}
	_ = json.Unmarshal([]byte(sources), &v.Sources)
	if err := json.Unmarshal([]byte(weakens), &v.Weakens); err != nil {
		return nil, fmt.Errorf("store: estate version %d: stored weakens: %w", v.Number, err)
	}
	if withDoc {
		v.Document = []byte(doc)
	}
	return &v, nil
}

func (t *tx) EstateVersion(n int) (*incident.EstateVersion, error) {
	v, err := scanEstate(t.row(`SELECT `+estateCols+`, document FROM estate_versions WHERE number = ?`, n), true)
	return v, notFound(err, "there is no estate version %d", n)
}

func (t *tx) LatestEstateVersion() (*incident.EstateVersion, error) {
	v, err := scanEstate(t.row(`SELECT `+estateCols+`, document FROM estate_versions ORDER BY number DESC LIMIT 1`), true)
	return v, notFound(err, "no estate has been uploaded yet: upload one first")
}

func (t *tx) EstateVersions() ([]incident.EstateVersion, error) {
	withoutDoc := func(sc interface{ Scan(...any) error }) (*incident.EstateVersion, error) {
		return scanEstate(sc, false)
	}
	return queryAll(t, withoutDoc, `SELECT `+estateCols+` FROM estate_versions ORDER BY number DESC`)
}

// ---- incidents ----

const incidentCols = `id, name, kind, started_at, declared_by, declared_at, estate_version, total_shutdown, required_approvals, closed_at, closed_by,
	lower_to, lower_by, lower_by_id, lower_at`

func scanIncident(sc interface{ Scan(...any) error }) (*incident.Incident, error) {
	var in incident.Incident
	var started, declared, closed, lowerAt string
	var shutdown int
	var low incident.Lowering
	if err := sc.Scan(&in.ID, &in.Name, &in.Kind, &started, &in.DeclaredBy, &declared, &in.EstateVersion,
		&shutdown, &in.RequiredApprovals, &closed, &in.ClosedBy, &low.To, &low.By, &low.ByID, &lowerAt); err != nil {
		return nil, err
	}
	in.TotalShutdown = shutdown != 0
	if low.To > 0 {
		in.Lowering = &low
	}
	return &in, times(started, &in.StartedAt, declared, &in.DeclaredAt, closed, &in.ClosedAt, lowerAt, &low.At)
}

// lowering is the stored form of an incident's pending lowering.
func lowering(in *incident.Incident) (to int, by string, byID int64, at string) {
	if l := in.Lowering; l != nil {
		return l.To, l.By, l.ByID, ts(l.At)
	}
	return 0, "", 0, ""
}

func (t *tx) InsertIncident(in *incident.Incident) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	id, err := t.nextID("incidents", "id")
	if err != nil {
		return err
	}
	in.ID = id
	lowTo, lowBy, lowByID, lowAt := lowering(in)
	_, err = t.exec(`INSERT INTO incidents (`+incidentCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		in.ID, in.Name, in.Kind, ts(in.StartedAt), in.DeclaredBy, ts(in.DeclaredAt), in.EstateVersion,
		b2i(in.TotalShutdown), in.RequiredApprovals, ts(in.ClosedAt), in.ClosedBy, lowTo, lowBy, lowByID, lowAt)
	return err
}

func (t *tx) UpdateIncident(in *incident.Incident) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	lowTo, lowBy, lowByID, lowAt := lowering(in)
	res, err := t.exec(`UPDATE incidents SET name = ?, kind = ?, started_at = ?, estate_version = ?, total_shutdown = ?,
		required_approvals = ?, closed_at = ?, closed_by = ?, lower_to = ?, lower_by = ?, lower_by_id = ?, lower_at = ? WHERE id = ?`,
		in.Name, in.Kind, ts(in.StartedAt), in.EstateVersion, b2i(in.TotalShutdown), in.RequiredApprovals,
		ts(in.ClosedAt), in.ClosedBy, lowTo, lowBy, lowByID, lowAt, in.ID)
	return affected(res, err, "there is no incident %d", in.ID)
}

func affected(res sql.Result, err error, format string, args ...any) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return phasegate.Errorf(phasegate.ENOTFOUND, format, args...)
	}
	return nil
}

func (t *tx) Incident(id int64) (*incident.Incident, error) {
	in, err := scanIncident(t.row(`SELECT `+incidentCols+` FROM incidents WHERE id = ?`, id))
	return in, notFound(err, "there is no incident %d", id)
}

func (t *tx) Incidents() ([]incident.Incident, error) {
	return queryAll(t, scanIncident, `SELECT `+incidentCols+` FROM incidents ORDER BY id DESC`)
}

// ---- system states ----

const stateCols = `incident_id, system_id, state, since, restoring_since, compromises, updated_by, last_seq, removed`

func scanState(sc interface{ Scan(...any) error }) (*incident.SystemState, error) {
	var st incident.SystemState
	var since, rsince string
	var removed int
	if err := sc.Scan(&st.IncidentID, &st.SystemID, &st.State, &since, &rsince, &st.Compromises, &st.UpdatedBy, &st.LastSeq, &removed); err != nil {
		return nil, err
	}
	st.Removed = removed != 0
	return &st, times(since, &st.Since, rsince, &st.RestoringSince)
}

func (t *tx) PutSystemState(st incident.SystemState) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO system_states (`+stateCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (incident_id, system_id) DO UPDATE SET state = excluded.state, since = excluded.since,
		restoring_since = excluded.restoring_since, compromises = excluded.compromises,
		updated_by = excluded.updated_by, last_seq = excluded.last_seq, removed = excluded.removed`,
		st.IncidentID, st.SystemID, string(st.State), ts(st.Since), ts(st.RestoringSince), st.Compromises,
		st.UpdatedBy, st.LastSeq, b2i(st.Removed))
	return err
}

func (t *tx) SystemState(incidentID int64, systemID string) (*incident.SystemState, error) {
	st, err := scanState(t.row(`SELECT `+stateCols+` FROM system_states WHERE incident_id = ? AND system_id = ?`, incidentID, systemID))
	return st, notFound(err, "incident %d has no system %q", incidentID, systemID)
}

func (t *tx) SystemStates(incidentID int64) ([]incident.SystemState, error) {
	return queryAll(t, scanState, `SELECT `+stateCols+` FROM system_states WHERE incident_id = ? ORDER BY system_id`, incidentID)
}

// ---- checklists ----

func (t *tx) PutChecklistEntry(e incident.ChecklistEntry) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO checklist_entries (incident_id, system_id, item_key, done, by_user, at, note, evidence)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (incident_id, system_id, item_key) DO UPDATE SET done = excluded.done, by_user = excluded.by_user,
		at = excluded.at, note = excluded.note, evidence = excluded.evidence`,
		e.IncidentID, e.SystemID, e.Key, b2i(e.Done), e.By, ts(e.At), e.Note, e.Evidence)
	return err
}

func (t *tx) ChecklistEntries(incidentID int64, systemID string) ([]incident.ChecklistEntry, error) {
	q := `SELECT incident_id, system_id, item_key, done, by_user, at, note, evidence
		FROM checklist_entries WHERE incident_id = ?`
	args := []any{incidentID}
	if systemID != "" {
		q += ` AND system_id = ?`
		args = append(args, systemID)
	}
	rows, err := t.query(q+` ORDER BY system_id, item_key`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []incident.ChecklistEntry
	for rows.Next() {
		var e incident.ChecklistEntry
		var done int
		var at string
		if err := rows.Scan(&e.IncidentID, &e.SystemID, &e.Key, &done, &e.By, &at, &e.Note, &e.Evidence); err != nil {
			return nil, err
		}
		e.Done = done != 0
		if err := times(at, &e.At); err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

func (t *tx) ResetChecklist(incidentID int64, systemID string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM checklist_entries WHERE incident_id = ? AND system_id = ?`, incidentID, systemID)
	return err
}

// ---- approvals ----

const approvalCols = `id, incident_id, system_id, from_state, to_state, reason, requested_by, requested_by_id,
	requested_at, expires_at, required, status, closed_at, closed_note, seq`

func scanApproval(sc interface{ Scan(...any) error }) (*incident.Approval, error) {
	var a incident.Approval
	var req, exp, closed string
	if err := sc.Scan(&a.ID, &a.IncidentID, &a.SystemID, &a.From, &a.To, &a.Reason, &a.RequestedBy, &a.RequestedByID,
		&req, &exp, &a.Required, &a.Status, &closed, &a.ClosedNote, &a.Seq); err != nil {
		return nil, err
	}
	return &a, times(req, &a.RequestedAt, exp, &a.ExpiresAt, closed, &a.ClosedAt)
}

func (t *tx) InsertApproval(a *incident.Approval) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	id, err := t.nextID("approvals", "id")
	if err != nil {
		return err
	}
	a.ID = id
	_, err = t.exec(`INSERT INTO approvals (`+approvalCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.ID, a.IncidentID, a.SystemID, string(a.From), string(a.To), a.Reason, a.RequestedBy, a.RequestedByID,
		ts(a.RequestedAt), ts(a.ExpiresAt), a.Required, string(a.Status), ts(a.ClosedAt), a.ClosedNote, a.Seq)
	return err
}

func (t *tx) UpdateApproval(a *incident.Approval) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE approvals SET status = ?, closed_at = ?, closed_note = ?, seq = ? WHERE id = ?`,
		string(a.Status), ts(a.ClosedAt), a.ClosedNote, a.Seq, a.ID)
	return affected(res, err, "there is no approval request %d", a.ID)
}

func (t *tx) InsertDecision(d incident.Decision) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO approval_decisions (approval_id, user_id, user_name, approve, note, at) VALUES (?, ?, ?, ?, ?, ?)`,
		d.ApprovalID, d.UserID, d.UserName, b2i(d.Approve), d.Note, ts(d.At))
	if err != nil && t.d.uniqueViolation(err) {
		return &phasegate.Error{Code: phasegate.ECONFLICT,
			Message: fmt.Sprintf("%s has already decided on approval request %d; a second person must decide", d.UserName, d.ApprovalID)}
	}
	return err
}

func (t *tx) decisions(approvalID int64) ([]incident.Decision, error) {
	rows, err := t.query(`SELECT approval_id, user_id, user_name, approve, note, at FROM approval_decisions
		WHERE approval_id = ? ORDER BY at, user_id`, approvalID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := []incident.Decision{}
	for rows.Next() {
		var d incident.Decision
		var approve int
		var at string
		if err := rows.Scan(&d.ApprovalID, &d.UserID, &d.UserName, &approve, &d.Note, &at); err != nil {
			return nil, err
		}
		d.Approve = approve != 0
		if err := times(at, &d.At); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

func (t *tx) Approval(id int64) (*incident.Approval, error) {
	a, err := scanApproval(t.row(`SELECT `+approvalCols+` FROM approvals WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "there is no approval request %d", id)
	}
	a.Decisions, err = t.decisions(a.ID)
	return a, err
}

func (t *tx) Approvals(q incident.ApprovalQuery) ([]incident.Approval, error) {
	var conds []string
	var args []any
	if q.IncidentID != 0 {
		conds, args = append(conds, "incident_id = ?"), append(args, q.IncidentID)
	}
	if q.SystemID != "" {
		conds, args = append(conds, "system_id = ?"), append(args, q.SystemID)
	}
	if q.Status != "" {
		conds, args = append(conds, "status = ?"), append(args, string(q.Status))
	}
	sqlq := `SELECT ` + approvalCols + ` FROM approvals`
	if len(conds) > 0 {
		sqlq += ` WHERE ` + strings.Join(conds, " AND ")
	}
	// The rows are closed before the decisions are read: one connection
	// serves the whole transaction.
	out, err := queryAll(t, scanApproval, sqlq+` ORDER BY id`, args...)
	if err != nil {
		return nil, err
	}
	for i := range out {
		if out[i].Decisions, err = t.decisions(out[i].ID); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ---- users ----

const userCols = `id, name, password_hash, grants, disabled, created_at, created_by`

func scanUser(sc interface{ Scan(...any) error }) (*incident.User, error) {
	var u incident.User
	var grants, created string
	var disabled int
	if err := sc.Scan(&u.ID, &u.Name, &u.PasswordHash, &grants, &disabled, &created, &u.CreatedBy); err != nil {
		return nil, err
	}
	u.Disabled = disabled != 0
	if err := json.Unmarshal([]byte(grants), &u.Grants); err != nil {
		return nil, fmt.Errorf("store: user %s: stored roles: %w", u.Name, err)
	}
	return &u, times(created, &u.CreatedAt)
}

func (t *tx) InsertUser(u *incident.User) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	id, err := t.nextID("users", "id")
	if err != nil {
		return err
	}
	grants, err := json.Marshal(u.Grants)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO users (`+userCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		id, u.Name, u.PasswordHash, string(grants), b2i(u.Disabled), ts(u.CreatedAt), u.CreatedBy)
	if err != nil {
		if t.d.uniqueViolation(err) {
			return phasegate.Errorf(phasegate.ECONFLICT, "a user named %q already exists; choose another name", u.Name)
		}
		return err
	}
	u.ID = id
	return nil
}

func (t *tx) UpdateUser(u *incident.User) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	grants, err := json.Marshal(u.Grants)
	if err != nil {
		return err
	}
	res, err := t.exec(`UPDATE users SET password_hash = ?, grants = ?, disabled = ? WHERE id = ?`,
		u.PasswordHash, string(grants), b2i(u.Disabled), u.ID)
	return affected(res, err, "there is no user %d", u.ID)
}

func (t *tx) User(id int64) (*incident.User, error) {
	u, err := scanUser(t.row(`SELECT `+userCols+` FROM users WHERE id = ?`, id))
	return u, notFound(err, "there is no user %d", id)
}

func (t *tx) UserByName(name string) (*incident.User, error) {
	u, err := scanUser(t.row(`SELECT `+userCols+` FROM users WHERE name = ?`, name))
	return u, notFound(err, "there is no user named %q", name)
}

func (t *tx) Users() ([]incident.User, error) {
	return queryAll(t, scanUser, `SELECT `+userCols+` FROM users ORDER BY name`)
}

func (t *tx) CountUsers() (int, error) {
	var n int
	err := t.row(`SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// ---- tokens ----

const tokenCols = `id, user_id, label, role, hash, created_at, created_by, last_used_at, revoked_at, expires_at`

func scanToken(sc interface{ Scan(...any) error }) (*incident.Token, error) {
	var k incident.Token
	var created, used, revoked, expires string
	if err := sc.Scan(&k.ID, &k.UserID, &k.Label, &k.Role, &k.Hash, &created, &k.CreatedBy, &used, &revoked, &expires); err != nil {
		return nil, err
	}
	return &k, times(created, &k.CreatedAt, used, &k.LastUsedAt, revoked, &k.RevokedAt, expires, &k.ExpiresAt)
}

func (t *tx) InsertToken(k *incident.Token) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	id, err := t.nextID("tokens", "id")
	if err != nil {
		return err
	}
	k.ID = id
	_, err = t.exec(`INSERT INTO tokens (`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		k.ID, k.UserID, k.Label, string(k.Role), k.Hash, ts(k.CreatedAt), k.CreatedBy, ts(k.LastUsedAt), ts(k.RevokedAt), ts(k.ExpiresAt))
	return err
}

func (t *tx) UpdateToken(k *incident.Token) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE tokens SET last_used_at = ?, revoked_at = ? WHERE id = ?`, ts(k.LastUsedAt), ts(k.RevokedAt), k.ID)
	return affected(res, err, "there is no token %d", k.ID)
}

func (t *tx) Token(id int64) (*incident.Token, error) {
	k, err := scanToken(t.row(`SELECT `+tokenCols+` FROM tokens WHERE id = ?`, id))
	return k, notFound(err, "there is no token %d", id)
}

func (t *tx) TokenByHash(hash string) (*incident.Token, error) {
	k, err := scanToken(t.row(`SELECT `+tokenCols+` FROM tokens WHERE hash = ?`, hash))
	return k, notFound(err, "unknown token")
}

func (t *tx) Tokens(userID int64) ([]incident.Token, error) {
	q, args := `SELECT `+tokenCols+` FROM tokens ORDER BY id`, []any(nil)
	if userID != 0 {
		q, args = `SELECT `+tokenCols+` FROM tokens WHERE user_id = ? ORDER BY id`, []any{userID}
	}
	return queryAll(t, scanToken, q, args...)
}

// ---- sessions ----

func (t *tx) InsertSession(s *incident.Session) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO sessions (hash, user_id, created_at, last_seen_at, expires_at, address) VALUES (?, ?, ?, ?, ?, ?)`,
		s.Hash, s.UserID, ts(s.CreatedAt), ts(s.LastSeenAt), ts(s.ExpiresAt), s.Address)
	return err
}

func (t *tx) UpdateSession(s *incident.Session) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE hash = ?`, ts(s.LastSeenAt), ts(s.ExpiresAt), s.Hash)
	return affected(res, err, "unknown session")
}

const sessionCols = `hash, user_id, created_at, last_seen_at, expires_at, address`

func scanSession(sc interface{ Scan(...any) error }) (*incident.Session, error) {
	var s incident.Session
	var created, seen, expires string
	if err := sc.Scan(&s.Hash, &s.UserID, &created, &seen, &expires, &s.Address); err != nil {
		return nil, err
	}
	return &s, times(created, &s.CreatedAt, seen, &s.LastSeenAt, expires, &s.ExpiresAt)
}

func (t *tx) SessionByHash(hash string) (*incident.Session, error) {
	s, err := scanSession(t.row(`SELECT `+sessionCols+` FROM sessions WHERE hash = ?`, hash))
	return s, notFound(err, "unknown session")
}

func (t *tx) DeleteSession(hash string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM sessions WHERE hash = ?`, hash)
	return err
}

func (t *tx) UserSessions(userID int64) ([]incident.Session, error) {
	return queryAll(t, scanSession, `SELECT `+sessionCols+` FROM sessions WHERE user_id = ? ORDER BY last_seen_at DESC, created_at DESC`, userID)
}

func (t *tx) DeleteUserSessions(userID int64, keep string) (int, error) {
	if err := t.mustWrite(); err != nil {
		return 0, err
	}
	res, err := t.exec(`DELETE FROM sessions WHERE user_id = ? AND hash <> ?`, userID, keep)
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

func (t *tx) DeleteExpiredSessions(before time.Time) (int, error) {
	if err := t.mustWrite(); err != nil {
		return 0, err
	}
	res, err := t.exec(`DELETE FROM sessions WHERE expires_at < ?`, ts(before))
	if err != nil {
		return 0, err
	}
	n, err := res.RowsAffected()
	return int(n), err
}

// ---- login throttling ----

func (t *tx) Throttle(key string) (incident.LoginThrottle, error) {
	th := incident.LoginThrottle{Key: key}
	var last, locked string
	err := t.row(`SELECT failures, last_failure, locked_until FROM login_throttle WHERE key = ?`, key).Scan(&th.Failures, &last, &locked)
	if errors.Is(err, sql.ErrNoRows) {
		return th, nil
	}
	if err != nil {
		return th, err
	}
	return th, times(last, &th.LastFailure, locked, &th.LockedUntil)
}

func (t *tx) PutThrottle(th incident.LoginThrottle) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO login_throttle (key, failures, last_failure, locked_until) VALUES (?, ?, ?, ?)
		ON CONFLICT (key) DO UPDATE SET failures = excluded.failures, last_failure = excluded.last_failure,
		locked_until = excluded.locked_until`, th.Key, th.Failures, ts(th.LastFailure), ts(th.LockedUntil))
	return err
}

func (t *tx) DeleteThrottle(key string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM login_throttle WHERE key = ?`, key)
	return err
}

// ---- plan history ----

func (t *tx) InsertETA(c incident.ETAChange) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	id, err := t.nextID("eta_history", "id")
	if err != nil {
		return err
	}
	detail := string(c.Detail)
	if detail == "" {
		detail = "null"
	}
	_, err = t.exec(`INSERT INTO eta_history (id, incident_id, seq, at, subject, eta, previous, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		id, c.IncidentID, c.Seq, ts(c.At), c.Subject, ts(c.ETA), ts(c.Previous), detail)
	return err
}

func (t *tx) ETAHistory(incidentID int64) ([]incident.ETAChange, error) {
	return t.etaChanges(`SELECT incident_id, seq, at, subject, eta, previous, detail FROM eta_history
		WHERE incident_id = ? ORDER BY id`, incidentID)
}

func (t *tx) LatestETAs(incidentID int64) ([]incident.ETAChange, error) {
	return t.etaChanges(`SELECT incident_id, seq, at, subject, eta, previous, detail FROM eta_history
		WHERE id IN (SELECT MAX(id) FROM eta_history WHERE incident_id = ? GROUP BY subject) ORDER BY id`, incidentID)
}

func (t *tx) etaChanges(query string, args ...any) ([]incident.ETAChange, error) {
	rows, err := t.query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []incident.ETAChange
	for rows.Next() {
		var c incident.ETAChange
		var at, eta, prev, detail string
		if err := rows.Scan(&c.IncidentID, &c.Seq, &at, &c.Subject, &eta, &prev, &detail); err != nil {
			return nil, err
		}
		if err := times(at, &c.At, eta, &c.ETA, prev, &c.Previous); err != nil {
			return nil, err
		}
		if detail != "null" {
			c.Detail = json.RawMessage(detail)
		}
		out = append(out, c)
	}
	return out, rows.Err()
}
