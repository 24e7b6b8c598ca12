//go:build ignore

// Command gen writes supplier-invoices.csv, the unpaid supplier invoices
// of the Northfield Motors demo estate: a few hundred fictional suppliers,
// each with the invoices that piled up while payments were stopped.
//
// The output is deterministic (a fixed seed), so regenerating it gives the
// same bytes. Run it from the repository root:
//
//	go run examples/northfield-motors/gen/main.go
package main

import (
	"bufio"
	"cmp"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"time"
)

// The scenario's calendar: invoices received from the start of August
// until the recovery began, on working days; deliveries stopped when the
// plants shut, so few invoices arrive after that.
var (
	firstReceived = date(2025, time.August, 4)
	shutdown      = date(2025, time.September, 1)
	lastReceived  = date(2025, time.September, 12)
	firstDue      = date(2025, time.September, 1)
	lastDue       = date(2025, time.October, 31)
)

// class is a size of supplier: how many there are, how many invoices each
// has outstanding, the range of one invoice, and payment terms in days.
type class struct {
	name              string
	count             int
	minInv, maxInv    int
	minAmt, maxAmt    float64
	terms             []int
	criticalSuppliers int
}

var classes = []class{
	// Tier-1 module and system suppliers: weekly invoices, large sums.
	{name: "large", count: 45, minInv: 8, maxInv: 14, minAmt: 150_000, maxAmt: 2_500_000, terms: []int{60}},
	// Component makers.
	{name: "medium", count: 150, minInv: 4, maxInv: 10, minAmt: 15_000, maxAmt: 250_000, terms: []int{45, 60}},
	// Small, often single-source suppliers paid on 30 days; some have
	// about a week of cash and are marked critical.
	{name: "small", count: 225, minInv: 2, maxInv: 6, minAmt: 800, maxAmt: 40_000, terms: []int{30}, criticalSuppliers: 40},
}

type supplier struct {
	name     string
	local    bool // in the UK or Slovakia, near a plant
	class    *class
	critical bool
}

type invoice struct {
	supplier *supplier
	amount   float64
	received time.Time
	due      time.Time
}

