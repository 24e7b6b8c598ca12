package store_test

import (
	"slices"
	"testing"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/incident"
)

// TestLivePlanFollowsAcrossARestart: the order of work of an incident's
// recorded plan is kept in the store, so a restarted server (a new
// service on the same store, with nothing in memory) follows it at once
// instead of searching afresh, and plans the same dates.
func TestLivePlanFollowsAcrossARestart(t *testing.T) {
	forEachStore(t, func(t *testing.T, h *harness) {
		in := h.declare(incident.Declaration{})
		h.must(h.db.View(h.ctx, func(tx incident.Tx) error {
			if _, err := tx.PlanOrder(in.ID); phasegate.ErrorCode(err) != phasegate.ENOTFOUND {
				t.Errorf("an order before any plan was recorded: %v", err)
			}
			return nil
		}), "read")
		_, err := h.svc.Isolate(h.ctx, h.as("ic"), in.ID, incident.Selector{All: true}, "contain")
		h.must(err, "isolate")
		_, err = h.svc.RecordETAs(h.ctx, in.ID)
		h.must(err, "record")
		before, err := h.svc.LivePlan(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "plan before")
		var stored *incident.PlanOrder
		h.must(h.db.View(h.ctx, func(tx incident.Tx) (err error) {
			stored, err = tx.PlanOrder(in.ID)
			return err
		}), "read the order")
		if len(stored.Activities) == 0 || !slices.Equal(stored.Activities, before.Order) {
			t.Fatalf("stored order %v, want the plan's %v", stored.Activities, before.Order)
		}

		restarted := incident.New(incident.Config{Store: h.db, Clock: h.clock.Now,
			Settings: incident.Settings{Password: fastPasswords, PlanSchedules: 20}})
		sn, err := restarted.Snapshot(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "snapshot")
		if !slices.Equal(sn.Follow, stored.Activities) {
			t.Errorf("after a restart the forecast follows %v, want the stored %v", sn.Follow, stored.Activities)
		}
		after, err := restarted.LivePlan(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "plan after")
		if !slices.Equal(after.Order, before.Order) {
			t.Errorf("after a restart the plan's order is %v, want %v", after.Order, before.Order)
		}
		for i := range before.Services {
			if !after.Services[i].ETA.Equal(before.Services[i].ETA) {
				t.Errorf("after a restart %s is due %s, was %s", before.Services[i].ID, after.Services[i].ETA, before.Services[i].ETA)
			}
		}

		// Another instance records another order: this one, although it
		// made a plan of its own since, follows the recorded one, so both
		// show the same plan.
		other := slices.Clone(after.Order)
		slices.Reverse(other)
		h.must(h.db.Update(h.ctx, func(tx incident.Tx) error {
			return tx.PutPlanOrder(incident.PlanOrder{IncidentID: in.ID, Seq: stored.Seq, Activities: other, UpdatedAt: h.clock.Now()})
		}), "record another order")
		sn, err = restarted.Snapshot(h.ctx, h.as("viewer"), in.ID)
		h.must(err, "snapshot")
		if !slices.Equal(sn.Follow, other) {
			t.Errorf("with another instance's order recorded, the forecast follows %v, want %v", sn.Follow, other)
		}
	})
}
