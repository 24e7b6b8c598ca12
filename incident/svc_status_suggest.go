package incident

import (
	"context"
	"time"

	"github.com/phasegate/phasegate/planner"
)

// StatusSuggestions are the lines a draft is offered to insert: for each
// audience, the services it cares about with their state and ETA from the
// live plan, beside what the audience was last told. They are internal
// (live ETAs are not public until someone publishes them).
type StatusSuggestions struct {
	IncidentID int64 `json:"incident_id"`
	// PlannedAt is the live plan's now.
	PlannedAt time.Time             `json:"planned_at"`
	Audiences []AudienceSuggestions `json:"audiences"`
}

// AudienceSuggestions are one audience's services.
type AudienceSuggestions struct {
	Audience string              `json:"audience"`
	Services []ServiceSuggestion `json:"services"`
}

// ServiceSuggestion is one service's live line and its published one.
type ServiceSuggestion struct {
	// Line is ready to insert into a draft: up when the live plan has the
	// service back, else down with the plan's ETA.
	Line ServiceLine `json:"line"`
	// Text is Line as a sentence, e.g. "Supplier payments: expected back
	// Wed 24 Sep".
	Text string `json:"text"`
	// Published is what the audience was last told (an empty state:
	// nothing yet).
	Published AudienceService `json:"published"`
	// Changed: the live line says something else than the published one
	// (another state, or another day).
	Changed bool `json:"changed"`
}

// StatusSuggestions computes the live plan of an open or closed incident
// and offers, per audience, a line per service. Needs view.
func (s *Service) StatusSuggestions(ctx context.Context, a Actor, incidentID int64) (*StatusSuggestions, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	p, _, err := s.livePlan(ctx, incidentID)
	if err != nil {
		return nil, err
	}
	var si shownIncident
	err = s.view(ctx, func(tx Tx) error {
		l, err := s.load(tx, incidentID)
		if err != nil {
			return err
		}
		ups, err := tx.StatusUpdates(StatusUpdateQuery{IncidentID: incidentID,
			Statuses: []UpdateStatus{UpdatePublished, UpdateSuperseded}})
		si = shownIncident{in: l.in, est: l.est, updates: ups}
		return err
	})
	if err != nil {
		return nil, err
	}
	return suggest(p, si), nil
}

// suggest builds the suggestions from a live plan and the incident's
// published updates.
func suggest(p *planner.Plan, si shownIncident) *StatusSuggestions {
	etas := map[string]time.Time{}
	for _, sp := range p.Services {
		etas[sp.ID] = sp.ETA
	}
	pub := publicStatus(si.est.Organization, AudiencesOf(si.est), []shownIncident{si})
	out := &StatusSuggestions{IncidentID: si.in.ID, PlannedAt: p.Start, Audiences: []AudienceSuggestions{}}
	for _, aud := range pub.Audiences {
		svcs := ServicesFor(si.est, aud)
		if len(svcs) == 0 {
			continue
		}
		published := map[string]AudienceService{}
		if v, ok := pub.For(aud); ok {
			for _, ai := range v.Incidents {
				for _, as := range ai.Services {
					published[as.Service] = as
				}
			}
		}
		as := AudienceSuggestions{Audience: aud, Services: []ServiceSuggestion{}}
		for _, svc := range svcs {
			name := svc.Name
			if name == "" {
				name = svc.ID
			}
			line := ServiceLine{Service: svc.ID, Name: name, State: ServiceUp}
			if eta, ok := etas[svc.ID]; ok && eta.After(p.Start) {
				line.State, line.ETA = ServiceDown, eta.UTC().Truncate(time.Minute)
			}
			pl, ok := published[svc.ID]
			if !ok {
				pl = AudienceService{ServiceLine: ServiceLine{Service: svc.ID, Name: name}}
			}
			changed := pl.State != line.State ||
				line.State != ServiceUp && (pl.ETA.IsZero() || ShortDate(pl.ETA) != ShortDate(line.ETA))
			as.Services = append(as.Services, ServiceSuggestion{Line: line, Text: line.Sentence(), Published: pl, Changed: changed})
		}
		out.Audiences = append(out.Audiences, as)
	}
	return out
}
