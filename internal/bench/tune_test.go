package bench

import (
	"context"
	"os"
	"strconv"
	"testing"
)

func TestTuneJ30(t *testing.T) {
	dir := os.Getenv("J30DIR")
	if dir == "" {
		t.Skip("J30DIR not set")
	}
	ins, opt, err := LoadJ30(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(os.Getenv("J30N"))
	if n == 0 {
		n = 1000
	}
	q, err := RunQuality(context.Background(), "j30", ins, opt, n, 1)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", q)
}
