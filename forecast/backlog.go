package forecast

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/phasegate/phasegate/estate"
)

// Backlog policies: the order in which listed items are worked.
const (
	// PolicyCriticalFirst works critical items first, then by due date.
	PolicyCriticalFirst = "critical-first"
	// PolicyOldestFirst works items by the date they were received.
	PolicyOldestFirst = "oldest-first"
	// PolicySmallestSupplierFirst works the supplier owed least in all
	// first, so the most suppliers are paid soonest.
	PolicySmallestSupplierFirst = "smallest-supplier-first"
)

// Policies lists the backlog policies in the order reports show them.
var Policies = []string{PolicyCriticalFirst, PolicyOldestFirst, PolicySmallestSupplierFirst}

// neverHorizonDays is how far past the return a burn-down of a backlog
// that never clears is drawn.
const neverHorizonDays = 60

// BacklogOptions steer the backlog outlook.
type BacklogOptions struct {
	// Since is when the incident started; zero: the clock's start.
	Since time.Time
	// Policies to work listed items under; nil: each backlog's own.
	Policies []string
	// Items asks for every listed item's place and completion; without
	// it only the suppliers' payments are listed.
	Items bool
	// Readings are counts of what each backlog (by id) had outstanding,
	// taken during the recovery; the latest of a backlog replaces the
	// estimate up to it (see backlogCase). Hours is filled in.
	Readings map[string][]BacklogReading
}

// BacklogReading is a count of what a backlog had outstanding — listed
// items and the rest together — at a time, and whether its service was
// back then.
type BacklogReading struct {
	At time.Time `json:"at"`
	// Hours is At from the clock's start (negative: before it).
	Hours       float64 `json:"hours"`
	Remaining   float64 `json:"remaining"`
	ServiceBack bool    `json:"service_back"`
}

// BacklogOutlook is one backlog: how big it is when its service returns
// and when it is cleared, at the deterministic plan and at P80, and, when
// it lists its items, the order they are worked in under each policy.
type BacklogOutlook struct {
	ID             string  `json:"id"`
	Name           string  `json:"name"`
	Service        string  `json:"service"`
	ServiceName    string  `json:"service_name"`
	Unit           string  `json:"unit"`
	AccruesPerDay  float64 `json:"accrues_per_day"`
	CapacityPerDay float64 `json:"capacity_per_day"`
	// SurgeCapacityPerDay is what surge staffing adds to CapacityPerDay
	// once the service is back: the surge clears at their sum.
	SurgeCapacityPerDay float64 `json:"surge_capacity_per_day,omitempty"`
	Policy              string  `json:"policy"`
	// ListedItems is how many items the estate lists: outstanding work
	// known one by one, on top of the accrual and worked first.
	ListedItems  int     `json:"listed_items"`
	ListedAmount float64 `json:"listed_amount,omitempty"`
	// Readings are the counts recorded for this backlog, oldest first;
	// Measured is the latest, which the figures start from.
	Readings      []BacklogReading `json:"readings,omitempty"`
	Measured      *BacklogReading  `json:"measured,omitempty"`
	Deterministic BacklogCase      `json:"deterministic"`
	P80           *BacklogCase     `json:"p80,omitempty"`
	Policies      []PolicyOutlook  `json:"policies,omitempty"`
}

// DropSurge leaves out every figure at surge capacity, for a reader who
// asked only for clearing at normal capacity.
func (o *BacklogOutlook) DropSurge() {
	o.Deterministic.Surge = nil
	if o.P80 != nil {
		o.P80.Surge = nil
	}
	for k := range o.Policies {
		o.Policies[k].Surge = nil
	}
}

// BacklogCase is the backlog when its service returns at one date.
type BacklogCase struct {
	Return      time.Time `json:"return"`
	ReturnHours float64   `json:"return_hours"`
	// SizeAtReturn is what has piled up by then — or, when the latest
	// count was taken after the service was back, what that count found.
	SizeAtReturn float64 `json:"size_at_return"`
	// WorkFrom is when the clearing starts: the return, or that count.
	// Clearing days and listed items' days count from it.
	WorkFrom      time.Time `json:"work_from"`
	WorkFromHours float64   `json:"work_from_hours"`
	// ListedOutstanding is how many listed items are still to do at
	// WorkFrom: all of them, unless a count says fewer (the listed items
	// are the oldest work, done first).
	ListedOutstanding int       `json:"listed_outstanding"`
	Normal            Clearing  `json:"normal"`
	Surge             *Clearing `json:"surge,omitempty"`
}

