package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/server"
)

// apiClient calls the phasegate server with an API token, or without one
// for the few public routes (redeeming a one-time password code): only
// publicClient makes one without a token. Errors from the API come back
// as *phasegate.Error with the server's message and reasons, so the
// command shows exactly what the server said.
type apiClient struct {
	base  string
	token string
	http  *http.Client
}

// clientFlags are --server, --token and --format, shared by every client
// command.
type clientFlags struct {
	server string
	token  string
	format string
	// envServer is $PHASEGATE_SERVER, the default of --server: an error
	// about a URL from there names the variable, not a flag never typed.
	envServer string
}

func (c *clientFlags) register(fs *flag.FlagSet, e env) {
	c.registerServer(fs, e)
	fs.StringVar(&c.token, "token", "", "API token (default $PHASEGATE_TOKEN)")
	fs.StringVar(&c.format, "format", "text", "text or json")
}

// registerServer registers --server alone, for a command on a public
// route that takes no token.
func (c *clientFlags) registerServer(fs *flag.FlagSet, e env) {
	def := e.getenv("PHASEGATE_SERVER")
	c.envServer = def
	if def == "" {
		def = "http://127.0.0.1:8080"
	}
	fs.StringVar(&c.server, "server", def, "server URL")
	c.format = "text"
}

func (c *clientFlags) client(e env) (*apiClient, error) {
	if c.format != "text" && c.format != "json" {
		return nil, usagef("--format %q: use text or json", c.format)
	}
	tok := c.token
	if tok == "" {
		tok = e.getenv("PHASEGATE_TOKEN")
	}
	if tok == "" {
		return nil, usagef("give an API token with --token or the PHASEGATE_TOKEN environment variable " +
			"(an admin creates one with 'phasegate token create --user NAME')")
	}
	api, err := c.publicClient()
	if err != nil {
		return nil, err
	}
	api.token = tok
	return api, nil
}

// publicClient is a client without a token, for the public routes only:
// every other command gets its client from client, which insists on one.
func (c *clientFlags) publicClient() (*apiClient, error) {
	from := "--server"
	if c.envServer != "" && c.server == c.envServer {
		from = "PHASEGATE_SERVER"
	}
	u, err := url.Parse(c.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usagef("%s %q: give the server's URL, e.g. http://127.0.0.1:8080", from, c.server)
	}
	// The URL of the API itself, copied from a curl line, would double the
	// prefix and every command would answer "no route".
	if p := strings.TrimRight(u.Path, "/"); strings.HasSuffix(p, "/api/v1") || strings.HasSuffix(p, "/api") {
		base := *u
		base.Path = strings.TrimSuffix(strings.TrimSuffix(p, "/v1"), "/api")
		base.RawPath = ""
		fix := "--server " + base.String()
		if from == "PHASEGATE_SERVER" {
			fix = "PHASEGATE_SERVER=" + base.String()
		}
		return nil, usagef("%s %q: give the server's own URL, without the API's path: %s", from, c.server, fix)
	}
	return &apiClient{base: strings.TrimRight(c.server, "/"),
		http: &http.Client{Timeout: 5 * time.Minute}}, nil
}

// rawBody is a request body sent as it is, with its content type (an
// estate upload), instead of as JSON.
type rawBody struct {
	contentType string
	data        []byte
}

// do sends a request and decodes a JSON answer into out (when not nil).
// It returns the status of a successful answer.
func (c *apiClient) do(ctx context.Context, method, path string, body, out any) (int, error) {
	var rd io.Reader
	contentType := "application/json"
	if raw, ok := body.(rawBody); ok {
		rd, contentType = bytes.NewReader(raw.data), raw.contentType
	} else if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return 0, err
	}
	if c.token != "" { // a public route: no credentials at all, not an empty one
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", contentType)
	}
	res, err := c.http.Do(req)
	if err != nil {
		var op *net.OpError
		if errors.As(err, &op) {
			return 0, fmt.Errorf("cannot reach the phasegate server at %s (%v); start it with 'phasegate serve', or give its URL with --server", c.base, op.Err)
		}
		return 0, fmt.Errorf("calling %s: %v", c.base, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, 256<<20))
	if err != nil {
		return 0, fmt.Errorf("reading the server's answer: %v", err)
	}
	if res.StatusCode >= 400 {
		return res.StatusCode, apiError(res, data)
	}
	if out != nil && len(data) > 0 {
		if raw, ok := out.(*json.RawMessage); ok {
			*raw = append((*raw)[:0], data...)
		} else if err := json.Unmarshal(data, out); err != nil {
			return res.StatusCode, fmt.Errorf("the server's answer to %s %s is not what this phasegate expects (%v); are client and server the same version?", method, path, err)
		}
	}
	return res.StatusCode, nil
}

// apiError turns an error answer back into the *phasegate.Error the
// server sent. An invalid estate's problems become its reasons.
func apiError(res *http.Response, data []byte) error {
	var body server.ErrorResponse
	if err := json.Unmarshal(data, &body); err != nil || body.Message == "" {
		return fmt.Errorf("the server answered %s with no explanation; see its log", res.Status)
	}
	e := &phasegate.Error{Code: body.Code, Message: body.Message, Reasons: body.Reasons}
	for _, p := range body.Errors {
		// The message of an estate with one problem already says it.
		if s := p.String(); len(body.Errors) > 1 || !strings.Contains(e.Message, s) {
			e.Reasons = append(e.Reasons, s)
		}
	}
	if body.RetryAfter > 0 && !strings.Contains(e.Message, "seconds") {
		e.Message += fmt.Sprintf(" (retry after %d seconds)", body.RetryAfter)
	}
	return e
}
