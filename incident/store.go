package incident

import (
	"context"
	"encoding/json"
	"time"

	"github.com/phasegate/phasegate/planner"
)

// Store is where incidents, accounts and the event log live. It is
// implemented by package store (SQLite and PostgreSQL) and checked by one
// contract test suite.
//
// Every change happens inside Update: one read-write transaction, with
// every writer serialised (SQLite: a single writer connection and BEGIN
// IMMEDIATE; PostgreSQL: a row lock on the chain head taken first), so the
// hash chain has no gaps or forks and guards see the latest state. If fn
// returns an error the transaction is rolled back and the error returned
// unchanged.
type Store interface {
	Update(ctx context.Context, fn func(Tx) error) error
	// View runs fn in a read-only transaction on a consistent snapshot.
	View(ctx context.Context, fn func(Tx) error) error
	Close() error
}

// Tx is one transaction. Reads of something that does not exist return a
// *phasegate.Error with code ENOTFOUND. Times are stored in UTC with
// microsecond precision.
type Tx interface {
	// Now is the transaction's time, from the store's injected clock,
	// truncated to microseconds; every record written in the
	// transaction carries it.
	Now() time.Time

	// AppendEvent assigns the next seq, links the event to the previous
	// one, computes its hash (HashEvent), stores it and advances the
	// chain head. e.At is set to Now(); Seq, PrevHash and Hash are
	// overwritten. It returns the stored event.
	AppendEvent(e Event) (Event, error)
	// Events returns up to limit events with seq > q.After in seq order.
	Events(q EventQuery) ([]Event, error)
	// ScanEvents calls fn for every event with seq > after in stored
	// order, for verification and export of logs of any size.
	ScanEvents(after int64, fn func(Event) error) error
	// ChainHead is the last seq and hash recorded by AppendEvent (0, ""
	// for an empty log).
	ChainHead() (seq int64, hash string, err error)

	// InsertEstateVersion stores v, assigning v.Number (1, 2, …).
	InsertEstateVersion(v *EstateVersion) error
	// EstateVersion returns version n with its document.
	EstateVersion(n int) (*EstateVersion, error)
	// LatestEstateVersion returns the newest version with its document,
	// or ENOTFOUND when none was uploaded.
	LatestEstateVersion() (*EstateVersion, error)
	// EstateVersions lists every version, newest first, without documents.
	EstateVersions() ([]EstateVersion, error)
	// ApproveEstateVersion stores v's ApprovedBy and ApprovedAt.
	ApproveEstateVersion(v *EstateVersion) error

	InsertIncident(in *Incident) error // assigns in.ID
	UpdateIncident(in *Incident) error
	Incident(id int64) (*Incident, error)
	Incidents() ([]Incident, error) // newest first

	// PutSystemState inserts or replaces one system's state.
	PutSystemState(st SystemState) error
	SystemState(incidentID int64, systemID string) (*SystemState, error)
	SystemStates(incidentID int64) ([]SystemState, error) // by system id

	// PutChecklistEntry inserts or replaces the last tick of one item.
	PutChecklistEntry(e ChecklistEntry) error
	// ChecklistEntries returns the ticks of one system (systemID "": of
	// every system of the incident), by system and key.
	ChecklistEntries(incidentID int64, systemID string) ([]ChecklistEntry, error)
	// PutCheckRun stores the run of a system's checks that counts for
	// going online, replacing any; CheckRun returns it (ENOTFOUND when
	// none); DeleteCheckRun forgets it (a new restore to verify).
	PutCheckRun(r CheckRun) error
	CheckRun(incidentID int64, systemID string) (*CheckRun, error)
	DeleteCheckRun(incidentID int64, systemID string) error
	// ResetChecklist removes the ticks of a system (re-compromise); the
	// history stays in the event log.
	ResetChecklist(incidentID int64, systemID string) error

	InsertApproval(a *Approval) error // assigns a.ID; ignores a.Decisions
	// UpdateApproval stores Status, ClosedAt and ClosedNote.
	UpdateApproval(a *Approval) error
	// InsertDecision records one user's decision; a second decision by the
	// same user on the same approval is refused with ECONFLICT.
	InsertDecision(d Decision) error
	Approval(id int64) (*Approval, error) // with its decisions
	Approvals(q ApprovalQuery) ([]Approval, error)

	InsertUser(u *User) error // assigns u.ID; name taken → ECONFLICT
	// UpdateUser stores PasswordHash, Grants, Disabled.
	UpdateUser(u *User) error
	User(id int64) (*User, error)
	UserByName(name string) (*User, error)
	Users() ([]User, error) // by name
	CountUsers() (int, error)

	InsertToken(t *Token) error // assigns t.ID
	// UpdateToken stores LastUsedAt and RevokedAt.
	UpdateToken(t *Token) error
	Token(id int64) (*Token, error)
	TokenByHash(hash string) (*Token, error)
	Tokens(userID int64) ([]Token, error) // userID 0: every user's

	InsertSession(s *Session) error
	// UpdateSession stores LastSeenAt and ExpiresAt.
	UpdateSession(s *Session) error
	SessionByHash(hash string) (*Session, error)
	DeleteSession(hash string) error
	// UserSessions lists a user's sessions, the most recently seen first
	// (expired ones too, until DeleteExpiredSessions removes them).
	UserSessions(userID int64) ([]Session, error)
	// DeleteUserSessions removes a user's sessions but the one whose hash
	// is keep ("": all), and returns how many it removed.
	DeleteUserSessions(userID int64, keep string) (int, error)
	// DeleteExpiredSessions removes sessions that expired before t.
	DeleteExpiredSessions(t time.Time) (int, error)

	// Throttle returns the failed-login record of a key ("user:NAME" or
	// "addr:ADDRESS"), or a zero record with the key when there is none.
	Throttle(key string) (LoginThrottle, error)
	PutThrottle(t LoginThrottle) error
	DeleteThrottle(key string) error

	// InsertETA records one change of a headline date of the live plan.
	InsertETA(c ETAChange) error
	// ETAHistory returns the changes of one incident in the order
	// recorded.
	ETAHistory(incidentID int64) ([]ETAChange, error)
	// LatestETAs returns the latest change of each subject of one
	// incident, in any order.
	LatestETAs(incidentID int64) ([]ETAChange, error)

	// PutPlanOrder stores the order of work of an incident's last
	// recorded live plan, replacing any; PlanOrder returns it (ENOTFOUND
	// before the first).
	PutPlanOrder(o PlanOrder) error
	PlanOrder(incidentID int64) (*PlanOrder, error)

	// InsertBacklogReading stores r, assigning r.ID.
	InsertBacklogReading(r *BacklogReading) error
	// BacklogReadings returns an incident's readings, oldest first (by
	// At, then ID).
	BacklogReadings(incidentID int64) ([]BacklogReading, error)

	// InsertAccountRequest stores r, assigning r.ID.
	InsertAccountRequest(r *AccountRequest) error
	// UpdateAccountRequest stores UserID, Status, DecidedBy, DecidedByID,
	// DecidedAt, Note and Seq.
	UpdateAccountRequest(r *AccountRequest) error
	AccountRequest(id int64) (*AccountRequest, error)
	// AccountRequests returns the requests q selects, newest first.
	AccountRequests(q AccountQuery) ([]AccountRequest, error)

	// PutPasswordCode stores a user's one-time code, replacing any.
	PutPasswordCode(c PasswordCode) error
	// PasswordCode returns a user's code (ENOTFOUND when none).
	PasswordCode(userID int64) (*PasswordCode, error)
	// PasswordCodes returns every code waiting to be used or expired.
	PasswordCodes() ([]PasswordCode, error)
	DeletePasswordCode(userID int64) error

	// ServerKey returns the hex key called name, storing keyHex as it
	// when there is none yet (in a write transaction).
	ServerKey(name, keyHex string) (string, error)

	// NotifyCursor returns where a webhook's notifications stand
	// (ENOTFOUND when the hook was never seen); PutNotifyCursor inserts
	// or replaces it.
	NotifyCursor(hook string) (*NotifyCursor, error)
	PutNotifyCursor(c NotifyCursor) error

	// Flag reports whether a store-wide switch was set (see SetFlag).
	Flag(name string) (bool, error)
	// SetFlag sets a switch for good; setting it again changes nothing.
	SetFlag(name, by string) error

	// InsertStatusUpdate stores u, assigning u.ID.
	InsertStatusUpdate(u *StatusUpdate) error
	// UpdateStatusUpdate stores every field of u but its ID, IncidentID,
	// Author, AuthorID and CreatedAt.
	UpdateStatusUpdate(u *StatusUpdate) error
	StatusUpdate(id int64) (*StatusUpdate, error)
	// StatusUpdates returns the updates q selects, newest (highest id)
	// first.
	StatusUpdates(q StatusUpdateQuery) ([]StatusUpdate, error)
}