// Clearing is how a backlog clears at one capacity. New work keeps
// arriving after the return, so it burns down at capacity − accrual a
// day; when that is not positive it never clears.
type Clearing struct {
	CapacityPerDay float64 `json:"capacity_per_day"`
	NetPerDay      float64 `json:"net_per_day"`
	Clears         bool    `json:"clears"`
	// DaysAfterReturn until it is cleared (when it clears), counted from
	// the case's WorkFrom.
	DaysAfterReturn float64    `json:"days_after_return,omitempty"`
	Cleared         *time.Time `json:"cleared,omitempty"`
	ClearedHours    *float64   `json:"cleared_hours,omitempty"`
	// BurnDown is what remains over time, for charts: exact breakpoints,
	// linear in between, from the incident's start (with the listed items
	// already there) or the latest count to the clearing (or 60 days past
	// the return).
	BurnDown []BurnPoint `json:"burn_down"`
}

// BurnPoint is one point of a burn-down.
type BurnPoint struct {
	Hours     float64   `json:"hours"`
	Time      time.Time `json:"time"`
	Remaining float64   `json:"remaining"`
}

// PolicyOutlook is how the listed items are worked under one policy.
type PolicyOutlook struct {
	Policy string          `json:"policy"`
	Normal PolicyClearing  `json:"normal"`
	Surge  *PolicyClearing `json:"surge,omitempty"`
}

// PolicyClearing is the listed items still outstanding worked in the
// policy's order at one capacity. Days count from the case's WorkFrom
// (the service's return, or a count taken after it); dates are given at
// the deterministic plan and at P80.
type PolicyClearing struct {
	CapacityPerDay float64 `json:"capacity_per_day"`
	// ItemsDays is when the last listed item is done.
	ItemsDays float64 `json:"items_days"`
	Suppliers int     `json:"suppliers"`
	// SuppliersPaidDays is when every supplier is fully paid.
	SuppliersPaidDays float64   `json:"suppliers_paid_days"`
	SuppliersPaid     time.Time `json:"suppliers_paid"`
	SuppliersPaidP80  time.Time `json:"suppliers_paid_p80,omitzero"`
	// CriticalSuppliers have at least one critical item.
	CriticalSuppliers int            `json:"critical_suppliers"`
	CriticalPaidDays  float64        `json:"critical_paid_days"`
	CriticalPaid      time.Time      `json:"critical_paid,omitzero"`
	CriticalPaidP80   time.Time      `json:"critical_paid_p80,omitzero"`
	SupplierPayments  []SupplierPaid `json:"supplier_payments,omitempty"`
	Items             []ItemDone     `json:"items,omitempty"`
}

// SupplierPaid is when one supplier's last listed item is done.
type SupplierPaid struct {
	Supplier string    `json:"supplier"`
	Critical bool      `json:"critical,omitempty"`
	Items    int       `json:"items"`
	Amount   float64   `json:"amount"`
	Days     float64   `json:"days"`
	Paid     time.Time `json:"paid"`
	PaidP80  time.Time `json:"paid_p80,omitzero"`
}

// ItemDone is one listed item's place in the working order.
type ItemDone struct {
	Position int       `json:"position"`
	ID       string    `json:"id"`
	Supplier string    `json:"supplier,omitempty"`
	Amount   float64   `json:"amount,omitempty"`
	Due      time.Time `json:"due,omitzero"`
	Critical bool      `json:"critical,omitempty"`
	Days     float64   `json:"days"`
	Done     time.Time `json:"done"`
}

