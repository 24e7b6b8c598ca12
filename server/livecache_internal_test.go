package server

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// The cache's behaviour with computations held open by the test: single
// flight, cancellation when every waiter leaves, the bound on cores, the
// bounds on what is kept, and shutdown.

var t0 = time.Date(2025, 9, 1, 8, 0, 0, 0, time.UTC)

func TestLiveCacheSingleFlight(t *testing.T) {
	c := newLiveCache(LiveConfig{}, nil)
	release := make(chan struct{})
	var calls atomic.Int32
	compute := func(ctx context.Context) (any, int, error) {
		calls.Add(1)
		<-release
		return "forecast", 1, nil
	}
	key := liveKey{incident: 1, runs: 100}
	const n = 16
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			v, err := c.get(context.Background(), key, t0, "forecast", compute)
			if err != nil || v != "forecast" {
				t.Errorf("get: %v, %v", v, err)
			}
		})
	}
	// Every caller waits on the one computation before it finishes.
	for waiters(c, key) < n {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("%d computations for %d concurrent callers, want 1", calls.Load(), n)
	}
	// Kept: a later caller within MaxAge gets it without computing.
	if v, _ := c.get(context.Background(), key, t0.Add(59*time.Second), "forecast", compute); v != "forecast" || calls.Load() != 1 {
		t.Errorf("kept value: %v after %d computations", v, calls.Load())
	}
	// Older than MaxAge: computed again.
	if _, err := c.get(context.Background(), key, t0.Add(time.Minute), "forecast", func(context.Context) (any, int, error) {
		calls.Add(1)
		return "again", 1, nil
	}); err != nil || calls.Load() != 2 {
		t.Errorf("stale value: %v, %d computations", err, calls.Load())
	}
}

func waiters(c *liveCache, key liveKey) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e := c.entries[key]; e != nil {
		return e.waiters
	}
	return 0
}

