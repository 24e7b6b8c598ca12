package server

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/incident"
)

// apiRoutes is the one list of endpoints. The Access and Action of each
// come from incident.Permissions; the service checks them again, exactly.
func (s *Server) apiRoutes() []Route {
	const (
		v       = incident.ActionView
		scoped  = true
		general = false
	)
	return []Route{
		{"GET", "/healthz", AccessPublic, "", general, s.handleHealth},
		{"GET", "/metrics", AccessPublic, "", general, s.metrics.Handler().ServeHTTP},
		{"POST", "/api/v1/session", AccessPublic, "", general, s.handleLogin},
		{"DELETE", "/api/v1/session", AccessAnyone, "", general, s.handleLogout},
		{"GET", "/api/v1/me", AccessAnyone, "", general, s.handleMe},
		{"GET", "/api/v1/openapi.yaml", AccessAnyone, "", general, s.handleOpenAPI},

		{"PUT", "/api/v1/estate", AccessAction, incident.ActionEstateUpload, general, s.handleUploadEstate},
		{"GET", "/api/v1/estate/versions", AccessAction, v, general, s.handleEstateVersions},
		{"GET", "/api/v1/estate/versions/{version}", AccessAction, v, general, s.handleEstateVersion},
		{"POST", "/api/v1/estate/versions/{version}/approve", AccessAction, incident.ActionEstateUpload, general, s.handleApproveEstate},

		{"POST", "/api/v1/incidents", AccessAction, incident.ActionIncidentDeclare, general, s.handleDeclare},
		{"GET", "/api/v1/incidents", AccessAction, v, general, s.handleIncidents},
		{"GET", "/api/v1/incidents/{id}", AccessAction, v, general, s.handleIncident},
		{"PATCH", "/api/v1/incidents/{id}", AccessAction, incident.ActionIncidentUpdate, general, s.handleUpdateIncident},
		{"POST", "/api/v1/incidents/{id}/close", AccessAction, incident.ActionIncidentUpdate, general, noteAction(s, "incident id", s.svc.CloseIncident)},
		{"POST", "/api/v1/incidents/{id}/isolate", AccessAction, incident.ActionIsolateBulk, general, s.handleIsolate},
		{"GET", "/api/v1/incidents/{id}/systems/{system}", AccessAction, v, general, s.handleSystem},
		{"POST", "/api/v1/incidents/{id}/systems/{system}/transition", AccessEdge, "", scoped, s.handleTransition},
		{"POST", "/api/v1/incidents/{id}/systems/{system}/verify", AccessAction, incident.ActionVerify, scoped, s.handleVerifySystem},
		{"POST", "/api/v1/incidents/{id}/verify", AccessAction, incident.ActionVerify, general, s.handleVerifyAll},
		{"GET", "/api/v1/incidents/{id}/systems/{system}/checklist", AccessAction, v, general, s.handleChecklist},
		{"POST", "/api/v1/incidents/{id}/systems/{system}/checklist", AccessAction, incident.ActionChecklistTick, scoped, s.handleTick},
		{"GET", "/api/v1/incidents/{id}/approvals", AccessAction, v, general, s.handleApprovals},
		{"GET", "/api/v1/incidents/{id}/plan", AccessAction, v, general, s.handlePlan},
		{"GET", "/api/v1/incidents/{id}/plan/history", AccessAction, v, general, s.handlePlanHistory},
		{"GET", "/api/v1/incidents/{id}/events", AccessAction, v, general, s.handleEvents},
		{"POST", "/api/v1/incidents/{id}/backlogs/readings", AccessAction, incident.ActionBacklogRecord, general, s.handleRecordReading},
		{"GET", "/api/v1/incidents/{id}/backlogs/readings", AccessAction, v, general, s.handleReadings},

		{"GET", "/api/v1/approvals/{id}", AccessAction, v, general, s.handleApproval},
		{"POST", "/api/v1/approvals/{id}/approve", AccessAction, incident.ActionApprovalDecide, scoped, noteAction(s, "approval id", s.svc.Approve)},
		{"POST", "/api/v1/approvals/{id}/reject", AccessAction, incident.ActionApprovalDecide, scoped, noteAction(s, "approval id", s.svc.Reject)},
		{"POST", "/api/v1/approvals/{id}/cancel", AccessOwnOr, incident.ActionApprovalCancel, general, noteAction(s, "approval id", s.svc.CancelApproval)},

		{"GET", "/api/v1/events/stream", AccessAction, v, general, s.handleStream},

		{"GET", "/api/v1/users", AccessAction, incident.ActionUsersManage, general, s.handleUsers},
		{"POST", "/api/v1/users", AccessAction, incident.ActionUsersManage, general, s.handleCreateUser},
		{"GET", "/api/v1/users/{id}", AccessOwnOr, incident.ActionUsersManage, general, s.handleUser},
		{"PUT", "/api/v1/users/{id}/roles", AccessAction, incident.ActionUsersManage, general, s.handleSetRoles},
		{"PUT", "/api/v1/users/{id}/password", AccessOwnOr, incident.ActionUsersManage, general, s.handleSetPassword},
		{"POST", "/api/v1/users/{id}/password-code", AccessAction, incident.ActionUsersManage, general, s.handleResetPassword},
		{"POST", "/api/v1/password-codes/redeem", AccessPublic, "", general, s.handleRedeemCode},
		{"PUT", "/api/v1/users/{id}/disabled", AccessAction, incident.ActionUsersManage, general, s.handleSetDisabled},

		{"GET", "/api/v1/account-requests", AccessAction, incident.ActionUsersManage, general, s.handleAccountRequests},
		{"GET", "/api/v1/account-requests/{id}", AccessAction, incident.ActionUsersManage, general, s.handleAccountRequest},
		{"POST", "/api/v1/account-requests/{id}/approve", AccessAction, incident.ActionUsersManage, general, noteAction(s, "account request id", s.svc.ApproveAccountRequest)},
		{"POST", "/api/v1/account-requests/{id}/reject", AccessAction, incident.ActionUsersManage, general, noteAction(s, "account request id", s.svc.RejectAccountRequest)},
		{"POST", "/api/v1/account-requests/{id}/cancel", AccessOwnOr, incident.ActionUsersManage, general, noteAction(s, "account request id", s.svc.CancelAccountRequest)},

		{"GET", "/api/v1/tokens", AccessOwnOr, incident.ActionTokensAll, general, s.handleTokens},
		{"POST", "/api/v1/tokens", AccessOwnOr, incident.ActionTokensAll, general, s.handleCreateToken},
		{"DELETE", "/api/v1/tokens/{id}", AccessOwnOr, incident.ActionTokensAll, general, s.handleRevokeToken},

		{"GET", "/api/v1/audit/verify", AccessAction, incident.ActionAuditExport, general, s.handleAuditVerify},
		{"GET", "/api/v1/audit/export", AccessAction, incident.ActionAuditExport, general, recordedOnGet(s.handleAuditExport)},
		{"GET", "/api/v1/incidents/{id}/report", AccessAction, incident.ActionAuditExport, general, recordedOnGet(s.handleReport)},
	}
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if s.health != nil {
		if err := s.health(r.Context()); err != nil {
			s.log.Error("health check failed", "error", err)
			writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "store": "not answering"})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) handleOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/yaml; charset=utf-8")
	w.Write(OpenAPI())
}

