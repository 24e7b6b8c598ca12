package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/phasegate/phasegate/estate"
	northfield "github.com/phasegate/phasegate/examples/northfield-motors"
	"github.com/phasegate/phasegate/incident"
	"github.com/phasegate/phasegate/planner"
	"github.com/phasegate/phasegate/probe"
	"github.com/phasegate/phasegate/server"
	"github.com/phasegate/phasegate/store"
)

func serveCommand() command {
	return command{
		name:    "serve",
		summary: "run the incident server: the JSON API, the event stream, health and metrics",
		usage: `Usage: phasegate serve [--addr HOST:PORT] [--db PATH | --postgres URL]
                       [--estate PATH]... [--demo] [--insecure-cookies auto|true|false]
                       [--trusted-origin URL]... [--log-format text|json] [--shutdown-timeout D]
                       [--follow D] [--probe-ca FILE]
                       [--notify URL]... [--notify-events LIST] [--notify-secret-file FILE]
                       [--notify-max-age D] [--public-url URL]
                       [--backup-dir DIR] [--backup-every D] [--backup-keep N]

Serves the JSON API under /api/v1, GET /healthz and GET /metrics. On first
start with no user it creates "admin" with a random password, printed once.

  --addr              where to listen (default 127.0.0.1:8080; port 0 picks one)
  --db                the SQLite database file (default ./phasegate.db; created
                      and migrated at start)
  --postgres          a postgres:// URL: use PostgreSQL instead of SQLite
  --estate            an estate file or directory (repeatable); uploaded as a new
                      estate version when it differs from the latest
  --demo              load the Northfield Motors demo estate and declare a demo
                      incident when the database has none
  --insecure-cookies  auto (default): session cookies are Secure unless the
                      server listens on plain HTTP on a loopback address;
                      true/false force it
  --trusted-origin    an origin (scheme://host[:port]) allowed to send
                      cross-origin requests (repeatable)
  --log-format        text (default) or json, on stderr
  --shutdown-timeout  how long to let requests finish on SIGINT/SIGTERM (default 10s;
                      a second signal stops at once)
  --follow            how often to look in the store for events another writer
                      committed — another instance on the same PostgreSQL, or
                      break-glass on the host — so live pages, the event stream
                      and the status pages show them too (default 1s; 0: never)
  --probe-ca          a PEM file of the CA (or CAs) that signed the systems'
                      internal certificates, trusted by the estate's https
                      verify checks besides the system's roots
  --notify            a webhook (repeatable) that is sent, as JSON, the events
                      people must act on: a restart or an account change
                      waiting for a second person or lapsed undecided, a
                      status update to approve or published, an estate upload, an incident declared or
                      closed, a lock-out (docs/api.md, "Notifications")
  --notify-events     the event types to send instead, comma separated: types
                      (approval.requested), prefixes (approval.) or * for all
  --notify-secret-file  a file whose content signs each notification
                      (X-Phasegate-Signature: sha256=HMAC of the body)
  --notify-max-age    after a stop, events older than this are not posted,
                      only logged (default 24h; 0: post them all). Delivery
                      goes on where it stopped: the event log is the queue
  --public-url        the address people open phasegate at, for the links in
                      notifications (e.g. https://phasegate.example.internal)
  --backup-dir        a folder (another disk, a mounted share) to write a copy
                      of the database to at start and then every
                      --backup-every while there is something new: one SQLite
                      file (a PostgreSQL store too) that serve --db opens,
                      verified and recorded like 'phasegate backup' (by
                      system:backup), named phasegate-backup-TIME.db
  --backup-every      how often to back up (default 1h; at least 1m)
  --backup-keep       how many copies to keep in --backup-dir; older ones are
                      removed (default 48)`,
		run: runServe,
	}
}

// stringList is a repeatable flag.
type stringList []string

func (l *stringList) String() string     { return strings.Join(*l, ",") }
func (l *stringList) Set(v string) error { *l = append(*l, v); return nil }

