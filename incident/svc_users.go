package incident

import "context"

// CreateUser creates an account. Needs users.manage.
func (s *Service) CreateUser(ctx context.Context, a Actor, u NewUser) (*User, error) {
	return nil, errNotYet
}

// Users lists the accounts. Needs users.manage.
func (s *Service) Users(ctx context.Context, a Actor) ([]User, error) {
	return nil, errNotYet
}

// User returns one account: one's own always, others with users.manage.
func (s *Service) User(ctx context.Context, a Actor, id int64) (*User, error) {
	return nil, errNotYet
}

// SetGrants replaces a user's roles. Needs users.manage.
func (s *Service) SetGrants(ctx context.Context, a Actor, userID int64, grants []Grant) (*User, error) {
	return nil, errNotYet
}

// SetPassword changes a password: one's own always, others with
// users.manage.
func (s *Service) SetPassword(ctx context.Context, a Actor, userID int64, password string) error {
	return errNotYet
}

// SetDisabled disables or re-enables a user; disabling ends their
// sessions and tokens stop working. Needs users.manage.
func (s *Service) SetDisabled(ctx context.Context, a Actor, userID int64, disabled bool) (*User, error) {
	return nil, errNotYet
}

// CreateToken creates an API token acting with one role the user holds.
// One's own needs tokens.own; another user's needs tokens.all.
func (s *Service) CreateToken(ctx context.Context, a Actor, r TokenRequest) (*NewToken, error) {
	return nil, errNotYet
}

// Tokens lists a user's tokens (userID 0: one's own). Another user's
// need tokens.all.
func (s *Service) Tokens(ctx context.Context, a Actor, userID int64) ([]Token, error) {
	return nil, errNotYet
}

// RevokeToken revokes a token. One's own needs tokens.own, another
// user's tokens.all.
func (s *Service) RevokeToken(ctx context.Context, a Actor, id int64) (*Token, error) {
	return nil, errNotYet
}

// BreakGlassActor is the actor recorded for the admin commands that work
// on the database directly (phasegate user add, phasegate token create).
const BreakGlassActor = "cli:break-glass"

// BreakGlassAddUser creates a user with roles without any permission
// check, for set-up and break-glass use by the command line on the
// database. The event names BreakGlassActor.
func (s *Service) BreakGlassAddUser(ctx context.Context, name, password string, grants []Grant) (*User, error) {
	return nil, errNotYet
}

// BreakGlassCreateToken creates a token for a user without any
// permission check (command line on the database). Role empty picks the
// user's only role.
func (s *Service) BreakGlassCreateToken(ctx context.Context, userName string, role Role, label string) (*NewToken, error) {
	return nil, errNotYet
}
