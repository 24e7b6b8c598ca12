package estate

// Reading scalar values: text, numbers, times, durations, estimates and
// needs, each reporting a wrong type or value at its position.

import (
	"errors"
	"fmt"
	"math"
	"net"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

func (d *decoder) output(v *yaml.Node, p string) (*Output, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, true
	}
	if v.Kind != yaml.MappingNode {
		d.problem(d.at(v), p, "output_per_day", "must be a mapping of amount and unit, not "+kindOf(v), "write e.g. \"output_per_day: {amount: 400, unit: vehicles}\"")
		return nil, false
	}
	var o Output
	ok := true
	var seen [2]bool
	d.fields(v, p+".output_per_day", outputFields, "output_per_day", func(f int, k, v *yaml.Node) {
		seen[f] = true
		var good bool
		if f == 0 {
			o.Amount, good = d.number(v, p+".output_per_day", "amount")
		} else {
			o.Unit, good = d.str(v, p+".output_per_day", "unit")
		}
		ok = ok && good
	})
	if !seen[0] || !seen[1] {
		// Reported beside a bad amount or unit: every problem at once.
		d.problem(d.at(v), p, "output_per_day", "needs both amount and unit", "write e.g. \"output_per_day: {amount: 400, unit: vehicles}\"")
		return nil, false
	}
	return &o, ok
}

func (d *decoder) str(v *yaml.Node, p, field string) (string, bool) {
	if v.Kind != yaml.ScalarNode {
		d.problem(d.at(v), p, field, "must be text, not "+kindOf(v), "write a single value; quote it if it contains \": \" or starts with [ or {")
		return "", false
	}
	if v.Tag == "!!null" {
		return "", true
	}
	return v.Value, true
}

// strList reads a list of text values and where each was written.
func (d *decoder) strList(v *yaml.Node, p, field, example string) ([]string, []loc, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil, true
	}
	if v.Kind != yaml.SequenceNode {
		fix := "write a list, e.g. " + field + ": " + example
		if v.Kind == yaml.ScalarNode {
			fix = "write a list even for one value: " + field + ": [" + shorten(v.Value, 40) + "]"
		}
		d.problem(d.at(v), p, field, "must be a list, not "+kindOf(v), fix)
		return nil, nil, false
	}
	if len(v.Content) == 0 {
		return nil, nil, true
	}
	out := make([]string, 0, len(v.Content))
	locs := make([]loc, 0, len(v.Content))
	ok := true
	for j, c := range v.Content {
		c = d.visit(c)
		if c.Kind != yaml.ScalarNode || c.Tag == "!!null" {
			d.problem(d.at(c), p, field+"["+strconv.Itoa(j)+"]", "must be text, not "+kindOf(c), "write each entry as a plain value, e.g. "+field+": "+example)
			ok = false
			continue
		}
		out = append(out, c.Value)
		locs = append(locs, d.at(c))
	}
	return out, locs, ok
}

// maxInt bounds whole numbers in the format: big enough for any
// capacity or head count, small enough that no sum of them overflows.
const maxInt = 1_000_000_000

// smallInt reads a whole number between -maxInt and maxInt.
func (d *decoder) smallInt(v *yaml.Node, p, field string) (int, bool) {
	n, ok := d.integer(v, p, field)
	if !ok {
		return 0, false
	}
	if n > maxInt || n < -maxInt {
		d.problem(d.at(v), p, field, fmt.Sprintf("%d is too large", n), fmt.Sprintf("whole numbers in an estate are at most %d", maxInt))
		return 0, false
	}
	return int(n), true
}