// serveConfig is everything phasegate serve is told.
type serveConfig struct {
	addr            string
	db              string
	dbGiven         bool // --db given, not the default
	postgres        string
	estatePaths     []string
	demo            bool
	insecureCookies string
	trustedOrigins  []string
	notify          []string
	notifyEvents    string
	notifySecret    string
	notifyMaxAge    time.Duration
	publicURL       string
	logFormat       string
	shutdownTimeout time.Duration
	follow          time.Duration
	probeCA         string
	backupDir       string
	backupEvery     time.Duration
	backupKeep      int
	// For tests: cheaper passwords, faster heartbeats, a quiet log.
	settings  incident.Settings
	heartbeat time.Duration
	logWriter io.Writer
}

func runServe(ctx context.Context, args []string, e env) error {
	fs := newFlagSet("serve")
	cfg := serveConfig{}
	var estates, origins, hooks stringList
	fs.StringVar(&cfg.addr, "addr", "127.0.0.1:8080", "listen address")
	fs.StringVar(&cfg.db, "db", "./phasegate.db", "SQLite database file")
	fs.StringVar(&cfg.postgres, "postgres", "", "PostgreSQL URL")
	fs.Var(&estates, "estate", "estate file or directory")
	fs.BoolVar(&cfg.demo, "demo", false, "load the demo estate and incident")
	fs.StringVar(&cfg.insecureCookies, "insecure-cookies", "auto", "auto, true or false")
	fs.Var(&origins, "trusted-origin", "trusted origin")
	fs.Var(&hooks, "notify", "webhook URL")
	fs.StringVar(&cfg.notifyEvents, "notify-events", "", "event types to notify")
	fs.StringVar(&cfg.notifySecret, "notify-secret-file", "", "file with the webhook signing secret")
	fs.DurationVar(&cfg.notifyMaxAge, "notify-max-age", server.DefaultNotifyMaxAge, "oldest event to post after a stop (0: any)")
	fs.StringVar(&cfg.publicURL, "public-url", "", "the address people open phasegate at")
	fs.StringVar(&cfg.logFormat, "log-format", "text", "text or json")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 10*time.Second, "shutdown timeout")
	fs.DurationVar(&cfg.follow, "follow", time.Second, "how often to look for other writers' events (0: never)")
	fs.StringVar(&cfg.probeCA, "probe-ca", "", "PEM file of an internal CA for the verify checks")
	fs.StringVar(&cfg.backupDir, "backup-dir", "", "folder for scheduled backups")
	fs.DurationVar(&cfg.backupEvery, "backup-every", time.Hour, "how often to back up")
	fs.IntVar(&cfg.backupKeep, "backup-keep", 48, "how many backups to keep")
	rest, err := parseArgs(fs, args)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return usagef("unexpected argument %q; give estate paths with --estate PATH", rest[0])
	}
	cfg.estatePaths, cfg.trustedOrigins, cfg.notify = estates, origins, hooks
	cfg.dbGiven = flagGiven(fs, "db")
	if err := cfg.check(); err != nil {
		return err
	}
	app := newApp(cfg, e)
	if err := app.Open(ctx); err != nil {
		app.Close()
		return err
	}
	defer app.Close()
	return app.Run(ctx)
}

func (c *serveConfig) check() error {
	switch c.insecureCookies {
	case "auto", "true", "false":
	default:
		return usagef("--insecure-cookies %q: use auto, true or false", c.insecureCookies)
	}
	switch c.logFormat {
	case "text", "json":
	default:
		return usagef("--log-format %q: use text or json", c.logFormat)
	}
	if c.publicURL != "" {
		if u, err := url.Parse(c.publicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return usagef("--public-url %q: give the address people open phasegate at, e.g. https://phasegate.example.internal", c.publicURL)
		}
	}
	if len(c.notify) == 0 && (c.notifyEvents != "" || c.notifySecret != "" || c.notifyMaxAge != server.DefaultNotifyMaxAge) {
		return usagef("--notify-events, --notify-secret-file and --notify-max-age go with --notify URL: give the webhook too")
	}
	if c.notifyMaxAge < 0 {
		return usagef("--notify-max-age %s: give the age of the oldest event to post after a stop, e.g. 24h, or 0 for any", c.notifyMaxAge)
	}
	if c.follow < 0 {
		return usagef("--follow %s: give how often to look for other writers' events, e.g. 1s, or 0 for never", c.follow)
	}
	if _, _, err := net.SplitHostPort(c.addr); err != nil {
		return usagef("--addr %q: write it as HOST:PORT, e.g. 127.0.0.1:8080", c.addr)
	}
	if err := checkOneStore(c.dbGiven, c.postgres); err != nil {
		return err
	}
	if err := c.checkBackups(); err != nil {
		return err
	}
	if c.shutdownTimeout <= 0 {
		return usagef("--shutdown-timeout %s: give a positive duration, e.g. 10s", c.shutdownTimeout)
	}
	return nil
}