// ---- estate

// maxEstateBody bounds an estate upload (every file together).
const maxEstateBody = 32 << 20

func (s *Server) handleUploadEstate(w http.ResponseWriter, r *http.Request) {
	files, err := readEstateUpload(w, r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ver, err := s.svc.UploadEstate(r.Context(), actorFrom(r.Context()), files...)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/api/v1/estate/versions/"+strconv.Itoa(ver.Number))
	writeJSON(w, http.StatusCreated, ver)
}

type estateVersionsResponse struct {
	Versions []incident.EstateVersion `json:"versions"`
}

func (s *Server) handleEstateVersions(w http.ResponseWriter, r *http.Request) {
	vs, err := s.svc.EstateVersions(r.Context(), actorFrom(r.Context()))
	reply(s, w, r, http.StatusOK, estateVersionsResponse{Versions: nonNil(vs)}, err)
}

type estateVersionResponse struct {
	Version *incident.EstateVersion `json:"version"`
	Estate  *estate.Estate          `json:"estate"`
}

func (s *Server) handleEstateVersion(w http.ResponseWriter, r *http.Request) {
	n, err := pathInt(r, "version", "estate version")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ver, est, err := s.svc.Estate(r.Context(), actorFrom(r.Context()), int(n))
	reply(s, w, r, http.StatusOK, estateVersionResponse{Version: ver, Estate: est}, err)
}

func (s *Server) handleApproveEstate(w http.ResponseWriter, r *http.Request) {
	n, err := pathInt(r, "version", "estate version")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var req noteRequest
	if err := decodeOptional(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	ver, err := s.svc.ApproveEstateVersion(r.Context(), actorFrom(r.Context()), int(n), req.text())
	reply(s, w, r, http.StatusOK, ver, err)
}

// ---- incidents

type declareResponse struct {
	ID int64 `json:"id"`
	*incident.IncidentView
	// Warnings say what the declaration did not refuse but someone should
	// know: another incident already open.
	Warnings []string `json:"warnings,omitempty"`
}

func (s *Server) handleDeclare(w http.ResponseWriter, r *http.Request) {
	var d incident.Declaration
	if err := decodeJSON(w, r, &d, maxJSONBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	view, err := s.svc.DeclareIncident(r.Context(), actorFrom(r.Context()), d)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/incidents/%d", view.ID))
	writeJSON(w, http.StatusCreated, declareResponse{ID: view.ID, IncidentView: view,
		Warnings: s.alsoOpen(r.Context(), actorFrom(r.Context()), view.ID)})
}

type incidentsResponse struct {
	Incidents []incident.Incident `json:"incidents"`
}

func (s *Server) handleIncidents(w http.ResponseWriter, r *http.Request) {
	ins, err := s.svc.Incidents(r.Context(), actorFrom(r.Context()))
	reply(s, w, r, http.StatusOK, incidentsResponse{Incidents: nonNil(ins)}, err)
}

func (s *Server) handleIncident(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	view, err := s.svc.Incident(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, view, err)
}

// incidentPatch is the body of PATCH /api/v1/incidents/{id}: the fields
// given are changed; estate_version moves the incident to that version.
type incidentPatch struct {
	Name              *string `json:"name"`
	Kind              *string `json:"kind"`
	TotalShutdown     *bool   `json:"total_shutdown"`
	RequiredApprovals *int    `json:"required_approvals"`
	EstateVersion     *int    `json:"estate_version"`
}

type incidentPatchResponse struct {
	Incident   *incident.Incident   `json:"incident"`
	EstateMove *incident.EstateMove `json:"estate_move,omitempty"`
	// Message says what waits, with the answer 202: fewer required
	// approvals wait for a second incident commander.
	Message string `json:"message,omitempty"`
}

func (s *Server) handleUpdateIncident(w http.ResponseWriter, r *http.Request) {
	id, p, ok := idAndBody[incidentPatch](s, w, r, "incident id")
	if !ok {
		return
	}
	ctx, a := r.Context(), actorFrom(r.Context())
	u := incident.IncidentUpdate{Name: p.Name, Kind: p.Kind, TotalShutdown: p.TotalShutdown, RequiredApprovals: p.RequiredApprovals}
	changes := u.Name != nil || u.Kind != nil || u.TotalShutdown != nil || u.RequiredApprovals != nil
	if !changes && p.EstateVersion == nil {
		s.writeError(w, r, invalidRequest(http.StatusBadRequest,
			"nothing to change; give at least one of %s", fieldList(&p)))
		return
	}
	var res incidentPatchResponse
	var err error
	if changes {
		if res.Incident, err = s.svc.UpdateIncident(ctx, a, id, u); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	if p.EstateVersion != nil {
		if res.EstateMove, err = s.svc.MoveEstate(ctx, a, id, *p.EstateVersion); err != nil {
			s.writeError(w, r, err)
			return
		}
		view, err := s.svc.Incident(ctx, a, id)
		if err != nil {
			s.writeError(w, r, err)
			return
		}
		res.Incident = &view.Incident
	}
	if n := u.RequiredApprovals; n != nil && res.Incident != nil && res.Incident.RequiredApprovals != *n {
		// Lowering waits for a second commander (the other fields
		// changed at once).
		res.Message = fmt.Sprintf("%s asks to need %d %s instead of %d: a gate taken away waits for a second incident commander, "+
			"who sends the same required_approvals within %s", a.Name, *n, plural(*n, "approval", "approvals"),
			res.Incident.RequiredApprovals, estate.FormatDuration(s.svc.Settings().ApprovalTTL))
		writeJSON(w, http.StatusAccepted, res)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// noteRequest is an optional reason or note.
type noteRequest struct {
	Reason string `json:"reason"`
	Note   string `json:"note"`
}

func (n noteRequest) text() string {
	if n.Note != "" {
		return n.Note
	}
	return n.Reason
}

// IsolateRequest is the body of POST /api/v1/incidents/{id}/isolate.
type IsolateRequest struct {
	Selector *incident.Selector `json:"selector"`
	Reason   string             `json:"reason"`
}

func (s *Server) handleIsolate(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[IsolateRequest](s, w, r, "incident id")
	if !ok {
		return
	}
	if err := req.check(); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.svc.Isolate(r.Context(), actorFrom(r.Context()), id, *req.Selector, req.Reason)
	reply(s, w, r, http.StatusOK, res, err)
}

// check refuses what the decoder cannot: a missing selector, one that
// selects nothing definite, or no reason.
func (req *IsolateRequest) check() error {
	if req.Selector == nil {
		return invalidRequest(http.StatusBadRequest,
			`give a selector: {"all": true}, or {"kind": …}, {"tag": …}, {"team": …}, {"systems": […]}`)
	}
	if err := req.Selector.Validate(); err != nil {
		return invalidRequest(http.StatusBadRequest, "%s", phasegate.ErrorMessage(err))
	}
	if req.Reason == "" {
		return invalidRequest(http.StatusBadRequest, "give a reason: every containment is recorded with why")
	}
	return nil
}

func (s *Server) handleSystem(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	d, err := s.svc.System(r.Context(), actorFrom(r.Context()), id, r.PathValue("system"))
	reply(s, w, r, http.StatusOK, d, err)
}

// TransitionRequest is the body of a transition.
type TransitionRequest struct {
	To     incident.State `json:"to"`
	Reason string         `json:"reason"`
}

func (req *TransitionRequest) check() error {
	if req.To == "" {
		return invalidRequest(http.StatusBadRequest, "give the state to move to in \"to\" (e.g. isolated, investigating, cleared, restoring, verifying, online, compromised)")
	}
	if req.Reason == "" {
		return invalidRequest(http.StatusBadRequest, "give a reason: every move is recorded with why")
	}
	return nil
}

func (s *Server) handleTransition(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[TransitionRequest](s, w, r, "incident id")
	if !ok {
		return
	}
	if err := req.check(); err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.svc.Transition(r.Context(), actorFrom(r.Context()), id, r.PathValue("system"), req.To, req.Reason)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if !res.Done {
		status = http.StatusAccepted
		if res.Approval != nil {
			w.Header().Set("Location", fmt.Sprintf("/api/v1/approvals/%d", res.Approval.ID))
		}
	}
	writeJSON(w, status, res)
}

type checklistResponse struct {
	Items []incident.ChecklistItem `json:"items"`
	Done  int                      `json:"done"`
	Total int                      `json:"total"`
}

func (s *Server) handleChecklist(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	items, err := s.svc.Checklist(r.Context(), actorFrom(r.Context()), id, r.PathValue("system"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res := checklistResponse{Items: nonNil(items), Total: len(items)}
	for _, it := range items {
		if it.Done {
			res.Done++
		}
	}
	writeJSON(w, http.StatusOK, res)
}

func checkTick(t *incident.Tick) error {
	if t.Item == "" {
		return invalidRequest(http.StatusBadRequest, "give the checklist item's key in \"item\" (GET the checklist for the keys)")
	}
	return nil
}

// errNoDone refuses a tick that does not say which way: without it a
// forgotten field would untick the item.
var errNoDone = invalidRequest(http.StatusBadRequest, "give \"done\": true to tick the item or false to untick it")

// TickRequest is the body of a tick: incident.Tick with done required.
type TickRequest struct {
	Item     string `json:"item"`
	Done     *bool  `json:"done"`
	Note     string `json:"note"`
	Evidence string `json:"evidence"`
}

func (s *Server) handleTick(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[TickRequest](s, w, r, "incident id")
	if !ok {
		return
	}
	t := incident.Tick{Item: req.Item, Note: req.Note, Evidence: req.Evidence}
	err := checkTick(&t)
	if err == nil && req.Done == nil {
		err = errNoDone
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	t.Done = *req.Done
	item, err := s.svc.TickChecklist(r.Context(), actorFrom(r.Context()), id, r.PathValue("system"), t)
	reply(s, w, r, http.StatusOK, item, err)
}

// handleVerifySystem runs the system's verify checks now (they make
// network connections from the server, so the answer takes up to the
// longest check's timeout) and answers the run.
func (s *Server) handleVerifySystem(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	run, err := s.svc.VerifySystem(r.Context(), actorFrom(r.Context()), id, r.PathValue("system"))
	reply(s, w, r, http.StatusOK, run, err)
}

// handleVerifyAll runs the checks of every verifying system with checks.
func (s *Server) handleVerifyAll(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	res, err := s.svc.VerifyAll(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, res, err)
}

// ---- approvals

type approvalsResponse struct {
	Approvals []incident.Approval `json:"approvals"`
}

func (s *Server) handleApprovals(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	q := incident.ApprovalQuery{IncidentID: id, SystemID: r.URL.Query().Get("system"),
		Status: incident.ApprovalStatus(r.URL.Query().Get("status"))}
	if !validApprovalStatus(q.Status) {
		s.writeError(w, r, invalidRequest(http.StatusBadRequest,
			"status=%q: use pending, approved, rejected, cancelled or expired", q.Status))
		return
	}
	as, err := s.svc.Approvals(r.Context(), actorFrom(r.Context()), q)
	reply(s, w, r, http.StatusOK, approvalsResponse{Approvals: nonNil(as)}, err)
}

func validApprovalStatus(st incident.ApprovalStatus) bool {
	switch st {
	case "", incident.ApprovalPending, incident.ApprovalApproved, incident.ApprovalRejected,
		incident.ApprovalCancelled, incident.ApprovalExpired:
		return true
	}
	return false
}

func (s *Server) handleApproval(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "approval id")
	if !ok {
		return
	}
	a, err := s.svc.Approval(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, a, err)
}

// ---- plan and events

func (s *Server) handlePlan(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	start := time.Now()
	p, err := s.svc.LivePlan(r.Context(), actorFrom(r.Context()), id)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.metrics.planComputed(time.Since(start))
	writeJSON(w, http.StatusOK, p)
}

type planHistoryResponse struct {
	Changes []incident.ETAChange `json:"changes"`
}

func (s *Server) handlePlanHistory(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	cs, err := s.svc.ETAHistory(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, planHistoryResponse{Changes: nonNil(cs)}, err)
}

// eventsResponse is one page of the log. More: ask again with
// after=last_seq for the rest.
type eventsResponse struct {
	Events  []incident.Event `json:"events"`
	LastSeq int64            `json:"last_seq"`
	More    bool             `json:"more"`
}

func (s *Server) handleEvents(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "incident id")
	if !ok {
		return
	}
	after, err := queryInt(r, "after", 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit, err := queryInt(r, "limit", 500)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	limit = min(max(limit, 1), 1000)
	evs, err := s.svc.Events(r.Context(), actorFrom(r.Context()),
		incident.EventQuery{After: after, IncidentID: id, Limit: int(limit)})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res := eventsResponse{Events: nonNil(evs), LastSeq: after, More: len(evs) == int(limit)}
	if len(evs) > 0 {
		res.LastSeq = evs[len(evs)-1].Seq
	}
	writeJSON(w, http.StatusOK, res)
}

// ---- users and tokens

type usersResponse struct {
	Users []incident.User `json:"users"`
}

func (s *Server) handleUsers(w http.ResponseWriter, r *http.Request) {
	us, err := s.svc.Users(r.Context(), actorFrom(r.Context()))
	reply(s, w, r, http.StatusOK, usersResponse{Users: nonNil(us)}, err)
}

// createUserRequest creates an account; without a password the account
// gets a one-time code for its person to set their own (user.password_code,
// shown once), or, when the account waits for a second admin, the
// approving admin receives it.
type createUserRequest struct {
	Name     string           `json:"name"`
	Password string           `json:"password"`
	Roles    []incident.Grant `json:"roles"`
	Reason   string           `json:"reason"`
}

type createUserResponse struct {
	User *incident.User `json:"user,omitempty"`
	// Request is set instead of User when the account waits for a second
	// admin (202).
	Request *incident.AccountRequest `json:"request,omitempty"`
}

// accountRequestResponse is the answer 202: the change waits for a second
// admin.
type accountRequestResponse struct {
	Request *incident.AccountRequest `json:"request"`
	Message string                   `json:"message"`
}

func waitingMessage(req *incident.AccountRequest) string {
	return fmt.Sprintf("account request %d waits for a second admin: %s. Another admin approves it with POST /api/v1/account-requests/%d/approve",
		req.ID, req.Summary, req.ID)
}

// replyAccount answers a change that either happened (ok, with v) or
// waits for a second admin (202, with the request).
func replyAccount(s *Server, w http.ResponseWriter, r *http.Request, ok int, v any, req *incident.AccountRequest, err error) {
	if err == nil && req != nil {
		w.Header().Set("Location", fmt.Sprintf("/api/v1/account-requests/%d", req.ID))
		writeJSON(w, http.StatusAccepted, accountRequestResponse{Request: req, Message: waitingMessage(req)})
		return
	}
	if err == nil && v == nil {
		w.WriteHeader(ok)
		return
	}
	reply(s, w, r, ok, v, err)
}

func (s *Server) handleCreateUser(w http.ResponseWriter, r *http.Request) {
	var req createUserRequest
	if err := decodeJSON(w, r, &req, maxJSONBody); err != nil {
		s.writeError(w, r, err)
		return
	}
	var res createUserResponse
	u, ar, err := s.svc.CreateUser(r.Context(), actorFrom(r.Context()),
		incident.NewUser{Name: req.Name, Password: req.Password, Grants: req.Roles, Reason: req.Reason})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res.User, res.Request = u, ar
	if ar != nil {
		w.Header().Set("Location", fmt.Sprintf("/api/v1/account-requests/%d", ar.ID))
		writeJSON(w, http.StatusAccepted, res)
		return
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/users/%d", u.ID))
	writeJSON(w, http.StatusCreated, res)
}

// RandomPassword returns a password of 20 random base64url characters
// (120 bits), for accounts created without one.
func RandomPassword() (string, error) {
	b := make([]byte, 15)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func (s *Server) handleUser(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "user id")
	if !ok {
		return
	}
	u, err := s.svc.User(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, u, err)
}

type rolesRequest struct {
	Roles  []incident.Grant `json:"roles"`
	Reason string           `json:"reason"`
}

func (s *Server) handleSetRoles(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[rolesRequest](s, w, r, "user id")
	if !ok {
		return
	}
	u, ar, err := s.svc.SetGrants(r.Context(), actorFrom(r.Context()), id, req.Roles, req.Reason)
	replyAccount(s, w, r, http.StatusOK, u, ar, err)
}

type passwordRequest struct {
	Password string `json:"password"`
	// CurrentPassword is required to change one's own.
	CurrentPassword string `json:"current_password"`
	Reason          string `json:"reason"`
}

func (s *Server) handleSetPassword(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "user id")
	if !ok {
		return
	}
	var req passwordRequest
	if err := decodeJSON(w, r, &req, 64<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	ar, err := s.svc.SetPassword(r.Context(), actorFrom(r.Context()), id,
		incident.PasswordChange{Password: req.Password, Current: req.CurrentPassword, Reason: req.Reason})
	replyAccount(s, w, r, http.StatusNoContent, nil, ar, err)
}

type resetRequest struct {
	Reason string `json:"reason"`
}

// passwordCodeResponse is the answer 201 to a reset: the one-time code,
// shown once.
type passwordCodeResponse struct {
	PasswordCode *incident.IssuedCode `json:"password_code"`
	Message      string               `json:"message"`
}

func (s *Server) handleResetPassword(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[resetRequest](s, w, r, "user id")
	if !ok {
		return
	}
	code, ar, err := s.svc.ResetPassword(r.Context(), actorFrom(r.Context()), id, req.Reason)
	var res *passwordCodeResponse
	if code != nil {
		res = &passwordCodeResponse{PasswordCode: code, Message: fmt.Sprintf(
			"give this code to %s through a channel you did not get from the caller; they set their password at /set-password before %s",
			code.User, incident.FormatTime(code.ExpiresAt))}
	}
	replyAccount(s, w, r, http.StatusCreated, res, ar, err)
}

// redeemRequest sets a password with a one-time code, without a login.
type redeemRequest struct {
	User     string `json:"user"`
	Code     string `json:"code"`
	Password string `json:"password"`
}

func (s *Server) handleRedeemCode(w http.ResponseWriter, r *http.Request) {
	var req redeemRequest
	if err := decodeJSON(w, r, &req, 64<<10); err != nil {
		s.writeError(w, r, err)
		return
	}
	if req.User == "" || req.Code == "" || req.Password == "" {
		s.writeError(w, r, invalidRequest(http.StatusBadRequest, "give user, code and password: the code an admin gave you and the new password you choose"))
		return
	}
	err := s.svc.RedeemPasswordCode(r.Context(), req.User, req.Code, req.Password,
		incident.Client{Address: clientAddress(r), UserAgent: r.UserAgent()})
	if err != nil {
		s.metrics.credentialsRefused(err, "password_code")
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

type disabledRequest struct {
	Disabled *bool  `json:"disabled"`
	Reason   string `json:"reason"`
}

func (s *Server) handleSetDisabled(w http.ResponseWriter, r *http.Request) {
	id, req, ok := idAndBody[disabledRequest](s, w, r, "user id")
	if !ok {
		return
	}
	if req.Disabled == nil {
		s.writeError(w, r, invalidRequest(http.StatusBadRequest, `give "disabled": true or false`))
		return
	}
	u, ar, err := s.svc.SetDisabled(r.Context(), actorFrom(r.Context()), id, *req.Disabled, req.Reason)
	replyAccount(s, w, r, http.StatusOK, u, ar, err)
}

type accountRequestsResponse struct {
	// DualControl: account changes that give power wait for a second
	// admin.
	DualControl bool                      `json:"dual_control"`
	Requests    []incident.AccountRequest `json:"requests"`
}

func (s *Server) handleAccountRequests(w http.ResponseWriter, r *http.Request) {
	q := incident.AccountQuery{Status: incident.ApprovalStatus(r.URL.Query().Get("status"))}
	if !validApprovalStatus(q.Status) {
		s.writeError(w, r, invalidRequest(http.StatusBadRequest,
			"status=%q: use pending, approved, rejected, cancelled or expired", q.Status))
		return
	}
	a := actorFrom(r.Context())
	on, err := s.svc.DualControl(r.Context(), a)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	rs, err := s.svc.AccountRequests(r.Context(), a, q)
	reply(s, w, r, http.StatusOK, accountRequestsResponse{DualControl: on, Requests: nonNil(rs)}, err)
}

func (s *Server) handleAccountRequest(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "account request id")
	if !ok {
		return
	}
	ar, err := s.svc.AccountRequestByID(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, ar, err)
}

type tokensResponse struct {
	Tokens []incident.Token `json:"tokens"`
}

func (s *Server) handleTokens(w http.ResponseWriter, r *http.Request) {
	uid, err := queryInt(r, "user_id", 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ts, err := s.svc.Tokens(r.Context(), actorFrom(r.Context()), uid)
	reply(s, w, r, http.StatusOK, tokensResponse{Tokens: nonNil(ts)}, err)
}

func (s *Server) handleCreateToken(w http.ResponseWriter, r *http.Request) {
	var req incident.TokenRequest
	if err := decodeOptional(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return
	}
	t, err := s.svc.CreateToken(r.Context(), actorFrom(r.Context()), req)
	reply(s, w, r, http.StatusCreated, t, err)
}

func (s *Server) handleRevokeToken(w http.ResponseWriter, r *http.Request) {
	id, ok := s.pathID(w, r, "token id")
	if !ok {
		return
	}
	t, err := s.svc.RevokeToken(r.Context(), actorFrom(r.Context()), id)
	reply(s, w, r, http.StatusOK, t, err)
}

// ---- audit

func (s *Server) handleAuditVerify(w http.ResponseWriter, r *http.Request) {
	rep, err := s.svc.VerifyAudit(r.Context(), actorFrom(r.Context()))
	reply(s, w, r, http.StatusOK, rep, err)
}

// recordedOnGet is for a GET whose answer is itself recorded in the log
// (an export, a report): a HEAD — a link checker, a prefetch — is
// answered without running it, so asking whether it is there records
// nothing. The route's access check has run before.
func recordedOnGet(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodHead {
			w.Header().Set("Cache-Control", "no-store")
			w.WriteHeader(http.StatusOK)
			return
		}
		h(w, r)
	}
}

func (s *Server) handleAuditExport(w http.ResponseWriter, r *http.Request) {
	lw := &lazyWriter{w: w, header: func() {
		w.Header().Set("Content-Type", "application/jsonl; charset=utf-8")
		w.Header().Set("Content-Disposition", `attachment; filename="phasegate-events.jsonl"`)
		w.Header().Set("Cache-Control", "no-store")
	}}
	var after int64
	if v := r.URL.Query().Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			s.writeError(w, r, invalidRequest(http.StatusBadRequest, "after=%q: give an event number, 0 or more, to export the events after it", v))
			return
		}
		after = n
	}
	_, err := s.svc.ExportAudit(r.Context(), actorFrom(r.Context()), lw, after)
	if err != nil {
		if !lw.started {
			s.writeError(w, r, err)
			return
		}
		// Too late for a status: cut the stream short so the client sees
		// an incomplete body, and log why.
		s.log.Error("audit export failed mid-stream", "error", err)
		panic(http.ErrAbortHandler)
	}
	if !lw.started {
		lw.header()
		w.WriteHeader(http.StatusOK)
	}
}

// lazyWriter sets the headers of a streamed answer at its first byte, so
// an error before it can still be answered with a status.
type lazyWriter struct {
	w       http.ResponseWriter
	header  func()
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.header()
		l.w.WriteHeader(http.StatusOK)
	}
	return l.w.Write(p)
}

// ---- helpers

// Most handlers read the path's id (and perhaps a body), make one call to
// the service as the request's actor, and answer with the error or the
// result. These helpers are those steps; each that can fail answers the
// error itself and says so with ok false.

// reply answers with err, or with v as JSON and status.
func reply[T any](s *Server, w http.ResponseWriter, r *http.Request, status int, v T, err error) {
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, status, v)
}

// pathID reads the path's {id}; what names it in the error.
func (s *Server) pathID(w http.ResponseWriter, r *http.Request, what string) (id int64, ok bool) {
	id, err := pathInt(r, "id", what)
	if err != nil {
		s.writeError(w, r, err)
		return 0, false
	}
	return id, true
}

// noteAction is the handler of a route that acts on one thing by id with
// an optional note: approve, reject, cancel, close.
func noteAction[T any](s *Server, what string, act func(context.Context, incident.Actor, int64, string) (T, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, note, ok := s.idAndNote(w, r, what)
		if !ok {
			return
		}
		v, err := act(r.Context(), actorFrom(r.Context()), id, note)
		reply(s, w, r, http.StatusOK, v, err)
	}
}

// idAndNote reads the path's {id} and an optional note (or reason) in
// the body.
func (s *Server) idAndNote(w http.ResponseWriter, r *http.Request, what string) (id int64, note string, ok bool) {
	if id, ok = s.pathID(w, r, what); !ok {
		return 0, "", false
	}
	var req noteRequest
	if err := decodeOptional(w, r, &req); err != nil {
		s.writeError(w, r, err)
		return 0, "", false
	}
	return id, req.text(), true
}

// idAndBody reads the path's {id} and the JSON body (required, at most
// maxJSONBody).
func idAndBody[T any](s *Server, w http.ResponseWriter, r *http.Request, what string) (id int64, body T, ok bool) {
	if id, ok = s.pathID(w, r, what); !ok {
		return 0, body, false
	}
	if err := decodeJSON(w, r, &body, maxJSONBody); err != nil {
		s.writeError(w, r, err)
		return 0, body, false
	}
	return id, body, true
}

// decodeOptional decodes a JSON body that may be left out.
func decodeOptional(w http.ResponseWriter, r *http.Request, dst any) error {
	if r.ContentLength == 0 {
		return nil
	}
	if err := checkJSONType(r); err != nil {
		return err
	}
	data, err := readLimited(w, r, maxJSONBody)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil
	}
	return decodeBytes(data, dst)
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
