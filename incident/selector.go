package incident

import (
	"slices"
	"strings"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// Selector picks the systems of a bulk isolation: All, or every system
// matching all of the given Kind, Tag and Team and, when Systems is not
// empty, being one of Systems.
type Selector struct {
	All     bool     `json:"all,omitempty"`
	Kind    string   `json:"kind,omitempty"`
	Tag     string   `json:"tag,omitempty"`
	Team    string   `json:"team,omitempty"`
	Systems []string `json:"systems,omitempty"`
}

// String renders the selector in the syntax ParseSelector reads.
func (s Selector) String() string {
	if s.All {
		return "all"
	}
	var parts []string
	if s.Kind != "" {
		parts = append(parts, "kind="+s.Kind)
	}
	if s.Tag != "" {
		parts = append(parts, "tag="+s.Tag)
	}
	if s.Team != "" {
		parts = append(parts, "team="+s.Team)
	}
	for _, id := range s.Systems {
		parts = append(parts, "system="+id)
	}
	return strings.Join(parts, ",")
}

// ParseSelector reads the command-line form of a selector: "all", or
// comma-separated terms kind=K, tag=T, team=T, system=ID (system may
// repeat; the other keys may appear once).
func ParseSelector(text string) (Selector, error) {
	var s Selector
	text = strings.TrimSpace(text)
	if text == "all" {
		s.All = true
		return s, nil
	}
	if text == "" {
		return s, phasegate.Errorf(phasegate.EINVALID, "empty selector: use all, or kind=K, tag=T, team=T, system=ID separated by commas")
	}
	for _, term := range strings.Split(text, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(term), "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || v == "" {
			return Selector{}, phasegate.Errorf(phasegate.EINVALID, "selector term %q: want key=value with key kind, tag, team or system", term)
		}
		var dst *string
		switch k {
		case "kind":
			dst = &s.Kind
		case "tag":
			dst = &s.Tag
		case "team":
			dst = &s.Team
		case "system":
			s.Systems = append(s.Systems, v)
			continue
		default:
			return Selector{}, phasegate.Errorf(phasegate.EINVALID, "selector term %q: unknown key %q; use kind, tag, team or system", term, k)
		}
		if *dst != "" {
			return Selector{}, phasegate.Errorf(phasegate.EINVALID, "selector: %s given twice", k)
		}
		*dst = v
	}
	return s, s.Validate()
}

// Validate checks that the selector selects something definite.
func (s Selector) Validate() error {
	if s.All {
		if s.Kind != "" || s.Tag != "" || s.Team != "" || len(s.Systems) > 0 {
			return phasegate.Errorf(phasegate.EINVALID, "selector: all cannot be combined with kind, tag, team or systems")
		}
		return nil
	}
	if s.Kind == "" && s.Tag == "" && s.Team == "" && len(s.Systems) == 0 {
		return phasegate.Errorf(phasegate.EINVALID, "selector selects nothing: give all: true, or kind, tag, team or systems")
	}
	if s.Kind != "" && !slices.Contains(estate.Kinds, estate.Kind(s.Kind)) {
		names := make([]string, len(estate.Kinds))
		for i, k := range estate.Kinds {
			names[i] = string(k)
		}
		return phasegate.Errorf(phasegate.EINVALID, "selector: %q is not a kind of system; use one of: %s", s.Kind, strings.Join(names, ", "))
	}
	return nil
}

// Match reports whether the selector picks sys.
func (s Selector) Match(sys *estate.System) bool {
	if s.All {
		return true
	}
	if s.Kind != "" && string(sys.Kind) != s.Kind {
		return false
	}
	if s.Tag != "" && !slices.Contains(sys.Tags, s.Tag) {
		return false
	}
	if s.Team != "" && sys.Team != s.Team {
		return false
	}
	if len(s.Systems) > 0 && !slices.Contains(s.Systems, sys.ID) {
		return false
	}
	return true
}

// Select returns the systems of e the selector picks, or EINVALID when a
// named system does not exist or nothing matches.
func (s Selector) Select(e *estate.Estate) ([]*estate.System, error) {
	if err := s.Validate(); err != nil {
		return nil, err
	}
	for _, id := range s.Systems {
		if findSystem(e, id) == nil {
			return nil, phasegate.Errorf(phasegate.EINVALID, "selector: no system %q in the estate", id)
		}
	}
	var out []*estate.System
	for i := range e.Systems {
		if s.Match(&e.Systems[i]) {
			out = append(out, &e.Systems[i])
		}
	}
	if len(out) == 0 {
		return nil, phasegate.Errorf(phasegate.EINVALID, "selector %s matches no system of the estate", s)
	}
	return out, nil
}

func findSystem(e *estate.Estate, id string) *estate.System {
	for i := range e.Systems {
		if e.Systems[i].ID == id {
			return &e.Systems[i]
		}
	}
	return nil
}
