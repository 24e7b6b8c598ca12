package store

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/phasegate/phasegate/incident"
)

// ---- status updates ----

const statusCols = `id, incident_id, status, revision, audiences, title, body, services, corrects, superseded_by,
	author, author_id, contributors, created_at, updated_at, approved_by, approved_by_id, approved_at, approval_note,
	published_by, published_at, closed_by, closed_at, closed_note, seq`

func scanStatusUpdate(sc interface{ Scan(...any) error }) (*incident.StatusUpdate, error) {
	var u incident.StatusUpdate
	var auds, svcs, contrib, created, updated, approved, published, closed string
	if err := sc.Scan(&u.ID, &u.IncidentID, &u.Status, &u.Revision, &auds, &u.Title, &u.Body, &svcs, &u.Corrects, &u.SupersededBy,
		&u.Author, &u.AuthorID, &contrib, &created, &updated, &u.ApprovedBy, &u.ApprovedByID, &approved, &u.ApprovalNote,
		&u.PublishedBy, &published, &u.ClosedBy, &closed, &u.ClosedNote, &u.Seq); err != nil {
		return nil, err
	}
	for _, f := range []struct {
		name string
		raw  string
		dst  any
	}{{"audiences", auds, &u.Audiences}, {"services", svcs, &u.Services}, {"contributors", contrib, &u.Contributors}} {
		if err := json.Unmarshal([]byte(f.raw), f.dst); err != nil {
			return nil, fmt.Errorf("store: status update %d: stored %s: %w", u.ID, f.name, err)
		}
	}
	if u.Services == nil {
		u.Services = []incident.ServiceLine{}
	}
	return &u, times(created, &u.CreatedAt, updated, &u.UpdatedAt, approved, &u.ApprovedAt,
		published, &u.PublishedAt, closed, &u.ClosedAt)
}

// statusLists encodes the JSON columns of u.
func statusLists(u *incident.StatusUpdate) (auds, svcs, contrib string, err error) {
	enc := func(v any, empty string) string {
		if err != nil {
			return ""
		}
		var b []byte
		b, err = json.Marshal(v)
		if string(b) == "null" {
			return empty
		}
		return string(b)
	}
	auds = enc(u.Audiences, "[]")
	svcs = enc(u.Services, "[]")
	contrib = enc(u.Contributors, "[]")
	return auds, svcs, contrib, err
}

func (t *tx) InsertStatusUpdate(u *incident.StatusUpdate) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	auds, svcs, contrib, err := statusLists(u)
	if err != nil {
		return err
	}
	id, err := t.nextID("status_updates", "id")
	if err != nil {
		return err
	}
	u.ID = id
	_, err = t.exec(`INSERT INTO status_updates (`+statusCols+`)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.IncidentID, string(u.Status), u.Revision, auds, u.Title, u.Body, svcs, u.Corrects, u.SupersededBy,
		u.Author, u.AuthorID, contrib, ts(u.CreatedAt), ts(u.UpdatedAt), u.ApprovedBy, u.ApprovedByID, ts(u.ApprovedAt), u.ApprovalNote,
		u.PublishedBy, ts(u.PublishedAt), u.ClosedBy, ts(u.ClosedAt), u.ClosedNote, u.Seq)
	return err
}

func (t *tx) UpdateStatusUpdate(u *incident.StatusUpdate) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	auds, svcs, contrib, err := statusLists(u)
	if err != nil {
		return err
	}
	res, err := t.exec(`UPDATE status_updates SET status = ?, revision = ?, audiences = ?, title = ?, body = ?, services = ?,
		corrects = ?, superseded_by = ?, contributors = ?, updated_at = ?, approved_by = ?, approved_by_id = ?, approved_at = ?,
		approval_note = ?, published_by = ?, published_at = ?, closed_by = ?, closed_at = ?, closed_note = ?, seq = ?
		WHERE id = ?`,
		string(u.Status), u.Revision, auds, u.Title, u.Body, svcs, u.Corrects, u.SupersededBy, contrib, ts(u.UpdatedAt),
		u.ApprovedBy, u.ApprovedByID, ts(u.ApprovedAt), u.ApprovalNote, u.PublishedBy, ts(u.PublishedAt),
		u.ClosedBy, ts(u.ClosedAt), u.ClosedNote, u.Seq, u.ID)
	return affected(res, err, "there is no status update %d", u.ID)
}

func (t *tx) StatusUpdate(id int64) (*incident.StatusUpdate, error) {
	u, err := scanStatusUpdate(t.row(`SELECT `+statusCols+` FROM status_updates WHERE id = ?`, id))
	if err != nil {
		return nil, notFound(err, "there is no status update %d", id)
	}
	return u, nil
}

func (t *tx) StatusUpdates(q incident.StatusUpdateQuery) ([]incident.StatusUpdate, error) {
	var conds []string
	var args []any
	if q.IncidentID != 0 {
		conds, args = append(conds, "incident_id = ?"), append(args, q.IncidentID)
	}
	if len(q.Statuses) > 0 {
		marks := make([]string, len(q.Statuses))
		for i, s := range q.Statuses {
			marks[i] = "?"
			args = append(args, string(s))
		}
		conds = append(conds, "status IN ("+strings.Join(marks, ", ")+")")
	}
	sqlq := `SELECT ` + statusCols + ` FROM status_updates`
	if len(conds) > 0 {
		sqlq += ` WHERE ` + strings.Join(conds, " AND ")
	}
	return queryAll(t, scanStatusUpdate, sqlq+` ORDER BY id DESC`, args...)
}
