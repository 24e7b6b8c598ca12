package incident

import (
	"context"

	"github.com/phasegate/phasegate/estate"
)

// UploadEstate validates estate files and stores them as a new estate
// version. Problems come back as *phasegate.Error{Code: EINVALID,
// Details: estate.Problems}. Needs estate.upload.
func (s *Service) UploadEstate(ctx context.Context, a Actor, files ...estate.File) (*EstateVersion, error) {
	return nil, errNotYet
}

// EstateVersions lists the uploaded versions, newest first. Needs view.
func (s *Service) EstateVersions(ctx context.Context, a Actor) ([]EstateVersion, error) {
	return nil, errNotYet
}

// Estate returns estate version n (0: the latest), parsed. Needs view.
func (s *Service) Estate(ctx context.Context, a Actor, n int) (*EstateVersion, *estate.Estate, error) {
	return nil, nil, errNotYet
}