func main() {
	out := flag.String("o", "examples/northfield-motors/supplier-invoices.csv", "file to write")
	flag.Parse()
	rng := rand.New(rand.NewPCG(2025, 901)) // fixed: the file must not change between runs

	suppliers := makeSuppliers(rng)
	var invs []invoice
	for _, s := range suppliers {
		n := s.class.minInv + rng.IntN(s.class.maxInv-s.class.minInv+1)
		for range n {
			invs = append(invs, makeInvoice(rng, s))
		}
	}
	slices.SortStableFunc(invs, func(a, b invoice) int {
		return cmp.Or(a.received.Compare(b.received), cmp.Compare(a.supplier.name, b.supplier.name),
			cmp.Compare(a.amount, b.amount))
	})

	f, err := os.Create(*out)
	if err != nil {
		log.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "id,supplier,amount,due,received,critical")
	var total float64
	for i, inv := range invs {
		total += inv.amount
		fmt.Fprintf(w, "inv-25-%05d,%s,%.2f,%s,%s,%t\n", i+1, inv.supplier.name, inv.amount,
			inv.due.Format(time.DateOnly), inv.received.Format(time.DateOnly), inv.supplier.critical)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s: %d suppliers, %d invoices, £%.0f", *out, len(suppliers), len(invs), total)
}

// Name parts. Combined they make plausible but invented company names;
// none is meant to be a real company. No commas: the CSV is unquoted.
var (
	ukStart   = []string{"Ash", "Brook", "Cal", "Dun", "Elm", "Fern", "Gar", "Hal", "Ing", "Kel", "Lyd", "Mar", "Nor", "Oak", "Pen", "Red", "Sal", "Thorn", "Wal", "Wren", "Bram", "Cot", "Hey", "Lang"}
	ukEnd     = []string{"by", "field", "ford", "ham", "ley", "mere", "stone", "wick", "worth", "ton", "dale", "combe"}
	ukWhat    = []string{"Precision Castings", "Fasteners", "Pressings", "Plastics", "Wiring Systems", "Rubber Mouldings", "Seating Components", "Glass", "Forgings", "Electronics", "Coatings", "Springs", "Machining", "Interior Trim", "Tooling", "Harness", "Foams", "Die Castings", "Gaskets", "Packaging", "Sensors", "Lighting", "Textiles", "Brackets", "Tube Manipulation", "Heat Treatment", "Labels"}
	skStart   = []string{"Horno", "Dolno", "Bielo", "Zeleno", "Stredo", "Vysoko", "Kameno", "Lesno", "Novo", "Staro"}
	skEnd     = []string{"plast", "kov", "tech", "lis", "form", "met", "kab", "guma"}
	deStart   = []string{"Rhein", "Alt", "Neu", "Berg", "Wald", "Schön", "Hoch", "Lind", "Stein", "Tann"}
	deEnd     = []string{"metall", "technik", "guss", "kunststoff", "elektrik", "federn", "dicht"}
	plStart   = []string{"Wis", "Odra", "Bug", "San", "Narew", "Warta"}
	plEnd     = []string{"plast", "metal", "tech", "form"}
	bigSuffix = []string{"Automotive Systems plc", "Group Ltd", "Automotive GmbH", "Industries Ltd", "Mobility plc"}
)

func makeSuppliers(rng *rand.Rand) []*supplier {
	seen := map[string]bool{}
	var out []*supplier
	for ci := range classes {
		c := &classes[ci]
		var group []*supplier
		for len(group) < c.count {
			name, local := supplierName(rng, c)
			if seen[name] {
				continue
			}
			seen[name] = true
			group = append(group, &supplier{name: name, local: local, class: c})
		}
		// The critical ones are small single-source firms near the plants.
		marked := 0
		for _, i := range rng.Perm(len(group)) {
			if marked == c.criticalSuppliers {
				break
			}
			if group[i].local {
				group[i].critical = true
				marked++
			}
		}
		out = append(out, group...)
	}
	return out
}

// supplierName invents a name and says whether the supplier is local
// (UK or Slovak).
func supplierName(rng *rand.Rand, c *class) (string, bool) {
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	if c.name == "large" {
		return pick(ukStart) + pick(ukEnd) + " " + pick(bigSuffix), false
	}
	switch r := rng.Float64(); {
	case r < 0.62:
		return pick(ukStart) + pick(ukEnd) + " " + pick(ukWhat) + " Ltd", true
	case r < 0.84:
		return pick(skStart) + pick(skEnd) + " s.r.o.", true
	case r < 0.95:
		return pick(deStart) + pick(deEnd) + " GmbH", false
	default:
		return pick(plStart) + pick(plEnd) + " Sp. z o.o.", false
	}
}

func makeInvoice(rng *rand.Rand, s *supplier) invoice {
	c := s.class
	terms := c.terms[rng.IntN(len(c.terms))]
	// Received so that the due date falls in September or October.
	from := maxTime(firstReceived, firstDue.AddDate(0, 0, -terms))
	to := minTime(lastReceived, lastDue.AddDate(0, 0, -terms))
	received := workingDay(rng, from, to)
	// Log-uniform: many small invoices, a few very large ones.
	amount := math.Exp(math.Log(c.minAmt) + rng.Float64()*(math.Log(c.maxAmt)-math.Log(c.minAmt)))
	amount = math.Round(amount*100) / 100
	return invoice{supplier: s, amount: amount, received: received, due: received.AddDate(0, 0, terms)}
}

// workingDay picks a weekday in [from, to], four times less likely after
// the shutdown, when deliveries (and so invoices) had stopped.
func workingDay(rng *rand.Rand, from, to time.Time) time.Time {
	for {
		days := int(to.Sub(from).Hours()/24) + 1
		d := from.AddDate(0, 0, rng.IntN(days))
		if d.Weekday() == time.Saturday || d.Weekday() == time.Sunday {
			continue
		}
		if !d.Before(shutdown) && rng.Float64() >= 0.25 {
			continue
		}
		return d
	}
}

func date(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 0, 0, 0, 0, time.UTC) }

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
