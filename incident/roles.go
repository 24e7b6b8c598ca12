package incident

import (
	"fmt"
	"slices"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// Role is what a user is trusted to do in a recovery.
type Role string

// The roles. system-owner is the only scoped role: it acts only on the
// systems and teams its grant names.
const (
	RoleAdmin             Role = "admin"              // accounts, tokens, estate; not the recovery itself
	RoleIncidentCommander Role = "incident-commander" // runs the incident
	RoleRecoveryLead      Role = "recovery-lead"      // runs restores and approves them
	RoleSystemOwner       Role = "system-owner"       // restores the systems they own (scoped)
	RoleForensics         Role = "forensics"          // contains, investigates, clears
	RoleComms             Role = "comms"              // writes status updates
	RoleViewer            Role = "viewer"             // reads everything
)

// Roles lists every role in the order of the permission table.
var Roles = []Role{RoleAdmin, RoleIncidentCommander, RoleRecoveryLead, RoleSystemOwner,
	RoleForensics, RoleComms, RoleViewer}

// Valid reports whether r is one of Roles.
func (r Role) Valid() bool { return slices.Contains(Roles, r) }

// ParseRole returns the role named s, or EINVALID naming the valid ones.
func ParseRole(s string) (Role, error) {
	r := Role(strings.TrimSpace(s))
	if r.Valid() {
		return r, nil
	}
	names := make([]string, len(Roles))
	for i, r := range Roles {
		names[i] = string(r)
	}
	return "", phasegate.Errorf(phasegate.EINVALID, "%q is not a role; use one of: %s", s, strings.Join(names, ", "))
}

// Action is one thing a user may or may not do.
type Action string

// The actions of the permission table.
const (
	ActionView            Action = "view"             // incidents, systems, checklists, approvals, plan, events
	ActionEstateUpload    Action = "estate.upload"    // upload a new estate version
	ActionIncidentDeclare Action = "incident.declare" // declare an incident
	ActionIncidentUpdate  Action = "incident.update"  // rename, settings, move estate version, close
	ActionIsolate         Action = "system.isolate"   // isolate one system (containment)
	ActionIsolateBulk     Action = "system.isolate-bulk"
	ActionCompromise      Action = "system.compromise" // mark a system compromised
	ActionInvestigate     Action = "system.investigate"
	ActionClear           Action = "system.clear"
	ActionRestore         Action = "system.restore" // start or abort a restore
	ActionVerify          Action = "system.verify"  // restore done → verifying, or verification failed
	ActionOnline          Action = "system.online"
	ActionChecklistTick   Action = "checklist.tick"
	ActionApprovalDecide  Action = "approval.decide" // approve or reject someone else's request
	ActionApprovalCancel  Action = "approval.cancel" // cancel someone else's request (own: always)
	ActionBacklogRecord   Action = "backlog.record"  // record a measured backlog reading
	ActionUsersManage     Action = "users.manage"    // create users, set roles, disable, reset passwords
	ActionTokensOwn       Action = "tokens.own"      // create and revoke one's own API tokens
	ActionTokensAll       Action = "tokens.all"      // create and revoke anyone's API tokens
	ActionAuditExport     Action = "audit.export"    // export and verify the event log
	ActionStatusDraft     Action = "status.draft"
	ActionStatusApprove   Action = "status.approve"
	ActionStatusPublish   Action = "status.publish"
)

// Access is how a role holds an action.
type Access int

const (
	// Denied: the role may not.
	Denied Access = iota
	// Allowed: the role may, on anything.
	Allowed
	// Scoped: the role may, on the systems and teams its grant names.
	Scoped
)

// Permission is one row of the permission table.
type Permission struct {
	Action      Action
	Description string
	Access      map[Role]Access
}

const (
	allow  = Allowed
	scoped = Scoped
)

// Permissions is THE permission table: what each role may do. The server,
// the docs (docs/roles.md, checked by a test) and every Service method use
// it. Admin manages accounts and the estate but does not run the recovery:
// a single fooled or stolen admin account must not be enough to put a
// system back on the network.
var Permissions = []Permission{
	{ActionView, "view incidents, systems, checklists, approvals, the plan and events",
		map[Role]Access{RoleAdmin: allow, RoleIncidentCommander: allow, RoleRecoveryLead: allow, RoleSystemOwner: allow, RoleForensics: allow, RoleComms: allow, RoleViewer: allow}},
	{ActionEstateUpload, "upload a new estate version",
		map[Role]Access{RoleAdmin: allow, RoleIncidentCommander: allow, RoleRecoveryLead: allow}},
	{ActionIncidentDeclare, "declare an incident",
		map[Role]Access{RoleIncidentCommander: allow}},
	{ActionIncidentUpdate, "update an incident: name, kind, settings, estate version, close",
		map[Role]Access{RoleIncidentCommander: allow}},
	{ActionIsolate, "isolate one system (containment; never waits for approval)",
		map[Role]Access{RoleIncidentCommander: allow, RoleRecoveryLead: allow, RoleSystemOwner: scoped, RoleForensics: allow}},
	{ActionIsolateBulk, "isolate all systems, or a selection, in one action",
		map[Role]Access{RoleIncidentCommander: allow, RoleRecoveryLead: allow, RoleForensics: allow}},
	{ActionCompromise, "mark a system compromised (resets its checklist)",
		map[Role]Access{RoleIncidentCommander: allow, RoleRecoveryLead: allow, RoleSystemOwner: scoped, RoleForensics: allow}},
	{ActionInvestigate, "start or reopen a system's forensic clearance",
		map[Role]Access{RoleIncidentCommander: allow, RoleForensics: allow}},
	{ActionClear, "declare a system cleared (every checklist item done)",
		map[Role]Access{RoleIncidentCommander: allow, RoleForensics: allow}},
	{ActionRestore, "start (or abort) a system's restore",
		map[Role]Access{RoleIncidentCommander: allow, RoleRecoveryLead: allow, RoleSystemOwner: scoped}},
	{ActionVerify, "move a restored system to verifying, or back to restoring when verification fails; run its verify checks",
		map[Role]Access{RoleIncidentCommander: allow, RoleRecoveryLead: allow, RoleSystemOwner: scoped}},
	{ActionOnline, "put a verified system back online",
		map[Role]Access{RoleIncidentCommander: allow, RoleRecoveryLead: allow, RoleSystemOwner: scoped}},
	{ActionChecklistTick, "tick or untick a clearance checklist item",
		map[Role]Access{RoleIncidentCommander: allow, RoleSystemOwner: scoped, RoleForensics: allow}},
	{ActionApprovalDecide, "approve or reject another user's request (two-person rule)",
		map[Role]Access{RoleIncidentCommander: allow, RoleRecoveryLead: allow, RoleSystemOwner: scoped}},
	{ActionApprovalCancel, "cancel another user's pending request (one's own: always)",
		map[Role]Access{RoleIncidentCommander: allow}},
	{ActionBacklogRecord, "record a measured backlog reading: how much is really outstanding at a time (e.g. invoices unpaid at 09:00)",
		map[Role]Access{RoleIncidentCommander: allow, RoleRecoveryLead: allow}},
	{ActionUsersManage, "create users, change roles, disable users, reset passwords with a one-time code; approve another admin's account request (dual control) and receive the code it issues",
		map[Role]Access{RoleAdmin: allow}},
	{ActionTokensOwn, "create and revoke one's own API tokens",
		map[Role]Access{RoleAdmin: allow, RoleIncidentCommander: allow, RoleRecoveryLead: allow, RoleSystemOwner: allow, RoleForensics: allow, RoleComms: allow, RoleViewer: allow}},
	{ActionTokensAll, "create and revoke any user's API tokens",
		map[Role]Access{RoleAdmin: allow}},
	{ActionAuditExport, "export and verify the event log; make the incident report (it holds what the log holds)",
		map[Role]Access{RoleAdmin: allow, RoleIncidentCommander: allow, RoleForensics: allow}},
	{ActionStatusDraft, "draft a status update",
		map[Role]Access{RoleIncidentCommander: allow, RoleComms: allow}},
	{ActionStatusApprove, "approve another user's status update",
		map[Role]Access{RoleIncidentCommander: allow, RoleComms: allow}},
	{ActionStatusPublish, "publish an approved status update",
		map[Role]Access{RoleIncidentCommander: allow, RoleComms: allow}},
}

// FindPermission returns the row of an action, or nil.
func FindPermission(a Action) *Permission {
	for i := range Permissions {
		if Permissions[i].Action == a {
			return &Permissions[i]
		}
	}
	return nil
}

// RolesFor lists the roles that may do an action (scoped or not).
func RolesFor(a Action) []Role {
	p := FindPermission(a)
	if p == nil {
		return nil
	}
	var out []Role
	for _, r := range Roles {
		if p.Access[r] != Denied {
			out = append(out, r)
		}
	}
	return out
}

// Grant is one role held by a user. Teams and Systems scope a
// system-owner grant; they are ignored for other roles.
type Grant struct {
	Role    Role     `json:"role"`
	Teams   []string `json:"teams,omitempty"`
	Systems []string `json:"systems,omitempty"`
}

func (g Grant) String() string {
	var sc []string
	for _, t := range g.Teams {
		sc = append(sc, "team:"+t)
	}
	for _, s := range g.Systems {
		sc = append(sc, "system:"+s)
	}
	if len(sc) == 0 {
		return string(g.Role)
	}
	return string(g.Role) + "(" + strings.Join(sc, ",") + ")"
}

// covers reports whether a scoped grant covers sys.
func (g Grant) covers(sys *estate.System) bool {
	if sys == nil {
		return false
	}
	return slices.Contains(g.Systems, sys.ID) || slices.Contains(g.Teams, sys.Team)
}

// ValidateGrants checks roles and scopes: a system-owner grant must name at
// least one team or system.
func ValidateGrants(gs []Grant) error {
	if len(gs) == 0 {
		return phasegate.Errorf(phasegate.EINVALID, "a user needs at least one role")
	}
	for _, g := range gs {
		if _, err := ParseRole(string(g.Role)); err != nil {
			return err
		}
		if g.Role == RoleSystemOwner && len(g.Teams) == 0 && len(g.Systems) == 0 {
			return phasegate.Errorf(phasegate.EINVALID,
				"a system-owner role needs a scope: name the teams or systems it owns")
		}
	}
	return nil
}

// Actor is who is acting: a logged-in user (session) or an API token.
// Grants are the roles in force for this request: all the user's roles
// for a session, the token's one role for a token.
type Actor struct {
	UserID   int64
	Name     string
	Grants   []Grant
	ViaToken bool
	TokenID  int64
	// Session is the SHA-256 of the session the actor came with ("" for
	// a token or phasegate itself): changing one's own password keeps it
	// and ends the others.
	Session string `json:"-"`
	// Address is the client's address, for the log.
	Address string
	// System: phasegate acting on its own behalf (SystemActor), not a
	// person.
	System bool
}

// SystemActorPrefix begins the actor name of every event phasegate
// records on its own behalf (start-up loads, expiries). No user name can
// contain ':', so such an event can never be mistaken for a person's.
const SystemActorPrefix = "system:"

// SystemActor is phasegate itself acting at start-up, e.g. loading the
// estate given with serve --estate, or the demo: what it does is
// recorded as "system:NAME", not as a person. It holds one role for the
// permission checks, has no user id, and cannot approve a two-person
// request (that takes people).
func SystemActor(name string, role Role) Actor {
	return Actor{Name: SystemActorPrefix + name, Grants: []Grant{{Role: role}}, System: true}
}

// IsSystemActor reports whether an event's actor name is phasegate's
// own (see SystemActor).
func IsSystemActor(name string) bool { return strings.HasPrefix(name, SystemActorPrefix) }

// Has reports whether the actor holds role r (scoped or not).
func (a Actor) Has(r Role) bool {
	for _, g := range a.Grants {
		if g.Role == r {
			return true
		}
	}
	return false
}

// Can reports whether the actor may do action on sys. sys is nil for
// actions not about one system; then a scoped grant does not count.
func (a Actor) Can(action Action, sys *estate.System) bool {
	p := FindPermission(action)
	if p == nil || a.UserID == 0 && a.Name == "" {
		return false
	}
	for _, g := range a.Grants {
		switch p.Access[g.Role] {
		case Allowed:
			return true
		case Scoped:
			if g.covers(sys) {
				return true
			}
		}
	}
	return false
}

// MaySee reports whether the actor may read an event. Events about
// accounts — logins, failed logins and lock-outs, users, roles and
// tokens — reach only those who manage users or audit the log, since they
// tell an attacker which names exist and who holds which power; the
// record of audit exports reaches only auditors. Everything else reaches
// anyone who may view.
func (a Actor) MaySee(e Event) bool {
	switch {
	case accountEvent(e.Type):
		return a.Can(ActionUsersManage, nil) || a.Can(ActionAuditExport, nil)
	case strings.HasPrefix(e.Type, "audit."):
		return a.Can(ActionAuditExport, nil)
	}
	return a.Can(ActionView, nil)
}

func accountEvent(typ string) bool {
	return strings.HasPrefix(typ, "auth.") || strings.HasPrefix(typ, "user.") || strings.HasPrefix(typ, "token.")
}

// Authorize returns nil when the actor may do action on sys, else an
// EFORBIDDEN error that names the action and the roles that may.
func (a Actor) Authorize(action Action, sys *estate.System) error {
	if a.Can(action, sys) {
		return nil
	}
	if a.UserID == 0 && a.Name == "" {
		return phasegate.Errorf(phasegate.EUNAUTHORIZED, "log in first")
	}
	var who []string
	p := FindPermission(action)
	for _, r := range RolesFor(action) {
		if p.Access[r] == Scoped {
			who = append(who, string(r)+" (of that system or its team)")
		} else {
			who = append(who, string(r))
		}
	}
	what := string(action)
	if sys != nil {
		what += " on " + sys.ID
	}
	msg := fmt.Sprintf("%s may not %s; roles that may: %s", a.Name, what, strings.Join(who, ", "))
	if len(who) == 0 {
		msg = fmt.Sprintf("%s may not %s; no role may", a.Name, what)
	}
	return &phasegate.Error{Code: phasegate.EFORBIDDEN, Message: msg}
}

// PermissionsMarkdown renders the permission table as the Markdown of
// docs/roles.md (a test keeps the two in agreement).
func PermissionsMarkdown() string {
	var b strings.Builder
	b.WriteString("| action | what it allows |")
	for _, r := range Roles {
		b.WriteString(" " + string(r) + " |")
	}
	b.WriteString("\n|---|---|")
	for range Roles {
		b.WriteString(":-:|")
	}
	b.WriteString("\n")
	for _, p := range Permissions {
		fmt.Fprintf(&b, "| `%s` | %s |", p.Action, p.Description)
		for _, r := range Roles {
			switch p.Access[r] {
			case Allowed:
				b.WriteString(" yes |")
			case Scoped:
				b.WriteString(" scoped |")
			default:
				b.WriteString(" |")
			}
		}
		b.WriteString("\n")
	}
	return b.String()
}

// TransitionsMarkdown renders the state machine as a Markdown table.
func TransitionsMarkdown() string {
	var b strings.Builder
	b.WriteString("| from | to | action | two-person | why |\n|---|---|---|:-:|---|\n")
	for _, e := range Transitions {
		tp := ""
		if e.TwoPerson {
			tp = "yes"
		}
		fmt.Fprintf(&b, "| %s | %s | `%s` | %s | %s |\n", e.From, e.To, e.Action, tp, e.Why)
	}
	return b.String()
}
