package store

import (
	"github.com/phasegate/phasegate/incident"
)

// ---- one-time password codes ----

const codeCols = `user_id, hash, issued_by, approved_by, issued_at, expires_at`

func scanPasswordCode(sc interface{ Scan(...any) error }) (*incident.PasswordCode, error) {
	var c incident.PasswordCode
	var issued, expires string
	if err := sc.Scan(&c.UserID, &c.Hash, &c.IssuedBy, &c.ApprovedBy, &issued, &expires); err != nil {
		return nil, err
	}
	return &c, times(issued, &c.IssuedAt, expires, &c.ExpiresAt)
}

func (t *tx) PutPasswordCode(c incident.PasswordCode) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO password_codes (`+codeCols+`) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, issued_by = excluded.issued_by,
		approved_by = excluded.approved_by, issued_at = excluded.issued_at, expires_at = excluded.expires_at`,
		c.UserID, c.Hash, c.IssuedBy, c.ApprovedBy, ts(c.IssuedAt), ts(c.ExpiresAt))
	return err
}

func (t *tx) PasswordCode(userID int64) (*incident.PasswordCode, error) {
	c, err := scanPasswordCode(t.row(`SELECT `+codeCols+` FROM password_codes WHERE user_id = ?`, userID))
	if err != nil {
		return nil, notFound(err, "user %d has no one-time password code; an admin issues one", userID)
	}
	return c, nil
}

func (t *tx) PasswordCodes() ([]incident.PasswordCode, error) {
	return queryAll(t, scanPasswordCode, `SELECT `+codeCols+` FROM password_codes ORDER BY user_id`)
}

func (t *tx) DeletePasswordCode(userID int64) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`DELETE FROM password_codes WHERE user_id = ?`, userID)
	return err
}
