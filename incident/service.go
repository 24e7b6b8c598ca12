package incident

import (
	"crypto/rand"
	"io"
	"log/slog"
	"sync"
	"time"

	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/planner"
)

// Config wires a Service. Store and Clock are required; the rest have
// defaults.
type Config struct {
	Store Store
	// Clock is the time outside transactions (the live plan's "now").
	// Inside a transaction the store's Tx.Now is used; wire the same
	// clock into both.
	Clock func() time.Time
	// Plan computes a plan; default planner.Make.
	Plan func(*estate.Estate, planner.Options) (*planner.Plan, error)
	// Parse reads estate files; default estate.Parse.
	Parse func(...estate.File) (*estate.Estate, error)
	Log   *slog.Logger
	// Publish receives the events of each transaction after it has
	// committed, in seq order (e.g. to stream them over SSE). It must not
	// block for long.
	Publish func([]Event)
	// Prober runs the estate's verify checks (package probe); nil: checks
	// cannot run, and systems with checks cannot go online.
	Prober Prober
	// Random supplies salts, tokens and session ids; default crypto/rand.
	Random   io.Reader
	Settings Settings
}

// Settings are the tunable limits. Zero fields take the defaults of
// DefaultSettings.
type Settings struct {
	Password PasswordParams
	// SessionTTL is the longest a session lives; SessionIdle ends a
	// session unused for that long.
	SessionTTL  time.Duration
	SessionIdle time.Duration
	// ApprovalTTL is how long an approval request stays open.
	ApprovalTTL time.Duration
	// PasswordCodeTTL is how long a one-time password code may be used.
	PasswordCodeTTL time.Duration
	// ExpirySweep is how often RunExpiry closes the requests whose time
	// has passed. Negative: never (they are closed when next touched).
	ExpirySweep time.Duration
	// Login throttling: after the first failure each attempt waits
	// LoginDelay × 2^(failures-1) (capped at MaxLoginDelay); MaxFailures
	// failures within FailureWindow lock the user name out for Lockout.
	// An address gets AddressFailures failures (shared NAT is common).
	LoginDelay      time.Duration
	MaxLoginDelay   time.Duration
	MaxFailures     int
	AddressFailures int
	FailureWindow   time.Duration
	Lockout         time.Duration
	// PlanDebounce is how long the plan worker waits for more events
	// before recomputing an incident's plan; PlanSchedules bounds the
	// planner's effort for the live plan and its history.
	PlanDebounce  time.Duration
	PlanSchedules int
	// PlanRefresh is how often the plan worker recomputes every open
	// incident even when nothing moved: dates slip as time passes while
	// work waits, and the history should show that as it happens, not
	// blame it on the next event. Negative: never.
	PlanRefresh time.Duration
	// EstateCache is how many parsed estate versions to keep in memory.
	EstateCache int
}

// DefaultSettings are the settings used for zero fields.
var DefaultSettings = Settings{
	Password:        DefaultPasswordParams,
	SessionTTL:      12 * time.Hour,
	SessionIdle:     2 * time.Hour,
	ApprovalTTL:     24 * time.Hour,
	PasswordCodeTTL: 24 * time.Hour,
	ExpirySweep:     30 * time.Second,
	LoginDelay:      time.Second,
	MaxLoginDelay:   30 * time.Second,
	MaxFailures:     5,
	AddressFailures: 20,
	FailureWindow:   15 * time.Minute,
	Lockout:         15 * time.Minute,
	PlanDebounce:    2 * time.Second,
	PlanSchedules:   200,
	PlanRefresh:     time.Hour,
	EstateCache:     8,
}

// Service is the application: one method per use case. Each method that
// takes an Actor checks the permission table first (EFORBIDDEN naming the
// action and the roles that may), then does its work in one store
// transaction, appending the events of the change in that transaction
// and publishing them after it commits. Errors meant for people are
// *phasegate.Error.
type Service struct {
	store    Store
	clock    func() time.Time
	plan     func(*estate.Estate, planner.Options) (*planner.Plan, error)
	parse    func(...estate.File) (*estate.Estate, error)
	log      *slog.Logger
	publish  func([]Event)
	prober   Prober
	random   io.Reader
	settings Settings

	mu      sync.Mutex
	estates map[int]*estate.Estate // parsed versions, bounded by EstateCache
	order   []int
	dirty   map[int64]int64 // incident → last seq since its plan was recorded
	kick    chan struct{}
	// orders holds each incident's last live plan's order of work, which
	// the next live plan and forecast follow (planner.Options.Follow).
	orders map[int64][]planner.ActivityRef

	// follow publishes what other writers commit (svc_follow.go).
	follow struct {
		mu sync.Mutex
		follow
	}

	// dummyHash is checked for unknown user names, so a login takes as
	// long whether or not the name exists.
	dummyOnce sync.Once
	dummyHash string
}