// checkBackups checks the scheduled backups' flags before anything
// starts: a folder that is not there is found now, not an hour later.
func (c *serveConfig) checkBackups() error {
	if c.backupDir == "" {
		return nil
	}
	if c.backupEvery < time.Minute {
		return usagef("--backup-every %s: give at least 1m, e.g. 1h", c.backupEvery)
	}
	if c.backupKeep < 1 {
		return usagef("--backup-keep %d: keep at least 1 copy", c.backupKeep)
	}
	if !isDir(c.backupDir) {
		return fmt.Errorf("--backup-dir %s: no such folder; create it (on another disk, or a share mounted from another machine) or give another", c.backupDir)
	}
	return nil
}

// sameFolder reports whether the backups go next to the database, where
// a lost disk takes both.
func (c *serveConfig) sameFolder() bool {
	if c.postgres != "" {
		return false // the database is on another machine
	}
	dir, err1 := filepath.Abs(c.backupDir)
	db, err2 := filepath.Abs(c.db)
	return err1 == nil && err2 == nil && filepath.Dir(db) == dir
}

// secureCookies resolves --insecure-cookies: auto means Secure unless
// the server is plain HTTP on a loopback address (a browser on the same
// machine; nothing on the wire to protect).
func (c *serveConfig) secureCookies(addr string) bool {
	switch c.insecureCookies {
	case "true":
		return false
	case "false":
		return true
	}
	host, _, _ := net.SplitHostPort(addr)
	if host == "localhost" {
		return false
	}
	ip := net.ParseIP(host)
	return ip == nil || !ip.IsLoopback()
}

// App is one running phasegate server: the store, the service on it, the
// HTTP server in front, and the plan worker. Open, then Run, then Close.
type App struct {
	cfg serveConfig
	e   env
	log *slog.Logger

	db       *store.DB
	svc      *incident.Service
	metrics  *server.Metrics
	notifier *server.Notifier
	srv      *server.Server
	http     *http.Server
	ln       net.Listener

	closeOnce sync.Once
}

func newApp(cfg serveConfig, e env) *App {
	w := cfg.logWriter
	if w == nil {
		w = e.stderr
	}
	var h slog.Handler = slog.NewTextHandler(w, nil)
	if cfg.logFormat == "json" {
		h = slog.NewJSONHandler(w, nil)
	}
	return &App{cfg: cfg, e: e, log: slog.New(h)}
}

