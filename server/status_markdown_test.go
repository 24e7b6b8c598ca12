package server

import (
	"encoding/xml"
	"io"
	"strings"
	"testing"
)

func TestRenderMarkdown(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"Hello", "<p>Hello</p>\n"},
		{"one\ntwo\n\nthree", "<p>one<br>\ntwo</p>\n<p>three</p>\n"},
		{"a **strong** and *em* and _em_ and `co*de*`", "<p>a <strong>strong</strong> and <em>em</em> and <em>em</em> and <code>co*de*</code></p>\n"},
		{"- one\n- two\n  more\n\n1. first\n2) second", "<ul>\n<li>one</li>\n<li>two<br>\nmore</li>\n</ul>\n<ol>\n<li>first</li>\n<li>second</li>\n</ol>\n"},
		{"Intro:\n- item", "<p>Intro:</p>\n<ul>\n<li>item</li>\n</ul>\n"},
		{"<script>alert('x')</script> & \"q\"", "<p>&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;q&#34;</p>\n"},
		{"[the supplier page](https://example.com/a?b=1&c=2)", `<p><a href="https://example.com/a?b=1&amp;c=2" rel="nofollow noopener">the supplier page</a></p>` + "\n"},
		{"[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"},
		{"[x](//evil.example)", "<p>[x](//evil.example)</p>\n"},
		{"mail [us](mailto:help@example.com).", `<p>mail <a href="mailto:help@example.com" rel="nofollow noopener">us</a>.</p>` + "\n"},
		{"see https://example.com/x.", `<p>see <a href="https://example.com/x" rel="nofollow noopener">https://example.com/x</a>.</p>` + "\n"},
		{"snake_case_name and 2*3*4", "<p>snake_case_name and 2<em>3</em>4</p>\n"},
		{"** not strong** and * not em*", "<p>** not strong** and * not em*</p>\n"},
		{`\*literal\* and \\`, `<p>*literal* and \</p>` + "\n"},
		{"[**bold link**](https://example.com)", `<p><a href="https://example.com" rel="nofollow noopener"><strong>bold link</strong></a></p>` + "\n"},
		{"[a [nested](https://x.example)](https://y.example)", `<p>[a <a href="https://x.example" rel="nofollow noopener">nested</a>](<a href="https://y.example" rel="nofollow noopener">https://y.example</a>)</p>` + "\n"},
		{"bell\a and\ttab and \xff", "<p>bell and tab and \uFFFD</p>\n"},
	} {
		if got := string(renderMarkdown(c.in)); got != c.want {
			t.Errorf("renderMarkdown(%q):\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// FuzzRenderMarkdown: whatever the input, the output is well-formed,
// holds only the allowed elements and attributes, and links only to
// allowed addresses.
func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range []string{
		"Supplier payments resume on **Thursday**.\n\n- critical suppliers first\n- then the rest",
		"<img src=x onerror=alert(1)>", "[a](https://x.example) *b* _c_ `d`", "***x***", "[x](javascript:alert(1))",
		"http://a.example/(b)", "1. a\n   b\n2. c", "\\", "*", "[", "[](", "]()", "`", "_a_b_", "\x00\r\n\u2028",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := string(renderMarkdown(in))
		checkSafeHTML(t, out)
	})
}

var allowedMarkup = map[string][]string{
	"div": nil, "p": nil, "br": nil, "ul": nil, "ol": nil, "li": nil, "strong": nil, "em": nil, "code": nil,
	"a": {"href", "rel"},
}

// checkSafeHTML parses html (with <br> closed) as XML and checks every
// element and attribute against allowedMarkup and every href.
func checkSafeHTML(t *testing.T, html string) {
	t.Helper()
	doc := "<div>" + strings.ReplaceAll(html, "<br>", "<br/>") + "</div>"
	d := xml.NewDecoder(strings.NewReader(doc))
	d.Strict = true
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatalf("not well-formed (%v):\n%s", err, html)
		}
		se, ok := tok.(xml.StartElement)
		if !ok {
			continue
		}
		attrs, ok := allowedMarkup[se.Name.Local]
		if !ok || se.Name.Space != "" {
			t.Fatalf("element <%s> is not allowed:\n%s", se.Name.Local, html)
		}
		for _, a := range se.Attr {
			if !contains(attrs, a.Name.Local) || a.Name.Space != "" {
				t.Fatalf("attribute %s on <%s> is not allowed:\n%s", a.Name.Local, se.Name.Local, html)
			}
			if a.Name.Local == "href" && !allowedURL(a.Value) {
				t.Fatalf("href %q is not an allowed address:\n%s", a.Value, html)
			}
		}
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
