package server

import (
	"bytes"
	"crypto/sha1"
	"encoding/xml"
	"fmt"
	"strings"
	"time"

	"github.com/phasegate/phasegate/incident"
)

// Atom 1.0 (RFC 4287) feed of one audience's published updates. Entry
// ids are name-based UUIDs (RFC 9562 version 5) of the organisation and
// the update's id, so an entry keeps its id when it is later marked
// corrected (its updated time moves, its id does not). Links are
// relative to the feed's address: the pages are rendered before anyone
// asks, without knowing the host name readers use.

const atomNS = "http://www.w3.org/2005/Atom"

type atomFeedDoc struct {
	XMLName xml.Name    `xml:"feed"`
	NS      string      `xml:"xmlns,attr"`
	ID      string      `xml:"id"`
	Title   string      `xml:"title"`
	Updated string      `xml:"updated"`
	Author  atomPerson  `xml:"author"`
	Links   []atomLink  `xml:"link"`
	Entries []atomEntry `xml:"entry"`
}

type atomPerson struct {
	Name string `xml:"name"`
}

type atomLink struct {
	Rel  string `xml:"rel,attr"`
	Type string `xml:"type,attr,omitempty"`
	Href string `xml:"href,attr"`
}

type atomEntry struct {
	ID        string     `xml:"id"`
	Title     string     `xml:"title"`
	Updated   string     `xml:"updated"`
	Published string     `xml:"published"`
	Links     []atomLink `xml:"link"`
	Content   atomText   `xml:"content"`
}

type atomText struct {
	Type string `xml:"type,attr"`
	Body string `xml:",chardata"`
}

// uuidURL is the RFC 9562 namespace for URLs and other names.
var uuidURL = [16]byte{0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8}

// nameUUID is the version 5 UUID of name, as a urn:uuid: IRI.
func nameUUID(name string) string {
	h := sha1.New()
	h.Write(uuidURL[:])
	h.Write([]byte(name))
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50
	u[8] = u[8]&0x3f | 0x80
	return fmt.Sprintf("urn:uuid:%x-%x-%x-%x-%x", u[0:4], u[4:6], u[6:8], u[8:10], u[10:16])
}

// atomTime writes RFC 3339 with microseconds: two changes in one second
// still order.
func atomTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.999999Z07:00") }

// atomFeed renders one audience's feed.
func atomFeed(v *incident.AudienceView) ([]byte, error) {
	org := v.Organization
	author := org
	if author == "" {
		author = "Service status"
	}
	base := "/status/" + v.Audience
	updated := v.Updated
	if updated.IsZero() {
		// Nothing published yet: a fixed date keeps the feed's bytes
		// (and ETag) stable.
		updated = time.Unix(0, 0)
	}
	doc := atomFeedDoc{
		NS:      atomNS,
		ID:      nameUUID("phasegate status feed\x00" + org + "\x00" + v.Audience),
		Title:   strings.TrimPrefix(org+": service status for "+audienceWords(v.Audience), ": "),
		Updated: atomTime(updated),
		Author:  atomPerson{Name: author},
		Links: []atomLink{
			{Rel: "self", Type: "application/atom+xml", Href: base + "/feed.atom"},
			{Rel: "alternate", Type: "text/html", Href: base},
		},
		Entries: []atomEntry{},
	}
	for _, in := range v.Incidents {
		for _, u := range in.Updates {
			title := u.Title
			if u.SupersededBy != 0 {
				title = "[Corrected] " + title
			}
			doc.Entries = append(doc.Entries, atomEntry{
				ID:        nameUUID(fmt.Sprintf("phasegate status update\x00%s\x00%d", org, u.ID)),
				Title:     title,
				Updated:   atomTime(u.Updated()),
				Published: atomTime(u.PublishedAt),
				Links:     []atomLink{{Rel: "alternate", Type: "text/html", Href: fmt.Sprintf("%s#update-%d", base, u.ID)}},
				Content:   atomText{Type: "html", Body: entryHTML(u)},
			})
		}
	}
	var b bytes.Buffer
	b.WriteString(xml.Header)
	enc := xml.NewEncoder(&b)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return nil, fmt.Errorf("server: status feed for %s: %w", v.Audience, err)
	}
	b.WriteByte('\n')
	return b.Bytes(), nil
}

// entryHTML is an entry's content: the notes, the body and the service
// lines, as the page shows them.
func entryHTML(u incident.PublicUpdate) string {
	var b strings.Builder
	if u.SupersededBy != 0 {
		fmt.Fprintf(&b, "<p><strong>Corrected</strong> on %s by a later update.</p>\n", u.SupersededAt.UTC().Format("Mon 2 Jan 2006, 15:04 UTC"))
	}
	if u.Corrects != 0 {
		b.WriteString("<p><strong>Correction</strong> of an earlier update.</p>\n")
	}
	b.WriteString(string(renderMarkdown(u.Body)))
	if len(u.Services) > 0 {
		b.WriteString("<ul>\n")
		for _, l := range u.Services {
			b.WriteString("<li>")
			text := l.Sentence()
			if l.Note != "" {
				text += " — " + l.Note
			}
			escapeTo(&b, cleanText(text))
			b.WriteString("</li>\n")
		}
		b.WriteString("</ul>\n")
	}
	return b.String()
}