// Open checks what it is given (the estate, the CA, the webhooks, the
// address), opens the store, creates the first admin, loads the estate or
// the demo, and starts listening. Whatever can be wrong with what it is
// given fails before the first admin is created: its password is printed
// only once, so a start that fails after printing it would lose it.
func (a *App) Open(ctx context.Context) error {
	var est *estate.Estate
	var estFiles []estate.File
	if len(a.cfg.estatePaths) > 0 {
		var err error
		if estFiles, est, err = a.readEstate(); err != nil {
			return err
		}
	}
	var roots *x509.CertPool
	var err error
	if a.cfg.probeCA != "" {
		if roots, err = probe.Roots(a.cfg.probeCA); err != nil {
			return err
		}
	}
	a.metrics = server.NewMetrics(prometheus.NewRegistry())
	broker := server.NewBroker(a.metrics)
	publish := broker.Publish
	if len(a.cfg.notify) > 0 {
		if a.notifier, err = a.newNotifier(); err != nil {
			return err
		}
		publish = func(evs []incident.Event) {
			broker.Publish(evs)
			a.notifier.Publish(evs)
		}
	}
	what := "SQLite " + a.cfg.db
	if a.cfg.postgres != "" {
		what = "PostgreSQL"
	}
	db, err := openStore(ctx, a.cfg.db, a.cfg.postgres)
	if err != nil {
		return err
	}
	a.db = db
	if off := db.ClockOffset(); off.Abs() > 2*time.Second {
		way := "ahead of"
		if off > 0 {
			way = "behind"
		}
		a.log.Warn("this machine's clock disagrees with PostgreSQL's; phasegate keeps PostgreSQL's time for the log, "+
			"sessions, approvals and lock-outs, but set this machine's clock right (NTP) for its own logs",
			"by", off.Abs().Round(time.Millisecond).String(), "this_machine_is", way)
	}
	a.metrics.Registry().MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "phasegate_store_clock_offset_seconds",
		Help: "How far the store's clock (PostgreSQL's) is ahead of this machine's, as last measured; 0 on SQLite.",
	}, func() float64 { return db.ClockOffset().Seconds() }))
	ln, err := net.Listen("tcp", a.cfg.addr)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v; choose another --addr", a.cfg.addr, err)
	}
	a.ln = ln
	a.svc = incident.New(incident.Config{
		Store: db, Clock: db.Clock(), Log: a.log.With("component", "incident"),
		Publish: publish, Settings: a.cfg.settings, Prober: probe.New(roots),
	})
	if a.notifier != nil {
		if err := a.notifier.Begin(ctx, a.svc); err != nil {
			return err
		}
	}
	if name, pw, err := a.svc.Bootstrap(ctx); err != nil {
		return fmt.Errorf("creating the first admin: %w", err)
	} else if pw != "" {
		fmt.Fprintf(a.e.stdout, "Created user %q with the admin role. Its password, shown only this once:\n\n    %s\n\n"+
			"Log in with it, then create the accounts of the people running the recovery.\n", name, pw)
	}
	if est != nil {
		if err := a.loadEstate(ctx, estFiles, est); err != nil {
			return err
		}
	}
	if a.cfg.demo {
		if err := a.loadDemo(ctx); err != nil {
			return err
		}
	}
	if err := a.warnAdmins(ctx); err != nil {
		return err
	}
	secure := a.cfg.secureCookies(ln.Addr().String())
	a.srv, err = server.New(server.Config{
		Service: a.svc, Broker: broker, Metrics: a.metrics, Log: a.log.With("component", "http"),
		Health:        a.health,
		SecureCookies: secure, TrustedOrigins: a.cfg.trustedOrigins, Heartbeat: a.cfg.heartbeat,
		Clock: db.Clock(),
	})
	if err != nil {
		return err
	}
	a.http = &http.Server{
		Handler:           a.srv,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       2 * time.Minute,
		WriteTimeout:      5 * time.Minute, // the event stream lifts it per write
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(a.log.Handler(), slog.LevelWarn),
	}
	a.http.RegisterOnShutdown(a.srv.Close)
	cookie := "Secure session cookies"
	if !secure {
		cookie = "session cookies without Secure (plain HTTP on loopback)"
	}
	fmt.Fprintf(a.e.stdout, "phasegate listening on http://%s (%s; %s)\n", ln.Addr(), what, cookie)
	a.log.Info("listening", "addr", ln.Addr().String(), "store", db.Dialect(), "secure_cookies", secure)
	return nil
}

// warnAdmins says in the log when the admins leave the accounts exposed:
// no enabled admin (nobody can manage accounts or the estate), or one
// (account changes act without a second person).
func (a *App) warnAdmins(ctx context.Context) error {
	actor := incident.SystemActor("serve", incident.RoleAdmin)
	on, err := a.svc.DualControl(ctx, actor)
	if err != nil {
		return err
	}
	users, err := a.svc.Users(ctx, actor)
	if err != nil {
		return err
	}
	admins := 0
	for _, u := range users {
		if !u.Disabled && slices.ContainsFunc(u.Grants, func(g incident.Grant) bool { return g.Role == incident.RoleAdmin }) {
			admins++
		}
	}
	switch {
	case admins == 0:
		a.log.Warn("there is no enabled admin, so nobody can manage accounts or upload an estate: " +
			"make one on this host with phasegate user add NAME --role admin and this server's --db PATH or --postgres URL")
	case admins == 1 && !on:
		a.log.Warn("there is one admin, so account changes act without a second person: " +
			"make a second admin (phasegate user add NAME --role admin), and from then on one fooled admin cannot make two people")
	}
	return nil
}

