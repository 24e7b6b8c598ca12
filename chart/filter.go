package chart

import (
	"slices"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/planner"
)

// Filter selects the systems a plan picture shows. Empty fields select
// everything; fields that are set must all match.
type Filter struct {
	// Team selects the systems the team restores, or whose restore takes
	// some of the team's capacity.
	Team string
	// Kind selects systems of one kind (identity, network, data, ...).
	Kind string
	// Service selects the systems the service requires and, transitively,
	// everything they require: all that must be back for it to be back.
	Service string
	// Search selects systems whose id or name contains it, ignoring case.
	Search string
}

// IsZero reports whether the filter selects everything.
func (f Filter) IsZero() bool { return f == Filter{} }

// String says what the filter selects, for the picture's note: `team =
// forensics, search "sap"`.
func (f Filter) String() string {
	var parts []string
	if f.Team != "" {
		parts = append(parts, "team = "+f.Team)
	}
	if f.Kind != "" {
		parts = append(parts, "kind = "+f.Kind)
	}
	if f.Service != "" {
		parts = append(parts, "needed by service "+f.Service)
	}
	if f.Search != "" {
		parts = append(parts, `name or id contains "`+f.Search+`"`)
	}
	return strings.Join(parts, ", ")
}

// Select returns the indexes in p.Systems of the systems the filter
// selects, in plan order. A team or service the plan does not have is an
// error that lists the ones it does (a typo in a URL or a flag should say
// so, not draw an empty picture); a kind or search that matches nothing is
// just an empty selection.
func (f Filter) Select(p *planner.Plan) ([]int, error) {
	if f.Team != "" && !slices.ContainsFunc(p.Teams, func(t planner.TeamPlan) bool { return t.ID == f.Team }) &&
		!slices.ContainsFunc(p.Systems, func(s planner.SystemPlan) bool { return s.Team == f.Team }) {
		ids := make([]string, 0, len(p.Teams))
		for _, t := range p.Teams {
			ids = append(ids, t.ID)
		}
		return nil, phasegate.Errorf(phasegate.EINVALID, "chart: filter team %q: the plan has no such team; use one of %s", f.Team, listOrNone(ids))
	}
	var needed []bool
	if f.Service != "" {
		k := slices.IndexFunc(p.Services, func(s planner.ServicePlan) bool { return s.ID == f.Service })
		if k < 0 {
			ids := make([]string, 0, len(p.Services))
			for _, s := range p.Services {
				ids = append(ids, s.ID)
			}
			return nil, phasegate.Errorf(phasegate.EINVALID, "chart: filter service %q: the plan has no such service; use one of %s", f.Service, listOrNone(ids))
		}
		needed = requiredBy(p, p.Services[k].Requires)
	}
	search := strings.ToLower(f.Search)
	var out []int
	for i := range p.Systems {
		s := &p.Systems[i]
		if f.Team != "" && s.Team != f.Team && s.Needs[f.Team] == 0 {
			continue
		}
		if f.Kind != "" && s.Kind != f.Kind {
			continue
		}
		if needed != nil && !needed[i] {
			continue
		}
		if search != "" && !strings.Contains(strings.ToLower(s.ID), search) && !strings.Contains(strings.ToLower(s.Name), search) {
			continue
		}
		out = append(out, i)
	}
	return out, nil
}

// requiredBy marks the systems in roots and everything they require,
// transitively: a breadth-first walk, linear in systems plus dependencies.
// Ids the plan does not have are skipped.
func requiredBy(p *planner.Plan, roots []string) []bool {
	idx := indexByID(p)
	seen := make([]bool, len(p.Systems))
	var queue []int
	push := func(id string) {
		if i, ok := idx[id]; ok && !seen[i] {
			seen[i] = true
			queue = append(queue, i)
		}
	}
	for _, id := range roots {
		push(id)
	}
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		for _, r := range p.Systems[i].Requires {
			push(r)
		}
	}
	return seen
}

// indexByID maps system ids to their index in p.Systems; with duplicate ids
// (which a valid plan never has) the first wins.
func indexByID(p *planner.Plan) map[string]int {
	idx := make(map[string]int, len(p.Systems))
	for i, s := range p.Systems {
		if _, dup := idx[s.ID]; !dup {
			idx[s.ID] = i
		}
	}
	return idx
}

// listOrNone joins ids for an error message, shortening long lists.
func listOrNone(ids []string) string {
	if len(ids) == 0 {
		return "none (the plan has none)"
	}
	if len(ids) > 12 {
		return strings.Join(ids[:12], ", ") + ", …"
	}
	return strings.Join(ids, ", ")
}
