package server

import (
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
		{"POST", "/api/v1/updates/{id}/reject", AccessAction, incident.ActionStatusApprove, general, s.handleRejectUpdate},
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
	id, err := pathInt(r, "id", "incident id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var d incident.StatusDraft
	if err := decodeJSON(w, r, &d, maxJSONBody); err != nil {
		s.writeError(w, r, err)
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
	id, err := pathInt(r, "id", "incident id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	us, err := s.svc.StatusUpdates(r.Context(), actorFrom(r.Context()), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, updatesResponse{Updates: us})
}

func (s *Server) handleUpdateSuggestions(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id", "incident id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sg, err := s.svc.StatusSuggestions(r.Context(), actorFrom(r.Context()), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, sg)
}

func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id", "status update id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.StatusUpdate(r.Context(), actorFrom(r.Context()), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
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
	id, err := pathInt(r, "id", "status update id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req EditUpdateRequest
	if err := decodeJSON(w, r, &req, maxJSONBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.EditStatusUpdate(r.Context(), actorFrom(r.Context()), id, req.Revision, req.StatusDraft)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handleApproveUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id", "status update id")
	if err != nil {
		s.writeError(w, r, err)
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
		s.refreshAfterPublishing(r)
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handleRejectUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id", "status update id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req noteRequest
	if err := decodeOptional(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.RejectStatusUpdate(r.Context(), actorFrom(r.Context()), id, req.text())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handlePublishUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id", "status update id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.PublishStatusUpdate(r.Context(), actorFrom(r.Context()), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.refreshAfterPublishing(r)
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) handleWithdrawUpdate(w http.ResponseWriter, r *http.Request) {
	id, err := pathInt(r, "id", "status update id")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req noteRequest
	if err := decodeOptional(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.WithdrawStatusUpdate(r.Context(), actorFrom(r.Context()), id, req.text())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !u.PublishedAt.IsZero() {
		s.refreshAfterPublishing(r)
	}
	writeJSON(w, http.StatusOK, u)
}

// refreshAfterPublishing rebuilds the public pages before answering, so
// whoever published sees the change on the pages at once. The change is
// committed whatever happens here; a failed rebuild is retried by the
// background refresher.
func (s *Server) refreshAfterPublishing(r *http.Request) {
	if err := s.status.rebuild(r.Context()); err != nil {
		s.log.Error("rebuilding the public status pages after a publication", "error", err)
	}
}