// newNotifier makes the webhook notifier of --notify.
func (a *App) newNotifier() (*server.Notifier, error) {
	var secret []byte
	if a.cfg.notifySecret != "" {
		b, err := os.ReadFile(a.cfg.notifySecret)
		if err != nil {
			return nil, fmt.Errorf("--notify-secret-file: %v", err)
		}
		if secret = bytes.TrimSpace(b); len(secret) < 16 {
			return nil, fmt.Errorf("--notify-secret-file %s: the secret is %d bytes; use at least 16 random ones (e.g. openssl rand -hex 32 > FILE)", a.cfg.notifySecret, len(secret))
		}
	}
	var events []string
	for _, ev := range strings.Split(a.cfg.notifyEvents, ",") {
		if ev = strings.TrimSpace(ev); ev != "" {
			events = append(events, ev)
		}
	}
	hooks := make([]server.Webhook, len(a.cfg.notify))
	for i, u := range a.cfg.notify {
		hooks[i] = server.Webhook{URL: u, Events: events, Secret: secret}
	}
	maxAge := a.cfg.notifyMaxAge
	if maxAge == 0 {
		maxAge = -1 // no limit
	}
	// MaxAge is judged against the events' times: the store's clock, once
	// it is open (before that nothing is delivered).
	now := func() time.Time {
		if a.db != nil {
			return a.db.Clock()()
		}
		return time.Now()
	}
	return server.NewNotifier(server.NotifyConfig{Hooks: hooks, BaseURL: a.cfg.publicURL, MaxAge: maxAge, Now: now,
		Log: a.log.With("component", "notify")}, a.metrics)
}

// Addr is where the server listens (after Open).
func (a *App) Addr() string { return a.ln.Addr().String() }

func (a *App) health(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	_, _, err := a.svc.ChainHead(ctx)
	return err
}

// Run serves until ctx ends, then shuts down in order: HTTP first (new
// requests refused, running ones given the shutdown timeout, event
// streams ended), then the workers, then the store.
func (a *App) Run(ctx context.Context) error {
	workerCtx, stopWorkers := context.WithCancel(context.Background())
	var workers sync.WaitGroup
	workers.Go(func() {
		if err := a.svc.RunPlanWorker(workerCtx); err != nil {
			a.log.Error("plan worker stopped", "error", err)
		}
	})
	workers.Go(func() { a.svc.RunExpiry(workerCtx) })
	if a.cfg.follow > 0 {
		// Before serving: what this process writes from now on is
		// published by its own commits, the rest by the follower.
		if err := a.svc.StartFollowing(ctx); err != nil {
			stopWorkers()
			workers.Wait()
			return fmt.Errorf("reading the event log's head to follow other writers: %w", err)
		}
		workers.Go(func() { a.svc.FollowStore(workerCtx, a.cfg.follow) })
	}
	if a.cfg.backupDir != "" {
		a.log.Info("backing up the database", "to", a.cfg.backupDir, "every", a.cfg.backupEvery.String(), "keep", a.cfg.backupKeep)
		if a.cfg.sameFolder() {
			a.log.Warn("the backups go to the database's own folder: a lost disk takes both; give --backup-dir a folder on another disk", "dir", a.cfg.backupDir)
		}
		b := &backupSchedule{st: a.db, svc: a.svc, dir: a.cfg.backupDir, every: a.cfg.backupEvery, keep: a.cfg.backupKeep,
			now: a.e.now, log: a.log}
		workers.Go(func() { b.run(workerCtx) })
	}
	if a.notifier != nil {
		a.log.Info("posting notifications", "webhooks", len(a.cfg.notify), "events", orDefault(a.cfg.notifyEvents, "the default list"),
			"signed", a.cfg.notifySecret != "")
		workers.Go(func() { a.notifier.Run(workerCtx, a.svc) })
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- a.http.Serve(a.ln) }()

	var err error
	select {
	case <-ctx.Done():
		a.log.Info("shutting down: stopping HTTP")
	case err = <-serveErr:
		a.log.Error("HTTP server stopped", "error", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), a.cfg.shutdownTimeout)
	if serr := a.http.Shutdown(sctx); serr != nil {
		a.log.Warn("HTTP shutdown timed out; closing the remaining connections", "error", serr)
		a.http.Close()
	}
	cancel()
	a.log.Info("shutting down: stopping workers")
	stopWorkers()
	workers.Wait()
	a.log.Info("shutting down: closing the store")
	if cerr := a.closeStore(); cerr != nil && err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	a.log.Info("stopped")
	return err
}

