package incident

import (
	"slices"
	"testing"
)

func TestTimePassed(t *testing.T) {
	cs := []ETAChange{
		{Subject: "restart", Seq: 5},   // first of restart
		{Subject: "service:a", Seq: 5}, // first of a, same event
		{Subject: "restart", Seq: 5},   // no event since restart's last
		{Subject: "service:a", Seq: 9}, // an event since
		{Subject: "restart", Seq: 9},   // an event since
		{Subject: "service:a", Seq: 9}, // none since
		{Subject: "service:b", Seq: 9}, // first of b
	}
	want := []bool{false, false, true, false, false, true, false}
	if got := TimePassed(cs); !slices.Equal(got, want) {
		t.Errorf("TimePassed = %v, want %v", got, want)
	}
	if got := TimePassed(nil); len(got) != 0 {
		t.Errorf("TimePassed(nil) = %v", got)
	}
}
