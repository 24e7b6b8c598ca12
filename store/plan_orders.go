package store

import (
	"encoding/json"
	"fmt"

	"github.com/phasegate/phasegate/incident"
)

// ---- the order of work each incident's live plan follows ----

func (t *tx) PutPlanOrder(o incident.PlanOrder) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	acts, err := json.Marshal(o.Activities)
	if err != nil {
		return err
	}
	_, err = t.exec(`INSERT INTO plan_orders (incident_id, seq, activities, updated_at) VALUES (?, ?, ?, ?)
		ON CONFLICT (incident_id) DO UPDATE SET seq = excluded.seq, activities = excluded.activities,
		updated_at = excluded.updated_at`,
		o.IncidentID, o.Seq, string(acts), ts(o.UpdatedAt))
	return err
}

func (t *tx) PlanOrder(incidentID int64) (*incident.PlanOrder, error) {
	o := incident.PlanOrder{IncidentID: incidentID}
	var acts, updated string
	err := t.row(`SELECT seq, activities, updated_at FROM plan_orders WHERE incident_id = ?`, incidentID).
		Scan(&o.Seq, &acts, &updated)
	if err != nil {
		return nil, notFound(err, "incident %d has no recorded plan yet", incidentID)
	}
	if err := json.Unmarshal([]byte(acts), &o.Activities); err != nil {
		return nil, fmt.Errorf("store: the stored order of work of incident %d: %w", incidentID, err)
	}
	return &o, times(updated, &o.UpdatedAt)
}