// Close releases whatever Open acquired; safe after Run and twice.
func (a *App) Close() error {
	if a.ln != nil {
		a.ln.Close()
	}
	return a.closeStore()
}

func (a *App) closeStore() error {
	var err error
	a.closeOnce.Do(func() {
		if a.db != nil {
			err = a.db.Close()
		}
	})
	return err
}

// readEstate reads and parses the --estate files; an invalid estate is
// printed, every problem, and stops the start.
func (a *App) readEstate() ([]estate.File, *estate.Estate, error) {
	files, err := readEstateFiles(a.cfg.estatePaths)
	if err != nil {
		return nil, nil, err
	}
	est, err := parseEstate(files, a.e)
	if err != nil {
		return nil, nil, err
	}
	return files, est, nil
}

func parseEstate(files []estate.File, e env) (*estate.Estate, error) {
	est, err := estate.Parse(files...)
	if err != nil {
		var ps estate.Problems
		if errors.As(err, &ps) {
			writeProblems(e.stderr, ps)
			return nil, &silentError{code: exitFailure}
		}
		return nil, err
	}
	return est, nil
}

// loadEstate uploads the --estate files as a new version unless the
// latest version is the same estate.
func (a *App) loadEstate(ctx context.Context, files []estate.File, est *estate.Estate) error {
	ver, uploaded, err := a.uploadIfChanged(ctx, files, est, "serve-estate")
	if err != nil {
		return err
	}
	if uploaded {
		fmt.Fprintf(a.e.stdout, "Loaded the estate as version %d: %s, %s, %s.\n",
			ver.Number, plural(ver.Systems, "system"), plural(ver.Services, "service"), plural(ver.Teams, "team"))
	} else {
		fmt.Fprintf(a.e.stdout, "The estate is unchanged since version %d.\n", ver.Number)
	}
	return nil
}

// uploadIfChanged uploads files (est, parsed) as a new estate version
// unless the latest version is the same estate.
func (a *App) uploadIfChanged(ctx context.Context, files []estate.File, est *estate.Estate, who string) (*incident.EstateVersion, bool, error) {
	// Recorded as phasegate itself ("system:…"), not as a person: the
	// operator starting the server holds the database already.
	actor := incident.SystemActor(who, incident.RoleAdmin)
	doc, err := json.Marshal(est)
	if err != nil {
		return nil, false, err
	}
	sum := sha256.Sum256(doc)
	vs, err := a.svc.EstateVersions(ctx, actor)
	if err != nil {
		return nil, false, err
	}
	if len(vs) > 0 && vs[0].SHA256 == hex.EncodeToString(sum[:]) {
		return &vs[0], false, nil
	}
	ver, err := a.svc.UploadEstate(ctx, actor, files...)
	return ver, err == nil, err
}

