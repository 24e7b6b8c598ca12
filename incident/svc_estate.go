package incident

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/phasegate/phasegate"
	"github.com/phasegate/phasegate/estate"
)

// UploadEstate validates estate files and stores them as a new estate
// version. Problems come back as *phasegate.Error{Code: EINVALID,
// Details: estate.Problems}. Needs estate.upload. A version that takes a
// gate of a restart away (a two-person rule, a checklist item) is stored
// pending: no incident may use it until a second person approves it
// (ApproveEstateVersion), so one person cannot edit the two-person rule
// away.
func (s *Service) UploadEstate(ctx context.Context, a Actor, files ...estate.File) (*EstateVersion, error) {
	if err := a.Authorize(ActionEstateUpload, nil); err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, phasegate.Errorf(phasegate.EINVALID, "no estate file given")
	}
	est, err := s.parse(files...)
	if err != nil {
		return nil, estateError(err)
	}
	doc, err := json.Marshal(est)
	if err != nil {
		return nil, fmt.Errorf("incident: encode estate: %w", err)
	}
	sum := sha256.Sum256(doc)
	v := &EstateVersion{SHA256: hex.EncodeToString(sum[:]), UploadedBy: a.Name,
		Systems: len(est.Systems), Services: len(est.Services), Teams: len(est.Teams), Document: doc}
	for _, f := range files {
		v.Sources = append(v.Sources, f.Name)
	}
	err = s.update(ctx, func(w *writer) error {
		v.UploadedAt = w.Now()
		base, err := s.baseGates(w)
		if err != nil {
			return err
		}
		v.Weakens = weakenings(base, est.Systems)
		if a.System && len(v.Weakens) > 0 {
			// phasegate itself, loading --estate at start-up on the host.
			v.ApprovedBy, v.ApprovedAt = a.Name, v.UploadedAt
		}
		if err := w.InsertEstateVersion(v); err != nil {
			return err
		}
		payload := map[string]any{
			"number": v.Number, "sha256": v.SHA256, "sources": v.Sources,
			"systems": v.Systems, "services": v.Services, "teams": v.Teams, "organization": est.Organization,
		}
		if len(v.Weakens) > 0 {
			payload["weakens"], payload["pending"] = v.Weakens, v.Pending()
		}
		_, err = w.event(a.Name, EventEstateUploaded, 0, fmt.Sprintf("estate:%d", v.Number), payload)
		return err
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// estateError turns the parser's error into the error a person sees.
func estateError(err error) error {
	var ps estate.Problems
	if errors.As(err, &ps) {
		msg := fmt.Sprintf("the estate has %d problems; fix them and upload again", len(ps))
		if len(ps) == 1 {
			msg = "the estate has a problem: " + ps[0].String()
		}
		return &phasegate.Error{Code: phasegate.EINVALID, Message: msg, Details: ps}
	}
	var pe *phasegate.Error
	if errors.As(err, &pe) {
		return pe
	}
	return &phasegate.Error{Code: phasegate.EINVALID, Message: "the estate cannot be read: " + err.Error()}
}

// EstateVersions lists the uploaded versions, newest first. Needs view.
func (s *Service) EstateVersions(ctx context.Context, a Actor) ([]EstateVersion, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, err
	}
	var out []EstateVersion
	err := s.view(ctx, func(tx Tx) (err error) {
		out, err = tx.EstateVersions()
		return err
	})
	return out, err
}

// Estate returns estate version n (0: the latest), parsed. Needs view.
func (s *Service) Estate(ctx context.Context, a Actor, n int) (*EstateVersion, *estate.Estate, error) {
	if err := a.Authorize(ActionView, nil); err != nil {
		return nil, nil, err
	}
	var v *EstateVersion
	var est *estate.Estate
	err := s.view(ctx, func(tx Tx) (err error) {
		if n == 0 {
			v, err = tx.LatestEstateVersion()
		} else {
			v, err = tx.EstateVersion(n)
		}
		if err != nil {
			return err
		}
		est, err = s.estateVersion(tx, v.Number)
		return err
	})
	return v, est, err
}
