// Package server is phasegate's HTTP adapter: the JSON API under /api/v1,
// the live event stream (Server-Sent Events), authentication by API token
// or session cookie, health and metrics. It turns requests into calls of
// incident.Service — one method per use case, with the acting
// incident.Actor — and the service's errors into JSON with one status
// mapping (errors.go). It never touches storage: cmd/phasegate wires the
// store into the service and the service into the server.
//
// The API lives in api.go, authentication in auth.go, the stream in
// sse.go; an HTML front end can sit beside them on the same mux, using
// the same authentication and error mapping.
package server

import (
	"context"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/phasegate/phasegate/api"
	"github.com/phasegate/phasegate/incident"
)

// Config wires a Server. Service is required.
type Config struct {
	Service *incident.Service
	// Broker fans the service's events out to stream clients; wire its
	// Publish into incident.Config.Publish. Nil: a broker of its own (no
	// live events).
	Broker *Broker
	// Metrics records request, login, plan and stream figures. Nil: a
	// private registry nobody reads.
	Metrics *Metrics
	Log     *slog.Logger
	// Health reports whether the store answers (GET /healthz). Nil: the
	// server reports only that it runs.
	Health func(context.Context) error
	// SecureCookies sets the Secure attribute on the session cookie.
	// Leave it on unless the server is plain HTTP on a loopback address.
	SecureCookies bool
	// TrustedOrigins may send cross-origin unsafe requests (e.g. a web
	// front end on another origin). Empty: none.
	TrustedOrigins []string
	// Heartbeat is how often an idle event stream gets a comment line, so
	// proxies keep it open and clients notice a dead server. Default 15s.
	Heartbeat time.Duration
	// Live tunes the live forecasts (live.go); zero fields take defaults.
	Live LiveConfig
	// Clock is the time pages are drawn at; wire the store's (store.DB.Clock)
	// so pages agree with the log's times. Nil: time.Now.
	Clock func() time.Time
}

// Server is the HTTP adapter. It is an http.Handler.
type Server struct {
	svc       *incident.Service
	broker    *Broker
	metrics   *Metrics
	log       *slog.Logger
	health    func(context.Context) error
	secure    bool
	heartbeat time.Duration
	live      *liveCache
	clock     func() time.Time

	mux     *http.ServeMux
	routes  []Route
	handler http.Handler
	status  *statusPages       // the public status pages (status_pages.go)
	report  *template.Template // the incident report (report.go)
	// notFoundPage answers a browser asking for a page that does not
	// exist (the UI's error page); API clients get JSON.
	notFoundPage http.HandlerFunc
}

// New returns a Server with every route registered.
func New(c Config) (*Server, error) {
	if c.Service == nil {
		return nil, fmt.Errorf("server: Config.Service is required")
	}
	s := &Server{
		svc: c.Service, broker: c.Broker, metrics: c.Metrics, log: c.Log,
		health: c.Health, secure: c.SecureCookies, heartbeat: c.Heartbeat,
		clock: c.Clock, mux: http.NewServeMux(),
	}
	if s.clock == nil {
		s.clock = time.Now
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.metrics == nil {
		s.metrics = NewMetrics(nil)
	}
	if s.broker == nil {
		s.broker = NewBroker(s.metrics)
	}
	if s.heartbeat <= 0 {
		s.heartbeat = 15 * time.Second
	}
	status, err := newStatusPages(s.svc, s.log, s.metrics)
	if err != nil {
		return nil, err
	}
	s.status = status
	if s.report, err = reportTemplate(); err != nil {
		return nil, err
	}
	s.live = newLiveCache(c.Live, s.metrics.Registry())
	for _, rt := range slices.Concat(s.apiRoutes(), s.liveRoutes(), s.statusRoutes()) {
		s.register(rt)
	}
	if err := s.mountUI(); err != nil {
		return nil, err
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range c.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, fmt.Errorf("server: trusted origin %q: %v; write it as scheme://host[:port]", o, err)
		}
	}
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, forbiddenf("cross-origin request refused: %s %s came from another site (Origin %q); "+
			"send it from the phasegate site itself, or use an API token from a script",
			r.Method, r.URL.Path, r.Header.Get("Origin")))
	}))
	s.handler = s.observe(cop.Handler(http.HandlerFunc(s.dispatch)))
	// Marks the status pages stale when what they show changes, until
	// Close.
	go s.status.watch(s.broker)
	return s, nil
}

