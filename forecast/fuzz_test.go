package forecast

import (
	"encoding/json"
	"reflect"
	"testing"
)

// The what-if change parsers take text from the command line and the API:
// no input may panic, and whatever parses writes back (String) to text
// that parses to the same change.

func FuzzParseCapacityChange(f *testing.F) {
	for _, s := range []string{"forensics=8", "forensics=+2", "dba=-1", "x=0", "=", "a=b=c", "t=99999999999999999999", "t=+-1", "ö=1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseCapacityChange(s)
		if err != nil {
			return
		}
		back, err := ParseCapacityChange(c.String())
		if err != nil || back != c {
			t.Fatalf("%q parsed to %+v, written as %q, read back as %+v, %v", s, c, c.String(), back, err)
		}
	})
}

func FuzzParseEstimateChange(f *testing.F) {
	for _, s := range []string{"sap=3d", "sap=2d/3d/5d", "sap=-12h", "sap=+1d12h", "sap=none", "sap=1.5d", "sap=3", "x=1w/2w/1w", "x=+0m", "x=//", "x=3650d"} {
		f.Add(s, true)
	}
	f.Add("sap=none", false)
	f.Fuzz(func(t *testing.T, s string, removable bool) {
		c, err := ParseEstimateChange(FlagClearance, s, removable)
		if err != nil {
			return
		}
		back, err := ParseEstimateChange(FlagClearance, c.String(), removable)
		if err != nil || !reflect.DeepEqual(back, c) {
			t.Fatalf("%q parsed to %+v, written as %q, read back as %+v, %v", s, c, c.String(), back, err)
		}
		if e := c.Estimate; e != nil && (e.Min > e.Likely || e.Likely > e.Max || e.Min < 0) {
			t.Fatalf("%q gave the unordered estimate %+v", s, *e)
		}
	})
}

func FuzzParseDependency(f *testing.F) {
	for _, s := range []string{"mes:sap", "a:b:c", ":", "a:", " a : b "} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := ParseDependency(s)
		if err != nil {
			return
		}
		back, err := ParseDependency(d.String())
		if err != nil || back != d {
			t.Fatalf("%q parsed to %+v, written as %q, read back as %+v, %v", s, d, d.String(), back, err)
		}
	})
}

func FuzzParseCompromised(f *testing.F) {
	for _, s := range []string{"crm-saas", "", " x ", "a b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, err := ParseCompromised(s)
		if err != nil {
			return
		}
		if back, err := ParseCompromised(id); err != nil || back != id {
			t.Fatalf("%q parsed to %q, which reads back as %q, %v", s, id, back, err)
		}
	})
}

func FuzzScenarioJSON(f *testing.F) {
	for _, s := range []string{`{"team_capacity":["forensics=8"]}`, `{"clearance":["a=1d/2d/3d","b=none"],"restore":["c=-1h"]}`, `{"compromised":[""]}`, `{"drop_dependency":["a:b"]}`, `[]`, `{"restore":[1]}`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var sc Scenario
		if json.Unmarshal([]byte(s), &sc) != nil {
			return
		}
		out, err := json.Marshal(sc)
		if err != nil {
			t.Fatalf("%q decoded but does not encode: %v", s, err)
		}
		var back Scenario
		if err := json.Unmarshal(out, &back); err != nil || !reflect.DeepEqual(back, sc) {
			t.Fatalf("%q: written as %s, read back as %+v, %v", s, out, back, err)
		}
	})
}
