package main

import (
	"slices"
	"testing"
)

func TestParseArgsInterspersed(t *testing.T) {
	tests := []struct {
		args     []string
		wantPos  []string
		wantSeed uint64
		wantFmt  string
	}{
		{[]string{"a", "--seed", "3", "b"}, []string{"a", "b"}, 3, "text"},
		{[]string{"--format=json", "a"}, []string{"a"}, 1, "json"},
		{[]string{"a", "b", "--format", "json", "--seed=9"}, []string{"a", "b"}, 9, "json"},
		{[]string{"a", "--", "--seed"}, []string{"a", "--seed"}, 1, "text"},
		{nil, nil, 1, "text"},
	}
	for _, tt := range tests {
		fs := newFlagSet("plan")
		var pf planFlags
		pf.register(fs, "")
		pos, err := parseArgs(fs, tt.args)
		if err != nil {
			t.Fatalf("parseArgs(%q): %v", tt.args, err)
		}
		if !slices.Equal(pos, tt.wantPos) {
			t.Errorf("parseArgs(%q) positional = %q, want %q", tt.args, pos, tt.wantPos)
		}
		if pf.seed != tt.wantSeed || pf.format != tt.wantFmt {
			t.Errorf("parseArgs(%q): seed=%d format=%q, want %d %q", tt.args, pf.seed, pf.format, tt.wantSeed, tt.wantFmt)
		}
	}
}

func TestParseArgsUnknownFlagIsUsageError(t *testing.T) {
	fs := newFlagSet("plan")
	var pf planFlags
	pf.register(fs, "")
	_, err := parseArgs(fs, []string{"x", "--sead", "3"})
	ue, ok := err.(*usageError)
	if !ok {
		t.Fatalf("err = %v (%T), want *usageError", err, err)
	}
	if ue.msg != "-sead" {
		t.Errorf("message = %q, want the flag named", ue.msg)
	}
}

func TestHoursText(t *testing.T) {
	for _, tt := range []struct {
		h    float64
		want string
	}{
		{0, "0h"}, {0.75, "45m"}, {8, "8h"}, {24, "1d"}, {76, "3d 4h"}, {24*14 + 0.5, "14d"}, {-2, "-2h"},
	} {
		if got := hoursText(tt.h); got != tt.want {
			t.Errorf("hoursText(%v) = %q, want %q", tt.h, got, tt.want)
		}
	}
}

func TestMoney(t *testing.T) {
	for _, tt := range []struct {
		cur  string
		v    float64
		want string
	}{
		{"GBP", 950, "£950"}, {"GBP", 31200, "£31.2k"}, {"GBP", 31_200_000, "£31.2m"},
		{"GBP", 1_230_000_000, "£1.23bn"}, {"CHF", 5_000_000, "5m CHF"}, {"EUR", 2_000_000, "€2m"},
	} {
		if got := money(tt.cur, tt.v); got != tt.want {
			t.Errorf("money(%s, %v) = %q, want %q", tt.cur, tt.v, got, tt.want)
		}
	}
}

func TestUnknownCommandSuggests(t *testing.T) {
	if got := closest("plna", commandNames()); got != "plan" {
		t.Errorf("closest(plna) = %q, want plan", got)
	}
	if got := closest("zzzzzzzz", commandNames()); got != "" {
		t.Errorf("closest(zzzzzzzz) = %q, want none", got)
	}
}