// loadDemo loads the demo estate when there is none, and declares the
// demo incident when there is no incident: a total shutdown a few days
// in, with some systems cleared and back, some under investigation and a
// restart waiting for a second person. Then it prints the plan's
// headline.
func (a *App) loadDemo(ctx context.Context) error {
	actor := incident.SystemActor("demo", incident.RoleIncidentCommander)
	vs, err := a.svc.EstateVersions(ctx, actor)
	if err != nil {
		return err
	}
	if len(vs) == 0 {
		files, err := northfield.Files()
		if err != nil {
			return fmt.Errorf("reading the embedded demo estate: %w", err)
		}
		est, err := parseEstate(files, a.e)
		if err != nil {
			return fmt.Errorf("reading the embedded demo estate: %w", err)
		}
		ver, _, err := a.uploadIfChanged(ctx, files, est, "demo")
		if err != nil {
			return fmt.Errorf("loading the demo estate: %w", err)
		}
		fmt.Fprintf(a.e.stdout, "Loaded the Northfield Motors demo estate as version %d.\n", ver.Number)
	}
	ins, err := a.svc.Incidents(ctx, actor)
	if err != nil {
		return err
	}
	var id int64
	if len(ins) == 0 {
		// The people first: the demo's restart request is one of theirs.
		people, err := a.addDemoUsers(ctx)
		if err != nil {
			return fmt.Errorf("creating the demo accounts: %w", err)
		}
		view, err := declareDemo(ctx, a.svc, actor, people[demoRequester], a.db.Clock()())
		if err != nil {
			return fmt.Errorf("declaring the demo incident: %w", err)
		}
		id = view.ID
		fmt.Fprintf(a.e.stdout, "Declared demo incident %d %q.\n", id, view.Name)
		n, err := publishDemoUpdates(ctx, a.svc, id)
		if err != nil {
			return fmt.Errorf("publishing the demo status updates: %w", err)
		}
		fmt.Fprintf(a.e.stdout, "Published %d demo status updates: see /status/.\n", n)
	} else {
		id = ins[0].ID
	}
	start := time.Now()
	p, err := a.svc.LivePlan(ctx, actor, id)
	if err != nil {
		return fmt.Errorf("planning the demo incident: %w", err)
	}
	a.log.Info("demo plan computed", "incident", id, "duration", time.Since(start))
	writeHeadline(a.e.stdout, id, p)
	return nil
}

// demoRequester is the demo account that asks for the demo's restart
// under the two-person rule: a person, so that another demo account
// (lead) approving it completes a move two people made, as the rule
// means; phasegate itself ("system:demo") asking would let one person
// alone put a criticality-1 system into restore.
const demoRequester = "commander"

// declareDemo declares a total shutdown that began three days ago and
// moves a few systems along, so the live view has something in every
// state. The restart waiting for a second person is asked for by
// requester, a person.
func declareDemo(ctx context.Context, svc *incident.Service, actor, requester incident.Actor, now time.Time) (*incident.IncidentView, error) {
	view, err := svc.DeclareIncident(ctx, actor, incident.Declaration{
		Name: "Northfield Motors ransomware (demo)", Kind: "ransomware",
		StartedAt: now.Add(-72 * time.Hour).Truncate(time.Hour), TotalShutdown: true,
	})
	if err != nil {
		return nil, err
	}
	id := view.ID
	// Roots (nothing required) can come back first. The least critical
	// go all the way; the critical ones wait for a second person.
	var roots []incident.SystemView
	for _, s := range view.Systems {
		if len(s.Requires) == 0 && s.State == incident.StateIsolated {
			roots = append(roots, s)
		}
	}
	sort.SliceStable(roots, func(i, j int) bool { return roots[i].Criticality > roots[j].Criticality })
	move := func(sys string, to incident.State, why string) error {
		_, err := svc.Transition(ctx, actor, id, sys, to, why)
		return err
	}
	clear := func(sys string, items int) error {
		if err := move(sys, incident.StateInvestigating, "forensic clearance started"); err != nil {
			return err
		}
		list, err := svc.Checklist(ctx, actor, id, sys)
		if err != nil {
			return err
		}
		for i, it := range list {
			if items >= 0 && i >= items {
				break
			}
			if _, err := svc.TickChecklist(ctx, actor, id, sys, incident.Tick{
				Item: it.Key, Done: true, Note: "demo", Evidence: fmt.Sprintf("DEMO-%s-%d", sys, i+1)}); err != nil {
				return err
			}
		}
		if items < 0 {
			return move(sys, incident.StateCleared, "every clearance item done")
		}
		return nil
	}
	back, investigating, approval := 0, 0, 0
	for _, s := range roots {
		var err error
		switch {
		case !s.TwoPerson && back < 3:
			err = clear(s.SystemID, -1)
			for _, st := range []incident.State{incident.StateRestoring, incident.StateVerifying, incident.StateOnline} {
				if err == nil {
					err = move(s.SystemID, st, "demo: restored from a verified backup")
				}
			}
			back++
		case s.TwoPerson && approval < 1:
			err = clear(s.SystemID, -1)
			if err == nil {
				_, err = svc.Transition(ctx, requester, id, s.SystemID, incident.StateRestoring, "demo: restore from the clean build")
			}
			approval++
		case investigating < 3:
			err = clear(s.SystemID, 2)
			investigating++
		default:
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("demo system %s: %w", s.SystemID, err)
		}
	}
	return svc.Incident(ctx, actor, id)
}

