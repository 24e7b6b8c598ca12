package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
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

// editRequired are the fields a PUT must send. PUT replaces the content:
// a client that sends only what it changed (a new title, say) would
// otherwise save, and a second person approve, an update whose body and
// service lines are blank. An explicitly empty body ("") or list ([]) is
// what the editor meant and is kept; audiences left out keep the current
// ones.
var editRequired = []string{"title", "body", "services"}

func (s *Server) handleEditUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "status update id")
	if !ok {
		return
	}
	var req EditUpdateRequest
	data, err := readJSON(w, r, maxJSONBody)
	if err == nil {
		err = decodeBytes(data, &req)
	}
	if err == nil {
		err = requireFields(data, "a PUT replaces the whole content of the update: send it all, as GET /api/v1/updates/{id} gives it (\"\" or [] for none)", editRequired...)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.svc.EditStatusUpdate(r.Context(), actorFrom(r.Context()), id, req.Revision, req.StatusDraft)
	reply(s, w, r, http.StatusOK, u, err)
}

// readJSON reads a JSON request body of at most limit bytes, for a
// handler that looks at it more than once.
func readJSON(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if err := checkJSONType(r); err != nil {
		return nil, err
	}
	return readLimited(w, r, limit)
}

// requireFields refuses (422, one reason per field) a JSON object that
// lacks any of fields: a field sent empty ("", [], null) is there. why
// says why they are needed.
func requireFields(data []byte, why string, fields ...string) error {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(data, &obj); err != nil {
		return invalidRequest(http.StatusBadRequest, "the request body is not a JSON object: %v", err)
	}
	var reasons, missing []string
	for _, f := range fields {
		if _, ok := obj[f]; !ok {
			missing = append(missing, f)
			reasons = append(reasons, fmt.Sprintf("%s: missing; send it (empty if there is none)", f))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return &phasegate.Error{Code: phasegate.EINVALID, Reasons: reasons,
		Message: fmt.Sprintf("the request leaves out %s; %s", strings.Join(missing, ", "), why)}
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

// alsoOpen warns, after incident id was declared, of every other open
// incident: two can be real (a second attack, another site), but more
// often one is a duplicate or was never closed, and the public status
// pages then show a section for each. Not a refusal; a failure to read
// them only goes to the log.
func (s *Server) alsoOpen(ctx context.Context, a incident.Actor, id int64) []string {
	ins, err := s.svc.Incidents(ctx, a)
	if err != nil {
		s.log.Warn("reading the open incidents after a declaration", "incident", id, "error", err)
		return nil
	}
	var out []string
	for _, in := range ins {
		if in.ID == id || !in.Open() {
			continue
		}
		out = append(out, fmt.Sprintf("incident %d %q is open too (declared %s): both are now open, and the public "+
			"status pages show what was published for each in its own section; if this one repeats it, close one of them "+
			"(POST /api/v1/incidents/ID/close)", in.ID, in.Name, in.DeclaredAt.UTC().Format(time.RFC3339)))
	}
	return out
}
