package server

import (
	"net/http"
	"strings"

	"github.com/phasegate/phasegate/incident"
)

// routes lists the UI's pages and form targets. Pages are GET; every
// change is a POST from a plain form that redirects (303) to the page to
// show next, so the browser's back and reload buttons never repeat it.
// The cross-origin protection in front of the mux refuses form posts
// from other sites, and the session cookie is SameSite=Lax.
func (u *ui) routes() []uiRoute {
	a := u.authed
	return []uiRoute{
		{"GET /static/{name}", u.handleStatic},
		{"GET /login", u.handleLoginPage},
		{"POST /login", u.handleLogin},
		{"POST /logout", u.handleLogout},
		// Public too: a person with a one-time code has no password yet.
		{"GET " + setPasswordPath, u.handleSetPasswordPage},
		{"POST " + setPasswordPath, u.handleSetPassword},

		{"GET /{$}", a(u.handleHome)},
		{"GET /incidents", a(u.handleIncidents)},
		{"POST /incidents", a(u.handleDeclareForm)},
		{"GET /incidents/{id}", a(u.handleOverview)},
		{"GET /incidents/{id}/plan", a(u.handlePlanPage)},
		{"GET /incidents/{id}/plan/{picture}", a(u.handlePlanPicture)},
		{"GET /incidents/{id}/forecast", a(u.handleForecastPage)},
		{"GET /incidents/{id}/backlogs", a(u.handleBacklogsPage)},
		{"POST /incidents/{id}/backlogs/readings", a(u.handleBacklogCountForm)},
		{"GET /incidents/{id}/history", a(u.handleHistoryPage)},
		{"GET /incidents/{id}/whatif", a(u.handleWhatIfPage)},
		{"GET /incidents/{id}/systems", a(u.handleSystems)},
		{"POST /incidents/{id}/verify", a(u.handleVerifyAllForm)},
		{"GET /incidents/{id}/systems/{system}", a(u.handleSystemPage)},
		{"POST /incidents/{id}/systems/{system}/transition", a(u.handleTransitionForm)},
		{"POST /incidents/{id}/systems/{system}/checklist", a(u.handleTickForm)},
		{"POST /incidents/{id}/systems/{system}/verify", a(u.handleVerifyForm)},
		{"GET /incidents/{id}/isolate", a(u.handleIsolatePage)},
		{"POST /incidents/{id}/isolate", a(u.handleIsolateForm)},
		{"GET /incidents/{id}/approvals", a(u.handleApprovalsPage)},
		{"POST /incidents/{id}/approvals/{approval}/{decision}", a(u.handleDecisionForm)},
		{"POST /incidents/{id}/required-approvals", a(u.handleRequiredApprovalsForm)},
		{"POST /incidents/{id}/close", a(u.handleCloseForm)},
		{"GET /incidents/{id}/events", a(u.handleEventsPage)},
		{"GET /incidents/{id}/report", a(u.handleReportPage)},

		// Estate versions (everyone reads; upload, approve, move): not per
		// incident.
		{"GET /estate", a(u.handleEstatePage)},
		{"POST /estate/versions", a(u.handleEstateUploadForm)},
		{"POST /estate/versions/{version}/approve", a(u.handleEstateApproveForm)},
		{"POST /estate/incidents/{id}/move", a(u.handleEstateMoveForm)},

		// Accounts (admins): not per incident.
		{"GET /accounts", a(u.handleAccountsPage)},
		{"POST /accounts/users", a(u.handleCreateAccountForm)},
		{"POST /accounts/users/{user}/{change}", a(u.handleAccountChangeForm)},
		{"POST /accounts/requests/{request}/{decision}", a(u.handleAccountDecisionForm)},

		// Your account (everyone logged in): roles, own password, own API
		// tokens.
		{"GET " + mePath, a(u.handleMePage)},
		{"POST " + mePath + "/password", a(u.handleMePasswordForm)},
		{"POST " + mePath + "/sessions/end-others", a(u.handleMeSessionsForm)},
		{"POST " + mePath + "/tokens", a(u.handleMeTokenForm)},
		{"POST " + mePath + "/tokens/{token}/revoke", a(u.handleMeRevokeForm)},
	}
}

// uiLiveEvents are the event types after which an incident's pages are
// out of date: the pages listen for them on the event stream.
var uiLiveEvents = []string{
	incident.EventIncidentUpdated, incident.EventIncidentEstate, incident.EventIncidentClosed,
	incident.EventSystemTransitioned, incident.EventBulkIsolation, incident.EventSystemChecked,
	incident.EventChecklistTicked, incident.EventChecklistUnticked,
	incident.EventApprovalRequested, incident.EventApprovalApproved, incident.EventApprovalRejected,
	incident.EventApprovalCancelled, incident.EventApprovalExpired,
}

// LiveEvents is the list the page's script subscribes to.
func (p *uiPage) LiveEvents() string { return strings.Join(uiLiveEvents, " ") }

// handleHome goes to the newest open incident, or the list when there is
// none open (or several: the newest open one is the likeliest).
func (u *ui) handleHome(w http.ResponseWriter, r *http.Request, a incident.Actor) {
	ins, err := u.s.svc.Incidents(r.Context(), a)
	if err != nil {
		u.fail(w, r, nil, err)
		return
	}
	for _, in := range ins {
		if in.Open() {
			redirect(w, r, incidentPath(in.ID))
			return
		}
	}
	redirect(w, r, "/incidents")
}

// handleIncidents (the list, and the form to declare one) is in
// ui_declare.go.