func (d *decoder) integer(v *yaml.Node, p, field string) (int64, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		d.problem(d.at(v), p, field, "must be a whole number, not "+kindOf(v), "write a number such as 2")
		return 0, false
	}
	switch v.Tag {
	case "!!int":
		n, err := strconv.ParseInt(strings.ReplaceAll(v.Value, "_", ""), 0, 64)
		switch {
		case errors.Is(err, strconv.ErrRange):
			d.problem(d.at(v), p, field, shorten(v.Value, 40)+" is too large", fmt.Sprintf("whole numbers in an estate are at most %d", maxInt))
			return 0, false
		case err != nil:
			d.problem(d.at(v), p, field, "must be a whole number, not "+strconv.Quote(shorten(v.Value, 40)), "write a number such as 2")
			return 0, false
		}
		return n, true
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(v.Value, "_", ""), 64)
		switch {
		case err != nil && !errors.Is(err, strconv.ErrRange):
			// .inf, .nan and friends.
			d.problem(d.at(v), p, field, "must be a whole number, not "+shorten(v.Value, 40), "write a number such as 2")
			return 0, false
		case math.Abs(f) >= 1<<62 || errors.Is(err, strconv.ErrRange):
			d.problem(d.at(v), p, field, shorten(v.Value, 40)+" is too large", fmt.Sprintf("whole numbers in an estate are at most %d", maxInt))
			return 0, false
		case f != math.Trunc(f):
			d.problem(d.at(v), p, field, "must be a whole number, not "+v.Value, fmt.Sprintf("round it, e.g. %.0f", math.Round(f)))
			return 0, false
		}
		return int64(f), true
	}
	fix := "write a number such as 2"
	if v.Tag == "!!str" {
		_, err := strconv.ParseFloat(strings.TrimSpace(v.Value), 64)
		switch {
		case errors.Is(err, strconv.ErrRange) && v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0:
			// YAML takes a number too large for a float for text.
			d.problem(d.at(v), p, field, shorten(v.Value, 40)+" is too large", fmt.Sprintf("whole numbers in an estate are at most %d", maxInt))
			return 0, false
		case err == nil:
			fix = "remove the quotes around the number"
		}
	}
	d.problem(d.at(v), p, field, "must be a whole number, not "+kindOf(v), fix)
	return 0, false
}

// number reads a finite number; whole numbers and decimals both do.
func (d *decoder) number(v *yaml.Node, p, field string) (float64, bool) {
	if v.Kind == yaml.ScalarNode && (v.Tag == "!!int" || v.Tag == "!!float") {
		s := strings.ReplaceAll(v.Value, "_", "")
		var f float64
		var err error
		if v.Tag == "!!int" {
			var n int64
			if n, err = strconv.ParseInt(s, 0, 64); err == nil {
				f = float64(n)
			} else {
				f, err = strconv.ParseFloat(s, 64)
			}
		} else {
			f, err = strconv.ParseFloat(s, 64)
		}
		switch {
		case errors.Is(err, strconv.ErrRange):
			d.problem(d.at(v), p, field, shorten(v.Value, 40)+" is too large", "write a number below 1e300")
			return 0, false
		case err != nil || math.IsNaN(f) || math.IsInf(f, 0):
			d.problem(d.at(v), p, field, "must be a finite number, not "+shorten(v.Value, 40), "write a number such as 1200 or 0.5")
			return 0, false
		}
		return f, true
	}
	fix := "write a number such as 1200 or 0.5, without currency signs or thousands separators"
	if v.Kind == yaml.ScalarNode && v.Tag == "!!str" {
		_, err := strconv.ParseFloat(strings.TrimSpace(v.Value), 64)
		switch {
		case errors.Is(err, strconv.ErrRange) && v.Style&(yaml.DoubleQuotedStyle|yaml.SingleQuotedStyle) == 0:
			// YAML takes a number too large for a float for text.
			d.problem(d.at(v), p, field, shorten(v.Value, 40)+" is too large", "write a number below 1e300")
			return 0, false
		case err == nil:
			fix = "remove the quotes around the number"
		}
	}
	d.problem(d.at(v), p, field, "must be a number, not "+kindOf(v), fix)
	return 0, false
}

func (d *decoder) boolean(v *yaml.Node, p, field string) (bool, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!bool" {
		return strings.EqualFold(v.Value, "true"), true
	}
	d.problem(d.at(v), p, field, "must be true or false, not "+kindOf(v), "write "+field+": true")
	return false, false
}

// timestamp reads an RFC 3339 time or, where dateOK, a date.
func (d *decoder) timestamp(v *yaml.Node, p, field string, dateOK bool) (time.Time, bool) {
	if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
		d.problem(d.at(v), p, field, "must be a date and time, not "+kindOf(v), timeFix(dateOK))
		return time.Time{}, false
	}
	t, err := parseTime(v.Value, dateOK)
	if err != nil {
		d.problem(d.at(v), p, field, strconv.Quote(shorten(v.Value, 40))+" is not "+timeWhat(dateOK), timeFix(dateOK))
		return time.Time{}, false
	}
	return t, true
}

func timeWhat(dateOK bool) string {
	if dateOK {
		return "a date (YYYY-MM-DD) or an RFC 3339 time"
	}
	return "an RFC 3339 time"
}

func timeFix(dateOK bool) string {
	if dateOK {
		return "write e.g. 2025-10-01 or 2025-10-01T09:00:00Z"
	}
	return "write the date, time and zone, e.g. 2025-09-01T08:00:00Z or 2025-09-01T09:00:00+01:00"
}

func parseTime(s string, dateOK bool) (time.Time, error) {
	s = strings.TrimSpace(s)
	if dateOK && len(s) == len("2006-01-02") {
		return time.Parse("2006-01-02", s)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return t, err
	}
	// A four-digit year keeps the time writable in RFC 3339 again.
	if y := t.Year(); y < 0 || y > 9999 {
		return time.Time{}, errors.New("year out of range")
	}
	return t, nil
}

// estimate reads a duration or a three-point estimate.
func (d *decoder) estimate(v *yaml.Node, p, field string) (Estimate, bool) {
	switch v.Kind {
	case yaml.ScalarNode:
		if v.Tag == "!!null" {
			d.problem(d.at(v), p, field, "has no value", "write a duration such as 2d, or {min: 1d, likely: 2d, max: 4d}")
			return Estimate{}, false
		}
		dur, ok := d.duration(v, p, field)
		return Point(dur), ok
	case yaml.MappingNode:
		var e Estimate
		var seen [3]bool
		ok := true
		d.fields(v, p+"."+field, estimateFields, "an estimate", func(f int, k, v *yaml.Node) {
			seen[f] = true
			if v.Kind != yaml.ScalarNode || v.Tag == "!!null" {
				d.problem(d.at(v), p+"."+field, estimateFields[f], "must be a duration, not "+kindOf(v), durationExample)
				ok = false
				return
			}
			dur, good := d.duration(v, p+"."+field, estimateFields[f])
			ok = ok && good
			switch f {
			case 0:
				e.Min = dur
			case 1:
				e.Likely = dur
			case 2:
				e.Max = dur
			}
		})
		// A part missing is reported beside a bad part: every problem at once.
		if !seen[0] || !seen[1] || !seen[2] {
			var missing []string
			for f, s := range seen {
				if !s {
					missing = append(missing, estimateFields[f])
				}
			}
			d.problem(d.at(v), p, field, "a three-point estimate needs min, likely and max; "+strings.Join(missing, " and ")+" missing", "write e.g. {min: 1d, likely: 2d, max: 4d}, or a single duration such as 2d")
			return Estimate{}, false
		}
		if !ok {
			return Estimate{}, false
		}
		return e, true
	}
	d.problem(d.at(v), p, field, "must be a duration or a three-point estimate, not "+kindOf(v), "write a duration such as 2d, or {min: 1d, likely: 2d, max: 4d}")
	return Estimate{}, false
}

func (d *decoder) duration(v *yaml.Node, p, field string) (time.Duration, bool) {
	dur, bad := parseDuration(v.Value)
	if bad != nil {
		msg := bad.msg
		if bad.msg == "is empty" || bad.msg == "is too long to be a duration" || strings.HasPrefix(bad.msg, "is negative") {
			msg = strconv.Quote(shorten(v.Value, 40)) + " " + bad.msg
		}
		d.problem(d.at(v), p, field, msg, bad.fix)
		return 0, false
	}
	return dur, true
}

// needs reads the map of team → units, sorted by team.
func (d *decoder) needs(v *yaml.Node, p string) ([]Need, []loc, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, nil, true
	}
	if v.Kind != yaml.MappingNode {
		d.problem(d.at(v), p, "needs", "must be a mapping of team to units, not "+kindOf(v), "write e.g. needs: {sap-basis: 2, dba: 1}")
		return nil, nil, false
	}
	type entry struct {
		n Need
		l loc
	}
	var es []entry
	first := map[string]int{}
	ok := true
	for i := 0; i+1 < len(v.Content); i += 2 {
		k := d.visit(v.Content[i])
		if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
			d.problem(d.at(k), p, "needs", "merge keys are not supported in needs", "write the teams out")
			ok = false
			continue
		}
		if k.Kind != yaml.ScalarNode || k.Tag == "!!null" {
			d.problem(d.at(k), p, "needs", "a key must be a team id, not "+kindOf(k), "write e.g. needs: {sap-basis: 2, dba: 1}")
			ok = false
			continue
		}
		if line, dup := first[k.Value]; dup {
			d.problem(d.at(k), p, "needs", fmt.Sprintf("team %q is written twice; it was first named at line %d", shorten(k.Value, 40), line), "keep one of the two")
			ok = false
			continue
		}
		first[k.Value] = k.Line
		units, good := d.smallInt(d.visit(v.Content[i+1]), p, "needs."+keyName(k.Value))
		if !good {
			ok = false
			continue
		}
		es = append(es, entry{Need{Team: k.Value, Units: units}, d.at(k)})
	}
	if !ok {
		return nil, nil, false
	}
	if len(es) == 0 {
		d.problem(d.at(v), p, "needs", "is empty", "name at least one team, e.g. needs: {dba: 1}, or leave needs out to take one unit of the system's own team")
		return nil, nil, false
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].n.Team < es[j].n.Team })
	ns := make([]Need, len(es))
	ls := make([]loc, len(es))
	for i, e := range es {
		ns[i], ls[i] = e.n, e.l
	}
	return ns, ls, true
}

const checklistExample = `write e.g. checklist: ["Vendor sign-off received", {key: backup-catalogue, text: "Backup catalogue checked"}]`

// checklistFields are the fields of a checklist entry written as a
// mapping.
var checklistFields = []string{"key", "text"}

// checklist reads a system's own checklist items: each its text, or a
// mapping of key and text (the key keeps the item's ticks when its text
// is reworded).
func (d *decoder) checklist(v *yaml.Node, p string) ([]ChecklistEntry, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, true
	}
	if v.Kind != yaml.SequenceNode {
		fix := checklistExample
		if v.Kind == yaml.ScalarNode {
			fix = "write a list even for one item: checklist: [" + strconv.Quote(shorten(v.Value, 40)) + "]"
		}
		d.problem(d.at(v), p, "checklist", "must be a list, not "+kindOf(v), fix)
		return nil, false
	}
	out := make([]ChecklistEntry, 0, len(v.Content))
	ok := true
	for j, c := range v.Content {
		c = d.visit(c)
		field := "checklist[" + strconv.Itoa(j) + "]"
		switch {
		case c.Kind == yaml.ScalarNode && c.Tag != "!!null":
			out = append(out, ChecklistEntry{Text: c.Value})
		case c.Kind == yaml.MappingNode:
			var e ChecklistEntry
			good := true
			d.fields(c, p+"."+field, checklistFields, "a checklist item", func(f int, _, v *yaml.Node) {
				var g bool
				switch f {
				case 0:
					e.Key, g = d.str(v, p+"."+field, "key")
				case 1:
					e.Text, g = d.str(v, p+"."+field, "text")
				}
				good = good && g
			})
			if good && e.Text == "" {
				d.problem(d.at(c), p, field, "has no text", `say what must be done, e.g. {key: backup-catalogue, text: "Backup catalogue checked"}`)
				good = false
			}
			if good && e.Key == "" {
				d.problem(d.at(c), p, field, "has no key", `give the key its ticks are kept under, e.g. {key: backup-catalogue, text: "…"}, or write the item as its text alone`)
				good = false
			}
			if !good {
				ok = false
				continue
			}
			out = append(out, e)
		default:
			d.problem(d.at(c), p, field, "must be text or a {key, text} mapping, not "+kindOf(c), checklistExample)
			ok = false
		}
	}
	if !ok {
		return nil, false
	}
	return out, true
}

// ChecklistKeyProblem says what is wrong with an explicit checklist key,
// or "" when it is good.
func ChecklistKeyProblem(key string) string {
	if len(key) > MaxChecklistKey {
		return fmt.Sprintf("is %d characters long; keep it to %d", len(key), MaxChecklistKey)
	}
	for i, r := range key {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' && i > 0 && i < len(key)-1) {
			return fmt.Sprintf("%q has %q: use lower-case letters, digits and inner dashes", shorten(key, 40), r)
		}
	}
	return ""
}

const checkExample = `write e.g. verify: [{http: "https://erp.example.internal/health"}, {tcp: "erp-db.example.internal:5432"}]`

// checks reads a system's verify list: each an HTTP or a TCP check.
func (d *decoder) checks(v *yaml.Node, p string) ([]Check, bool) {
	if v.Kind == yaml.ScalarNode && v.Tag == "!!null" {
		return nil, true
	}
	if v.Kind != yaml.SequenceNode {
		d.problem(d.at(v), p, "verify", "must be a list of checks, not "+kindOf(v), checkExample)
		return nil, false
	}
	out := make([]Check, 0, len(v.Content))
	ok := true
	for j, c := range v.Content {
		c = d.visit(c)
		field := "verify[" + strconv.Itoa(j) + "]"
		if c.Kind != yaml.MappingNode {
			d.problem(d.at(c), p, field, "must be a check (a mapping), not "+kindOf(c), checkExample)
			ok = false
			continue
		}
		ch, good := d.check(c, p, field)
		ok = ok && good
		out = append(out, ch)
	}
	if !ok {
		return nil, false
	}
	return out, true
}

// check reads one check and says what is wrong with it: every problem,
// a bad target beside a bad status or timeout (judgeCheck, as Validate
// judges a check built in code).
func (d *decoder) check(n *yaml.Node, p, field string) (Check, bool) {
	var c Check
	ok := true
	var seen [5]*yaml.Node
	var read [5]bool // the field was read without a problem
	d.fields(n, p+"."+field, checkFields, "a check", func(f int, k, v *yaml.Node) {
		seen[f] = v
		good := true
		switch f {
		case 0:
			c.HTTP, good = d.str(v, p+"."+field, "http")
		case 1:
			c.TCP, good = d.str(v, p+"."+field, "tcp")
		case 2:
			c.Status, good = d.smallInt(v, p+"."+field, "status")
		case 3:
			c.Contains, good = d.str(v, p+"."+field, "contains")
		case 4:
			c.TimeoutSeconds, good = d.smallInt(v, p+"."+field, "timeout_seconds")
		}
		read[f] = good
		ok = ok && good
	})
	// The target is judged on what was read, whatever else is wrong: the
	// format reports every problem at once.
	given := checkGiven{
		status:       seen[2] != nil && read[2],
		timeout:      seen[4] != nil && read[4],
		extras:       seen[0] == nil && (seen[2] != nil || seen[3] != nil),
		targetUnread: seen[0] != nil && !read[0] || seen[1] != nil && !read[1],
	}
	at := map[string]*yaml.Node{"": n, "http": seen[0], "tcp": seen[1], "status": seen[2], "timeout_seconds": seen[4]}
	for _, pr := range judgeCheck(c, given) {
		if pr.field == "" {
			d.problem(d.at(n), p, field, pr.msg, pr.fix)
		} else {
			d.problem(d.at(at[pr.field]), p+"."+field, pr.field, pr.msg, pr.fix)
		}
		ok = false
	}
	if !ok {
		return Check{}, false
	}
	return c, true
}

// checkGiven is what judgeCheck is told of how a check was written.
type checkGiven struct {
	// status and timeout: the field was written (so 0 is judged).
	status, timeout bool
	// extras: status or contains written, which a TCP check has not.
	extras bool
	// targetUnread: a target was written but could not be read, so the
	// check is not also said to name none.
	targetUnread bool
}

// checkProblem is one thing wrong with a check; field "" is the check
// itself.
type checkProblem struct{ field, msg, fix string }

// judgeCheck says everything wrong with a check, for the decoder and for
// Validate alike.
func judgeCheck(c Check, g checkGiven) []checkProblem {
	var out []checkProblem
	switch {
	case c.HTTP != "" && c.TCP != "":
		out = append(out, checkProblem{"", "is both an HTTP and a TCP check", "write one check per entry: {http: URL} or {tcp: HOST:PORT}"})
	case c.HTTP == "" && c.TCP == "":
		if !g.targetUnread {
			out = append(out, checkProblem{"", "names no target", checkExample})
		}
	case c.HTTP != "":
		if msg := checkURL(c.HTTP); msg != "" {
			out = append(out, checkProblem{"http", msg, `give the full address of a health page, e.g. "https://erp.example.internal/health"`})
		}
	default:
		if g.extras {
			out = append(out, checkProblem{"", "a TCP check has no status or contains", "leave them out, or make it an HTTP check: {http: URL, status: 200}"})
		}
		if msg := checkHostPort(c.TCP); msg != "" {
			out = append(out, checkProblem{"tcp", msg, `give host and port, e.g. "erp-db.example.internal:5432" or "[2001:db8::7]:443"`})
		}
	}
	if g.status && (c.Status < 100 || c.Status > 599) {
		out = append(out, checkProblem{"status", fmt.Sprintf("%d is not an HTTP status", c.Status), "give the status a healthy system answers, e.g. 200 or 204"})
	}
	if g.timeout && (c.TimeoutSeconds < 1 || c.TimeoutSeconds > MaxCheckTimeout) {
		out = append(out, checkProblem{"timeout_seconds", fmt.Sprintf("%d is out of range", c.TimeoutSeconds),
			fmt.Sprintf("give 1 to %d seconds, or leave it out for %d", MaxCheckTimeout, DefaultCheckTimeout)})
	}
	return out
}

// checkURL says what is wrong with a check's URL ("" when nothing).
func checkURL(s string) string {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return strconv.Quote(shorten(s, 60)) + " is not a URL"
	case u.Scheme != "http" && u.Scheme != "https":
		return strconv.Quote(shorten(s, 60)) + " is not an http:// or https:// address"
	case u.Host == "" || u.Hostname() == "":
		return strconv.Quote(shorten(s, 60)) + " names no host"
	case u.User != nil:
		return "must not carry a user name or password: they would be stored in every estate version"
	}
	return ""
}

// checkHostPort says what is wrong with a TCP check's host:port.
func checkHostPort(s string) string {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return strconv.Quote(shorten(s, 60)) + " is not host:port"
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return "port " + strconv.Quote(shorten(port, 20)) + " is not a number from 1 to 65535"
	}
	return ""
}
