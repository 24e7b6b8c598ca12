// Package api holds the OpenAPI description of phasegate's HTTP API
// (openapi.yaml), embedded so the server can serve it and the tests can
// check it against the routes the server registers.
package api

import _ "embed"

// OpenAPI is openapi.yaml.
//
//go:embed openapi.yaml
var OpenAPI []byte
