package incident

import "context"

// System returns one system of an incident with its checklist and
// approval requests. Needs view.
func (s *Service) System(ctx context.Context, a Actor, incidentID int64, systemID string) (*SystemDetail, error) {
	return nil, errNotYet
}

// Transition moves a system to another state. It checks the permission
// of the edge's action, then every guard (ECONFLICT with every reason).
// For a two-person move it creates an approval request instead and
// returns it with Done false (HTTP 202). Moving to compromised resets the
// checklist; any move cancels the system's pending approval requests.
func (s *Service) Transition(ctx context.Context, a Actor, incidentID int64, systemID string, to State, reason string) (*TransitionResult, error) {
	return nil, errNotYet
}

// Isolate contains every system the selector picks, at once: one
// transaction, one system.transitioned event per system and a
// containment.bulk summary. It never waits for approval. Systems already
// isolated or investigating are skipped and reported. Needs
// system.isolate-bulk.
func (s *Service) Isolate(ctx context.Context, a Actor, incidentID int64, sel Selector, reason string) (*IsolationResult, error) {
	return nil, errNotYet
}

// Checklist returns a system's clearance checklist. Needs view.
func (s *Service) Checklist(ctx context.Context, a Actor, incidentID int64, systemID string) ([]ChecklistItem, error) {
	return nil, errNotYet
}

// TickChecklist ticks or unticks one checklist item, recording who, when,
// the note and the evidence reference. Needs checklist.tick.
func (s *Service) TickChecklist(ctx context.Context, a Actor, incidentID int64, systemID string, t Tick) (*ChecklistItem, error) {
	return nil, errNotYet
}
