package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"sort"
	"strings"
	"time"
)

// maxJSONBody bounds the JSON body of every request but estate uploads.
const maxJSONBody = 1 << 20

// writeJSON is the one place JSON responses are rendered.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		// Only a bug gets here (an unencodable value): say so plainly.
		buf.Reset()
		buf.WriteString(`{"code":"internal","message":"Internal error."}` + "\n")
		status = http.StatusInternalServerError
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// decodeJSON reads a JSON request body into dst: at most limit bytes, no
// unknown fields, exactly one value. Every failure is a 400 (413 when too
// large) whose message says what is wrong and where.
func decodeJSON(w http.ResponseWriter, r *http.Request, dst any, limit int64) error {
	if err := checkJSONType(r); err != nil {
		return err
	}
	data, err := readLimited(w, r, limit)
	if err != nil {
		return err
	}
	return decodeBytes(data, dst)
}

// checkJSONType refuses a body declared as something other than JSON (no
// Content-Type at all is taken as JSON, for curl's sake).
func checkJSONType(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return invalidRequest(http.StatusUnsupportedMediaType,
			"the request body is %q; send JSON with Content-Type: application/json", ct)
	}
	return nil
}

// readLimited reads the whole body, refusing more than limit bytes (413).
func readLimited(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return nil, invalidRequest(http.StatusRequestEntityTooLarge,
				"the request body is larger than %d bytes; send less", limit)
		}
		return nil, invalidRequest(http.StatusBadRequest, "reading the request body failed: %v; send it again", err)
	}
	return data, nil
}

// decodeBytes is decodeJSON without the HTTP: the part the fuzz tests
// drive.
func decodeBytes(data []byte, dst any) error {
	if len(bytes.TrimSpace(data)) == 0 {
		return invalidRequest(http.StatusBadRequest, "the request body is empty; send a JSON object (%s)", fieldList(dst))
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return invalidRequest(http.StatusBadRequest, "%s", describeJSONError(data, err, dst))
	}
	if dec.More() {
		return invalidRequest(http.StatusBadRequest, "the request body holds more than one JSON value; send one object")
	}
	// Decode stops after the first value; anything but white space after
	// it is an error too.
	var rest json.RawMessage
	if err := dec.Decode(&rest); err != io.EOF {
		return invalidRequest(http.StatusBadRequest, "the request body holds more than one JSON value; send one object")
	}
	return nil
}

// describeJSONError turns encoding/json's errors into a sentence that
// names the place and the fix.
func describeJSONError(data []byte, err error, dst any) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	var tpe *time.ParseError
	switch {
	case errors.As(err, &syn):
		line, col := position(data, syn.Offset)
		return fmt.Sprintf("the request body is not valid JSON at line %d, column %d: %s", line, col, syn.Error())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "the request body ends in the middle of a JSON value; send a complete object"
	case errors.As(err, &typ):
		if typ.Field == "" {
			return fmt.Sprintf("the request body is a JSON %s; send a JSON object (%s)", typ.Value, fieldList(dst))
		}
		return fmt.Sprintf("field %q: want %s, got a JSON %s", typ.Field, describeType(typ.Type), typ.Value)
	case errors.As(err, &tpe):
		if at := badTimeField(data, dst); at != "" {
			return fmt.Sprintf("field %s: %q is not an RFC 3339 time; write it like 2025-09-01T08:00:00Z", at, tpe.Value)
		}
		return fmt.Sprintf("a time in the request body is not RFC 3339 (%q); write it like 2025-09-01T08:00:00Z", tpe.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.TrimPrefix(err.Error(), "json: unknown field ")
		return fmt.Sprintf("unknown field %s in the request body; the fields are: %s", name, fieldList(dst))
	}
	return fmt.Sprintf("the request body cannot be read: %s", strings.TrimPrefix(err.Error(), "json: "))
}

func position(data []byte, offset int64) (line, col int) {
	line, col = 1, 1
	for i := int64(0); i < offset && i < int64(len(data)); i++ {
		if data[i] == '\n' {
			line++
			col = 1
		} else {
			col++
		}
	}
	return line, col
}

func describeType(t reflect.Type) string {
	if t == reflect.TypeOf(time.Time{}) {
		return "an RFC 3339 time"
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "an object"
	}
	return "a " + t.String()
}

// fieldList names the JSON fields of dst's type, for messages.
func fieldList(dst any) string {
	t := reflect.TypeOf(dst)
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if t == nil || t.Kind() != reflect.Struct {
		return "see the API documentation"
	}
	var names []string
	collectFields(t, &names)
	sort.Strings(names)
	return strings.Join(names, ", ")
}

func collectFields(t reflect.Type, names *[]string) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() && !f.Anonymous {
			continue
		}
		if f.Anonymous && name == "" {
			ft := f.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				collectFields(ft, names)
				continue
			}
		}
		if name == "" {
			name = f.Name
		}
		*names = append(*names, name)
	}
}

var timeType = reflect.TypeOf(time.Time{})

// badTimeField finds, for encoding/json's time errors (which name no
// field), where in data a time of dst does not parse: e.g.
// services[1].eta (the line of supplier-payments). "" when not found.
func badTimeField(data []byte, dst any) string {
	var v any
	if json.Unmarshal(data, &v) != nil {
		return ""
	}
	return findBadTime(v, reflect.TypeOf(dst), "")
}

func findBadTime(v any, t reflect.Type, path string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t == timeType:
		if s, ok := v.(string); ok {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				return path
			}
		}
	case t.Kind() == reflect.Slice || t.Kind() == reflect.Array:
		items, _ := v.([]any)
		for i, item := range items {
			if at := findBadTime(item, t.Elem(), fmt.Sprintf("%s[%d]", path, i)); at != "" {
				return at
			}
		}
	case t.Kind() == reflect.Struct:
		obj, ok := v.(map[string]any)
		if !ok {
			return ""
		}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if f.Anonymous && name == "" {
				if at := findBadTime(v, f.Type, path); at != "" {
					return at
				}
				continue
			}
			if name == "" {
				name = f.Name
			}
			if name == "-" || !f.IsExported() {
				continue
			}
			sub, ok := obj[name]
			if !ok {
				continue
			}
			at := name
			if path != "" {
				at = path + "." + name
			}
			if found := findBadTime(sub, f.Type, at); found != "" {
				if found == at {
					if svc, ok := obj["service"].(string); ok && svc != "" {
						found += fmt.Sprintf(" (the line of %s)", svc)
					}
				}
				return found
			}
		}
	}
	return ""
}
