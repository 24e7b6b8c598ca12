package chart

import (
	"bytes"
	"testing"
)

// The pictures must stay usable for estates of thousands of systems:
// these report the time and the size of the SVG for 5,000 systems.

func benchPicture(b *testing.B, draw func(*bytes.Buffer) error) {
	var buf bytes.Buffer
	for b.Loop() {
		buf.Reset()
		if err := draw(&buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "svg-bytes")
}

func BenchmarkTimeline5000(b *testing.B) {
	p := bigPlan(b, 5000, 1)
	st := bigStates(p, 1)
	benchPicture(b, func(buf *bytes.Buffer) error { return Timeline(buf, p, TimelineOptions{States: st}) })
}

func BenchmarkTimeline5000Capped(b *testing.B) {
	p := bigPlan(b, 5000, 1)
	st := bigStates(p, 1)
	benchPicture(b, func(buf *bytes.Buffer) error { return Timeline(buf, p, TimelineOptions{States: st, MaxRows: 300}) })
}

func BenchmarkWaves5000(b *testing.B) {
	p := bigPlan(b, 5000, 1)
	st := bigStates(p, 1)
	benchPicture(b, func(buf *bytes.Buffer) error { return Waves(buf, p, WavesOptions{States: st}) })
}

func BenchmarkWaves300(b *testing.B) {
	p := bigPlan(b, 300, 1)
	st := bigStates(p, 1)
	benchPicture(b, func(buf *bytes.Buffer) error { return Waves(buf, p, WavesOptions{States: st}) })
}

func BenchmarkFan(b *testing.B) {
	c := sampleFan(b)
	benchPicture(b, func(buf *bytes.Buffer) error { return Fan(buf, c) })
}

func BenchmarkCDF(b *testing.B) {
	c := sampleFan(b)
	benchPicture(b, func(buf *bytes.Buffer) error { return CDF(buf, c) })
}

func BenchmarkBurnDown(b *testing.B) {
	c := sampleBurnDown(b)
	benchPicture(b, func(buf *bytes.Buffer) error { return BurnDown(buf, c) })
}

func BenchmarkETAHistory(b *testing.B) {
	c := sampleETAHistory(b)
	benchPicture(b, func(buf *bytes.Buffer) error { return ETAHistory(buf, c) })
}
