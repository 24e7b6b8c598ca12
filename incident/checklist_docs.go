package incident

import (
	"fmt"
	"strings"

	"github.com/phasegate/phasegate/estate"
)

// ChecklistMarkdown renders the clearance checklist template of every
// kind of system, and how the keys of an estate's own items are made, as
// the Markdown docs/estate-format.md carries between its CHECKLISTS
// markers (kept equal by TestDocsChecklists).
func ChecklistMarkdown() string {
	var b strings.Builder
	b.WriteString("Each item has a **key**, which ticks name (`phasegate system tick`, the\n")
	b.WriteString("`item` of `POST …/checklist`) and are stored against. A template item's key\n")
	b.WriteString("is fixed. An item of the system's own `checklist:` gets the key `estate-`\n")
	b.WriteString("followed by its text in lower case, letters and digits kept and every run of\n")
	b.WriteString("anything else made one `-`, cut after 48 characters, with no dash at the end\n")
	b.WriteString("(`item` when nothing is left); a key already taken gets `-2`, `-3`…\n")
	b.WriteString("For example (the last two on one system):\n\n")
	b.WriteString("| `checklist:` entry | key |\n| --- | --- |\n")
	for _, text := range []string{
		"confirm transport directory is clean",
		"Switch and router configurations compared with the templates in Git",
		"Vendor sign-off (ACME) received",
		"Vendor sign-off: ACME received",
	} {
		fmt.Fprintf(&b, "| %s | `%s` |\n", text, estateKeyIn([]string{"Vendor sign-off (ACME) received", text}, text))
	}
	b.WriteString("\nThe key follows the text: editing an item's text makes it a new item, unticked\n")
	b.WriteString("(and, against the version in use, the old one counts as taken away, so the\n")
	b.WriteString("version waits for a second person). To keep an item's ticks while its words\n")
	b.WriteString("change, give it a key of its own: `{key: transport-dir, text: \"…\"}` is the\n")
	b.WriteString("item `estate-transport-dir` whatever its text (a key is lower-case letters,\n")
	fmt.Fprintf(&b, "digits and inner dashes, up to %d characters, once per system; keys given are\n", estate.MaxChecklistKey)
	b.WriteString("taken before any made from a text). Rewording such an item still waits for a\n")
	b.WriteString("second person, who sees the old words and the new: the ticks stay, so the new\n")
	b.WriteString("words must ask no less. `phasegate system show INCIDENT SYSTEM` lists every\n")
	b.WriteString("item with its key.\n")
	for _, k := range estate.Kinds {
		fmt.Fprintf(&b, "\n#### `%s`\n\n| key | item |\n| --- | --- |\n", k)
		for _, d := range templateFor(k) {
			fmt.Fprintf(&b, "| `%s` | %s |\n", d.Key, d.Text)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// estateKeyIn returns the key ChecklistFor gives text among a system's
// own items.
func estateKeyIn(texts []string, text string) string {
	items := make([]estate.ChecklistEntry, len(texts))
	for i, t := range texts {
		items[i] = estate.ChecklistEntry{Text: t}
	}
	sys := &estate.System{Kind: estate.KindOther, Checklist: items}
	for _, d := range ChecklistFor(sys)[len(templateFor(estate.KindOther)):] {
		if d.Text == text {
			return d.Key
		}
	}
	return ""
}