// Backlogs gives the outlook of every backlog of the estate a forecast
// ran on, at the deterministic plan and at P80.
func Backlogs(e *estate.Estate, r *Result, opts BacklogOptions) ([]BacklogOutlook, error) {
	if r == nil {
		return nil, fmt.Errorf("forecast: no forecast given for the backlogs")
	}
	if len(e.Services) != len(r.Services) {
		return nil, fmt.Errorf("forecast: the forecast has %d services, the estate %d; use the estate the forecast ran on", len(r.Services), len(e.Services))
	}
	det := make([]float64, len(r.Services))
	p80 := make([]float64, len(r.Services))
	for i, o := range r.Services {
		det[i], p80[i] = o.DeterministicHours, o.P80Hours
	}
	return backlogs(e, r.Start, det, p80, opts)
}

func backlogs(e *estate.Estate, start time.Time, det, p80 []float64, opts BacklogOptions) ([]BacklogOutlook, error) {
	since := opts.Since
	if since.IsZero() {
		since = start
	}
	if since.After(start) {
		return nil, fmt.Errorf("forecast: the incident's start %s is after the clock's start %s", since.Format(time.RFC3339), start.Format(time.RFC3339))
	}
	for _, p := range opts.Policies {
		if !slices.Contains(Policies, p) {
			return nil, fmt.Errorf("forecast: unknown backlog policy %q; use one of %v", p, Policies)
		}
	}
	svc := make(map[string]int, len(e.Services))
	for i := range e.Services {
		svc[e.Services[i].ID] = i
	}
	out := make([]BacklogOutlook, 0, len(e.Backlogs))
	for bi := range e.Backlogs {
		b := &e.Backlogs[bi]
		s, ok := svc[b.Service]
		if !ok {
			return nil, fmt.Errorf("forecast: backlog %q names service %q, which is not in the estate", b.ID, b.Service)
		}
		if b.CapacityPerDay <= 0 || b.AccruesPerDay < 0 || b.SurgeCapacityPerDay < 0 {
			return nil, fmt.Errorf("forecast: backlog %q needs a positive capacity_per_day and rates of at least 0", b.ID)
		}
		policy := b.Policy
		if policy == "" {
			policy = PolicyCriticalFirst
		}
		o := BacklogOutlook{
			ID: b.ID, Name: b.Name, Service: b.Service, ServiceName: e.Services[s].Name, Unit: b.Unit,
			AccruesPerDay: b.AccruesPerDay, CapacityPerDay: b.CapacityPerDay, SurgeCapacityPerDay: b.SurgeCapacityPerDay,
			Policy: policy, ListedItems: len(b.Items),
		}
		for _, it := range b.Items {
			o.ListedAmount += it.Amount
		}
		if rs := opts.Readings[b.ID]; len(rs) > 0 {
			o.Readings = slices.Clone(rs)
			for k := range o.Readings {
				o.Readings[k].Hours = o.Readings[k].At.Sub(start).Hours()
			}
			slices.SortStableFunc(o.Readings, func(x, y BacklogReading) int { return x.At.Compare(y.At) })
			last := o.Readings[len(o.Readings)-1]
			o.Measured = &last
		}
		o.Deterministic = backlogCase(b, start, since, det[s], o.Measured)
		if p80 != nil {
			c := backlogCase(b, start, since, p80[s], o.Measured)
			o.P80 = &c
		}
		if len(b.Items) > 0 {
			pols := opts.Policies
			if pols == nil {
				pols = []string{policy}
			}
			for _, p := range pols {
				// The listed items done before the count are the first in
				// the policy's order: the oldest work is at the head.
				order := workOrder(b.Items, p)
				order = order[len(order)-o.Deterministic.ListedOutstanding:]
				po := PolicyOutlook{Policy: p, Normal: policyClearing(b, order, b.CapacityPerDay, o.Deterministic, o.P80, opts.Items)}
				if b.SurgeCapacityPerDay > 0 {
					sc := policyClearing(b, order, b.CapacityPerDay+b.SurgeCapacityPerDay, o.Deterministic, o.P80, opts.Items)
					po.Surge = &sc
				}
				o.Policies = append(o.Policies, po)
			}
		}
		out = append(out, o)
	}
	return out, nil
}

