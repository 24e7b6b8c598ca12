package incident

import "context"

// DeclareIncident declares an incident on an estate version. Every
// system starts running (isolated in total-shutdown mode). Needs
// incident.declare.
func (s *Service) DeclareIncident(ctx context.Context, a Actor, d Declaration) (*IncidentView, error) {
	return nil, errNotYet
}

// Incidents lists every incident, newest first. Needs view.
func (s *Service) Incidents(ctx context.Context, a Actor) ([]Incident, error) {
	return nil, errNotYet
}

// Incident returns an incident with the state of every system. Needs view.
func (s *Service) Incident(ctx context.Context, a Actor, id int64) (*IncidentView, error) {
	return nil, errNotYet
}

// UpdateIncident changes an open incident's name, kind or settings.
// Needs incident.update.
func (s *Service) UpdateIncident(ctx context.Context, a Actor, id int64, u IncidentUpdate) (*Incident, error) {
	return nil, errNotYet
}

// MoveEstate moves an incident to a newer estate version: added systems
// start running (isolated in total-shutdown mode), removed systems are
// marked removed and reported. Needs incident.update.
func (s *Service) MoveEstate(ctx context.Context, a Actor, id int64, version int) (*EstateMove, error) {
	return nil, errNotYet
}

// CloseIncident closes an incident; it stays readable. Pending approvals
// are cancelled. Needs incident.update.
func (s *Service) CloseIncident(ctx context.Context, a Actor, id int64, reason string) (*Incident, error) {
	return nil, errNotYet
}