// New returns a Service wired from c.
func New(c Config) *Service {
	s := &Service{
		store: c.Store, clock: c.Clock, plan: c.Plan, parse: c.Parse, log: c.Log,
		publish: c.Publish, prober: c.Prober, random: c.Random, settings: c.Settings,
		estates: map[int]*estate.Estate{}, dirty: map[int64]int64{}, orders: map[int64][]planner.ActivityRef{},
		kick: make(chan struct{}, 1),
	}
	if s.clock == nil {
		panic("incident.New: Config.Clock is required")
	}
	if s.plan == nil {
		s.plan = planner.Make
	}
	if s.parse == nil {
		s.parse = estate.Parse
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.random == nil {
		s.random = rand.Reader
	}
	s.settings = s.settings.withDefaults()
	return s
}

func (st Settings) withDefaults() Settings {
	d := DefaultSettings
	if st.Password.Memory == 0 {
		st.Password = d.Password
	}
	def := func(v *time.Duration, dv time.Duration) {
		if *v == 0 {
			*v = dv
		}
	}
	def(&st.SessionTTL, d.SessionTTL)
	def(&st.SessionIdle, d.SessionIdle)
	def(&st.ApprovalTTL, d.ApprovalTTL)
	def(&st.PasswordCodeTTL, d.PasswordCodeTTL)
	def(&st.ExpirySweep, d.ExpirySweep)
	def(&st.LoginDelay, d.LoginDelay)
	def(&st.MaxLoginDelay, d.MaxLoginDelay)
	def(&st.FailureWindow, d.FailureWindow)
	def(&st.Lockout, d.Lockout)
	def(&st.PlanDebounce, d.PlanDebounce)
	def(&st.PlanRefresh, d.PlanRefresh)
	if st.MaxFailures == 0 {
		st.MaxFailures = d.MaxFailures
	}
	if st.AddressFailures == 0 {
		st.AddressFailures = d.AddressFailures
	}
	if st.PlanSchedules == 0 {
		st.PlanSchedules = d.PlanSchedules
	}
	if st.EstateCache == 0 {
		st.EstateCache = d.EstateCache
	}
	return st
}

// Settings returns the settings in force (defaults filled in).
func (s *Service) Settings() Settings { return s.settings }

// Declaration declares an incident.
type Declaration struct {
	Name      string    `json:"name"`
	Kind      string    `json:"kind"`       // e.g. ransomware
	StartedAt time.Time `json:"started_at"` // zero: now
	// EstateVersion to run on; 0 picks the latest.
	EstateVersion int `json:"estate_version,omitempty"`
	// TotalShutdown: every system starts isolated (and systems added by
	// a newer estate version too), as when a company shuts everything
	// down; otherwise systems start running.
	TotalShutdown bool `json:"total_shutdown,omitempty"`
	// RequiredApprovals for two-person moves; 0 means 1.
	RequiredApprovals int `json:"required_approvals,omitempty"`
}

// IncidentUpdate changes the fields that are not nil.
type IncidentUpdate struct {
	Name              *string `json:"name,omitempty"`
	Kind              *string `json:"kind,omitempty"`
	TotalShutdown     *bool   `json:"total_shutdown,omitempty"`
	RequiredApprovals *int    `json:"required_approvals,omitempty"`
}

// IncidentView is an incident with the state of every system.
type IncidentView struct {
	Incident
	Systems []SystemView `json:"systems"`
	// Counts of systems per state.
	Counts           map[State]int `json:"counts"`
	PendingApprovals int           `json:"pending_approvals"`
	// Removed lists, apart, the systems the incident had that its estate
	// version no longer has, with the state they were last in: they are
	// not in Systems, Counts or the plan, and nothing moves them.
	Removed []RemovedSystem `json:"removed,omitempty"`
}

// RemovedSystem is a system of an incident that its estate version no
// longer has.
type RemovedSystem struct {
	SystemState
	// RemovedIn is the estate version the incident moved to when the
	// system left it (0 when the record does not say).
	RemovedIn int `json:"removed_in,omitempty"`
}

// SystemView is one system of an incident: its estate facts and state.
type SystemView struct {
	SystemState
	Name        string   `json:"name"`
	Kind        string   `json:"kind"`
	Team        string   `json:"team"`
	Criticality int      `json:"criticality"`
	TwoPerson   bool     `json:"two_person"` // restart needs a second person
	Requires    []string `json:"requires,omitempty"`
	Tags        []string `json:"tags,omitempty"`
	// ChecklistDone of ChecklistTotal items are done.
	ChecklistDone  int `json:"checklist_done"`
	ChecklistTotal int `json:"checklist_total"`
	// Next lists the states the system may move to now.
	Next []State `json:"next"`
	// PendingApproval is the id of an open approval request, if any.
	PendingApproval int64 `json:"pending_approval,omitempty"`
}

// SystemDetail is a system with its checklist and approval requests.
type SystemDetail struct {
	SystemView
	Checklist []ChecklistItem `json:"checklist"`
	Approvals []Approval      `json:"approvals"`
	// Verify is the system's checks from the estate; LastCheck the run
	// that counts for going online (made while verifying), if any.
	Verify    []estate.Check `json:"verify,omitempty"`
	LastCheck *CheckRun      `json:"last_check,omitempty"`
}

// TransitionResult is the outcome of a transition request: Done (the move
// happened) or an Approval waiting for a second person (HTTP 202).
type TransitionResult struct {
	Done     bool       `json:"done"`
	System   SystemView `json:"system"`
	Approval *Approval  `json:"approval,omitempty"`
	Seq      int64      `json:"seq"` // the event recording the move or the request
}

// IsolationResult is the outcome of a bulk isolation.
type IsolationResult struct {
	Selector Selector `json:"selector"`
	// Isolated lists the systems moved to isolated, in estate order.
	Isolated []string `json:"isolated"`
	// Skipped lists the selected systems left alone: already contained
	// (isolated or investigating) or removed from the estate.
	Skipped []Skip `json:"skipped"`
	// Seq is the summary event; 0 when nothing was isolated (nothing is
	// recorded then).
	Seq int64 `json:"seq"`
}

// Skip is a system a bulk isolation left alone, and why.
type Skip struct {
	System string `json:"system"`
	State  State  `json:"state"`
	Why    string `json:"why"`
}

// Decided is the outcome of an approval decision.
type Decided struct {
	Approval Approval `json:"approval"`
	// Done: this decision completed the approvals and the move happened.
	Done   bool        `json:"done"`
	System *SystemView `json:"system,omitempty"`
}

// EstateMove is the outcome of moving an incident to a newer estate.
type EstateMove struct {
	From    int      `json:"from"`
	To      int      `json:"to"`
	Added   []string `json:"added"`
	Removed []string `json:"removed"`
	// AddedState is the state the added systems start in.
	AddedState State `json:"added_state"`
}

// NewUser creates an account.
type NewUser struct {
	Name     string  `json:"name"`
	Password string  `json:"password"`
	Grants   []Grant `json:"roles"`
	// Reason says why, for the second admin when the account waits for
	// one.
	Reason string `json:"reason,omitempty"`
}

// TokenRequest creates an API token.
type TokenRequest struct {
	// UserID is whose token it is; 0 means the actor's own.
	UserID int64 `json:"user_id,omitempty"`
	// Role is the one role the token acts with; it must be one the user
	// holds. Empty picks the user's only role (refused when they hold
	// several).
	Role      Role      `json:"role,omitempty"`
	Label     string    `json:"label,omitempty"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
}

// NewToken is a created token. Secret is shown once and never stored.
type NewToken struct {
	Token  Token  `json:"token"`
	Secret string `json:"secret"`
}

// Client is who is on the other end of a login.
type Client struct {
	Address   string
	UserAgent string
}

// LoginResult is a successful login. SessionSecret goes in the cookie and
// is never stored.
type LoginResult struct {
	SessionSecret string  `json:"-"`
	Session       Session `json:"session"`
	User          User    `json:"user"`
	Actor         Actor   `json:"-"`
}
