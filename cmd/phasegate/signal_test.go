package main

import (
	"errors"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Only the commands that watch their context catch SIGINT and SIGTERM;
// every other one must die of the signal, or Ctrl-C would do nothing.
func TestOnlyServeAndBackupCatchSignals(t *testing.T) {
	for _, c := range commands() {
		want := c.name == "serve" || c.name == "backup"
		if got := stopsWhenAsked([]string{c.name}); got != want {
			t.Errorf("stopsWhenAsked(%s) = %v, want %v", c.name, got, want)
		}
	}
	for _, args := range [][]string{nil, {"help"}, {"version"}, {"nosuch"}} {
		if stopsWhenAsked(args) {
			t.Errorf("stopsWhenAsked(%q) = true, want false", args)
		}
	}
}

// A plan asked for far too many schedules (a typo, an extra zero) runs
// for hours; Ctrl-C must stop it. It used to be caught and ignored: the
// planner never looks at the context, so neither SIGINT nor SIGTERM
// ended the process and only kill -9 did.
func TestCtrlCStopsALongPlan(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("waits for the plan to start by reading /proc")
	}
	bin := buildBinary(t, t.TempDir())
	cmd := exec.Command(bin, "plan", demoDir, "--schedules", "10000000", "--format", "json")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	// Wait until the process is well past start-up (signal handlers are
	// installed by then, if any): a second of CPU time reading and
	// planning the estate.
	for cpuTicks(t, cmd.Process.Pid) < 100 { // fails if the plan ends first
		time.Sleep(20 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		t.Fatalf("plan after SIGINT: %v, want it killed by the signal", err)
	}
	ws, ok := ee.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() || ws.Signal() != syscall.SIGINT {
		t.Errorf("plan after SIGINT: %v, want it killed by SIGINT", err)
	}
}

// cpuTicks is the user and system CPU time of a process, in clock ticks.
func cpuTicks(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	// The fields after the command name, which is in parentheses.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if f[0] == "Z" {
		t.Fatalf("process %d ended on its own", pid)
	}
	utime, _ := strconv.Atoi(f[11])
	stime, _ := strconv.Atoi(f[12])
	return utime + stime
}