// writeHeadline prints the live plan's headline: when everything is back,
// what the downtime costs, and when the costliest services return.
func writeHeadline(w io.Writer, id int64, p *planner.Plan) {
	fmt.Fprintf(w, "Incident %d restart plan: all systems back %s (in %s); cost of downtime from now %s.\n",
		id, longDate(p.End), hoursText(p.MakespanHours), money(p.Currency, p.DowntimeCost))
	svcs := append([]planner.ServicePlan(nil), p.Services...)
	sort.SliceStable(svcs, func(i, j int) bool { return svcs[i].DowntimeCost > svcs[j].DowntimeCost })
	for i, s := range svcs {
		if i == 3 {
			break
		}
		fmt.Fprintf(w, "  %s back on %s (%s of downtime)\n", orDefault(s.Name, s.ID), longDate(s.ETA), money(p.Currency, s.DowntimeCost))
	}
}

// demoUsers are the people of the demo recovery, one per role that runs
// it, so a new user can log in and act at once. admin (created first)
// manages accounts but does not run the recovery; secadmin, a second
// admin, puts account changes under dual control (docs/adr/0007).
var demoUsers = []struct {
	name  string
	grant incident.Grant
	what  string
}{
	{"commander", incident.Grant{Role: incident.RoleIncidentCommander}, "runs the incident, approves restarts and status updates"},
	{"lead", incident.Grant{Role: incident.RoleRecoveryLead}, "restores systems, approves the two-person moves"},
	{"forensics", incident.Grant{Role: incident.RoleForensics}, "investigates and clears systems"},
	{"sap-owner", incident.Grant{Role: incident.RoleSystemOwner, Teams: []string{"sap-basis"}}, "owns the SAP systems (team sap-basis)"},
	{"comms", incident.Grant{Role: incident.RoleComms}, "drafts status updates for suppliers, retailers, staff"},
	{"viewer", incident.Grant{Role: incident.RoleViewer}, "sees everything, changes nothing"},
	{"secadmin", incident.Grant{Role: incident.RoleAdmin}, "second admin: approves admin's account changes (dual control)"},
}

// addDemoUsers creates the demo's people with random passwords and prints
// them once, as the first admin's is. It returns each as an actor, by
// name.
func (a *App) addDemoUsers(ctx context.Context) (map[string]incident.Actor, error) {
	actor := incident.SystemActor("demo", incident.RoleAdmin)
	people := map[string]incident.Actor{}
	fmt.Fprintf(a.e.stdout, "Demo accounts (passwords shown only this once):\n")
	for _, u := range demoUsers {
		var raw [12]byte
		if _, err := rand.Read(raw[:]); err != nil {
			return nil, err
		}
		pw := base64.RawURLEncoding.EncodeToString(raw[:])
		nu, _, err := a.svc.CreateUser(ctx, actor, incident.NewUser{Name: u.name, Password: pw, Grants: []incident.Grant{u.grant}})
		if err != nil {
			return nil, fmt.Errorf("user %s: %w", u.name, err)
		}
		if nu == nil {
			return nil, fmt.Errorf("user %s waits for a second admin", u.name)
		}
		people[u.name] = incident.Actor{UserID: nu.ID, Name: nu.Name, Grants: nu.Grants}
		fmt.Fprintf(a.e.stdout, "    %-10s %s   %s\n", u.name, pw, u.what)
	}
	fmt.Fprintln(a.e.stdout)
	return people, nil
}
