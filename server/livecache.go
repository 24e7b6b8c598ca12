package server

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// LiveConfig tunes the live forecasts of incidents (forecast, impact,
// backlogs, what-if). Zero fields take the defaults.
type LiveConfig struct {
	// DefaultRuns is how many runs a live forecast makes when the request
	// names none (default 2,000: on the demo every P80 within about 4
	// hours between sampling seeds, for a fifth of the CPU of 10,000);
	// MaxRuns the most a request may ask for (default 20,000).
	DefaultRuns, MaxRuns int
	// MaxAge is how long a forecast is served as it is while nothing
	// happens in its incident; after that it is computed again at the new
	// now (default 1 minute). An event that moves a system starts a new
	// one at once.
	MaxAge time.Duration
	// Cores is how many forecast computations may run at once, and how
	// many workers they share: a computation alone takes every free core
	// (default GOMAXPROCS).
	Cores int
	// CacheEntries and CacheCells bound the forecasts kept: entries, and
	// runs × (services + 1) summed over them (default 64 and 4 million,
	// about 32 MB of per-run results).
	CacheEntries, CacheCells int
}

// The defaults of LiveConfig.
const (
	DefaultLiveRuns     = 2_000
	DefaultLiveMaxRuns  = 20_000
	DefaultLiveMaxAge   = time.Minute
	defaultCacheEntries = 64
	defaultCacheCells   = 4 << 20
)

func (c LiveConfig) withDefaults() LiveConfig {
	if c.DefaultRuns <= 0 {
		c.DefaultRuns = DefaultLiveRuns
	}
	if c.MaxRuns <= 0 {
		c.MaxRuns = DefaultLiveMaxRuns
	}
	c.DefaultRuns = min(c.DefaultRuns, c.MaxRuns)
	if c.MaxAge <= 0 {
		c.MaxAge = DefaultLiveMaxAge
	}
	if c.Cores <= 0 {
		c.Cores = runtime.GOMAXPROCS(0)
	}
	if c.CacheEntries <= 0 {
		c.CacheEntries = defaultCacheEntries
	}
	if c.CacheCells <= 0 {
		c.CacheCells = defaultCacheCells
	}
	return c
}

// errShuttingDown ends the computations still running when the server
// stops.
var errShuttingDown = errors.New("server: shutting down")

// liveCache holds computed forecasts, keyed by what determines them, with
// single flight: requests for a key being computed wait for that one
// computation. Computations run off the request path, on the cache's own
// context, with at most Cores of them at once; one whose every waiter has
// gone is cancelled. Finished values are kept (least recently used
// evicted first) within the entry and cell bounds, for MaxAge.
type liveCache struct {
	cfg   LiveConfig
	cores chan struct{} // one token per core; a computation holds ≥ 1
	base  context.Context
	stop  context.CancelCauseFunc
	m     *liveMetrics

	mu      sync.Mutex
	entries map[liveKey]*liveEntry
	lru     *list.List // of *liveEntry, done and kept; front = most recent
	cells   int
}

// liveKey is everything a live computation depends on. Scenario is the
// what-if's changes in their JSON form; "" for the baseline forecast.
type liveKey struct {
	incident int64
	estate   int
	seq      int64
	runs     int
	seed     uint64
	by       int64 // Unix nanoseconds; 0 without a target date
	// byAfter, with byRelative: a target given as a duration from the
	// forecast's start.
	byAfter    time.Duration
	byRelative bool
	scenario   string
}

type liveEntry struct {
	key     liveKey
	asOf    time.Time // the now the value was computed at
	done    chan struct{}
	val     any
	err     error
	cells   int
	waiters int
	cancel  context.CancelFunc
	elem    *list.Element
}

// liveCompute computes a value on ctx; it returns the value and its
// weight in cells.
type liveCompute func(ctx context.Context) (any, int, error)

func newLiveCache(cfg LiveConfig, reg *prometheus.Registry) *liveCache {
	cfg = cfg.withDefaults()
	base, stop := context.WithCancelCause(context.Background())
	return &liveCache{
		cfg: cfg, cores: make(chan struct{}, cfg.Cores), base: base, stop: stop,
		m: newLiveMetrics(reg), entries: map[liveKey]*liveEntry{}, lru: list.New(),
	}
}

// close cancels every computation; their waiters get errShuttingDown.
func (c *liveCache) close() { c.stop(errShuttingDown) }

// get returns the value for key: kept (if computed at most MaxAge before
// now), being computed (it waits for it), or computed now by compute. It
// returns early with ctx's error when ctx ends first.
func (c *liveCache) get(ctx context.Context, key liveKey, now time.Time, kind string, compute liveCompute) (any, error) {
	return c.getWithin(ctx, key, now, kind, compute, 0)
}

// errNotReady: getWithin gave up waiting; the computation goes on.
var errNotReady = errors.New("server: the live forecast is still being computed")