// backlogCase is the backlog when its service is back retHours after the
// clock's start: the listed items, plus what accrues from the incident's
// start until the return. The accrual is the work not listed one by one,
// so the two add up.
//
// A count m replaces the estimate up to its time. Taken while the service
// was down, what is outstanding at the return is the count plus what
// accrues from it; taken once the service was back, the clearing starts
// from the count — unless the service is down again now (the plan has it
// back only after the clock's start), when what accrues from the count
// waits for that return. Either way the listed items still to do are what the
// count leaves once the unlisted work that arrived by then is taken off
// (the listed items are the oldest, at the head of the queue).
func backlogCase(b *estate.Backlog, start, since time.Time, retHours float64, m *BacklogReading) BacklogCase {
	at := func(h float64) time.Time { return start.Add(time.Duration(math.Round(h * float64(time.Hour)))) }
	c := BacklogCase{Return: at(retHours), ReturnHours: retHours, ListedOutstanding: len(b.Items)}
	from := -start.Sub(since).Hours()
	var first []BurnPoint
	work := retHours
	switch {
	case m == nil:
		base := float64(len(b.Items))
		c.SizeAtReturn = base + b.AccruesPerDay*(retHours-from)/24
		first = []BurnPoint{{Hours: from, Time: at(from), Remaining: base}}
	case !m.ServiceBack || retHours > max(m.Hours, 0):
		// Down at the count, or down again now (the plan has it back
		// only later): what accrues from the count waits for the return.
		work = max(retHours, m.Hours)
		c.SizeAtReturn = m.Remaining + b.AccruesPerDay*(work-m.Hours)/24
		first = []BurnPoint{{Hours: m.Hours, Time: m.At, Remaining: m.Remaining}}
	default:
		work = m.Hours
		c.SizeAtReturn = m.Remaining
	}
	if m != nil {
		unlisted := max(0, b.AccruesPerDay*(m.Hours-from)/24)
		c.ListedOutstanding = int(math.Ceil(min(max(m.Remaining-unlisted, 0), float64(len(b.Items)))))
	}
	if len(first) == 0 || first[0].Hours != work {
		first = append(first, BurnPoint{Hours: work, Time: at(work), Remaining: c.SizeAtReturn})
	}
	if m != nil && m.ServiceBack {
		first[0].Time = m.At
	}
	c.WorkFrom, c.WorkFromHours = at(work), work
	if m != nil && m.Hours == work {
		c.WorkFrom = m.At
	}
	clearing := func(capacity float64) Clearing {
		cl := Clearing{CapacityPerDay: capacity, NetPerDay: capacity - b.AccruesPerDay, BurnDown: slices.Clone(first)}
		if cl.NetPerDay <= 0 {
			h := work + neverHorizonDays*24
			cl.BurnDown = append(cl.BurnDown, BurnPoint{Hours: h, Time: at(h), Remaining: c.SizeAtReturn - cl.NetPerDay*neverHorizonDays})
			return cl
		}
		cl.Clears = true
		cl.DaysAfterReturn = c.SizeAtReturn / cl.NetPerDay
		h := work + cl.DaysAfterReturn*24
		t := at(h)
		cl.Cleared, cl.ClearedHours = &t, &h
		if cl.DaysAfterReturn > 0 {
			cl.BurnDown = append(cl.BurnDown, BurnPoint{Hours: h, Time: t, Remaining: 0})
		}
		return cl
	}
	c.Normal = clearing(b.CapacityPerDay)
	if b.SurgeCapacityPerDay > 0 {
		// Surge staff add to the normal capacity.
		s := clearing(b.CapacityPerDay + b.SurgeCapacityPerDay)
		c.Surge = &s
	}
	return c
}