// TestLiveCacheAbandoned: a computation whose every caller has gone is
// cancelled and forgotten; errors are not kept.
func TestLiveCacheAbandoned(t *testing.T) {
	c := newLiveCache(LiveConfig{}, nil)
	started, stopped := make(chan struct{}), make(chan error, 1)
	key := liveKey{incident: 1}
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		<-started
		cancel()
	}()
	_, err := c.get(ctx, key, t0, "forecast", func(cctx context.Context) (any, int, error) {
		close(started)
		<-cctx.Done()
		stopped <- cctx.Err()
		return nil, 0, cctx.Err()
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("the caller who left got %v", err)
	}
	if err := <-stopped; !errors.Is(err, context.Canceled) {
		t.Errorf("the computation was not cancelled: %v", err)
	}
	c.mu.Lock()
	left := len(c.entries)
	c.mu.Unlock()
	if left != 0 {
		t.Errorf("the abandoned entry is still there")
	}
	boom := errors.New("boom")
	for i := range 2 {
		if _, err := c.get(context.Background(), key, t0, "forecast", func(context.Context) (any, int, error) { return nil, 0, boom }); err != boom {
			t.Errorf("try %d: %v, want the computation's error", i, err)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.entries) != 0 || c.lru.Len() != 0 {
		t.Error("a failed computation was kept")
	}
}

// TestLiveCacheCores: at most Cores computations hold a core at once; one
// alone takes every free core up to what it wants.
func TestLiveCacheCores(t *testing.T) {
	c := newLiveCache(LiveConfig{Cores: 3}, nil)
	var busy, most atomic.Int32
	var wg sync.WaitGroup
	got := make(chan int, 10)
	for range 10 {
		wg.Go(func() {
			err := c.withCores(context.Background(), 2, func(workers int) error {
				n := busy.Add(int32(workers))
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				got <- workers
				time.Sleep(2 * time.Millisecond)
				busy.Add(-int32(workers))
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	close(got)
	if most.Load() > 3 {
		t.Errorf("%d cores busy at once, want at most 3", most.Load())
	}
	for w := range got {
		if w < 1 || w > 2 {
			t.Errorf("a computation got %d workers, want 1 or 2", w)
		}
	}
	if err := c.withCores(context.Background(), 8, func(workers int) error {
		if workers != 3 {
			t.Errorf("alone, wanting 8: %d workers, want all 3 cores", workers)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// While every core is held, a caller whose context ends stops waiting.
	hold := make(chan struct{})
	go c.withCores(context.Background(), 3, func(int) error { <-hold; return nil })
	for len(c.cores) < 3 {
		time.Sleep(time.Millisecond)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := c.withCores(ctx, 1, func(int) error { t.Error("ran without a core"); return nil }); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("waiting for a core past the deadline: %v", err)
	}
	close(hold)
}

// TestLiveCacheBounds: least recently used entries go first, by count and
// by cells.
func TestLiveCacheBounds(t *testing.T) {
	c := newLiveCache(LiveConfig{CacheEntries: 3, CacheCells: 100}, nil)
	put := func(i int, cells int) {
		t.Helper()
		if _, err := c.get(context.Background(), liveKey{incident: int64(i)}, t0, "forecast", func(context.Context) (any, int, error) {
			return i, cells, nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	has := func(i int) bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.entries[liveKey{incident: int64(i)}]
		return ok
	}
	put(1, 10)
	put(2, 10)
	put(3, 10)
	c.get(context.Background(), liveKey{incident: 1}, t0, "forecast", nil) // 1 used again
	put(4, 10)
	if has(2) || !has(1) || !has(3) || !has(4) {
		t.Errorf("after a fourth entry: %v %v %v %v, want 2 evicted (least recently used)", has(1), has(2), has(3), has(4))
	}
	kept := func() (entries, cells int) {
		c.mu.Lock()
		defer c.mu.Unlock()
		return c.lru.Len(), c.cells
	}
	put(5, 91)
	if n, cells := kept(); cells > 100 || !has(5) || n != 1 {
		t.Errorf("a 91-cell entry: %d cells in %d entries, want it alone", cells, n)
	}
	put(6, 500) // larger than the bound: kept alone rather than not at all
	if n, cells := kept(); !has(6) || n != 1 || cells != 500 {
		t.Errorf("an entry over the bound: %d entries, %d cells", n, cells)
	}
}

// TestLiveCacheClose: shutting down ends the computations under way; the
// callers learn the server is shutting down.
func TestLiveCacheClose(t *testing.T) {
	c := newLiveCache(LiveConfig{}, nil)
	started := make(chan struct{})
	go func() { <-started; c.close() }()
	_, err := c.get(context.Background(), liveKey{incident: 1}, t0, "forecast", func(ctx context.Context) (any, int, error) {
		close(started)
		<-ctx.Done()
		return nil, 0, ctx.Err()
	})
	if !errors.Is(err, errShuttingDown) {
		t.Errorf("a computation cut short by shutdown: %v, want errShuttingDown", err)
	}
}

// TestLiveCachePanic: a computation that panics fails its callers with an
// error (a 500 for the client) instead of taking the server down.
func TestLiveCachePanic(t *testing.T) {
	c := newLiveCache(LiveConfig{}, nil)
	_, err := c.get(context.Background(), liveKey{incident: 1}, t0, "forecast", func(context.Context) (any, int, error) {
		panic("a bug")
	})
	if err == nil || !strings.Contains(err.Error(), "a bug") || errorStatus(err) != 500 {
		t.Errorf("a panicking computation: %v", err)
	}
}

// TestLiveCacheGetWithin: a page that can do without a forecast waits a
// bounded time, and the computation it leaves goes on, is kept, and is
// not computed again for the next request.
func TestLiveCacheGetWithin(t *testing.T) {
	c := newLiveCache(LiveConfig{}, nil)
	release := make(chan struct{})
	var calls atomic.Int32
	compute := func(ctx context.Context) (any, int, error) {
		calls.Add(1)
		select {
		case <-release:
			return "forecast", 1, nil
		case <-ctx.Done():
			return nil, 0, ctx.Err()
		}
	}
	key := liveKey{incident: 1, runs: 100}
	if v, err := c.getWithin(context.Background(), key, t0, "forecast", compute, 10*time.Millisecond); !errors.Is(err, errNotReady) || v != nil {
		t.Fatalf("getWithin before the computation ends: %v, %v; want errNotReady", v, err)
	}
	// Nobody waits now, and yet it is not cancelled: released, it ends
	// and is kept.
	close(release)
	v, err := c.get(context.Background(), key, t0, "forecast", compute)
	if err != nil || v != "forecast" {
		t.Fatalf("get after: %v, %v", v, err)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("computed %d times, want once", n)
	}
	if v, err := c.getWithin(context.Background(), key, t0, "forecast", compute, time.Nanosecond); err != nil || v != "forecast" {
		t.Errorf("getWithin once kept: %v, %v", v, err)
	}
}
