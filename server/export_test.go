package server

import "time"

// The pages' formatters, for the external tests to write what a page
// should show in exactly the page's words.
var (
	FmtWhen  = func(t time.Time) string { return fmtWhenAt(t, time.Now()) }
	FmtDay   = func(t time.Time) string { return fmtDayAt(t, time.Now()) }
	FmtMoney = fmtMoney
	PctOf    = pctOf
	NumText  = numText
)
