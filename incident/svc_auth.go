package incident

import "context"

// Bootstrap creates the first user, "admin" with the admin role and a
// random password, when the store has no user. It returns the password
// (to print once), or "" when users exist.
func (s *Service) Bootstrap(ctx context.Context) (name, password string, err error) {
	return "", "", errNotYet
}

// Login checks a user name and password. Failures are slowed and, after
// MaxFailures, locked out (ETOOMANY with Details RetryAfter); every
// attempt is an event. The session secret in the result is shown once.
func (s *Service) Login(ctx context.Context, name, password string, c Client) (*LoginResult, error) {
	return nil, errNotYet
}

// Logout ends a session.
func (s *Service) Logout(ctx context.Context, sessionSecret string) error {
	return errNotYet
}

// SessionActor returns the actor of a live session (EUNAUTHORIZED when
// the session is unknown, expired or its user disabled).
func (s *Service) SessionActor(ctx context.Context, sessionSecret, address string) (Actor, error) {
	return Actor{}, errNotYet
}

// TokenActor returns the actor of an API token, acting with the token's
// one role, and records when it was last used.
func (s *Service) TokenActor(ctx context.Context, tokenSecret, address string) (Actor, error) {
	return Actor{}, errNotYet
}

// RetryAfter is the Details of an ETOOMANY login refusal.
type RetryAfter struct {
	Seconds int  `json:"retry_after"`
	Locked  bool `json:"locked"`
}
