package estate

// Parse remembers where every value was written so that the checks it
// shares with Validate can point at the line. The positions are kept apart
// from the model, compactly, so that a 100,000-system estate stays cheap.

// loc is a compact position: file is an index into sources.files plus one
// (zero: no file), line and col are 1-based (zero: none).
type loc struct{ file, line, col int32 }

func (l loc) ok() bool { return l.line > 0 }

// maxFields bounds the number of fields of any mapping in the format.
const maxFields = 16

// src is where one entity (a team, system, service, backlog or the top
// level of the estate) and each of its fields were written.
type src struct {
	at loc
	// f holds the position of each field's value, indexed by the field
	// constants of the entity's kind; zero when the field was not written.
	f [maxFields]loc
	// bad marks fields already reported while decoding, so that the
	// checks do not report the same mistake again in other words.
	bad uint32
	// list holds the position of each requires entry.
	list []loc
	// needs holds the position of each entry of System.Needs.
	needs []loc
}

func (s *src) mark(f int)         { s.bad |= 1 << f }
func (s *src) isBad(f int) bool   { return s.bad&(1<<f) != 0 }
func (s *src) present(f int) bool { return s.f[f].ok() }

// fieldOr is where field f was written, or where the entity starts when
// the field was not written (the place to say it is missing).
func (s *src) fieldOr(f int) loc {
	if s.f[f].ok() {
		return s.f[f]
	}
	return s.at
}

func (s *src) listAt(i int) loc { return locAt(s.list, i) }
func (s *src) needAt(i int) loc { return locAt(s.needs, i) }

func locAt(ls []loc, i int) loc {
	if i < len(ls) {
		return ls[i]
	}
	return loc{}
}

// itemSrc is where one backlog item and its fields were written.
type itemSrc struct {
	at  loc
	f   [len(itemFields)]loc
	bad uint32
}

// sources is where everything in a parsed estate was written. It runs
// parallel to the Estate's slices.
type sources struct {
	files    []string
	top      src
	teams    []src
	systems  []src
	services []src
	backlogs []src
	items    [][]itemSrc // parallel to backlogs
	// unread is set when an estate file could not be read at all, so
	// that nothing is called missing that may be in it.
	unread bool
}

// The fields of each mapping in the format, in the order they are
// documented. The constants index these tables and src.f.
var topFields = []string{"version", "organization", "currency", "start", "clearance_team", "teams", "systems", "services", "backlogs"}

const (
	topVersion = iota
	topOrganization
	topCurrency
	topStart
	topClearanceTeam
	topTeams
	topSystems
	topServices
	topBacklogs
)

var teamFields = []string{"id", "name", "capacity"}

const (
	teamID = iota
	teamName
	teamCapacity
)

var systemFields = []string{"id", "name", "kind", "team", "criticality", "requires", "restore", "clearance", "needs", "two_person", "checklist", "owners", "tags", "description", "verify"}

const (
	sysID = iota
	sysName
	sysKind
	sysTeam
	sysCriticality
	sysRequires
	sysRestore
	sysClearance
	sysNeeds
	sysTwoPerson
	sysChecklist
	sysOwners
	sysTags
	sysDescription
	sysVerify
)

var serviceFields = []string{"id", "name", "requires", "revenue_per_day", "cost_per_day", "output_per_day", "people_idle", "audiences", "description"}

const (
	svcID = iota
	svcName
	svcRequires
	svcRevenue
	svcCost
	svcOutput
	svcPeopleIdle
	svcAudiences
	svcDescription
)

var backlogFields = []string{"id", "name", "service", "unit", "accrues_per_day", "capacity_per_day", "surge_capacity_per_day", "policy", "items"}

const (
	blID = iota
	blName
	blService
	blUnit
	blAccrues
	blCapacity
	blSurge
	blPolicy
	blItems
)

var itemFields = [...]string{"id", "supplier", "amount", "due", "received", "critical"}

const (
	itID = iota
	itSupplier
	itAmount
	itDue
	itReceived
	itCritical
)

var estimateFields = []string{"min", "likely", "max"}
var outputFields = []string{"amount", "unit"}
var checkFields = []string{"http", "tcp", "status", "contains", "timeout_seconds"}