// getWithin is get for a page that can do without the value: it waits at
// most wait (0: as long as it takes), then returns errNotReady, leaving
// the computation to finish and be kept for the next request, however
// long it takes (a forecast of a large estate). Leaving because ctx ended
// cancels it, as get does.
func (c *liveCache) getWithin(ctx context.Context, key liveKey, now time.Time, kind string, compute liveCompute, wait time.Duration) (any, error) {
	var giveUp <-chan time.Time
	if wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		giveUp = t.C
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	if ok && isDone(e) && now.Sub(e.asOf) >= c.cfg.MaxAge {
		c.remove(e)
		ok = false
	}
	switch {
	case ok && isDone(e):
		c.lru.MoveToFront(e.elem)
		c.mu.Unlock()
		c.m.requests.WithLabelValues(kind, "hit").Inc()
		return e.val, nil
	case ok:
		c.m.requests.WithLabelValues(kind, "shared").Inc()
	default:
		c.m.requests.WithLabelValues(kind, "computed").Inc()
		e = &liveEntry{key: key, asOf: now, done: make(chan struct{})}
		c.entries[key] = e
		var cctx context.Context
		cctx, e.cancel = context.WithCancel(c.base)
		go c.run(cctx, e, kind, compute)
	}
	e.waiters++
	c.mu.Unlock()

	select {
	case <-e.done:
		return e.val, e.err
	case <-giveUp:
		c.mu.Lock()
		e.waiters--
		c.mu.Unlock()
		return nil, errNotReady
	case <-ctx.Done():
		c.mu.Lock()
		e.waiters--
		if e.waiters == 0 && !isDone(e) {
			// Nobody wants it any more: stop it and forget it.
			e.cancel()
			if c.entries[key] == e {
				delete(c.entries, key)
			}
		}
		c.mu.Unlock()
		return nil, ctx.Err()
	}
}

func isDone(e *liveEntry) bool {
	select {
	case <-e.done:
		return true
	default:
		return false
	}
}

// run computes one entry and keeps it if it succeeded. It runs on its
// own goroutine, where no handler's recovery reaches: a panic becomes the
// entry's error (logged with its stack when the waiters report it).
func (c *liveCache) run(ctx context.Context, e *liveEntry, kind string, compute liveCompute) {
	start := time.Now()
	val, cells, err := func() (val any, cells int, err error) {
		defer func() {
			if v := recover(); v != nil {
				err = fmt.Errorf("live %s computation panicked: %v\n%s", kind, v, debug.Stack())
			}
		}()
		return compute(ctx)
	}()
	if err != nil && c.base.Err() != nil {
		err = errShuttingDown
	}
	c.m.computations.WithLabelValues(kind).Inc()
	c.m.seconds.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	c.mu.Lock()
	defer c.mu.Unlock()
	e.val, e.err, e.cells = val, err, cells
	close(e.done)
	e.cancel()
	if c.entries[e.key] != e {
		return // abandoned by every waiter
	}
	if err != nil {
		// Not kept: the next request tries again.
		delete(c.entries, e.key)
		return
	}
	e.elem = c.lru.PushFront(e)
	c.cells += cells
	for c.lru.Len() > 1 && (c.lru.Len() > c.cfg.CacheEntries || c.cells > c.cfg.CacheCells) {
		c.remove(c.lru.Back().Value.(*liveEntry))
	}
	c.m.kept.Set(float64(c.lru.Len()))
}

// remove forgets a finished entry.
func (c *liveCache) remove(e *liveEntry) {
	if c.entries[e.key] == e {
		delete(c.entries, e.key)
	}
	if e.elem != nil {
		c.lru.Remove(e.elem)
		e.elem = nil
		c.cells -= e.cells
	}
	c.m.kept.Set(float64(c.lru.Len()))
}

// withCores runs fn with some of the cores: at least one (waiting for it
// while every core computes), and more if they are free, up to want. fn
// gets how many it holds, to run that many workers.
func (c *liveCache) withCores(ctx context.Context, want int, fn func(workers int) error) error {
	select {
	case c.cores <- struct{}{}:
	case <-ctx.Done():
		return context.Cause(ctx)
	}
	n := 1
more:
	for n < want {
		select {
		case c.cores <- struct{}{}:
			n++
		default:
			break more
		}
	}
	c.m.running.Add(float64(n))
	defer func() {
		c.m.running.Sub(float64(n))
		for range n {
			<-c.cores
		}
	}()
	return fn(n)
}

// liveMetrics are the live forecasts' figures.
type liveMetrics struct {
	requests     *prometheus.CounterVec
	computations *prometheus.CounterVec
	seconds      *prometheus.HistogramVec
	running      prometheus.Gauge
	kept         prometheus.Gauge
}

func newLiveMetrics(reg *prometheus.Registry) *liveMetrics {
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	m := &liveMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "phasegate_live_forecast_requests_total",
			Help: "Live forecast requests by kind (forecast, whatif) and how they were answered: hit (kept), shared (waited for a computation under way), computed.",
		}, []string{"kind", "result"}),
		computations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "phasegate_live_forecast_computations_total",
			Help: "Live forecast computations by kind (forecast, whatif).",
		}, []string{"kind"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "phasegate_live_forecast_computation_seconds",
			Help:    "Time to compute a live forecast or what-if, waiting for a core included.",
			Buckets: []float64{.01, .05, .1, .25, .5, 1, 2, 5, 10, 30},
		}, []string{"kind"}),
		running: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "phasegate_live_forecast_cores_busy",
			Help: "Cores computing live forecasts now.",
		}),
		kept: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "phasegate_live_forecasts_kept",
			Help: "Live forecasts kept in memory.",
		}),
	}
	m.requests = register(reg, m.requests)
	m.computations = register(reg, m.computations)
	m.seconds = register(reg, m.seconds)
	m.running = register(reg, m.running)
	m.kept = register(reg, m.kept)
	return m
}

// register adds a collector to reg, or returns the one registered under
// its name already (two servers on one registry share their figures).
func register[C prometheus.Collector](reg *prometheus.Registry, c C) C {
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if old, ok := are.ExistingCollector.(C); ok {
				return old
			}
		}
		panic(err)
	}
	return c
}
