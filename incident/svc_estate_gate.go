package incident

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// EventEstateApproved: a second person approved an estate version that
// weakens the gates of a restart.
const EventEstateApproved = "estate.approved"

// weakenings lists what next takes away from the gates of base's systems:
// the two-person rule, items of the clearance checklist, verify checks,
// dependencies (a requires edge dropped lets a system restore before what
// it needs is back) and whole systems (a system removed takes every gate of
// its restart with it). A system only in next is not compared: it starts
// with its own gates.
func weakenings(base, next []estate.System) []Weakening {
	before := make(map[string]*estate.System, len(base))
	for i := range base {
		before[base[i].ID] = &base[i]
	}
	var out []Weakening
	var reach *reachability
	matched := 0
	for i := range next {
		now := &next[i]
		was, ok := before[now.ID]
		if !ok {
			continue
		}
		matched++
		if was.NeedsTwoPersons() && !now.NeedsTwoPersons() {
			var why []string
			if was.Criticality != now.Criticality {
				why = append(why, fmt.Sprintf("criticality %d → %d", was.Criticality, now.Criticality))
			}
			if was.TwoPerson && !now.TwoPerson {
				why = append(why, "two_person: true → false")
			}
			out = append(out, Weakening{System: now.ID, Lost: "the two-person rule (" + strings.Join(why, ", ") + ")"})
		}
		if !slices.Equal(was.Requires, now.Requires) {
			if reach == nil {
				reach = newReachability(next)
			}
			for _, dep := range was.Requires {
				if slices.Contains(now.Requires, dep) || !reach.has(dep) || reach.waitsFor(now.ID, dep) {
					// Kept, gone with its system (reported below), or still
					// waited for through another system.
					continue
				}
				out = append(out, Weakening{System: now.ID, Lost: fmt.Sprintf(
					"the dependency on %s (requires %s dropped: %s could be restored before %s is back)", dep, dep, now.ID, dep)})
			}
		}
		if !slices.Equal(was.Verify, now.Verify) {
			keep := make(map[string]bool, len(now.Verify))
			for _, c := range now.Verify {
				keep[c.String()] = true
			}
			for _, c := range was.Verify {
				if !keep[c.String()] {
					out = append(out, Weakening{System: now.ID, Lost: "verify check " + c.String()})
				}
			}
		}
		if was.Kind == now.Kind && slices.Equal(was.Checklist, now.Checklist) {
			continue // the same checklist: the common case, kept cheap
		}
		keep := map[string]string{}
		byText := map[string]string{}
		for _, d := range ChecklistFor(now) {
			keep[d.Key] = d.Text
			byText[d.Text] = d.Key
		}
		for _, d := range ChecklistFor(was) {
			text, kept := keep[d.Key]
			switch {
			case !kept && byText[d.Text] != "":
				// The same words under another key (a key given where
				// there was none): ticks are kept under the key, so
				// those made under the old one no longer count.
				out = append(out, Weakening{System: now.ID, Lost: "the ticks of clearance checklist item “" + d.Text + "” (its key is now " +
					byText[d.Text] + ", was " + d.Key + ": it must be ticked again)"})
			case !kept:
				out = append(out, Weakening{System: now.ID, Lost: "clearance checklist item “" + d.Text + "”"})
			case text != d.Text:
				// The same key, so its ticks stay: a second person
				// judges whether the new words ask as much.
				out = append(out, Weakening{System: now.ID, Lost: "clearance checklist item “" + d.Text + "” as worded (now “" + text + "”, its ticks kept)"})
			}
		}
	}
	if matched < len(base) {
		out = append(out, removedSystems(base, next)...)
	}
	return out
}

// removedSystems reports each system of base that next no longer has,
// naming the systems of base that waited for it.
func removedSystems(base, next []estate.System) []Weakening {
	inNext := make(map[string]bool, len(next))
	for i := range next {
		inNext[next[i].ID] = true
	}
	waiting := map[string][]string{}
	for i := range base {
		for _, dep := range base[i].Requires {
			if !inNext[dep] {
				waiting[dep] = append(waiting[dep], base[i].ID)
			}
		}
	}
	var out []Weakening
	for i := range base {
		id := base[i].ID
		if inNext[id] {
			continue
		}
		lost := "the system, with every gate of its restart (removed from the estate)"
		if w := waiting[id]; len(w) > 0 {
			names := w
			if len(names) > 5 {
				names = append(slices.Clone(names[:5]), fmt.Sprintf("%d more", len(w)-5))
			}
			lost += "; " + strings.Join(names, ", ") + " no longer wait for it"
		}
		out = append(out, Weakening{System: id, Lost: lost})
	}
	return out
}

// reachability answers whether a system of an estate still waits for
// another through its requires, directly or through other systems. The
// searches share a budget: past it the answer is no, so a dropped edge is
// reported rather than the comparison growing without bound.
type reachability struct {
	requires map[string][]string
	budget   int
}

func newReachability(systems []estate.System) *reachability {
	r := &reachability{requires: make(map[string][]string, len(systems)), budget: 1_000_000}
	for i := range systems {
		r.requires[systems[i].ID] = systems[i].Requires
	}
	return r
}

func (r *reachability) has(id string) bool { _, ok := r.requires[id]; return ok }

