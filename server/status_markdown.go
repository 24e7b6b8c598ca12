package server

import (
	"html/template"
	"strings"
	"unicode"
	"unicode/utf8"
)

// renderMarkdown renders the small subset of Markdown a status update's
// body may use, escaping everything else: paragraphs (blank lines), line
// breaks, bullet lists ("- " or "* "), numbered lists ("1. "), **strong**,
// *emphasis* or _emphasis_, `code`, [links](https://…) and bare
// http(s) addresses. Links go only to http, https and mailto. Raw HTML
// is text. The output is well-formed (a test parses it as XML with <br>
// closed) and holds only p, br, ul, ol, li, strong, em, code and a.
func renderMarkdown(src string) template.HTML {
	var b strings.Builder
	renderMarkdownTo(&b, src)
	return template.HTML(b.String())
}

// markdownDepth bounds nested emphasis, so hostile input cannot recurse
// deeply.
const markdownDepth = 4

func renderMarkdownTo(b *strings.Builder, src string) {
	src = cleanText(src)
	lines := strings.Split(src, "\n")
	for i := 0; i < len(lines); {
		line := lines[i]
		if strings.TrimSpace(line) == "" {
			i++
			continue
		}
		if _, ok := listItem(line); ok {
			i = renderList(b, lines, i)
			continue
		}
		// A paragraph: lines up to a blank line or a list.
		j := i
		var para []string
		for j < len(lines) && strings.TrimSpace(lines[j]) != "" {
			if _, ok := listItem(lines[j]); ok && j > i {
				break
			}
			para = append(para, strings.TrimSpace(lines[j]))
			j++
		}
		b.WriteString("<p>")
		for k, l := range para {
			if k > 0 {
				b.WriteString("<br>\n")
			}
			renderInline(b, l, 0, true)
		}
		b.WriteString("</p>\n")
		i = j
	}
}

// cleanText makes any input safe to render: valid UTF-8, no control
// characters but line breaks (tabs become spaces).
func cleanText(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n':
			return r
		case r == '\t':
			return ' '
		case unicode.IsControl(r), r == '\uFFFE', r == '\uFFFF', r >= 0xD800 && r <= 0xDFFF:
			return -1
		}
		return r
	}, s)
}

// listKind: a bullet list or a numbered list.
type listKind int

const (
	bullet listKind = iota + 1
	numbered
)

// listItem reports whether line starts a list item, and of which list.
func listItem(line string) (listKind, bool) {
	t := strings.TrimLeft(line, " ")
	if len(line)-len(t) > 3 {
		return 0, false
	}
	if len(t) >= 2 && (t[0] == '-' || t[0] == '*') && t[1] == ' ' {
		return bullet, true
	}
	n := 0
	for n < len(t) && n < 9 && t[n] >= '0' && t[n] <= '9' {
		n++
	}
	if n > 0 && n+1 < len(t) && (t[n] == '.' || t[n] == ')') && t[n+1] == ' ' {
		return numbered, true
	}
	return 0, false
}

// itemText is the text of a list item after its marker.
func itemText(line string) string {
	t := strings.TrimLeft(line, " ")
	if t[0] == '-' || t[0] == '*' {
		return strings.TrimSpace(t[2:])
	}
	i := strings.IndexAny(t, ".)")
	return strings.TrimSpace(t[i+1:])
}

// renderList renders the list starting at lines[i] and returns the index
// after it. Indented lines continue the item above.
func renderList(b *strings.Builder, lines []string, i int) int {
	kind, _ := listItem(lines[i])
	tag := "ul"
	if kind == numbered {
		tag = "ol"
	}
	b.WriteString("<" + tag + ">\n")
	for i < len(lines) {
		k, ok := listItem(lines[i])
		if !ok || k != kind {
			break
		}
		b.WriteString("<li>")
		renderInline(b, itemText(lines[i]), 0, true)
		i++
		for i < len(lines) && strings.HasPrefix(lines[i], " ") && strings.TrimSpace(lines[i]) != "" {
			if _, ok := listItem(lines[i]); ok {
				break
			}
			b.WriteString("<br>\n")
			renderInline(b, strings.TrimSpace(lines[i]), 0, true)
			i++
		}
		b.WriteString("</li>\n")
	}
	b.WriteString("</" + tag + ">\n")
	return i
}