// EventQuery selects events.
type EventQuery struct {
	After int64 // only seq > After
	// IncidentID, when not 0, keeps events of that incident.
	IncidentID int64
	// Limit caps the answer; 0 means 1000.
	Limit int
}

// EstateVersion is one uploaded estate, stored as the JSON document
// json.Marshal(*estate.Estate) produces.
type EstateVersion struct {
	Number     int       `json:"number"`
	SHA256     string    `json:"sha256"` // of Document
	UploadedBy string    `json:"uploaded_by"`
	UploadedAt time.Time `json:"uploaded_at"`
	// Sources names the uploaded files.
	Sources  []string `json:"sources,omitempty"`
	Systems  int      `json:"systems"`
	Services int      `json:"services"`
	Teams    int      `json:"teams"`
	Document []byte   `json:"-"`
	// Weakens lists what the version takes away from the gates of a
	// restart, against the newest version in use before it: a system's
	// two-person rule, items of its clearance checklist. Such a version is
	// pending until a second person approves it (see Pending).
	Weakens []Weakening `json:"weakens,omitempty"`
	// ApprovedBy and ApprovedAt: who approved a version that weakens.
	ApprovedBy string    `json:"approved_by,omitempty"`
	ApprovedAt time.Time `json:"approved_at,omitzero"`
}

