package server

// The pages' formatters, for the external tests to write what a page
// should show in exactly the page's words.
var (
	FmtWhen  = fmtWhen
	FmtDay   = fmtDay
	FmtMoney = fmtMoney
	PctOf    = pctOf
	NumText  = numText
)
