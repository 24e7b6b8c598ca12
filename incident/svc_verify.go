package incident

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// Verifying a restore: the checks the estate gives a system (estate.Check)
// run from the server when someone asks, through a Prober (the adapter
// that does the network I/O, package probe), and each run is an event. A
// system with checks goes from verifying to online only when a run since
// it entered verifying passed: "it works" is shown, not said.

// EventSystemChecked records a run of a system's checks.
const EventSystemChecked = "system.verified"

// Prober runs one check. It must honour the check's timeout and ctx, and
// never panic; a check that cannot be made is a result that did not pass.
type Prober interface {
	Probe(ctx context.Context, c estate.Check) CheckResult
}

// CheckResult is what one check found.
type CheckResult struct {
	Check string `json:"check"` // estate.Check.String()
	OK    bool   `json:"ok"`
	// Detail says what was found, e.g. "HTTP 503 in 12 ms, want 200".
	Detail string `json:"detail"`
	Millis int64  `json:"ms"`
}

// CheckRun is one run of a system's checks.
type CheckRun struct {
	IncidentID int64         `json:"incident_id"`
	SystemID   string        `json:"system"`
	Passed     bool          `json:"passed"`
	Results    []CheckResult `json:"results"`
	By         string        `json:"by"`
	At         time.Time     `json:"at"`
	// State is the system's state when the run was recorded.
	State State `json:"state"`
	// Counts: the run was made while the system was verifying and it had
	// not moved since, so it is the one the guard reads.
	Counts bool  `json:"counts"`
	Seq    int64 `json:"seq"`
}

