package incident

import (
	"slices"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// PublicStatus is everything the public status pages may show, and
// nothing else: published updates (and the ones later corrected), the
// names of the business services that name an audience, and whether the
// incident is over. No system, no event, no draft, no live ETA, no user
// name, no incident name.
type PublicStatus struct {
	Organization string   `json:"organization"`
	Audiences    []string `json:"audiences"`
	// Incidents are the open incidents, oldest first; when none is open,
	// the one closed last (so its final updates stay readable).
	Incidents []PublicIncident `json:"incidents"`
	// Changed is the last time anything here changed: a publication, a
	// correction, a withdrawal or an incident's end. Zero when nothing
	// was ever published.
	Changed time.Time `json:"changed,omitzero"`
}

// PublicIncident is one incident as the public sees it.
type PublicIncident struct {
	ID       int64           `json:"id"`
	ClosedAt time.Time       `json:"closed_at,omitzero"`
	Services []PublicService `json:"services"`
	// Updates are the published and superseded updates, newest first.
	Updates []PublicUpdate `json:"updates"`
	// withdrawn are the published updates taken off the pages: gone, but
	// the pages of their audiences changed when they went.
	withdrawn []withdrawal
}

type withdrawal struct {
	audiences []string
	at        time.Time
}

// PublicService is a business service that names at least one audience.
type PublicService struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Audiences []string `json:"audiences"`
}

// PublicUpdate is a published update, as published.
type PublicUpdate struct {
	ID          int64         `json:"id"`
	Audiences   []string      `json:"audiences"`
	Title       string        `json:"title"`
	Body        string        `json:"body"`
	Services    []ServiceLine `json:"services"`
	PublishedAt time.Time     `json:"published_at"`
	// Corrects is the update this one corrects, CorrectsPublishedAt when
	// that one was published.
	Corrects            int64     `json:"corrects,omitempty"`
	CorrectsPublishedAt time.Time `json:"corrects_published_at,omitzero"`
	// SupersededBy is the correction of this update, SupersededAt when
	// it was published.
	SupersededBy int64     `json:"superseded_by,omitempty"`
	SupersededAt time.Time `json:"superseded_at,omitzero"`
}

// Updated is when the update last changed in public: its publication,
// or its correction.
func (u *PublicUpdate) Updated() time.Time {
	if u.SupersededAt.After(u.PublishedAt) {
		return u.SupersededAt
	}
	return u.PublishedAt
}

// publicStatus builds the public view from the incidents to show, each
// with its estate and its updates in any state; only public ones are kept.
func publicStatus(org string, audiences []string, shown []shownIncident) *PublicStatus {
	p := &PublicStatus{Organization: org, Audiences: audiences, Incidents: []PublicIncident{}}
	for _, si := range shown {
		pi := PublicIncident{ID: si.in.ID, ClosedAt: si.in.ClosedAt, Services: []PublicService{}, Updates: []PublicUpdate{}}
		if !si.in.ClosedAt.IsZero() {
			p.Changed = later(p.Changed, si.in.ClosedAt)
		}
		for _, svc := range si.est.Services {
			if len(svc.Audiences) == 0 {
				continue
			}
			name := svc.Name
			if name == "" {
				name = svc.ID
			}
			pi.Services = append(pi.Services, PublicService{ID: svc.ID, Name: name, Audiences: slices.Clone(svc.Audiences)})
		}
		byID := map[int64]*StatusUpdate{}
		for i := range si.updates {
			byID[si.updates[i].ID] = &si.updates[i]
		}
		for _, u := range si.updates {
			if u.Status == UpdateWithdrawn && !u.PublishedAt.IsZero() {
				// Taken down: gone from the pages, but the pages changed.
				p.Changed = later(p.Changed, u.ClosedAt)
				pi.withdrawn = append(pi.withdrawn, withdrawal{audiences: slices.Clone(u.Audiences), at: u.ClosedAt})
			}
			if !u.Status.Public() {
				continue
			}
			pu := PublicUpdate{ID: u.ID, Audiences: slices.Clone(u.Audiences), Title: u.Title, Body: u.Body,
				Services: slices.Clone(u.Services), PublishedAt: u.PublishedAt, Corrects: u.Corrects}
			if pu.Services == nil {
				pu.Services = []ServiceLine{}
			}
			if old := byID[u.Corrects]; old != nil {
				pu.CorrectsPublishedAt = old.PublishedAt
			}
			if u.Status == UpdateSuperseded {
				pu.SupersededBy = u.SupersededBy
				if c := byID[u.SupersededBy]; c != nil {
					pu.SupersededAt = c.PublishedAt
				}
			}
			p.Changed = later(p.Changed, pu.Updated())
			pi.Updates = append(pi.Updates, pu)
		}
		slices.SortStableFunc(pi.Updates, func(a, b PublicUpdate) int {
			if c := b.PublishedAt.Compare(a.PublishedAt); c != 0 {
				return c
			}
			return int(b.ID - a.ID)
		})
		p.Incidents = append(p.Incidents, pi)
	}
	return p
}

