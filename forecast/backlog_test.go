package forecast

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/phasegate/phasegate/estate"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestBacklogSizeAndClearing(t *testing.T) {
	e := twoServices() // build is back 3 days after the start
	e.Backlogs = []estate.Backlog{
		{ID: "orders", Service: "build", Unit: "orders", AccruesPerDay: 100, CapacityPerDay: 150, SurgeCapacityPerDay: 150},
		{ID: "stuck", Service: "mail", Unit: "tickets", AccruesPerDay: 100, CapacityPerDay: 100},
	}
	r, err := Run(context.Background(), e, Options{Runs: 30, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Backlogs(e, r, BacklogOptions{Since: e.Start.Add(-48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	o := bs[0]
	c := o.Deterministic
	if c.ReturnHours != 72 || c.SizeAtReturn != 500 {
		t.Errorf("orders: back at %vh with %v, want 72h and 500 (5 days at 100)", c.ReturnHours, c.SizeAtReturn)
	}
	if !c.Normal.Clears || c.Normal.NetPerDay != 50 || c.Normal.DaysAfterReturn != 10 {
		t.Errorf("orders at normal capacity: %+v, want net 50, cleared 10 days after return", c.Normal)
	}
	// Surge staff add 150 a day to the normal 150: net 200 a day.
	if c.Surge == nil || c.Surge.CapacityPerDay != 300 || c.Surge.DaysAfterReturn != 2.5 || !c.Surge.Cleared.Equal(e.Start.Add(72*time.Hour+60*time.Hour)) {
		t.Errorf("orders at surge capacity: %+v, want 300 a day, cleared 2.5 days after return", c.Surge)
	}
	want := []BurnPoint{
		{Hours: -48, Time: e.Start.Add(-48 * time.Hour), Remaining: 0},
		{Hours: 72, Time: e.Start.Add(72 * time.Hour), Remaining: 500},
		{Hours: 72 + 240, Time: e.Start.Add(312 * time.Hour), Remaining: 0},
	}
	if !slices.Equal(c.Normal.BurnDown, want) {
		t.Errorf("burn-down %v, want %v", c.Normal.BurnDown, want)
	}
	if o.P80 == nil || o.P80.ReturnHours != 72 {
		t.Errorf("P80 case %+v, want the same return (single-point estimates)", o.P80)
	}
	s := bs[1].Deterministic.Normal
	if s.Clears || s.Cleared != nil || s.NetPerDay != 0 {
		t.Errorf("stuck, capacity equal to accrual: %+v, want it never to clear", s)
	}
	if last := s.BurnDown[len(s.BurnDown)-1]; last.Remaining != bs[1].Deterministic.SizeAtReturn {
		t.Errorf("stuck burn-down ends at %v, want flat at the size on return", last)
	}
}

// TestListedItemsAddToTheAccrual: the listed items are work known one by
// one, the accrual the rest, from the incident's start; the two add up
// however late the clock starts.
func TestListedItemsAddToTheAccrual(t *testing.T) {
	e := twoServices() // mail is back a day after the start
	e.Backlogs = []estate.Backlog{{ID: "inv", Service: "mail", Unit: "invoices", AccruesPerDay: 10, CapacityPerDay: 20, Items: invoices()}}
	r, err := Run(context.Background(), e, Options{Runs: 10, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, sinceDays := range []float64{0, 2, 7.5} {
		since := e.Start.Add(-time.Duration(sinceDays * 24 * float64(time.Hour)))
		bs, err := Backlogs(e, r, BacklogOptions{Since: since})
		if err != nil {
			t.Fatal(err)
		}
		c := bs[0].Deterministic
		if want := 6 + 10*(sinceDays+1); math.Abs(c.SizeAtReturn-want) > 1e-9 {
			t.Errorf("incident %v days before the clock: size at return %v, want 6 listed + %v accrued", sinceDays, c.SizeAtReturn, want-6)
		}
		if first := c.Normal.BurnDown[0]; first.Hours != -sinceDays*24 || first.Remaining != 6 {
			t.Errorf("incident %v days before the clock: burn-down starts at %+v, want the listed 6 at the incident's start", sinceDays, first)
		}
	}
}

func invoices() []estate.BacklogItem {
	return []estate.BacklogItem{
		{ID: "i1", Supplier: "Big", Amount: 9000, Due: day("2025-09-20"), Received: day("2025-08-01")},
		{ID: "i2", Supplier: "Tiny", Amount: 100, Due: day("2025-09-30"), Received: day("2025-08-20"), Critical: true},
		{ID: "i3", Supplier: "Mid", Amount: 2000, Due: day("2025-09-10"), Received: day("2025-08-10")},
		{ID: "i4", Supplier: "Big", Amount: 8000, Due: day("2025-09-05"), Received: day("2025-08-05")},
		{ID: "i5", Supplier: "Tiny", Amount: 50, Due: day("2025-09-25"), Received: day("2025-08-25"), Critical: true},
		{ID: "i6", Supplier: "Mid", Amount: 1000, Received: day("2025-08-02")},
	}
}

func TestWorkOrder(t *testing.T) {
	items := invoices()
	for _, tt := range []struct {
		policy string
		want   []string
	}{
		{PolicyCriticalFirst, []string{"i5", "i2", "i4", "i3", "i1", "i6"}},
		{PolicyOldestFirst, []string{"i1", "i6", "i4", "i3", "i2", "i5"}},
		{PolicySmallestSupplierFirst, []string{"i5", "i2", "i3", "i6", "i4", "i1"}},
	} {
		var got []string
		for _, i := range workOrder(items, tt.policy) {
			got = append(got, items[i].ID)
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: order %v, want %v", tt.policy, got, tt.want)
		}
	}
}

func TestSuppliersPaid(t *testing.T) {
	e := twoServices()
	e.Backlogs = []estate.Backlog{{ID: "inv", Service: "mail", Unit: "invoices", AccruesPerDay: 1, CapacityPerDay: 2, SurgeCapacityPerDay: 4, Policy: PolicyOldestFirst, Items: invoices()}}
	r, err := Run(context.Background(), e, Options{Runs: 30, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Backlogs(e, r, BacklogOptions{Policies: Policies, Items: true})
	if err != nil {
		t.Fatal(err)
	}
	o := bs[0]
	if o.ListedItems != 6 || o.Deterministic.SizeAtReturn != 7 {
		t.Errorf("listed %d, size at return %v; want 6 listed plus a day's accrual", o.ListedItems, o.Deterministic.SizeAtReturn)
	}
	if len(o.Policies) != 3 {
		t.Fatalf("%d policies, want all 3", len(o.Policies))
	}
	cf := o.Policies[0]
	// critical-first at 2 a day: Tiny's two invoices are first, paid after
	// one day; Big's last (i1, position 5) after 2.5 days, Mid's i6 last.
	if cf.Normal.CriticalSuppliers != 1 || cf.Normal.CriticalPaidDays != 1 || cf.Normal.Suppliers != 3 || cf.Normal.SuppliersPaidDays != 3 {
		t.Errorf("critical-first at normal capacity: %+v", cf.Normal)
	}
	// Surge: 2 a day normal plus 4 more.
	if cf.Surge == nil || cf.Surge.CapacityPerDay != 6 || cf.Surge.CriticalPaidDays != 2.0/6 || cf.Surge.SuppliersPaidDays != 1 {
		t.Errorf("critical-first at surge capacity: %+v", cf.Surge)
	}
	if !cf.Normal.CriticalPaid.Equal(o.Deterministic.Return.Add(24*time.Hour)) || cf.Normal.CriticalPaidP80.IsZero() {
		t.Errorf("critical paid at %v (P80 %v), want a day after the return %v", cf.Normal.CriticalPaid, cf.Normal.CriticalPaidP80, o.Deterministic.Return)
	}
	var paid []string
	for _, s := range cf.Normal.SupplierPayments {
		paid = append(paid, fmt.Sprintf("%s@%v", s.Supplier, s.Days))
	}
	if want := []string{"Tiny@1", "Big@2.5", "Mid@3"}; !slices.Equal(paid, want) {
		t.Errorf("suppliers paid %v, want %v", paid, want)
	}
	if len(cf.Normal.Items) != 6 || cf.Normal.Items[0].ID != "i5" || cf.Normal.Items[5].Days != 3 {
		t.Errorf("items %+v", cf.Normal.Items)
	}
	// oldest-first leaves the critical supplier to the end.
	if of := o.Policies[1]; of.Normal.CriticalPaidDays != 3 {
		t.Errorf("oldest-first pays the critical supplier after %v days, want 3", of.Normal.CriticalPaidDays)
	}
	if _, err := Backlogs(e, r, BacklogOptions{Policies: []string{"loudest-first"}}); err == nil {
		t.Error("an unknown policy was accepted")
	}

	// DropSurge leaves every figure at normal capacity as it was.
	want := o.Deterministic.Normal.CapacityPerDay
	o.DropSurge()
	if o.Deterministic.Surge != nil || o.P80 == nil || o.P80.Surge != nil || o.Policies[0].Surge != nil || o.Policies[2].Surge != nil {
		t.Errorf("after DropSurge: deterministic %+v, P80 %+v, policies %+v", o.Deterministic.Surge, o.P80, o.Policies)
	}
	if o.Deterministic.Normal.CapacityPerDay != want || o.Policies[0].Normal.CriticalPaidDays != 1 {
		t.Errorf("DropSurge changed the normal figures: %+v, %+v", o.Deterministic.Normal, o.Policies[0].Normal)
	}
}

// TestPolicyOrderProperties checks each policy's order on random items:
// a permutation; critical-first puts every critical item first and each
// group by due date; oldest-first goes by received date;
// smallest-supplier-first keeps each supplier's items together, smallest
// total first. Paying takes no longer at surge capacity.
func TestPolicyOrderProperties(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 8))
	for iter := range 200 {
		n := rng.IntN(60)
		items := make([]estate.BacklogItem, n)
		for i := range items {
			items[i] = estate.BacklogItem{ID: fmt.Sprintf("x%03d", i), Supplier: fmt.Sprintf("s%d", rng.IntN(8)), Amount: float64(rng.IntN(5000)), Critical: rng.IntN(4) == 0}
			if rng.IntN(6) > 0 {
				items[i].Due = day("2025-09-01").AddDate(0, 0, rng.IntN(40))
			}
			if rng.IntN(6) > 0 {
				items[i].Received = day("2025-08-01").AddDate(0, 0, rng.IntN(40))
			}
		}
		owed := map[string]float64{}
		for _, it := range items {
			owed[it.Supplier] += it.Amount
		}
		for _, p := range Policies {
			order := workOrder(items, p)
			if s := slices.Sorted(slices.Values(order)); len(s) != n || (n > 0 && (s[0] != 0 || s[n-1] != n-1)) || len(slices.Compact(s)) != n {
				t.Fatalf("iteration %d, %s: order %v is not a permutation", iter, p, order)
			}
			seen := map[string]bool{}
			for k := 1; k < n; k++ {
				a, b := items[order[k-1]], items[order[k]]
				bad := false
				switch p {
				case PolicyCriticalFirst:
					bad = (!a.Critical && b.Critical) || (a.Critical == b.Critical && later(a.Due, b.Due))
				case PolicyOldestFirst:
					bad = later(a.Received, b.Received)
				case PolicySmallestSupplierFirst:
					bad = owed[a.Supplier] > owed[b.Supplier] || (a.Supplier != b.Supplier && seen[b.Supplier])
				}
				seen[a.Supplier] = true
				if bad {
					t.Fatalf("iteration %d, %s: %+v before %+v", iter, p, a, b)
				}
			}
			b := &estate.Backlog{Items: items}
			normal := policyClearing(b, order, 7, BacklogCase{}, nil, false)
			surge := policyClearing(b, order, 20, BacklogCase{}, nil, false)
			if surge.SuppliersPaidDays > normal.SuppliersPaidDays || surge.CriticalPaidDays > normal.CriticalPaidDays || normal.CriticalPaidDays > normal.SuppliersPaidDays {
				t.Fatalf("iteration %d, %s: normal %+v, surge %+v", iter, p, normal, surge)
			}
			if math.Abs(normal.ItemsDays-float64(n)/7) > 1e-12 {
				t.Fatalf("iteration %d: items done after %v days, want %v", iter, normal.ItemsDays, float64(n)/7)
			}
		}
	}
}

// later reports whether a comes after b in the policy's date order, zero
// dates last.
func later(a, b time.Time) bool {
	switch {
	case a.IsZero():
		return !b.IsZero()
	case b.IsZero():
		return false
	}
	return a.After(b)
}

// TestDemoSupplierInvoices runs the demo's invoice backlog (about 2,440
// invoices from 420 suppliers) under every policy: critical-first pays
// the critical suppliers soonest, smallest-supplier-first pays half the
// suppliers soonest, surge capacity halves the time.
func TestDemoSupplierInvoices(t *testing.T) {
	e := demoEstate(t)
	r, err := Run(context.Background(), e, Options{Runs: 200, Seed: 1, Start: demoStart, Schedules: 200})
	if err != nil {
		t.Fatal(err)
	}
	bs, err := Backlogs(e, r, BacklogOptions{Policies: Policies})
	if err != nil {
		t.Fatal(err)
	}
	var inv *BacklogOutlook
	for i := range bs {
		if len(bs[i].Policies) > 0 {
			inv = &bs[i]
		}
	}
	if inv == nil {
		t.Fatal("the demo has no backlog with items")
	}
	if inv.ListedItems < 2000 || inv.Policies[0].Normal.Suppliers < 300 || inv.Policies[0].Normal.CriticalSuppliers == 0 {
		t.Fatalf("demo invoices: %d items, %d suppliers, %d critical", inv.ListedItems, inv.Policies[0].Normal.Suppliers, inv.Policies[0].Normal.CriticalSuppliers)
	}
	half := func(pc PolicyClearing) float64 { return pc.SupplierPayments[len(pc.SupplierPayments)/2].Days }
	cf, of, ss := inv.Policies[0].Normal, inv.Policies[1].Normal, inv.Policies[2].Normal
	if cf.CriticalPaidDays > of.CriticalPaidDays || cf.CriticalPaidDays > ss.CriticalPaidDays {
		t.Errorf("critical suppliers paid after %v days critical-first, %v oldest-first, %v smallest-first", cf.CriticalPaidDays, of.CriticalPaidDays, ss.CriticalPaidDays)
	}
	if half(ss) > half(cf) || half(ss) > half(of) {
		t.Errorf("half the suppliers paid after %v days smallest-first, %v critical-first, %v oldest-first", half(ss), half(cf), half(of))
	}
	if s := inv.Policies[0].Surge; s == nil || s.SuppliersPaidDays >= cf.SuppliersPaidDays {
		t.Errorf("surge %+v does not pay everyone sooner than normal (%v days)", s, cf.SuppliersPaidDays)
	}
	t.Logf("critical-first: %d critical suppliers paid within %.1f days of restart, all %d within %.1f", cf.CriticalSuppliers, cf.CriticalPaidDays, cf.Suppliers, cf.SuppliersPaidDays)
}

// TestBacklogReadings: a count replaces the estimate up to its time.
// Taken while the service is down, the return finds the count plus what
// accrues after it; taken once the service is back, the clearing starts
// from it. The listed items still to do are what the count leaves after
// the unlisted work that arrived by then, and they are the last ones in
// each policy's order (the first were done).
func TestBacklogReadings(t *testing.T) {
	e := twoServices() // build is back 3 days after the start, mail 1 day
	e.Backlogs = []estate.Backlog{
		{ID: "orders", Service: "build", Unit: "orders", AccruesPerDay: 100, CapacityPerDay: 150, SurgeCapacityPerDay: 150},
		{ID: "inv", Service: "mail", Unit: "invoices", AccruesPerDay: 10, CapacityPerDay: 20, Items: invoices()},
	}
	r, err := Run(context.Background(), e, Options{Runs: 20, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	since := e.Start.Add(-48 * time.Hour)
	h := func(hours float64) time.Time { return e.Start.Add(time.Duration(hours * float64(time.Hour))) }
	for _, tc := range []struct {
		name string
		read []BacklogReading
		// the orders' case at the plan
		size, work, days float64
		burn             []BurnPoint
	}{
		{name: "none", size: 500, work: 72, days: 10,
			burn: []BurnPoint{{-48, h(-48), 0}, {72, h(72), 500}, {312, h(312), 0}}},
		// 50 counted a day before the clock's start, the service down:
		// 50 + 4 days at 100 when it returns, cleared at 50 a day net.
		{name: "down", read: []BacklogReading{{At: h(-40), Remaining: 80}, {At: h(-24), Remaining: 50}},
			size: 450, work: 72, days: 9,
			burn: []BurnPoint{{-24, h(-24), 50}, {72, h(72), 450}, {72 + 216, h(288), 0}}},
		// 300 counted a day after the return, the service back.
		{name: "back", read: []BacklogReading{{At: h(96), Remaining: 300, ServiceBack: true}},
			size: 300, work: 96, days: 6,
			burn: []BurnPoint{{96, h(96), 300}, {96 + 144, h(240), 0}}},
		// 50 counted a day before the clock's start with the service
		// back, but the plan has it back only at 72h: down again, so
		// what arrives from the count waits for that return.
		{name: "down again", read: []BacklogReading{{At: h(-24), Remaining: 50, ServiceBack: true}},
			size: 450, work: 72, days: 9,
			burn: []BurnPoint{{-24, h(-24), 50}, {72, h(72), 450}, {72 + 216, h(288), 0}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bs, err := Backlogs(e, r, BacklogOptions{Since: since, Readings: map[string][]BacklogReading{"orders": tc.read}})
			if err != nil {
				t.Fatal(err)
			}
			o := bs[0]
			c := o.Deterministic
			if c.SizeAtReturn != tc.size || c.WorkFromHours != tc.work || c.Normal.DaysAfterReturn != tc.days {
				t.Errorf("size %v from %vh, cleared %v days after; want %v from %vh, %v days", c.SizeAtReturn, c.WorkFromHours,
					c.Normal.DaysAfterReturn, tc.size, tc.work, tc.days)
			}
			if !slices.Equal(c.Normal.BurnDown, tc.burn) {
				t.Errorf("burn-down %v, want %v", c.Normal.BurnDown, tc.burn)
			}
			if want := h(tc.work + tc.days*24); c.Normal.Cleared == nil || !c.Normal.Cleared.Equal(want) {
				t.Errorf("cleared %v, want %s", c.Normal.Cleared, want)
			}
			if len(tc.read) > 0 && (o.Measured == nil || !o.Measured.At.Equal(tc.read[len(tc.read)-1].At) || len(o.Readings) != len(tc.read)) {
				t.Errorf("measured %+v with %d readings, want the latest of %d", o.Measured, len(o.Readings), len(tc.read))
			}
			if bs[1].Measured != nil {
				t.Errorf("the invoices have no count but show %+v", bs[1].Measured)
			}
		})
	}

	// Invoices: 6 listed, 10 a day unlisted from the incident's start (2
	// days before the clock's); mail is back at 24h. Counted at 48h with
	// the service back, 40 unlisted have arrived by then (4 days at 10),
	// queued behind the listed ones: 23 outstanding leaves none of the
	// listed, 43 leaves 3 (the last 3 of each policy's order), 46 or more
	// all 6.
	for _, tc := range []struct {
		remaining float64
		left      int
	}{{23, 0}, {43, 3}, {46, 6}, {400, 6}} {
		bs, err := Backlogs(e, r, BacklogOptions{Since: since, Policies: Policies, Items: true,
			Readings: map[string][]BacklogReading{"inv": {{At: h(48), Remaining: tc.remaining, ServiceBack: true}}}})
		if err != nil {
			t.Fatal(err)
		}
		o := bs[1]
		if o.Deterministic.ListedOutstanding != tc.left {
			t.Errorf("%v counted: %d listed left, want %d", tc.remaining, o.Deterministic.ListedOutstanding, tc.left)
		}
		for _, p := range o.Policies {
			order := workOrder(e.Backlogs[1].Items, p.Policy)
			wantIDs := []string{}
			for _, i := range order[len(order)-tc.left:] {
				wantIDs = append(wantIDs, e.Backlogs[1].Items[i].ID)
			}
			gotIDs := []string{}
			for k, it := range p.Normal.Items {
				gotIDs = append(gotIDs, it.ID)
				if want := h(48 + float64(k+1)/20*24); !it.Done.Equal(want) {
					t.Errorf("%v counted, %s: %s done %s, want %s (from the count at 20 a day)", tc.remaining, p.Policy, it.ID, it.Done, want)
				}
			}
			if !slices.Equal(gotIDs, wantIDs) {
				t.Errorf("%v counted, %s: items left %v, want %v", tc.remaining, p.Policy, gotIDs, wantIDs)
			}
		}
	}
}