// waitsFor reports whether from requires to, directly or not.
func (r *reachability) waitsFor(from, to string) bool {
	seen := map[string]bool{from: true}
	stack := []string{from}
	for len(stack) > 0 && r.budget > 0 {
		id := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, dep := range r.requires[id] {
			r.budget--
			if dep == to {
				return true
			}
			if !seen[dep] {
				seen[dep] = true
				stack = append(stack, dep)
			}
		}
	}
	return false
}

// gateSystem keeps only what the gates need of a stored system: decoding
// just this is several times cheaper than parsing and checking the whole
// estate again.
type gateSystem struct {
	ID          string                  `json:"id"`
	Kind        estate.Kind             `json:"kind"`
	Criticality int                     `json:"criticality"`
	TwoPerson   bool                    `json:"two_person"`
	Requires    []string                `json:"requires"`
	Checklist   []estate.ChecklistEntry `json:"checklist"`
	Verify      []estate.Check          `json:"verify"`
}

// baseGates returns the systems, with their gates, of the version an
// upload is compared with: the newest one not pending (nil when there is
// none). A version in the estate cache is used as it is; otherwise only
// the gate fields of its stored document are decoded.
func (s *Service) baseGates(tx Tx) ([]estate.System, error) {
	vs, err := tx.EstateVersions()
	if err != nil {
		return nil, err
	}
	for _, v := range vs {
		if v.Pending() {
			continue
		}
		if e, ok := s.cachedEstate(v.Number); ok {
			return e.Systems, nil
		}
		full, err := tx.EstateVersion(v.Number)
		if err != nil {
			return nil, err
		}
		var doc struct {
			Systems []gateSystem `json:"systems"`
		}
		if err := json.Unmarshal(full.Document, &doc); err != nil {
			return nil, fmt.Errorf("incident: stored estate version %d: %w", v.Number, err)
		}
		out := make([]estate.System, len(doc.Systems))
		for i, g := range doc.Systems {
			out[i] = estate.System{ID: g.ID, Kind: g.Kind, Criticality: g.Criticality, TwoPerson: g.TwoPerson,
				Requires: g.Requires, Checklist: g.Checklist, Verify: g.Verify}
		}
		return out, nil
	}
	return nil, nil
}

// versionInfo returns estate version n without its document: what the
// gates need to know of it, without reading megabytes.
func versionInfo(tx Tx, n int) (*EstateVersion, error) {
	vs, err := tx.EstateVersions()
	if err != nil {
		return nil, err
	}
	for i := range vs {
		if vs[i].Number == n {
			return &vs[i], nil
		}
	}
	return nil, phasegate.Errorf(phasegate.ENOTFOUND, "there is no estate version %d", n)
}

// usable refuses an estate version that waits for a second person.
func usable(v *EstateVersion) error {
	if !v.Pending() {
		return nil
	}
	var lost []string
	for _, w := range v.Weakens {
		lost = append(lost, w.String())
	}
	if len(lost) > 5 {
		lost = append(lost[:5], fmt.Sprintf("and %d more", len(lost)-5))
	}
	return phasegate.Errorf(phasegate.ECONFLICT,
		"estate version %d takes away gates of a restart (%s) and waits for a second person to approve it "+
			"(POST /api/v1/estate/versions/%d/approve, or phasegate estate approve %d); until then no incident may use it, so name an earlier version",
		v.Number, strings.Join(lost, "; "), v.Number, v.Number)
}

// ApproveEstateVersion approves a version that weakens the gates of a
// restart, so incidents may use it. Needs estate.upload; the uploader
// cannot approve, nor can phasegate itself.
func (s *Service) ApproveEstateVersion(ctx context.Context, a Actor, n int, note string) (*EstateVersion, error) {
	if err := a.Authorize(ActionEstateUpload, nil); err != nil {
		return nil, err
	}
	if a.System {
		return nil, phasegate.Errorf(phasegate.EFORBIDDEN, "%s is phasegate itself and cannot approve estate version %d: it needs a second person", a.Name, n)
	}
	var out *EstateVersion
	err := s.update(ctx, func(w *writer) error {
		v, err := versionInfo(w, n)
		if err != nil {
			return err
		}
		if !v.Pending() {
			if len(v.Weakens) == 0 {
				return phasegate.Errorf(phasegate.ECONFLICT, "estate version %d takes no gate away and needs no approval", n)
			}
			return phasegate.Errorf(phasegate.ECONFLICT, "estate version %d was already approved by %s", n, v.ApprovedBy)
		}
		if v.UploadedBy == a.Name {
			return phasegate.Errorf(phasegate.EFORBIDDEN,
				"%s uploaded estate version %d and cannot approve it: taking gates away needs a second person", a.Name, n)
		}
		v.ApprovedBy, v.ApprovedAt = a.Name, w.Now()
		if err := w.ApproveEstateVersion(v); err != nil {
			return err
		}
		_, err = w.event(a.Name, EventEstateApproved, 0, fmt.Sprintf("estate:%d", n), map[string]any{
			"number": n, "weakens": v.Weakens, "uploaded_by": v.UploadedBy, "note": strings.TrimSpace(note)})
		out = v
		return err
	})
	return out, err
}
