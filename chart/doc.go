// Package chart draws the pictures of a recovery as SVG: the restart plan
// as a timeline (Gantt) and as a graph of waves, the forecast as a fan
// chart and as cumulative curves, a backlog's burn-down, and how a
// service's expected date moved over an incident.
//
// The pictures are printed and pinned to the walls of a crisis room, shown
// on phones and inlined in the web UI, so each one:
//   - reads in black and white: every fill pairs a tint with a texture
//     (hatching, dots, lines), series differ by dash pattern and marker
//     shape, and every state carries its name as text;
//   - is accessible: role="img", a <title>, and a <desc> that says in
//     sentences what the picture shows; text stays text (searchable,
//     selectable), in a stack of system fonts;
//   - refers to nothing outside itself (no fonts, images or scripts), so it
//     works offline, and scopes its CSS and ids under IDPrefix so several
//     pictures can share one web page;
//   - is deterministic (the same input gives the same bytes) and
//     well-formed whatever the input: user text is escaped, characters XML
//     forbids are replaced, NaN and infinities are drawn as zero.
//
// The API:
//
//	Timeline(w, plan, TimelineOptions)  // Gantt: clearance and restore bars, critical path, service ETAs, now
//	Waves(w, plan, WavesOptions)        // columns of waves, dependency edges, states; compact above MaxNodes
//	Fan(w, FanChart)                    // P50–P95 bands per service and for the whole restart, target line
//	CDF(w, FanChart)                    // chance of being back by each date, one curve per service
//	BurnDown(w, BurnDownChart)          // a backlog growing while down, then worked off at normal or surge capacity
//	ETAHistory(w, ETAHistoryChart)      // a step line of the date expected back, as each recomputed plan said it
//
// Timeline and Waves take a *planner.Plan with the same Filter (team, kind,
// service and what it needs, search), and optional per-system States. Hours
// in every input count from a start time (the plan's Start, or the chart's
// Start) and are shown as dates in that time's location. Bad options (an
// unknown team or service in a filter, a malformed IDPrefix) return a
// *phasegate.Error with code EINVALID that says what to use instead.
//
// Each picture is built in memory and written with one Write, so w gets a
// whole document or nothing. The package does no other I/O, reads no
// clock and keeps no state.
package chart
