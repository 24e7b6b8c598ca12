package store

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/phasegate/phasegate/incident"
)

// ---- account requests and flags ----

const changeCols = `id, kind, user_id, user_name, change, secret, summary, reason,
	requested_by, requested_by_id, requested_at, expires_at, status, decided_by, decided_by_id, decided_at, note, seq`

func scanAccountRequest(sc interface{ Scan(...any) error }) (*incident.AccountRequest, error) {
	var r incident.AccountRequest
	var change, requested, expires, decided string
	if err := sc.Scan(&r.ID, &r.Kind, &r.UserID, &r.UserName, &change, &r.Secret, &r.Summary, &r.Reason,
		&r.RequestedBy, &r.RequestedByID, &requested, &expires, &r.Status, &r.DecidedBy, &r.DecidedByID, &decided, &r.Note, &r.Seq); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(change), &r.Change); err != nil {
		return nil, fmt.Errorf("store: account request %d: stored change: %w", r.ID, err)
	}
	return &r, times(requested, &r.RequestedAt, expires, &r.ExpiresAt, decided, &r.DecidedAt)
}

func (t *tx) InsertAccountRequest(r *incident.AccountRequest) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	change, err := json.Marshal(r.Change)
	if err != nil {
		return err
	}
	id, err := t.nextID("account_requests", "id")
	if err != nil {
		return err
	}
	r.ID = id
	_, err = t.exec(`INSERT INTO account_requests (`+changeCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, string(r.Kind), r.UserID, r.UserName, string(change), r.Secret, r.Summary, r.Reason,
		r.RequestedBy, r.RequestedByID, ts(r.RequestedAt), ts(r.ExpiresAt), string(r.Status),
		r.DecidedBy, r.DecidedByID, ts(r.DecidedAt), r.Note, r.Seq)
	return err
}

func (t *tx) UpdateAccountRequest(r *incident.AccountRequest) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	res, err := t.exec(`UPDATE account_requests SET user_id = ?, status = ?, decided_by = ?, decided_by_id = ?,
		decided_at = ?, note = ?, seq = ? WHERE id = ?`,
		r.UserID, string(r.Status), r.DecidedBy, r.DecidedByID, ts(r.DecidedAt), r.Note, r.Seq, r.ID)
	return affected(res, err, "there is no account request %d", r.ID)
}

func (t *tx) AccountRequest(id int64) (*incident.AccountRequest, error) {
	r, err := scanAccountRequest(t.row(`SELECT `+changeCols+` FROM account_requests WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "there is no account request %d; list them with GET /api/v1/account-requests", id)
	}
	return r, nil
}

func (t *tx) AccountRequests(q incident.AccountQuery) ([]incident.AccountRequest, error) {
	var conds []string
	var args []any
	if q.Status != "" {
		conds, args = append(conds, "status = ?"), append(args, string(q.Status))
	}
	sqlq := `SELECT ` + changeCols + ` FROM account_requests`
	if len(conds) > 0 {
		sqlq += ` WHERE ` + strings.Join(conds, " AND ")
	}
	return queryAll(t, scanAccountRequest, sqlq+` ORDER BY id DESC`, args...)
}

func (t *tx) Flag(name string) (bool, error) {
	var n int
	err := t.row(`SELECT COUNT(*) FROM flags WHERE name = ?`, name).Scan(&n)
	return n > 0, err
}

func (t *tx) SetFlag(name, by string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO flags (name, set_by, set_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		name, by, ts(t.now))
	return err
}
