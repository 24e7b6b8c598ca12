package store_test

import (
	"testing"

	"github.com/phasegate/phasegate/incident"
)

// BenchmarkTickChecklist measures one write use case end to end: a
// permission check, guards, one event appended to the chain, commit.
func BenchmarkTickChecklist(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			h := newHarness(b, be)
			in := h.declare(incident.Declaration{TotalShutdown: true})
			items, err := h.svc.Checklist(h.ctx, h.as("viewer"), in.ID, "ad")
			h.must(err, "checklist")
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, err := h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "ad",
					incident.Tick{Item: items[i%len(items)].Key, Done: i%2 == 0}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkVerify measures walking the chain.
func BenchmarkVerify(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name, func(b *testing.B) {
			h := newHarness(b, be)
			in := h.declare(incident.Declaration{TotalShutdown: true})
			for i := 0; i < 1000; i++ {
				h.svc.TickChecklist(h.ctx, h.as("forensics"), in.ID, "ad", incident.Tick{Item: "ioc-sweep", Done: i%2 == 0})
			}
			b.ResetTimer()
			for b.Loop() {
				rep, err := incident.VerifyStore(h.ctx, h.db)
				if err != nil || !rep.OK {
					b.Fatal(err, rep)
				}
			}
			b.ReportMetric(float64(len(h.events(""))), "events")
		})
	}
}

// BenchmarkFollow measures the follower's look (serve --follow, once a
// second by default): idle, when nothing was written (one read of the
// chain head), and when another writer committed one event since.
func BenchmarkFollow(b *testing.B) {
	for _, be := range backends() {
		b.Run(be.name+"/idle", func(b *testing.B) {
			h := newHarness(b, be)
			h.must(h.svc.StartFollowing(h.ctx), "start")
			for b.Loop() {
				if n, err := h.svc.FollowOnce(h.ctx); err != nil || n != 0 {
					b.Fatal(n, err)
				}
			}
		})
		b.Run(be.name+"/one-event", func(b *testing.B) {
			h := newHarness(b, be)
			other, err := h.reopen()
			h.must(err, "second connection")
			defer other.Close()
			w := incident.New(incident.Config{Store: other, Clock: h.clock.Now,
				Settings: incident.Settings{Password: fastPasswords}})
			in := h.declare(incident.Declaration{TotalShutdown: true})
			h.must(h.svc.StartFollowing(h.ctx), "start")
			for i := 0; b.Loop(); i++ {
				b.StopTimer()
				if _, err := w.TickChecklist(h.ctx, h.as("forensics"), in.ID, "ad", incident.Tick{Item: "ioc-sweep", Done: i%2 == 0}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				if n, err := h.svc.FollowOnce(h.ctx); err != nil || n != 1 {
					b.Fatal(n, err)
				}
			}
		})
	}
}
