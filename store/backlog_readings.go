package store

import (
	"github.com/phasegate/phasegate/incident"
)

// ---- measured backlog readings ----

const readingCols = `id, incident_id, backlog, at, remaining, service_back, note, recorded_by, recorded_at, seq`

func (t *tx) InsertBacklogReading(r *incident.BacklogReading) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	id, err := t.nextID("backlog_readings", "id")
	if err != nil {
		return err
	}
	r.ID = id
	_, err = t.exec(`INSERT INTO backlog_readings (`+readingCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.ID, r.IncidentID, r.Backlog, ts(r.At), r.Remaining, b2i(r.ServiceBack), r.Note, r.RecordedBy, ts(r.RecordedAt), r.Seq)
	return err
}

func scanReading(sc interface{ Scan(...any) error }) (*incident.BacklogReading, error) {
	var r incident.BacklogReading
	var back int
	var at, recorded string
	if err := sc.Scan(&r.ID, &r.IncidentID, &r.Backlog, &at, &r.Remaining, &back, &r.Note, &r.RecordedBy, &recorded, &r.Seq); err != nil {
		return nil, err
	}
	r.ServiceBack = back != 0
	return &r, times(at, &r.At, recorded, &r.RecordedAt)
}

func (t *tx) BacklogReadings(incidentID int64) ([]incident.BacklogReading, error) {
	return queryAll(t, scanReading, `SELECT `+readingCols+` FROM backlog_readings WHERE incident_id = ? ORDER BY at, id`, incidentID)
}