// renderInline renders one line's emphasis, code and links. links is
// false inside a link's text (no links in links).
func renderInline(b *strings.Builder, s string, depth int, links bool) {
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '\\' && i+1 < len(s) && strings.IndexByte("\\`*_[]()", s[i+1]) >= 0:
			escapeTo(b, s[i+1:i+2])
			i += 2
			continue
		case c == '`':
			if end := strings.IndexByte(s[i+1:], '`'); end > 0 {
				b.WriteString("<code>")
				escapeTo(b, s[i+1:i+1+end])
				b.WriteString("</code>")
				i += end + 2
				continue
			}
		case (c == '*' || c == '_') && depth < markdownDepth:
			delim := s[i : i+1]
			tag := "em"
			if i+1 < len(s) && s[i+1] == c {
				delim, tag = s[i:i+2], "strong"
			}
			inner := i + len(delim)
			// An opener is followed by a non-space; its closer is the
			// next same delimiter preceded by a non-space. _ inside a
			// word (snake_case) is no emphasis.
			if inner < len(s) && s[inner] != ' ' && !(c == '_' && i > 0 && isWordByte(s[i-1])) {
				if end := closer(s[inner:], delim); end > 0 {
					b.WriteString("<" + tag + ">")
					renderInline(b, s[inner:inner+end], depth+1, links)
					b.WriteString("</" + tag + ">")
					i = inner + end + len(delim)
					continue
				}
			}
			escapeTo(b, delim)
			i += len(delim)
			continue
		case c == '[' && links:
			if text, url, n, ok := markdownLink(s[i:]); ok {
				writeLink(b, url, func() { renderInline(b, text, depth+1, false) })
				i += n
				continue
			}
		case (c == 'h' || c == 'H') && links && (i == 0 || !isWordByte(s[i-1])):
			if n := bareURL(s[i:]); n > 0 {
				url := s[i : i+n]
				writeLink(b, url, func() { escapeTo(b, url) })
				i += n
				continue
			}
		}
		// Plain text up to the next byte that may start something.
		j := i + 1
		for j < len(s) && strings.IndexByte("\\`*_[hH", s[j]) < 0 {
			j++
		}
		escapeTo(b, s[i:j])
		i = j
	}
}

// maxSpan bounds how far a closing delimiter is looked for, so that a
// line of unmatched openers costs O(n·maxSpan), not O(n²).
const maxSpan = 1000

// closer finds the closing delimiter in s: not preceded by a space, not
// at the start, and (for _) not followed by a word character.
func closer(s, delim string) int {
	s = s[:min(len(s), maxSpan)]
	for from := 0; from < len(s); {
		k := strings.Index(s[from:], delim)
		if k < 0 {
			return -1
		}
		k += from
		after := k + len(delim)
		ok := k > 0 && s[k-1] != ' '
		if ok && delim[0] == '_' && after < len(s) && isWordByte(s[after]) {
			ok = false
		}
		// "**" inside a "*" span closes nothing: skip both stars.
		if ok && len(delim) == 1 && after < len(s) && s[after] == delim[0] {
			ok = false
			k++
		}
		if ok {
			return k
		}
		from = k + 1
	}
	return -1
}

func isWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c >= 0x80
}

// markdownLink parses "[text](url)" at the start of s: the text, the
// URL, the bytes taken, and whether it is a link to an allowed address.
func markdownLink(s string) (text, url string, n int, ok bool) {
	end := strings.Index(s, "](")
	if end <= 1 || strings.IndexByte(s[1:end], '[') >= 0 {
		return "", "", 0, false
	}
	close := strings.IndexByte(s[end+2:], ')')
	if close <= 0 {
		return "", "", 0, false
	}
	url = s[end+2 : end+2+close]
	if strings.ContainsAny(url, " <>\"'`") || !allowedURL(url) {
		return "", "", 0, false
	}
	return s[1:end], url, end + 3 + close, true
}

// allowedURL: absolute http, https and mailto addresses only, so no
// javascript:, data: or relative trickery reaches an href.
func allowedURL(u string) bool {
	l := strings.ToLower(u)
	for _, p := range []string{"https://", "http://"} {
		if strings.HasPrefix(l, p) && len(u) > len(p) && u[len(p)] != '/' {
			return true
		}
	}
	return strings.HasPrefix(l, "mailto:") && len(u) > len("mailto:") && strings.Contains(u, "@")
}

// bareURL returns the length of an http(s) address at the start of s,
// without trailing punctuation; 0 when there is none.
func bareURL(s string) int {
	l := strings.ToLower(s[:min(len(s), 8)])
	if !strings.HasPrefix(l, "http://") && !strings.HasPrefix(l, "https://") {
		return 0
	}
	n := 0
	for n < len(s) {
		r, size := utf8.DecodeRuneInString(s[n:])
		if unicode.IsSpace(r) || strings.ContainsRune("<>\"'`", r) {
			break
		}
		n += size
	}
	for n > 0 && strings.IndexByte(".,;:!?)]*_", s[n-1]) >= 0 {
		n--
	}
	if !allowedURL(s[:n]) {
		return 0
	}
	return n
}

func writeLink(b *strings.Builder, url string, text func()) {
	b.WriteString(`<a href="`)
	escapeTo(b, url)
	b.WriteString(`" rel="nofollow noopener">`)
	text()
	b.WriteString("</a>")
}

// escapeTo writes s with &, <, >, " and ' escaped.
func escapeTo(b *strings.Builder, s string) {
	last := 0
	for i := 0; i < len(s); i++ {
		var esc string
		switch s[i] {
		case '&':
			esc = "&amp;"
		case '<':
			esc = "&lt;"
		case '>':
			esc = "&gt;"
		case '"':
			esc = "&#34;"
		case '\'':
			esc = "&#39;"
		default:
			continue
		}
		b.WriteString(s[last:i])
		b.WriteString(esc)
		last = i + 1
	}
	b.WriteString(s[last:])
}