// Pending reports whether the version waits for a second person before an
// incident may use it.
func (v *EstateVersion) Pending() bool { return len(v.Weakens) > 0 && v.ApprovedBy == "" }

// Weakening is one system's gate that an estate version takes away.
type Weakening struct {
	System string `json:"system"`
	// Lost says what, e.g. "the two-person rule (criticality 1 → 3)" or
	// "clearance checklist item “…”".
	Lost string `json:"lost"`
}

// String is "system: what it loses".
func (w Weakening) String() string { return w.System + ": " + w.Lost }

// Incident is one declared incident.
type Incident struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind"` // e.g. ransomware
	StartedAt     time.Time `json:"started_at"`
	DeclaredBy    string    `json:"declared_by"`
	DeclaredAt    time.Time `json:"declared_at"`
	EstateVersion int       `json:"estate_version"`
	// TotalShutdown: systems added by a newer estate version start
	// isolated instead of running.
	TotalShutdown bool `json:"total_shutdown"`
	// RequiredApprovals is how many distinct second persons must approve
	// a two-person move (default 1).
	RequiredApprovals int       `json:"required_approvals"`
	ClosedAt          time.Time `json:"closed_at,omitzero"`
	ClosedBy          string    `json:"closed_by,omitempty"`
	// Lowering is a request to lower RequiredApprovals, waiting for a
	// second incident commander to confirm it (nil when none).
	Lowering *Lowering `json:"lowering,omitempty"`
}

// Lowering is one commander's request to need fewer approvals.
type Lowering struct {
	To   int       `json:"to"`
	By   string    `json:"by"`
	ByID int64     `json:"by_id"`
	At   time.Time `json:"at"`
}

// Open reports whether the incident has not been closed.
func (in *Incident) Open() bool { return in.ClosedAt.IsZero() }

// SystemState is the state of one system in one incident.
type SystemState struct {
	IncidentID int64  `json:"incident_id"`
	SystemID   string `json:"system"`
	State      State  `json:"state"`
	// Since is when the system entered its current state.
	Since time.Time `json:"since"`
	// RestoringSince is when the current restore began (zero unless the
	// system is restoring or verifying).
	RestoringSince time.Time `json:"restoring_since,omitzero"`
	// Compromises counts how often the system was marked compromised.
	Compromises int    `json:"compromises"`
	UpdatedBy   string `json:"updated_by"`
	// LastSeq is the event that set this state.
	LastSeq int64 `json:"last_seq"`
	// Removed: the incident's estate version no longer has this system.
	Removed bool `json:"removed,omitempty"`
}

// ChecklistEntry is the stored last tick of one checklist item.
type ChecklistEntry struct {
	IncidentID int64
	SystemID   string
	Key        string
	Done       bool
	By         string
	At         time.Time
	Note       string
	Evidence   string
}

// ApprovalStatus is where an approval request stands.
type ApprovalStatus string

const (
	ApprovalPending   ApprovalStatus = "pending"
	ApprovalApproved  ApprovalStatus = "approved" // enough approvals; the move happened
	ApprovalRejected  ApprovalStatus = "rejected"
	ApprovalCancelled ApprovalStatus = "cancelled" // by a user, or the system's state moved on
	ApprovalExpired   ApprovalStatus = "expired"
)

// Approval is a request to move a system under the two-person rule.
type Approval struct {
	ID            int64          `json:"id"`
	IncidentID    int64          `json:"incident_id"`
	SystemID      string         `json:"system"`
	From          State          `json:"from"`
	To            State          `json:"to"`
	Reason        string         `json:"reason"`
	RequestedBy   string         `json:"requested_by"`
	RequestedByID int64          `json:"requested_by_id"`
	RequestedAt   time.Time      `json:"requested_at"`
	ExpiresAt     time.Time      `json:"expires_at"`
	Required      int            `json:"required"` // approvals needed
	Status        ApprovalStatus `json:"status"`
	ClosedAt      time.Time      `json:"closed_at,omitzero"`
	ClosedNote    string         `json:"closed_note,omitempty"`
	Decisions     []Decision     `json:"decisions"`
	// Seq is the approval.requested event.
	Seq int64 `json:"seq"`
}

