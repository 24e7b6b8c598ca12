package incident

import (
	"fmt"
	"slices"
	"strings"

	"github.com/phasegate/phasegate"
	spell "github.com/phasegate/phasegate/internal/suggest"
)

// checkGrantScopes refuses a grant scoped to a team or a system the
// latest estate version does not have: a typo in a scope grants nothing,
// silently. Before any estate was uploaded every scope is accepted (the
// estate may come later).
func (s *Service) checkGrantScopes(tx Tx, grants []Grant) error {
	scoped := slices.ContainsFunc(grants, func(g Grant) bool { return len(g.Teams) > 0 || len(g.Systems) > 0 })
	if !scoped {
		return nil
	}
	vs, err := tx.EstateVersions() // newest first, without documents
	if err != nil || len(vs) == 0 {
		return err
	}
	est, err := s.estateVersion(tx, vs[0].Number)
	if err != nil {
		return err
	}
	teams := make([]string, 0, len(est.Teams))
	for _, t := range est.Teams {
		teams = append(teams, t.ID)
	}
	systems := make([]string, 0, len(est.Systems))
	for _, sys := range est.Systems {
		systems = append(systems, sys.ID)
	}
	var bad []string
	for _, g := range grants {
		for _, t := range g.Teams {
			if !slices.Contains(teams, t) {
				bad = append(bad, unknownScope(g.Role, "team", t, teams, vs[0].Number))
			}
		}
		known := make(map[string]bool, len(systems))
		if len(g.Systems) > 0 {
			for _, id := range systems {
				known[id] = true
			}
		}
		for _, id := range g.Systems {
			if !known[id] {
				bad = append(bad, unknownScope(g.Role, "system", id, systems, vs[0].Number))
			}
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return phasegate.Errorf(phasegate.EINVALID, "%s", strings.Join(bad, "; "))
}

// unknownScope says that a scope names nothing, with the nearest id and a
// few valid ones.
func unknownScope(role Role, what, id string, ids []string, version int) string {
	msg := fmt.Sprintf("scope: the %s role is scoped to the %s %q, which estate version %d (the latest) does not have, so it would grant nothing",
		role, what, id, version)
	msg += didYouMean(id, ids)
	if len(ids) == 0 {
		return msg + fmt.Sprintf("; the estate has no %ss", what)
	}
	few, more := someIDs(ids)
	if more > 0 {
		few += fmt.Sprintf(" and %d more (GET /api/v1/estate/versions/%d lists them all)", more, version)
	}
	return msg + fmt.Sprintf("; the %ss are %s", what, few)
}

// didYouMean is "; did you mean "X"?" naming the one of ids nearest to
// id, or "" when none is near enough to be a plausible typo.
func didYouMean(id string, ids []string) string {
	if near := spell.Nearest(id, ids); near != "" {
		return fmt.Sprintf("; did you mean %q?", near)
	}
	return ""
}

// someIDs lists the first eight of ids in order, and says how many more
// there are.
func someIDs(ids []string) (list string, more int) {
	few := slices.Sorted(slices.Values(ids))
	if len(few) > 8 {
		few, more = few[:8], len(few)-8
	}
	return strings.Join(few, ", "), more
}
