package server

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strings"

	"github.com/phasegate/phasegate/estate"
)

// maxEstateFiles bounds how many files one upload may carry.
const maxEstateFiles = 500

// readEstateUpload reads the files of PUT /api/v1/estate: one YAML or
// JSON document as the body (named by ?name=, default estate.yaml or
// estate.json), or several files as multipart/form-data (each part a file
// with its file name; item CSV files too, named as the estate's items:
// paths name them).
func readEstateUpload(w http.ResponseWriter, r *http.Request) ([]estate.File, error) {
	ct := r.Header.Get("Content-Type")
	mt, params, err := mime.ParseMediaType(ct)
	if ct == "" || err != nil {
		return nil, invalidRequest(http.StatusUnsupportedMediaType,
			"say what the body is: Content-Type application/yaml or application/json for one file, multipart/form-data for several")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxEstateBody)
	switch mt {
	case "application/yaml", "application/x-yaml", "text/yaml", "application/json":
		name := r.URL.Query().Get("name")
		if name == "" {
			name = "estate.yaml"
			if mt == "application/json" {
				name = "estate.json"
			}
		}
		name, err := cleanUploadName(name)
		if err != nil {
			return nil, err
		}
		data, err := readLimited(w, r, maxEstateBody)
		if err != nil {
			return nil, err
		}
		if len(data) == 0 {
			return nil, invalidRequest(http.StatusBadRequest, "the body is empty; send the estate file")
		}
		return []estate.File{{Name: name, Data: data}}, nil
	case "multipart/form-data":
		return readMultipartEstate(r, params["boundary"], false)
	}
	return nil, invalidRequest(http.StatusUnsupportedMediaType,
		"Content-Type %q is not an estate: send application/yaml or application/json for one file, multipart/form-data for several", mt)
}

// readEstateForm reads the upload form of the estate page: the same
// multipart reader and limits as PUT /api/v1/estate (every part a file,
// names kept relative, at most maxEstateFiles files and maxEstateBody
// bytes), as a browser sends it.
func readEstateForm(w http.ResponseWriter, r *http.Request) ([]estate.File, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, invalidRequest(http.StatusUnsupportedMediaType,
			"the upload form was not sent as multipart/form-data; reload the estate page and choose the files again")
	}
	r.Body = http.MaxBytesReader(w, r.Body, maxEstateBody)
	return readMultipartEstate(r, params["boundary"], true)
}

// readMultipartEstate reads every part of a multipart body as an estate
// file. From a browser's form (browser set), a file input with no file
// chosen sends a part with an empty file name and no content: it is no
// file, and is skipped.
func readMultipartEstate(r *http.Request, boundary string, browser bool) ([]estate.File, error) {
	if boundary == "" {
		return nil, invalidRequest(http.StatusBadRequest, "the multipart body has no boundary; let your HTTP client build the form")
	}
	mr := multipart.NewReader(r.Body, boundary)
	var files []estate.File
	seen := map[string]bool{}
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, uploadReadError(err)
		}
		// The raw file name, not Part.FileName, which drops directories
		// that items: paths may need.
		_, params, _ := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
		raw, isFile := params["filename"]
		if browser && isFile && raw == "" {
			n, err := io.Copy(io.Discard, p)
			p.Close()
			if err != nil {
				return nil, uploadReadError(err)
			}
			if n == 0 {
				continue // a file input with nothing chosen
			}
		}
		if raw == "" {
			p.Close()
			return nil, invalidRequest(http.StatusBadRequest,
				"form field %q is not a file; send every estate file as a file part with its name", p.FormName())
		}
		name, err := cleanUploadName(raw)
		if err != nil {
			return nil, err
		}
		if seen[name] {
			return nil, invalidRequest(http.StatusBadRequest, "file %q is sent twice; send each file once", name)
		}
		seen[name] = true
		data, err := io.ReadAll(p)
		p.Close()
		if err != nil {
			return nil, uploadReadError(err)
		}
		files = append(files, estate.File{Name: name, Data: data})
		if len(files) > maxEstateFiles {
			return nil, invalidRequest(http.StatusRequestEntityTooLarge, "more than %d files in one upload; merge some", maxEstateFiles)
		}
	}
	if len(files) == 0 {
		if browser {
			return nil, invalidRequest(http.StatusBadRequest,
				"no file was chosen; choose the estate's .yaml, .yml or .json files (and the CSV item files it names)")
		}
		return nil, invalidRequest(http.StatusBadRequest, "the form holds no files; send the estate files")
	}
	return files, nil
}

func uploadReadError(err error) error {
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return invalidRequest(http.StatusRequestEntityTooLarge, "the estate is larger than %d bytes; send less", maxEstateBody)
	}
	return invalidRequest(http.StatusBadRequest, "the multipart body cannot be read: %v; let your HTTP client build the form", err)
}

// cleanUploadName keeps a relative, slash-separated name inside the
// upload (no "..", no absolute paths): names only ever label the files
// and resolve items: paths between them.
func cleanUploadName(name string) (string, error) {
	n := path.Clean(strings.ReplaceAll(name, "\\", "/"))
	if n == "." || strings.HasPrefix(n, "/") || n == ".." || strings.HasPrefix(n, "../") {
		return "", invalidRequest(http.StatusBadRequest,
			"file name %q leaves the upload; use a relative name like estate.yaml or plants/north.yaml", name)
	}
	return n, nil
}