// ServeHTTP serves every route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Broker returns the server's event broker.
func (s *Server) Broker() *Broker { return s.broker }

// Close ends every event stream and live forecast computation, so that
// http.Server.Shutdown does not wait for them. Register it with
// http.Server.RegisterOnShutdown.
func (s *Server) Close() {
	s.broker.Close()
	s.live.close()
}

// Access says who may call a route.
type Access int

const (
	// AccessAction: the caller needs Route.Action (on the system in the
	// path, for scoped roles; the service decides the scope).
	AccessAction Access = iota
	// AccessPublic: no authentication (health, metrics, logging in).
	AccessPublic
	// AccessAnyone: any authenticated caller.
	AccessAnyone
	// AccessOwnOr: the caller's own account or token always (tokens:
	// with tokens.own, which every role holds); someone else's needs
	// Route.Action.
	AccessOwnOr
	// AccessEdge: the action of the state-machine edge the request asks
	// for (incident.FindEdge(from, to).Action), on the system.
	AccessEdge
)

// Route is one endpoint: its method and ServeMux path pattern, and the
// permission it needs, taken from incident.Permissions. The role table
// test and the OpenAPI test read the routes from here, so what is
// documented, tested and served is the same list.
type Route struct {
	Method  string
	Pattern string
	Access  Access
	Action  incident.Action
	// Scoped: the route acts on one system (named in the path, or that of
	// the approval), so a scoped grant may cover it.
	Scoped  bool
	handler http.HandlerFunc
}

// Routes lists every registered route.
func (s *Server) Routes() []Route {
	out := make([]Route, len(s.routes))
	for i, r := range s.routes {
		r.handler = nil
		out[i] = r
	}
	return out
}

func (s *Server) register(rt Route) {
	h := rt.handler
	if rt.Access != AccessPublic {
		h = s.authenticated(rt, h)
	}
	s.mux.Handle(rt.Method+" "+rt.Pattern, h)
	s.routes = append(s.routes, rt)
}

// dispatch hands the request to the mux, answering unknown paths and
// methods in JSON like every other error.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern != "" {
		s.mux.ServeHTTP(w, r)
		return
	}
	// Let the mux decide between 404 and 405 (it knows the Allow list),
	// then answer in JSON.
	rec := &statusRecorder{header: http.Header{}}
	s.mux.ServeHTTP(rec, r)
	if allow := rec.header.Get("Allow"); allow != "" {
		w.Header().Set("Allow", allow)
	}
	if rec.status == http.StatusMethodNotAllowed {
		writeJSON(w, http.StatusMethodNotAllowed, ErrorResponse{Code: "method_not_allowed",
			Message: fmt.Sprintf("%s is not allowed on %s; use %s", r.Method, r.URL.Path, rec.header.Get("Allow"))})
		return
	}
	api := strings.HasPrefix(r.URL.Path, "/api/")
	if !api && s.notFoundPage != nil && (r.Method == http.MethodGet || r.Method == http.MethodHead) &&
		strings.Contains(r.Header.Get("Accept"), "text/html") {
		s.notFoundPage(w, r)
		return
	}
	msg := fmt.Sprintf("no route %s %s", r.Method, r.URL.Path)
	if api {
		msg += "; the API is described at /api/v1/openapi.yaml"
	}
	writeJSON(w, http.StatusNotFound, ErrorResponse{Code: "not_found", Message: msg})
}

// statusRecorder captures what the mux's own 404/405 handlers write.
type statusRecorder struct {
	header http.Header
	status int
}

func (r *statusRecorder) Header() http.Header { return r.header }
func (r *statusRecorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
}
func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return len(p), nil
}

// OpenAPI is the API description served at /api/v1/openapi.yaml.
func OpenAPI() []byte { return api.OpenAPI }