// VerifySystem runs a system's checks now and records the run. Needs
// system.verify on the system; the system must be verifying (the run the
// move to online needs) or online (checking it again). The checks run
// outside any transaction, at once; the run counts for the guard only if
// the system did not move while they ran.
func (s *Service) VerifySystem(ctx context.Context, a Actor, incidentID int64, systemID string) (*CheckRun, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	if s.prober == nil {
		return nil, phasegate.Errorf(phasegate.EINTERNAL, "this server was started without a prober, so it cannot run checks; verify by hand")
	}
	var sys *estate.System
	var before SystemState
	err := s.view(ctx, func(tx Tx) error {
		l, err := s.loadOpen(tx, incidentID)
		if err != nil {
			return err
		}
		if sys, err = l.system(systemID); err != nil {
			return err
		}
		if err := a.Authorize(ActionVerify, sys); err != nil {
			return err
		}
		st, err := tx.SystemState(incidentID, sys.ID)
		if err != nil {
			return err
		}
		before = *st
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(sys.Verify) == 0 {
		return nil, phasegate.Errorf(phasegate.ECONFLICT,
			"%s has no checks in the estate (verify); add some, e.g. verify: [{http: \"https://%s.example.internal/health\"}], or verify it by hand", sys.ID, sys.ID)
	}
	if before.State != StateVerifying && before.State != StateOnline {
		return nil, phasegate.Errorf(phasegate.ECONFLICT,
			"%s is %s: its checks run once the restore is done (verifying) or when it is online", sys.ID, before.State)
	}
	results := s.probeAll(ctx, sys.Verify)
	run := &CheckRun{IncidentID: incidentID, SystemID: sys.ID, Passed: true, Results: results, By: a.Name}
	for _, r := range results {
		run.Passed = run.Passed && r.OK
	}
	err = s.update(ctx, func(w *writer) error {
		st, err := w.SystemState(incidentID, sys.ID)
		if err != nil {
			return err
		}
		run.At, run.State = w.Now(), st.State
		run.Counts = st.LastSeq == before.LastSeq && st.State == StateVerifying
		e, err := w.event(a.Name, EventSystemChecked, incidentID, "system:"+sys.ID, map[string]any{
			"system": sys.ID, "passed": run.Passed, "results": results, "state": st.State, "counts": run.Counts})
		if err != nil {
			return err
		}
		run.Seq = e.Seq
		if run.Counts {
			return w.PutCheckRun(*run)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return run, nil
}

// probeAll runs the checks side by side, each within its own timeout.
func (s *Service) probeAll(ctx context.Context, checks []estate.Check) []CheckResult {
	out := make([]CheckResult, len(checks))
	var wg sync.WaitGroup
	for i, c := range checks {
		wg.Go(func() {
			timeout := c.TimeoutSeconds
			if timeout == 0 {
				timeout = estate.DefaultCheckTimeout
			}
			cctx, cancel := context.WithTimeout(ctx, time.Duration(timeout)*time.Second)
			defer cancel()
			r := s.prober.Probe(cctx, c)
			r.Check = c.String()
			out[i] = r
		})
	}
	wg.Wait()
	return out
}

// verifyReasons is why a system with checks may not go online yet: no
// run since it entered verifying, or one that failed (each failing check).
func verifyReasons(sys *estate.System, run *CheckRun) []string {
	if len(sys.Verify) == 0 {
		return nil
	}
	if run == nil {
		them := fmt.Sprintf("its %d checks have", len(sys.Verify))
		if len(sys.Verify) == 1 {
			them = "its check has"
		}
		return []string{fmt.Sprintf("%s has checks in the estate and %s not run since it entered verifying: run them (Run the checks now on the system page, or phasegate system verify)",
			sys.ID, them)}
	}
	if run.Passed {
		return nil
	}
	var out []string
	for _, r := range run.Results {
		if !r.OK {
			out = append(out, fmt.Sprintf("check %s failed at %s UTC: %s; run the checks again once it is fixed",
				r.Check, run.At.UTC().Format("2006-01-02 15:04"), r.Detail))
		}
	}
	return out
}

// VerifyAllResult is a run of the checks of every system of an incident
// that is verifying and has checks.
type VerifyAllResult struct {
	Runs []CheckRun `json:"runs"`
	// ByHand are the verifying systems the estate gives no checks.
	ByHand []string `json:"by_hand"`
	Passed int      `json:"passed"`
	Failed int      `json:"failed"`
}

// verifyAllAtOnce bounds how many systems' checks run side by side.
const verifyAllAtOnce = 8

// VerifyAll runs, side by side, the checks of every system of an
// incident that is verifying and has checks, each recorded as
// VerifySystem records it. Needs system.verify on every system (not only
// some: a system owner runs their systems' checks one by one).
func (s *Service) VerifyAll(ctx context.Context, a Actor, incidentID int64) (*VerifyAllResult, error) {
	if err := a.Authorize(ActionVerify, nil); err != nil {
		return nil, err
	}
	var targets []string
	res := &VerifyAllResult{Runs: []CheckRun{}, ByHand: []string{}}
	err := s.view(ctx, func(tx Tx) error {
		l, err := s.loadOpen(tx, incidentID)
		if err != nil {
			return err
		}
		states, err := tx.SystemStates(incidentID)
		if err != nil {
			return err
		}
		for _, st := range states {
			if st.State != StateVerifying {
				continue
			}
			if sys := findSystem(l.est, st.SystemID); sys != nil && len(sys.Verify) > 0 {
				targets = append(targets, sys.ID)
			} else if sys != nil {
				res.ByHand = append(res.ByHand, st.SystemID)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	runs := make([]*CheckRun, len(targets))
	errs := make([]error, len(targets))
	sem := make(chan struct{}, verifyAllAtOnce)
	var wg sync.WaitGroup
	for i, id := range targets {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			runs[i], errs[i] = s.VerifySystem(ctx, a, incidentID, id)
		})
	}
	wg.Wait()
	for i := range targets {
		if errs[i] != nil {
			// The system moved out of verifying meanwhile (409): nothing
			// to run any more. Anything else is a failure of the whole.
			if phasegate.ErrorCode(errs[i]) == phasegate.ECONFLICT {
				continue
			}
			return nil, errs[i]
		}
		res.Runs = append(res.Runs, *runs[i])
		if runs[i].Passed {
			res.Passed++
		} else {
			res.Failed++
		}
	}
	return res, nil
}
