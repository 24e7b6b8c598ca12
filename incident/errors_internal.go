package incident

import "errors"

// errNotYet marks a method whose body is still being written.
var errNotYet = errors.New("incident: not implemented yet")