// workOrder returns the indices of items in the order a policy works
// them. Every policy breaks ties down to the item id, so the order is
// total and repeatable.
func workOrder(items []estate.BacklogItem, policy string) []int {
	idx := make([]int, len(items))
	for i := range idx {
		idx[i] = i
	}
	// zero dates sort last: an item without a due date is not urgent.
	date := func(a, b time.Time) int {
		switch {
		case a.IsZero() && b.IsZero():
			return 0
		case a.IsZero():
			return 1
		case b.IsZero():
			return -1
		}
		return a.Compare(b)
	}
	var owed map[string]float64
	if policy == PolicySmallestSupplierFirst {
		owed = map[string]float64{}
		for _, it := range items {
			owed[it.Supplier] += it.Amount
		}
	}
	slices.SortStableFunc(idx, func(i, j int) int {
		a, b := &items[i], &items[j]
		var c int
		switch policy {
		case PolicyCriticalFirst:
			if a.Critical != b.Critical {
				if a.Critical {
					return -1
				}
				return 1
			}
			c = cmp.Or(date(a.Due, b.Due), date(a.Received, b.Received))
		case PolicyOldestFirst:
			c = cmp.Or(date(a.Received, b.Received), date(a.Due, b.Due))
		case PolicySmallestSupplierFirst:
			c = cmp.Or(cmp.Compare(owed[a.Supplier], owed[b.Supplier]), cmp.Compare(a.Supplier, b.Supplier),
				date(a.Due, b.Due), date(a.Received, b.Received))
		}
		return cmp.Or(c, cmp.Compare(a.ID, b.ID))
	})
	return idx
}

// policyClearing works the listed items in order at a capacity. The listed
// items are the oldest work, at the head of the queue: the k-th is done
// k/capacity days after the return. Work that arrives later queues behind
// them.
func policyClearing(b *estate.Backlog, order []int, capacity float64, det BacklogCase, p80 *BacklogCase, withItems bool) PolicyClearing {
	pc := PolicyClearing{CapacityPerDay: capacity, ItemsDays: float64(len(order)) / capacity}
	at := func(c BacklogCase, days float64) time.Time {
		return c.WorkFrom.Add(time.Duration(math.Round(days * 24 * float64(time.Hour))))
	}
	type acc struct {
		critical bool
		items    int
		amount   float64
		last     float64
	}
	bySupplier := map[string]*acc{}
	var names []string
	for k, i := range order {
		it := &b.Items[i]
		days := float64(k+1) / capacity
		if withItems {
			pc.Items = append(pc.Items, ItemDone{Position: k + 1, ID: it.ID, Supplier: it.Supplier, Amount: it.Amount, Due: it.Due, Critical: it.Critical, Days: days, Done: at(det, days)})
		}
		if it.Supplier == "" {
			continue
		}
		a := bySupplier[it.Supplier]
		if a == nil {
			a = &acc{}
			bySupplier[it.Supplier] = a
			names = append(names, it.Supplier)
		}
		a.critical = a.critical || it.Critical
		a.items++
		a.amount += it.Amount
		a.last = days
	}
	for _, n := range names {
		a := bySupplier[n]
		pc.Suppliers++
		pc.SuppliersPaidDays = max(pc.SuppliersPaidDays, a.last)
		if a.critical {
			pc.CriticalSuppliers++
			pc.CriticalPaidDays = max(pc.CriticalPaidDays, a.last)
		}
		sp := SupplierPaid{Supplier: n, Critical: a.critical, Items: a.items, Amount: a.amount, Days: a.last, Paid: at(det, a.last)}
		if p80 != nil {
			sp.PaidP80 = at(*p80, a.last)
		}
		pc.SupplierPayments = append(pc.SupplierPayments, sp)
	}
	// Suppliers in the order they are fully paid.
	slices.SortStableFunc(pc.SupplierPayments, func(x, y SupplierPaid) int { return cmp.Compare(x.Days, y.Days) })
	if pc.Suppliers > 0 {
		pc.SuppliersPaid = at(det, pc.SuppliersPaidDays)
		if p80 != nil {
			pc.SuppliersPaidP80 = at(*p80, pc.SuppliersPaidDays)
		}
	}
	if pc.CriticalSuppliers > 0 {
		pc.CriticalPaid = at(det, pc.CriticalPaidDays)
		if p80 != nil {
			pc.CriticalPaidP80 = at(*p80, pc.CriticalPaidDays)
		}
	}
	return pc
}
