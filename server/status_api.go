package server

import (
	"context"
	"fmt"
	"net/http"

	"github.com/phasegate/phasegate/incident"
)

// statusRoutes are the status update API and the public status pages.
// They join apiRoutes in the one route table, so the role table test and
// the OpenAPI test cover them.
func (s *Server) statusRoutes() []Route {
	const (
		v       = incident.ActionView
		general = false
	)
	p := s.status
	return []Route{
		{"POST", "/api/v1/incidents/{id}/updates", AccessAction, incident.ActionStatusDraft, general, s.handleDraftUpdate},
		{"GET", "/api/v1/incidents/{id}/updates", AccessAction, v, general, s.handleUpdates},
		{"GET", "/api/v1/incidents/{id}/updates/suggestions", AccessAction, v, general, s.handleUpdateSuggestions},
		{"GET", "/api/v1/updates/{id}", AccessAction, v, general, s.handleUpdate},
		{"PUT", "/api/v1/updates/{id}", AccessAction, incident.ActionStatusDraft, general, s.handleEditUpdate},
		{"POST", "/api/v1/updates/{id}/approve", AccessAction, incident.ActionStatusApprove, general, s.handleApproveUpdate},
		{"POST", "/api/v1/updates/{id}/reject", AccessAction, incident.ActionStatusApprove, general, noteAction(s, "status update id", s.svc.RejectStatusUpdate)},
		{"POST", "/api/v1/updates/{id}/publish", AccessAction, incident.ActionStatusPublish, general, s.handlePublishUpdate},
		{"POST", "/api/v1/updates/{id}/withdraw", AccessAction, incident.ActionStatusDraft, general, s.handleWithdrawUpdate},

		// A subtree, so that /status redirects here; deeper unknown
		// paths get the 404 page.
		{"GET", "/status/", AccessPublic, "", general, p.handleIndex},
		{"GET", "/status/{audience}", AccessPublic, "", general, p.handlePage},
		{"GET", "/status/{audience}/feed.atom", AccessPublic, "", general, p.handleFeed},
	}
}

type updatesResponse struct {
	Updates []incident.StatusUpdate `json:"updates"`
}

func (s *Server) handleDraftUpdate(w http.ResponseWriter, r *http.Request) {
	id, d, ok := idAndBody[incident.StatusDraft](s, w, r, "incident id")
	if !ok {
		return
	}
	u, err := s.svc.DraftStatusUpdate(r.Context(), actorFrom(r.Context()), id, d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/updates/%d", u.ID))
	writeJSON(w, http.StatusCreated, u)
}

func (s *Server) handleUpdates(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	us, err := s.svc.StatusUpdates(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, updatesResponse{Updates: us}, err)
}

func (s *Server) handleUpdateSuggestions(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	sg, err := s.svc.StatusSuggestions(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, sg, err)
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "status update id")
	if !ok {
		return
	}
	u, err := s.svc.StatusUpdate(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, u, err)
}

// EditUpdateRequest is the body of PUT /api/v1/updates/{id}: the whole
// new content, and the revision it was written from.
type EditUpdateRequest struct {
	incident.StatusDraft
	// Revision is the revision the editor read; a newer one on the
	// server is a conflict (409). 0 skips the check.
	Revision int `json:"revision,omitempty"`
}

func (s *Server) handleEditUpdate(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[EditUpdateRequest](s, w, r, "status update id")
	if !ok {
		return
	}
	u, err := s.svc.EditStatusUpdate(r.Context(), actorFrom(r.Context()), id, req.Revision, req.StatusDraft)
	reply(s, w, r, http.StatusOK, u, err)
}

func (s *Server) handleApproveUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "status update id")
	if !ok {
		return
	}
	var req incident.StatusApproval
	if err := decodeOptional(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.ApproveStatusUpdate(r.Context(), actorFrom(r.Context()), id, req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if u.Status == incident.UpdatePublished {
		s.refreshAfterPublishing(r.Context())
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handlePublishUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "status update id")
	if !ok {
		return
	}
	u, err := s.svc.PublishStatusUpdate(r.Context(), actorFrom(r.Context()), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.refreshAfterPublishing(r.Context())
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handleWithdrawUpdate(w http.ResponseWriter, r *http.Request) {
	id, note, ok := s.idAndNote(w, r, "status update id")
	if !ok {
		return
	}
	u, err := s.svc.WithdrawStatusUpdate(r.Context(), actorFrom(r.Context()), id, note)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !u.PublishedAt.IsZero() {
		s.refreshAfterPublishing(r.Context())
	}
	writeJSON(w, http.StatusOK, u)
}

// refreshAfterPublishing rebuilds the public pages before answering (an
// API call or a UI form), so whoever published sees the change on the
// pages at once. The change is committed whatever happens here; a failed
// rebuild is retried by the background refresher.
func (s *Server) refreshAfterPublishing(ctx context.Context) {
	if err := s.status.rebuild(ctx); err != nil {
		s.log.Error("rebuilding the public status pages after a publication", "error", err)
	}
}
