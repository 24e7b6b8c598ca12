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
			in := h.declare(incident.Declaration{})
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
			in := h.declare(incident.Declaration{})
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
