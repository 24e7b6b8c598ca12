package store

import (
	"encoding/json"
	"fmt"

	"github.com/phasegate/phasegate/incident"
)

// ---- verify check runs ----

const checkRunCols = `incident_id, system_id, passed, results, by_actor, at, seq`

func (t *tx) PutCheckRun(r incident.CheckRun) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	results, err := json.Marshal(r.Results)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO check_runs (`+checkRunCols+`) VALUES (?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (incident_id, system_id) DO UPDATE SET passed = excluded.passed, results = excluded.results,
		by_actor = excluded.by_actor, at = excluded.at, seq = excluded.seq`,
		r.IncidentID, r.SystemID, b2i(r.Passed), string(results), r.By, ts(r.At), r.Seq)
	return err
}

func (t *tx) CheckRun(incidentID int64, systemID string) (*incident.CheckRun, error) {
	var r incident.CheckRun
	var passed int
	var results, at string
	err := t.row(`SELECT `+checkRunCols+` FROM check_runs WHERE incident_id = ? AND system_id = ?`, incidentID, systemID).
		Scan(&r.IncidentID, &r.SystemID, &passed, &results, &r.By, &at, &r.Seq)
	if err != nil {
		return nil, notFound(err, "%s has no run of its checks since it entered verifying", systemID)
	}
	// Only a run made while verifying is kept (it counts).
	r.Passed, r.Counts, r.State = passed != 0, true, incident.StateVerifying
	if err := json.Unmarshal([]byte(results), &r.Results); err != nil {
		return nil, fmt.Errorf("store: check run of %s: stored results: %w", systemID, err)
	}
	return &r, times(at, &r.At)
}

func (t *tx) DeleteCheckRun(incidentID int64, systemID string) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM check_runs WHERE incident_id = ? AND system_id = ?`, incidentID, systemID)
	return err
}
