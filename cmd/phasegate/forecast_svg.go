package main

import (
	"io"

	"github.com/phasegate/phasegate/chart"
	"github.com/phasegate/phasegate/estate"
	"github.com/phasegate/phasegate/forecast"
)

// The conversions from forecast results to charts live in the chart
// package (chart.FanOf, chart.BurnDownOf), so the server draws the same.

func writeFanSVG(w io.Writer, est *estate.Estate, r *forecast.Result) error {
	return chart.Fan(w, chart.FanOf(est.Organization, r))
}

func writeBurnDownSVG(w io.Writer, est *estate.Estate, r *forecast.Result, b forecast.BacklogOutlook, surge bool) error {
	return chart.BurnDown(w, chart.BurnDownOf(est.Organization, r, b, surge))
}
