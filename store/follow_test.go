package store_test

import (
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// TestFollowingPublishesEveryEventOnce: a second writer on the same store
// (another instance on PostgreSQL, break-glass on the host on SQLite)
// commits while this one does; with the follower running, this process
// publishes every event of the log exactly once, in whatever order the
// commits and the follower's looks interleave.
func TestFollowingPublishesEveryEventOnce(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		other, err := h.reopen()
		h.must(err, "second connection")
		defer other.Close()
		b := incident.New(incident.Config{Store: other, Clock: h.clock.Now,
			Settings: incident.Settings{Password: fastPasswords, PlanSchedules: 20}})
		// Not following yet: another writer's events do not show.
		_, err = b.BreakGlassAddUser(h.ctx, "before", testPassword, []incident.Grant{{Role: incident.RoleViewer}})
		h.must(err, "write before following")
		if n, err := h.svc.FollowOnce(h.ctx); err != nil || n != 0 {
			t.Fatalf("follow before StartFollowing: %d %v", n, err)
		}
		h.must(h.svc.StartFollowing(h.ctx), "start following")
		head0, _, err := h.svc.ChainHead(h.ctx)
		h.must(err, "head")
		h.pubMu.Lock()
		h.published = nil
		h.pubMu.Unlock()

		const writes = 25
		var writers, follower sync.WaitGroup
		done := make(chan struct{})
		fail := make(chan error, 3)
		writers.Go(func() {
			for i := range writes {
				if _, err := h.svc.BreakGlassAddUser(h.ctx, fmt.Sprintf("here-%d", i), testPassword, []incident.Grant{{Role: incident.RoleViewer}}); err != nil {
					fail <- err
					return
				}
			}
		})
		writers.Go(func() {
			for i := range writes {
				if _, err := b.BreakGlassAddUser(h.ctx, fmt.Sprintf("there-%d", i), testPassword, []incident.Grant{{Role: incident.RoleViewer}}); err != nil {
					fail <- err
					return
				}
			}
		})
		follower.Go(func() {
			for {
				select {
				case <-done:
					return
				default:
				}
				if _, err := h.svc.FollowOnce(h.ctx); err != nil {
					fail <- err
					return
				}
			}
		})
		writers.Wait()
		close(done)
		follower.Wait()
		select {
		case err := <-fail:
			t.Fatal(err)
		default:
		}
		_, err = h.svc.FollowOnce(h.ctx)
		h.must(err, "last look")

		head, _, err := h.svc.ChainHead(h.ctx)
		h.must(err, "head")
		if head-head0 != 2*writes {
			t.Fatalf("head moved from %d to %d, want %d events", head0, head, 2*writes)
		}
		h.pubMu.Lock()
		defer h.pubMu.Unlock()
		var seqs []int64
		for _, e := range h.published {
			seqs = append(seqs, e.Seq)
		}
		slices.Sort(seqs)
		want := make([]int64, 0, 2*writes)
		for s := head0 + 1; s <= head; s++ {
			want = append(want, s)
		}
		if !slices.Equal(seqs, want) {
			t.Fatalf("published seqs %v, want each of %d..%d once", seqs, head0+1, head)
		}
		stored, err := h.svc.Events(h.ctx, h.as("admin"), incident.EventQuery{After: head0, Limit: 1000})
		h.must(err, "events")
		bySeq := map[int64]incident.Event{}
		for _, e := range h.published {
			bySeq[e.Seq] = e
		}
		for _, e := range stored {
			if p := bySeq[e.Seq]; p.Hash != e.Hash || p.Actor != e.Actor {
				t.Fatalf("event %d published as %+v, stored as %+v", e.Seq, p, e)
			}
		}
		for _, e := range h.published {
			there := strings.Contains(e.Subject, "there-")
			if e.Followed != there {
				t.Errorf("event %d (%s) published with Followed %v: it was written %s", e.Seq, e.Subject, e.Followed,
					map[bool]string{true: "by the other writer", false: "here"}[there])
			}
		}
	})
}

// TestFollowingSaysWhenClocksDisagree: a follower whose clock is an hour
// behind the writer's, or an hour ahead, says in its log that the clocks
// disagree, naming the event; once, not at every event; and says nothing
// when they agree.
func TestFollowingSaysWhenClocksDisagree(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		for _, tc := range []struct {
			name   string
			offset time.Duration // the follower's clock against the writer's
			want   string
		}{
			{"agree", 0, ""},
			{"writer ahead", -time.Hour, "another writer's clock is ahead of this machine's by at least 59m"},
			{"writer behind", time.Hour, "another writer's clock is behind this machine's by at least"},
		} {
			var logs strings.Builder
			var mu sync.Mutex
			follower := incident.New(incident.Config{Store: h.db, Clock: func() time.Time { return h.clock.Now().Add(tc.offset) },
				Log: slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
					mu.Lock()
					defer mu.Unlock()
					return logs.Write(p)
				}), nil)),
				Settings: incident.Settings{Password: fastPasswords, PlanSchedules: 20}})
			h.must(follower.StartFollowing(h.ctx), "start following")
			for i := range 3 {
				// Written by the harness's service: the store stamps with
				// the harness's clock.
				_, err := h.svc.BreakGlassAddUser(h.ctx, fmt.Sprintf("%s-%d", strings.ReplaceAll(tc.name, " ", "-"), i), testPassword,
					[]incident.Grant{{Role: incident.RoleViewer}})
				h.must(err, "write")
				h.clock.Advance(time.Second)
				n, err := follower.FollowOnce(h.ctx)
				h.must(err, "follow")
				if n != 1 {
					t.Errorf("%s: followed %d events, want 1", tc.name, n)
				}
			}
			mu.Lock()
			got := logs.String()
			mu.Unlock()
			switch {
			case tc.want == "" && got != "":
				t.Errorf("%s: the follower logged %s", tc.name, got)
			case tc.want != "" && !strings.Contains(got, tc.want):
				t.Errorf("%s: the follower logged %q, want %q", tc.name, got, tc.want)
			case strings.Count(got, "clocks of the writers") > 1:
				t.Errorf("%s: said it more than once:\n%s", tc.name, got)
			}
		}
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }
