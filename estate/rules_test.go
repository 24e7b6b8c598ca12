package estate

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// head is the start of most test estates: lines 1–6.
const head = `version: 1
organization: Test Ltd
currency: GBP
teams:
  - {id: infra, capacity: 2}
  - {id: dba, capacity: 1}
`

// okSystem is a valid system to append where a case needs one.
const okSystems = `systems:
  - {id: ad, kind: identity, team: infra, restore: 1d}
`

// parseProblems parses the files and returns the problems, failing the
// test when the error is of another type.
func parseProblems(t *testing.T, files ...File) Problems {
	t.Helper()
	_, err := Parse(files...)
	if err == nil {
		return nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Parse error is %T, want Problems: %v", err, err)
	}
	return ps
}

// Each case is one estate file, f.yaml, and the problems expected in
// it: the place ("line:col field") of every problem, and for some the
// exact message and fix after " => ".
func TestRules(t *testing.T) {
	for _, tc := range []struct {
		name string
		yaml string
		want []string
	}{
		{"valid", head + okSystems, nil},

		// The file as a whole.
		{"empty file", "", []string{"0:0 => the file is empty (an estate file starts with \"version: 1\"; see docs/estate-format.md)"}},
		{"only comments", "# nothing here\n", []string{"0:0 "}},
		{"not a mapping", "- a\n- b\n", []string{"1:1 => an estate file is a mapping of version, organization, teams, systems…, not a list (start the file with \"version: 1\" on a line of its own)"}},
		{"two documents", head + okSystems + "---\nversion: 1\n", []string{"9:1 => a second YAML document starts here; an estate file holds one document per file (remove the \"---\" line and merge the two, or move the second document to a file of its own)"}},
		{"empty second document", head + okSystems + "---\n", nil},
		{"syntax error", head + "systems:\n  - id: ad\n   kind: x\n", []string{"7:0 "}},
		{"tab indentation", head + "systems:\n\t- id: ad\n", []string{"8:0 => YAML syntax: found character that cannot start any token (YAML indents with spaces, never tabs; also quote text that starts with @ or `)"}},
		{"version 2", "version: 2\nsystems: [x]\n", []string{"1:10 version => this file is in estate format version 2, but this build of phasegate reads version 1 only (write \"version: 1\", or use a phasegate that reads version 2)"}},
		{"version text", "version: \"1\"\n", []string{"1:10 version => must be a whole number, not the text \"1\" (remove the quotes around the number)"}},
		{"version missing", strings.TrimPrefix(head, "version: 1\n") + okSystems, []string{"1:1 version => is missing (start every estate file with \"version: 1\")"}},
		{"unknown top-level field", head + okSystems + "sytems: []\n", []string{"9:1 sytems => unknown field (did you mean \"systems\"?)"}},
		{"unknown field, no suggestion", head + okSystems + "colour: blue\n", []string{"9:1 colour => unknown field (the fields of the estate are version, organization, currency, start, clearance_team, teams, systems, services, backlogs)"}},
		{"duplicate key", head + okSystems + "currency: EUR\n", []string{"9:1 currency => is written twice; it was first set at line 3 (keep one of the two)"}},
		{"no systems", head, []string{"0:0 systems => the estate has no systems (list the systems to restore under \"systems:\")"}},
		{"organization missing", "version: 1\ncurrency: GBP\nteams: [{id: infra, capacity: 1}]\n" + okSystems, []string{"0:0 organization => is missing (name the organisation, e.g. \"organization: Example Motors plc\")"}},
		{"organization empty", "version: 1\norganization:\ncurrency: GBP\nteams: [{id: infra, capacity: 1}]\n" + okSystems, []string{"2:14 organization => has no value (name the organisation, e.g. \"organization: Example Motors plc\")"}},
		{"currency missing", "version: 1\norganization: T\nteams: [{id: infra, capacity: 1}]\n" + okSystems, []string{"0:0 currency"}},
		{"currency lower case", strings.Replace(head, "GBP", "gbp", 1) + okSystems, []string{"3:11 currency => \"gbp\" is not an ISO 4217 currency code (write it in capitals: GBP)"}},
		{"currency unknown", strings.Replace(head, "GBP", "GPB", 1) + okSystems, []string{"3:11 currency => \"GPB\" is not a current ISO 4217 currency code (did you mean \"GBP\"?)"}},
		{"currency not a code", strings.Replace(head, "GBP", "pounds", 1) + okSystems, []string{"3:11 currency"}},
		{"start date only", head + okSystems + "start: 2025-09-01\n", []string{"9:8 start => \"2025-09-01\" is not an RFC 3339 time (write the date, time and zone, e.g. 2025-09-01T08:00:00Z or 2025-09-01T09:00:00+01:00)"}},
		{"start ok", head + okSystems + "start: 2025-09-01T08:00:00+01:00\n", nil},
		{"clearance team unknown", head + okSystems + "clearance_team: forensic\n", []string{"9:17 clearance_team => \"forensic\" is not a team (define a team with that id, or correct the name)"}},
		{"teams not a list", "version: 1\norganization: T\ncurrency: GBP\nteams: {infra: 2}\n" + okSystems, []string{"4:8 teams => must be a list of teams, not a mapping (write each team on a line of its own starting with \"- \")", "6:36 systems[ad].team"}},

		// Teams.
		{"team capacity zero", head + "  - {id: ops, capacity: 0}\n" + okSystems, []string{"7:25 teams[ops].capacity => is 0; a team's capacity is at least 1 (say how many restores the team can carry at once, e.g. \"capacity: 2\")"}},
		{"team capacity negative", head + "  - {id: ops, capacity: -3}\n" + okSystems, []string{"7:25 teams[ops].capacity"}},
		{"team capacity missing", head + "  - {id: ops}\n" + okSystems, []string{"7:5 teams[ops].capacity => is missing (say how many restores the team can carry at once, e.g. \"capacity: 2\")"}},
		{"team capacity text", head + "  - {id: ops, capacity: \"2\"}\n" + okSystems, []string{"7:25 teams[ops].capacity => must be a whole number, not the text \"2\" (remove the quotes around the number)"}},
		{"team capacity decimal", head + "  - {id: ops, capacity: 2.5}\n" + okSystems, []string{"7:25 teams[ops].capacity => must be a whole number, not 2.5 (round it, e.g. 3)"}},
		{"team capacity huge", head + "  - {id: ops, capacity: 99999999999999999999}\n" + okSystems, []string{"7:25 teams[ops].capacity => 99999999999999999999 is too large (whole numbers in an estate are at most 1000000000)"}},
		{"team capacity infinite", head + "  - {id: ops, capacity: .inf}\n" + okSystems, []string{"7:25 teams[ops].capacity"}},
		{"team capacity whole float", head + "  - {id: ops, capacity: 2.0}\n" + okSystems, nil},
		{"team not a mapping", head + "  - ops\n" + okSystems, []string{"7:5 teams[#3] => each team must be a mapping of its fields, not the text \"ops\" (write it as \"- {id: dba, capacity: 2}\")"}},
		{"team duplicate id", head + "  - {id: dba, capacity: 3}\n" + okSystems, []string{"7:10 teams[dba].id => \"dba\" is already the id of the team at f.yaml:6:5 (give every team an id of its own)"}},
		{"team id missing", head + "  - {capacity: 3}\n" + okSystems, []string{"7:5 teams[#3].id => is missing (give every team an id, e.g. \"id: dba\")"}},
		{"team id invalid", head + "  - {id: sap basis, capacity: 3}\n" + okSystems, []string{"7:10 teams[sap basis].id => \"sap basis\" is not a valid id (use letters, digits, '.', '_' and '-', starting with a letter or digit, e.g. \"sap-basis\"; put free text in name)"}},
		{"team id leading dash", head + "  - {id: -ops, capacity: 3}\n" + okSystems, []string{"7:10 teams[-ops].id"}},
		{"team id too long", head + "  - {id: " + strings.Repeat("a", 129) + ", capacity: 3}\n" + okSystems, []string{"7:10 teams[#3].id => is 129 characters long; ids are at most 128 (shorten it; the name field can hold a longer description)"}},
		{"team id number", head + "  - {id: 42, capacity: 3}\n" + okSystems, nil},
		{"team name empty", head + "  - {id: ops, name: \"\", capacity: 3}\n" + okSystems, []string{"7:21 teams[ops].name => has no value (write a name, or leave the line out to use the id)"}},
		{"team unknown field", head + "  - {id: ops, capacty: 3}\n" + okSystems, []string{"7:5 teams[ops].capacity", "7:15 teams[ops].capacty => unknown field (did you mean \"capacity\"?)"}},

		// Systems.
		{"system missing kind team restore", head + "systems:\n  - id: ad\n", []string{
			"8:5 systems[ad].restore => is missing (say how long the restore takes, e.g. \"restore: 1d\" or \"restore: {min: 1d, likely: 2d, max: 4d}\")",
			"8:5 systems[ad].kind => is missing (say what kind of system it is: one of identity, network, infrastructure, security, data, application, saas, ot, endpoint, other)",
			"8:5 systems[ad].team => is missing (name the team that restores it, e.g. \"team: infra\")"}},
		{"system unknown kind", head + "systems:\n  - {id: ad, kind: idnetity, team: infra, restore: 1d}\n", []string{"8:20 systems[ad].kind => unknown kind \"idnetity\" (did you mean \"identity\"?)"}},
		{"system kind far off", head + "systems:\n  - {id: ad, kind: mainframe, team: infra, restore: 1d}\n", []string{"8:20 systems[ad].kind => unknown kind \"mainframe\" (the kinds are identity, network, infrastructure, security, data, application, saas, ot, endpoint, other)"}},
		{"system kind a list", head + "systems:\n  - {id: ad, kind: [identity], team: infra, restore: 1d}\n", []string{"8:20 systems[ad].kind => must be text, not a list (write a single value; quote it if it contains \": \" or starts with [ or {)"}},
		{"system unknown team", head + "systems:\n  - {id: ad, kind: identity, team: infr, restore: 1d}\n", []string{"8:36 systems[ad].team => \"infr\" is not a team (did you mean \"infra\"?)"}},
		{"system team names a system", head + "systems:\n  - {id: ad, kind: identity, team: ad, restore: 1d}\n", []string{"8:36 systems[ad].team => \"ad\" is not a team (\"ad\" is the id of a system, not of a team)"}},
		{"system criticality 0", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, criticality: 0}\n", []string{"8:69 systems[ad].criticality => is 0; criticality runs from 1 (highest) to 4 (write 1, 2, 3 or 4, or leave it out for 3)"}},
		{"system criticality 5", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, criticality: 5}\n", []string{"8:69 systems[ad].criticality"}},
		{"system criticality text", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, criticality: high}\n", []string{"8:69 systems[ad].criticality => must be a whole number, not the text \"high\" (write a number such as 2)"}},
		{"system two_person text", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, two_person: yes}\n", []string{"8:68 systems[ad].two_person => must be true or false, not the text \"yes\" (write two_person: true)"}},
		{"system duplicate id", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d}\n  - {id: ad, kind: identity, team: infra, restore: 1d}\n", []string{"9:10 systems[ad].id => \"ad\" is already the id of the system at f.yaml:8:5 (give every system an id of its own)"}},
		{"system not a mapping", head + "systems:\n  - ad\n", []string{"8:5 systems[#1] => each system must be a mapping of its fields, not the text \"ad\" (write it as \"- {id: ad, kind: identity, team: infra, restore: 2d}\")"}},
		{"system key not text", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, [a]: b}\n", []string{"8:56 systems[ad] => a key must be a plain name, not a list (write \"name: value\")"}},
		{"verify ok", head + "systems:\n  - id: ad\n    kind: identity\n    team: infra\n    restore: 1d\n    verify:\n      - {http: \"https://ad.example/health\", status: 204, contains: ok, timeout_seconds: 10}\n      - {tcp: \"[2001:db8::7]:636\"}\n", nil},
		{"verify not a list", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: \"https://ad\"}\n", []string{"8:64 systems[ad].verify => must be a list of checks, not the text \"https://ad\" (write e.g. verify: [{http: \"https://erp.example.internal/health\"}, {tcp: \"erp-db.example.internal:5432\"}])"}},
		{"verify both", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{http: \"https://ad\", tcp: \"ad:389\"}]}\n", []string{"8:65 systems[ad].verify[0] => is both an HTTP and a TCP check (write one check per entry: {http: URL} or {tcp: HOST:PORT})"}},
		{"verify no target", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{status: 200}]}\n", []string{"8:65 systems[ad].verify[0] "}},
		{"verify bad url", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{http: \"ftp://ad/x\"}]}\n", []string{"8:72 systems[ad].verify[0].http => \"ftp://ad/x\" is not an http:// or https:// address (give the full address of a health page, e.g. \"https://erp.example.internal/health\")"}},
		{"verify url with password", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{http: \"https://u:p@ad/\"}]}\n", []string{"8:72 systems[ad].verify[0].http "}},
		{"verify bad port", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{tcp: \"ad:70000\"}]}\n", []string{"8:71 systems[ad].verify[0].tcp => port \"70000\" is not a number from 1 to 65535 (give host and port, e.g. \"erp-db.example.internal:5432\" or \"[2001:db8::7]:443\")"}},
		{"verify no port", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{tcp: ad}]}\n", []string{"8:71 systems[ad].verify[0].tcp "}},
		{"verify tcp with status", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{tcp: \"ad:389\", status: 200}]}\n", []string{"8:65 systems[ad].verify[0] "}},
		{"verify status range", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{http: \"https://ad/\", status: 42}]}\n", []string{"8:95 systems[ad].verify[0].status "}},
		{"verify timeout range", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{tcp: \"ad:389\", timeout_seconds: 0}]}\n", []string{"8:98 systems[ad].verify[0].timeout_seconds "}},
		// Every problem of one check at once, not only the first ones found.
		{"verify bad url, status and timeout", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{http: \"ftp://x\", status: 99, timeout_seconds: 99}]}\n", []string{
			"8:72 systems[ad].verify[0].http => \"ftp://x\" is not an http:// or https:// address (give the full address of a health page, e.g. \"https://erp.example.internal/health\")",
			"8:91 systems[ad].verify[0].status => 99 is not an HTTP status (give the status a healthy system answers, e.g. 200 or 204)",
			"8:112 systems[ad].verify[0].timeout_seconds => 99 is out of range (give 1 to 60 seconds, or leave it out for 5)"}},
		{"verify tcp with status and a bad port", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{tcp: \"ad:0\", status: 200}]}\n", []string{
			"8:65 systems[ad].verify[0] => a TCP check has no status or contains (leave them out, or make it an HTTP check: {http: URL, status: 200})",
			"8:71 systems[ad].verify[0].tcp => port \"0\" is not a number from 1 to 65535 (give host and port, e.g. \"erp-db.example.internal:5432\" or \"[2001:db8::7]:443\")"}},
		{"verify bad port and timeout", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{tcp: \"ad\", timeout_seconds: 61}]}\n", []string{
			"8:71 systems[ad].verify[0].tcp => \"ad\" is not host:port (give host and port, e.g. \"erp-db.example.internal:5432\" or \"[2001:db8::7]:443\")",
			"8:94 systems[ad].verify[0].timeout_seconds => 61 is out of range (give 1 to 60 seconds, or leave it out for 5)"}},
		{"verify http not text beside a tcp", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{http: [x], tcp: \"ad:1\", status: 200}]}\n", []string{
			"8:72 systems[ad].verify[0].http => must be text, not a list (write a single value; quote it if it contains \": \" or starts with [ or {)"}},
		{"estimate bad part and a part missing", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: {min: 1x, likely: 2d}}\n", []string{
			"8:52 systems[ad].restore => a three-point estimate needs min, likely and max; max missing (write e.g. {min: 1d, likely: 2d, max: 4d}, or a single duration such as 2d)",
			"8:58 systems[ad].restore.min "}},
		{"output bad amount and unit missing", head + okSystems + "services:\n  - {id: s, requires: [ad], output_per_day: {amount: lots}}\n", []string{
			"10:45 services[s].output_per_day => needs both amount and unit (write e.g. \"output_per_day: {amount: 400, unit: vehicles}\")",
			"10:54 services[s].output_per_day.amount => must be a number, not the text \"lots\" (write a number such as 1200 or 0.5, without currency signs or thousands separators)"}},
		{"verify unknown field", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, verify: [{tcp: \"ad:389\", timeout: 5}]}\n", []string{"8:81 systems[ad].verify[0].timeout => unknown field (the fields of a check are http, tcp, status, contains, timeout_seconds)"}},
		{"system checklist empty entry", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, checklist: [\"\"]}\n", []string{"8:67 systems[ad].checklist[0] => is empty (remove the empty entry)"}},
		{"system checklist with keys", head + "systems:\n  - id: ad\n    kind: identity\n    team: infra\n    restore: 1d\n    checklist:\n      - Vendor sign-off\n      - {key: dc-rebuilt, text: Domain controllers rebuilt}\n      - key: gpo-review\n        text: Group policies reviewed\n", nil},
		{"system checklist item without text", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, checklist: [{key: dc}]}\n", []string{"8:68 systems[ad].checklist[0] => has no text (say what must be done, e.g. {key: backup-catalogue, text: \"Backup catalogue checked\"})"}},
		{"system checklist item without key", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, checklist: [{text: DCs rebuilt}]}\n", []string{"8:68 systems[ad].checklist[0] => has no key (give the key its ticks are kept under, e.g. {key: backup-catalogue, text: \"…\"}, or write the item as its text alone)"}},
		{"system checklist item unknown field", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, checklist: [{key: dc, text: x, note: y}]}\n", []string{"8:87 systems[ad].checklist[0].note"}},
		{"system checklist item a list", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, checklist: [[a]]}\n", []string{"8:68 systems[ad].checklist[0]"}},
		{"system checklist bad key", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, checklist: [{key: DC_1, text: x}]}\n", []string{"8:67 systems[ad].checklist[0].key => \"DC_1\" has 'D': use lower-case letters, digits and inner dashes (e.g. key: backup-catalogue)"}},
		{"system checklist duplicate key", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, checklist: [{key: dc, text: x}, {key: dc, text: y}]}\n", []string{"8:67 systems[ad].checklist[1].key => \"dc\" is also the key of checklist[0] (give each item its own key: ticks are kept under it)"}},
		{"system owners not a list", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, owners: jane}\n", []string{"8:64 systems[ad].owners => must be a list, not the text \"jane\" (write a list even for one value: owners: [jane])"}},
		{"system name with control character", head + "systems:\n  - {id: ad, name: \"A\\x01D\", kind: identity, team: infra, restore: 1d}\n", []string{"8:20 systems[ad].name => holds line breaks, tabs or control characters or invalid UTF-8 (write plain text, saved as UTF-8)"}},
		{"system description multi-line", head + "systems:\n  - id: ad\n    kind: identity\n    team: infra\n    restore: 1d\n    description: |\n      two\n      lines\n", nil},

		// Requires and cycles.
		{"requires unknown", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d}\n  - {id: dns, kind: network, team: infra, restore: 1d, requires: [ab]}\n", []string{"9:67 systems[dns].requires => \"ab\" is not a system (did you mean \"ad\"?)"}},
		{"requires a team", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, requires: [dba]}\n", []string{"8:67 systems[ad].requires => \"dba\" is not a system (\"dba\" is the id of a team, not of a system)"}},
		{"requires a mapping", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, requires: {dns: 1}}\n", []string{"8:66 systems[ad].requires => must be a list, not a mapping (write a list, e.g. requires: [ad, network])"}},
		{"requires twice", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d}\n  - {id: dns, kind: network, team: infra, restore: 1d, requires: [ad, ad]}\n", []string{"9:71 systems[dns].requires => lists \"ad\" twice (remove the second; if another system was meant, name that one)"}},
		{"requires itself", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, requires: [ad]}\n", []string{"8:67 systems[ad].requires => dependency cycle: ad → ad (each system waits for the next, so none of them can ever start: remove one requires entry on the cycle)"}},
		{"cycle of three", head + `systems:
  - {id: a, kind: other, team: infra, restore: 1d, requires: [b]}
  - {id: b, kind: other, team: infra, restore: 1d, requires: [x, c]}
  - {id: c, kind: other, team: infra, restore: 1d, requires: [a]}
  - {id: x, kind: other, team: infra, restore: 1d}
`, []string{"8:63 systems[a].requires => dependency cycle: a → b → c → a (each system waits for the next, so none of them can ever start: remove one requires entry on the cycle)"}},
		{"two cycles", head + `systems:
  - {id: a, kind: other, team: infra, restore: 1d, requires: [b]}
  - {id: b, kind: other, team: infra, restore: 1d, requires: [a]}
  - {id: c, kind: other, team: infra, restore: 1d, requires: [d]}
  - {id: d, kind: other, team: infra, restore: 1d, requires: [c, a]}
`, []string{"8:63 systems[a].requires => dependency cycle: a → b → a (each system waits for the next, so none of them can ever start: remove one requires entry on the cycle)",
			"10:63 systems[c].requires => dependency cycle: c → d → c (each system waits for the next, so none of them can ever start: remove one requires entry on the cycle)"}},
		{"knot with more members", head + `systems:
  - {id: a, kind: other, team: infra, restore: 1d, requires: [b, c]}
  - {id: b, kind: other, team: infra, restore: 1d, requires: [a]}
  - {id: c, kind: other, team: infra, restore: 1d, requires: [d]}
  - {id: d, kind: other, team: infra, restore: 1d, requires: [a]}
`, []string{"8:63 systems[a].requires => dependency cycle: a → b → a; 2 more systems are caught in the same knot: c, d (each system waits for the next, so none of them can ever start: remove one requires entry on the cycle)"}},

		// Durations and estimates.
		{"restore bare number", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 3}\n", []string{"8:52 systems[ad].restore => \"3\" has no unit (add a unit: 3m for minutes, 3h for hours, 3d for days)"}},
		{"restore unknown unit", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 3 days}\n", []string{"8:52 systems[ad].restore => unknown unit \"days\" in \"3 days\" (write 3d)"}},
		{"restore negative", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: -1d}\n", []string{"8:52 systems[ad].restore => \"-1d\" is negative; durations cannot be (write how long the work takes, e.g. 4h)"}},
		{"restore zero", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 0m}\n", nil},
		{"restore too long", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 11000d}\n", []string{"8:52 systems[ad].restore => \"11000d\" is longer than 3650d (a restore or clearance that long is a mistake; check the number and the unit)"}},
		{"restore null", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: }\n", []string{"8:52 systems[ad].restore"}},
		{"restore a list", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: [1d]}\n", []string{"8:52 systems[ad].restore => must be a duration or a three-point estimate, not a list (write a duration such as 2d, or {min: 1d, likely: 2d, max: 4d})"}},
		{"restore three-point", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: {min: 1d, likely: 2d, max: 4d}}\n", nil},
		{"restore min above likely", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: {min: 3d, likely: 2d, max: 4d}}\n", []string{"8:52 systems[ad].restore => min 3d is more than likely 2d (order the estimate so that min ≤ likely ≤ max)"}},
		{"restore likely above max", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: {min: 1d, likely: 5d, max: 4d}}\n", []string{"8:52 systems[ad].restore => likely 5d is more than max 4d (order the estimate so that min ≤ likely ≤ max)"}},
		{"restore max missing", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: {min: 1d, likely: 2d}}\n", []string{"8:52 systems[ad].restore => a three-point estimate needs min, likely and max; max missing (write e.g. {min: 1d, likely: 2d, max: 4d}, or a single duration such as 2d)"}},
		{"restore estimate unknown field", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: {min: 1d, likely: 2d, max: 4d, mode: 2d}}\n", []string{"8:83 systems[ad].restore.mode => unknown field (the fields of an estimate are min, likely, max)"}},
		{"restore estimate bad part", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: {min: 1, likely: 2d, max: 4d}}\n", []string{"8:58 systems[ad].restore.min => \"1\" has no unit (add a unit: 1m for minutes, 1h for hours, 1d for days)"}},
		{"clearance without clearance team", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, clearance: 4h}\n  - {id: dns, kind: network, team: infra, restore: 1d, clearance: 4h}\n", []string{"8:67 systems[ad].clearance => this and 1 more system need a forensic clearance, but the estate names no clearance_team to do it (add \"clearance_team: <team id>\" at the top of the estate, naming the team of forensic investigators)"}},
		{"clearance with clearance team", head + "clearance_team: dba\nsystems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, clearance: {min: 1h, likely: 2h, max: 8h}}\n", nil},

		// Needs.
		{"needs ok", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, needs: {infra: 2, dba: 1}}\n", nil},
		{"needs above capacity", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, needs: {infra: 3, dba: 1}}\n", []string{"8:64 systems[ad].needs.infra => needs 3 units of team infra, but infra has a capacity of 2: the restore could never be scheduled (lower the need to at most 2, or raise the capacity of infra to 3)"}},
		{"needs unknown team", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, needs: {dbas: 1}}\n", []string{"8:64 systems[ad].needs => \"dbas\" is not a team (did you mean \"dba\"?)"}},
		{"needs zero units", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, needs: {dba: 0}}\n", []string{"8:64 systems[ad].needs.dba => is 0 units; a need is at least 1 (write how many people of the team the restore takes, or remove the team)"}},
		{"needs empty", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, needs: {}}\n", []string{"8:63 systems[ad].needs => is empty (name at least one team, e.g. needs: {dba: 1}, or leave needs out to take one unit of the system's own team)"}},
		{"needs a list", head + "systems:\n  - {id: ad, kind: identity, team: infra, restore: 1d, needs: [dba]}\n", []string{"8:63 systems[ad].needs => must be a mapping of team to units, not a list (write e.g. needs: {sap-basis: 2, dba: 1})"}},
		{"needs team twice", head + "systems:\n  - id: ad\n    kind: identity\n    team: infra\n    restore: 1d\n    needs:\n      dba: 1\n      dba: 1\n", []string{"14:7 systems[ad].needs => team \"dba\" is written twice; it was first named at line 13 (keep one of the two)"}},
		{"needs default over capacity", "version: 1\norganization: T\ncurrency: GBP\nteams: [{id: infra, capacity: 0}]\n" + okSystems, []string{"4:31 teams[infra].capacity"}},

		// Services.
		{"service ok", head + okSystems + "services:\n  - {id: s, requires: [ad], revenue_per_day: 1_000_000, cost_per_day: 2.5e3, output_per_day: {amount: 400, unit: vehicles}, people_idle: 10, audiences: [customers, dealers]}\n", nil},
		{"service requires nothing", head + okSystems + "services:\n  - {id: s, requires: []}\n", []string{"10:23 services[s].requires => requires no system (list the systems the service cannot run without, e.g. \"requires: [sap-erp]\")"}},
		{"service requires missing", head + okSystems + "services:\n  - {id: s}\n", []string{"10:5 services[s].requires => is missing (list the systems the service cannot run without, e.g. \"requires: [sap-erp]\")"}},
		{"service requires unknown", head + okSystems + "services:\n  - {id: s, requires: [ab]}\n", []string{"10:24 services[s].requires => \"ab\" is not a system (did you mean \"ad\"?)"}},
		{"service requires twice", head + okSystems + "services:\n  - {id: s, requires: [ad, ad]}\n", []string{"10:28 services[s].requires"}},
		{"service negative cost", head + okSystems + "services:\n  - {id: s, requires: [ad], cost_per_day: -1}\n", []string{"10:43 services[s].cost_per_day => is -1; it must be a number of at least 0 (write the amount per day in the estate's currency, or 0)"}},
		{"service revenue text", head + okSystems + "services:\n  - {id: s, requires: [ad], revenue_per_day: £7m}\n", []string{"10:46 services[s].revenue_per_day => must be a number, not the text \"£7m\" (write a number such as 1200 or 0.5, without currency signs or thousands separators)"}},
		{"service revenue NaN", head + okSystems + "services:\n  - {id: s, requires: [ad], revenue_per_day: .nan}\n", []string{"10:46 services[s].revenue_per_day => must be a finite number, not .nan (write a number such as 1200 or 0.5)"}},
		{"service revenue overflows", head + okSystems + "services:\n  - {id: s, requires: [ad], revenue_per_day: 1e999}\n", []string{"10:46 services[s].revenue_per_day => 1e999 is too large (write a number below 1e300)"}},
		{"service output without unit", head + okSystems + "services:\n  - {id: s, requires: [ad], output_per_day: {amount: 400}}\n", []string{"10:45 services[s].output_per_day => needs both amount and unit (write e.g. \"output_per_day: {amount: 400, unit: vehicles}\")"}},
		{"service output a number", head + okSystems + "services:\n  - {id: s, requires: [ad], output_per_day: 400}\n", []string{"10:45 services[s].output_per_day"}},
		{"service people_idle negative", head + okSystems + "services:\n  - {id: s, requires: [ad], people_idle: -5}\n", []string{"10:42 services[s].people_idle => is -5; it cannot be negative (write how many people cannot work while the service is down, or 0)"}},
		{"service audience capitalised", head + okSystems + "services:\n  - {id: s, requires: [ad], audiences: [Customers]}\n", []string{"10:40 services[s].audiences[0] => \"Customers\" is not an audience (write a lower-case word such as colleagues, suppliers, retailers, customers or regulators)"}},
		{"service duplicate id", head + okSystems + "services:\n  - {id: s, requires: [ad]}\n  - {id: s, requires: [ad]}\n", []string{"11:10 services[s].id"}},

		// Backlogs.
		{"backlog ok", head + okSystems + backlogHead + "    items:\n      - {id: I-1, supplier: acme, amount: 10, due: 2025-10-01, received: 2025-09-01T10:00:00Z, critical: true}\n", nil},
		{"backlog unknown service", head + okSystems + "services: [{id: pay, requires: [ad]}]\nbacklogs:\n  - {id: inv, service: paye, unit: invoices, accrues_per_day: 1, capacity_per_day: 2}\n", []string{"11:24 backlogs[inv].service => \"paye\" is not a service (did you mean \"pay\"?)"}},
		{"backlog missing fields", head + okSystems + "services: [{id: pay, requires: [ad]}]\nbacklogs:\n  - {id: inv}\n", []string{
			"11:5 backlogs[inv].accrues_per_day => is missing (say how many items per day, e.g. \"accrues_per_day: 300\")",
			"11:5 backlogs[inv].capacity_per_day => is missing (say how many items per day, e.g. \"capacity_per_day: 300\")",
			"11:5 backlogs[inv].service => is missing (name the service whose downtime piles up this work, e.g. \"service: pay-suppliers\")",
			"11:5 backlogs[inv].unit => is missing (name what piles up, e.g. \"unit: invoices\")"}},
		{"backlog zero capacity", head + okSystems + "services: [{id: pay, requires: [ad]}]\nbacklogs:\n  - {id: inv, service: pay, unit: invoices, accrues_per_day: 1, capacity_per_day: 0}\n", []string{"11:83 backlogs[inv].capacity_per_day => is 0, so the backlog could never clear (write how many invoices the team clears per day once the service is back)"}},
		{"backlog negative accrual", head + okSystems + "services: [{id: pay, requires: [ad]}]\nbacklogs:\n  - {id: inv, service: pay, unit: invoices, accrues_per_day: -1, capacity_per_day: 2}\n", []string{"11:62 backlogs[inv].accrues_per_day => is -1; it must be a number of at least 0 (write how many invoices per day)"}},
		{"backlog unknown policy", head + okSystems + "services: [{id: pay, requires: [ad]}]\nbacklogs:\n  - {id: inv, service: pay, unit: invoices, accrues_per_day: 1, capacity_per_day: 2, policy: oldest-frist}\n", []string{"11:94 backlogs[inv].policy => unknown policy \"oldest-frist\" (did you mean \"oldest-first\"?)"}},
		{"backlog items wrong type", head + okSystems + backlogHead + "    items: 42\n", []string{"16:12 backlogs[inv].items"}},
		{"backlog items number as path", head + okSystems + backlogHead + "    items: {a: b}\n", []string{"16:12 backlogs[inv].items => must be the name of a CSV file or a list of items, not a mapping (write \"items: invoices.csv\" or a list of {id, supplier, amount, due, received, critical})"}},
		{"backlog items file not given", head + okSystems + backlogHead + "    items: invoices.csv\n", []string{"16:12 backlogs[inv].items => the items file invoices.csv was not given (pass the file along with the estate files)"}},
		{"backlog item duplicate id", head + okSystems + backlogHead + "    items:\n      - {id: I-1}\n      - {id: I-1}\n", []string{"18:14 backlogs[inv].items[#2].id => \"I-1\" is already the id of the item at f.yaml:17:9 (give every item of a backlog an id of its own)"}},
		{"backlog item bad date", head + okSystems + backlogHead + "    items:\n      - {id: I-1, due: 2025-13-01}\n", []string{"17:24 backlogs[inv].items[I-1].due => \"2025-13-01\" is not a date (YYYY-MM-DD) or an RFC 3339 time (write e.g. 2025-10-01 or 2025-10-01T09:00:00Z)"}},
		{"backlog item missing id", head + okSystems + backlogHead + "    items:\n      - {supplier: acme}\n", []string{"17:9 backlogs[inv].items[#1].id => is missing (give every item an id, such as its invoice number)"}},
		{"backlog item negative amount", head + okSystems + backlogHead + "    items:\n      - {id: I-1, amount: -3}\n", []string{"17:27 backlogs[inv].items[#1].amount"}},
		{"backlog item unknown field", head + okSystems + backlogHead + "    items:\n      - {id: I-1, ammount: 3}\n", []string{"17:19 backlogs[inv].items[I-1].ammount => unknown field (did you mean \"amount\"?)"}},

		// YAML features.
		{"anchors and merge keys", head + `defaults: &d {kind: application, team: infra, restore: 1d}
systems:
  - {<<: *d, id: a}
  - {<<: *d, id: b, restore: 2d}
`, []string{"7:1 defaults => unknown field (the fields of the estate are version, organization, currency, start, clearance_team, teams, systems, services, backlogs)"}},
		{"merge keys", head + `systems:
  - &a {id: a, kind: application, team: infra, restore: 1d}
  - {<<: *a, id: b, requires: [a]}
  - {<<: [*a], id: c, requires: [b]}
`, nil},
		{"merge of a scalar", head + "systems:\n  - {<<: 3, id: a, kind: application, team: infra, restore: 1d}\n", []string{"8:10 systems[a].<< => can merge only mappings, not the number 3 (write \"<<: *defaults\" where &defaults names a mapping)"}},
		{"alias to a bad value is reported once", head + `systems:
  - {id: a, kind: application, team: infra, restore: &r 3}
  - {id: b, kind: application, team: infra, restore: *r}
`, []string{"8:54 systems[a].restore"}},
		{"alias loop", head + "systems: &s [*s]\n", []string{"7:10 systems[#1] => each system must be a mapping of its fields, not a list (write it as \"- {id: ad, kind: identity, team: infra, restore: 2d}\")"}},
		{"unknown anchor", head + "systems: *nope\n", []string{"7:10 => YAML syntax: unknown anchor 'nope' referenced (define each anchor (&name) once, before any alias (*name) to it)"}},
		{"JSON", `{"version": 1, "organization": "T", "currency": "GBP", "teams": [{"id": "infra", "capacity": 1}],
 "systems": [{"id": "ad", "kind": "identity", "team": "infra", "restore": "1d"}]}`, nil},
		{"JSON trailing comma", `{"version": 1, "organization": "T", "currency": "GBP", "teams": [{"id": "infra", "capacity": 1},],
 "systems": [{"id": "ad", "kind": "identity", "team": "infra", "restore": "1d"}]}`, nil},
		{"byte order mark", "\ufeff" + head + okSystems, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := parseProblems(t, File{Name: "f.yaml", Data: []byte(tc.yaml)})
			checkProblems(t, ps, "f.yaml", tc.want)
		})
	}
}

const backlogHead = `services: [{id: pay, requires: [ad]}]
backlogs:
  - id: inv
    service: pay
    unit: invoices
    accrues_per_day: 1
    capacity_per_day: 2
`

// checkProblems compares problems with the expected places (and, after
// " => ", messages), in order.
func checkProblems(t *testing.T, ps Problems, file string, want []string) {
	t.Helper()
	if len(ps) != len(want) {
		t.Errorf("got %d problems, want %d:\n%v", len(ps), len(want), ps)
		return
	}
	for i, p := range ps {
		place, msg, full := strings.Cut(want[i], " => ")
		got := fmt.Sprintf("%d:%d %s", p.Line, p.Column, p.Field)
		if p.File != file && p.File != "" {
			t.Errorf("problem %d is in %s, want %s", i, p.File, file)
		}
		if strings.TrimSpace(got) != strings.TrimSpace(place) {
			t.Errorf("problem %d at %q, want %q\n  %s", i, got, place, p)
		}
		if full {
			gotMsg := p.Message
			if p.Fix != "" {
				gotMsg += " (" + p.Fix + ")"
			}
			if gotMsg != msg {
				t.Errorf("problem %d message\n got: %s\nwant: %s", i, gotMsg, msg)
			}
		}
	}
}