// Approvals counts the approving decisions.
func (a *Approval) Approvals() int {
	n := 0
	for _, d := range a.Decisions {
		if d.Approve {
			n++
		}
	}
	return n
}

// Decision is one user's approval or rejection.
type Decision struct {
	ApprovalID int64     `json:"approval_id"`
	UserID     int64     `json:"user_id"`
	UserName   string    `json:"user"`
	Approve    bool      `json:"approve"`
	Note       string    `json:"note,omitempty"`
	At         time.Time `json:"at"`
}

// ApprovalQuery selects approvals.
type ApprovalQuery struct {
	IncidentID int64          // 0: all
	SystemID   string         // "": all
	Status     ApprovalStatus // "": all
}

// User is an account.
type User struct {
	ID           int64     `json:"id"`
	Name         string    `json:"name"`
	PasswordHash string    `json:"-"` // PHC string, see HashPassword
	Grants       []Grant   `json:"roles"`
	Disabled     bool      `json:"disabled,omitempty"`
	CreatedAt    time.Time `json:"created_at"`
	CreatedBy    string    `json:"created_by"`
	// NoPassword: the account has no usable password yet (a new account
	// or a reset waiting for its one-time code); CodeExpiresAt: until when
	// its code may be used. Both are read, never stored.
	NoPassword    bool      `json:"no_password,omitempty"`
	CodeExpiresAt time.Time `json:"password_code_expires_at,omitzero"`
	// PasswordCode is the one-time code issued with the account, set only
	// in the answer that created it.
	PasswordCode *IssuedCode `json:"password_code,omitempty"`
}

// Token is an API token. Only its SHA-256 is stored.
type Token struct {
	ID         int64     `json:"id"`
	UserID     int64     `json:"user_id"`
	Label      string    `json:"label,omitempty"`
	Role       Role      `json:"role"`
	Hash       string    `json:"-"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by"`
	LastUsedAt time.Time `json:"last_used_at,omitzero"`
	RevokedAt  time.Time `json:"revoked_at,omitzero"`
	ExpiresAt  time.Time `json:"expires_at,omitzero"`
}

// Session is a logged-in browser. Only the SHA-256 of its id is stored.
type Session struct {
	Hash       string    `json:"-"`
	UserID     int64     `json:"user_id"`
	CreatedAt  time.Time `json:"created_at"`
	LastSeenAt time.Time `json:"last_seen_at"`
	ExpiresAt  time.Time `json:"expires_at"`
	Address    string    `json:"address,omitempty"`
}

// LoginThrottle counts the failed logins of a user name or an address.
type LoginThrottle struct {
	Key         string
	Failures    int
	LastFailure time.Time
	LockedUntil time.Time
}

// ETAChange is one change of a headline date of an incident's live plan:
// a service's ETA, or (Subject "restart") when the last system is back.
type ETAChange struct {
	IncidentID int64 `json:"incident_id"`
	// Seq is the last event before the plan was recomputed: the event
	// that moved the date.
	Seq     int64     `json:"seq"`
	At      time.Time `json:"at"`
	Subject string    `json:"subject"` // "service:ID" or "restart"
	ETA     time.Time `json:"eta"`
	// Previous is the date before (zero for the first record).
	Previous time.Time `json:"previous,omitzero"`
	// Detail is a short why, e.g. the system the service waits on.
	Detail json.RawMessage `json:"detail,omitempty"`
}

// NotifyCursor is where one webhook's notifications stand: the event log
// is their queue, and this is the only state kept beside it, so a
// restart, or another instance taking over, goes on from Seq.
type NotifyCursor struct {
	// Hook is the hook's key: the SHA-256 of its URL, so a secret in the
	// URL is not stored.
	Hook string
	// Seq is the last event handled: posted, given up on, or not one the
	// hook wants.
	Seq int64
	// Holder is the instance delivering the hook's notifications (""
	// none: the last one stopped cleanly). It renews the cursor, moving
	// UpdatedAt, as it works; another instance takes over when it has
	// seen no renewal for a whole lease on its own clock (ClaimNotify).
	// LeaseUntil is when the holder expects to have renewed by, by its
	// clock: for people reading the store.
	Holder     string
	LeaseUntil time.Time
	UpdatedAt  time.Time
}

// PlanOrder is the order of work of an incident's last recorded live
// plan, which the next plan follows (planner.Options.Follow) wherever it
// is made: after a restart, or on another instance.
type PlanOrder struct {
	IncidentID int64
	// Seq is the last plan-relevant event the plan saw.
	Seq        int64
	Activities []planner.ActivityRef
	UpdatedAt  time.Time
}