// shownIncident is an incident the public pages show, with its estate and
// its updates.
type shownIncident struct {
	in      *Incident
	est     *estate.Estate
	updates []StatusUpdate
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// AudienceView is one audience's status page.
type AudienceView struct {
	Organization string `json:"organization"`
	Audience     string `json:"audience"`
	// Incidents are those with at least one update published to the
	// audience; none means nothing was published to it.
	Incidents []AudienceIncident `json:"incidents"`
	// Updated is the last change of what this audience sees: a
	// publication, a correction, a withdrawal or an incident's end (zero:
	// nothing was ever published to it).
	Updated time.Time `json:"updated,omitzero"`
}

// AudienceIncident is one incident on an audience's page.
type AudienceIncident struct {
	ID       int64     `json:"id"`
	ClosedAt time.Time `json:"closed_at,omitzero"`
	// Since is when the first update to the audience was published.
	Since time.Time `json:"since"`
	// Heading names the incident in public, when a page shows more than
	// one: the title of its latest update to the audience (never the
	// internal incident name).
	Heading string `json:"heading"`
	// Services are the services the audience cares about, in estate
	// order, with what was last published to it about each.
	Services []AudienceService `json:"services"`
	// Updates are those published to the audience, newest first.
	Updates []PublicUpdate `json:"updates"`
}

// AudienceService is a service's published state for one audience. An
// empty State: nothing was published about it to this audience yet.
type AudienceService struct {
	ServiceLine
	// UpdateID is the update that told it; UpdatedAt when.
	UpdateID  int64     `json:"update_id,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// For returns the page of one audience; false when the audience is not
// one of p.Audiences.
//
// Only what was published shows, per incident: an incident with no update
// published to the audience adds nothing. Each incident lists the services
// the audience cares about with what it last published of each; when the
// page shows several incidents (normally one), each lists only the
// services it published something about, so that one incident's "No
// update yet" never sits beside another's "Not available" for the same
// service.
func (p *PublicStatus) For(audience string) (*AudienceView, bool) {
	if !slices.Contains(p.Audiences, audience) {
		return nil, false
	}
	v := &AudienceView{Organization: p.Organization, Audience: audience, Incidents: []AudienceIncident{}}
	for _, pi := range p.Incidents {
		ai := AudienceIncident{ID: pi.ID, ClosedAt: pi.ClosedAt, Services: []AudienceService{}, Updates: []PublicUpdate{}}
		for _, w := range pi.withdrawn {
			if slices.Contains(w.audiences, audience) {
				// The page changed when it went, even if it is now empty.
				v.Updated = later(v.Updated, w.at)
			}
		}
		for _, u := range pi.Updates {
			if slices.Contains(u.Audiences, audience) {
				ai.Updates = append(ai.Updates, u)
				v.Updated = later(v.Updated, u.Updated())
				if ai.Since.IsZero() || u.PublishedAt.Before(ai.Since) {
					ai.Since = u.PublishedAt
				}
			}
		}
		if len(ai.Updates) == 0 {
			continue
		}
		ai.Heading = ai.Updates[0].Title
		if i := slices.IndexFunc(ai.Updates, func(u PublicUpdate) bool { return u.SupersededBy == 0 }); i >= 0 {
			ai.Heading = ai.Updates[i].Title
		}
		if !pi.ClosedAt.IsZero() {
			v.Updated = later(v.Updated, pi.ClosedAt)
		}
		for _, svc := range pi.Services {
			if !slices.Contains(svc.Audiences, audience) {
				continue
			}
			as := AudienceService{ServiceLine: ServiceLine{Service: svc.ID, Name: svc.Name}}
			// The newest live (not superseded) update to the audience
			// that speaks of the service tells its state: a correction
			// replaces what it corrects.
			for _, u := range ai.Updates {
				if u.SupersededBy != 0 {
					continue
				}
				if i := slices.IndexFunc(u.Services, func(l ServiceLine) bool { return l.Service == svc.ID }); i >= 0 {
					as.ServiceLine = u.Services[i]
					as.Name = svc.Name
					as.UpdateID, as.UpdatedAt = u.ID, u.PublishedAt
					break
				}
			}
			ai.Services = append(ai.Services, as)
		}
		v.Incidents = append(v.Incidents, ai)
	}
	if len(v.Incidents) > 1 {
		for i := range v.Incidents {
			v.Incidents[i].Services = slices.DeleteFunc(v.Incidents[i].Services, func(s AudienceService) bool { return s.State == "" })
		}
	}
	return v, true
}
