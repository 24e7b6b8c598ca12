package store

import "github.com/phasegate/phasegate/incident"

// ---- where each webhook's notifications stand ----

func (t *tx) NotifyCursor(hook string) (*incident.NotifyCursor, error) {
	c := incident.NotifyCursor{Hook: hook}
	var lease, updated string
	err := t.row(`SELECT seq, holder, lease_until, updated_at FROM notify_cursors WHERE hook = ?`, hook).
		Scan(&c.Seq, &c.Holder, &lease, &updated)
	if err != nil {
		return nil, notFound(err, "no notification was ever delivered to hook %s", hook)
	}
	return &c, times(lease, &c.LeaseUntil, updated, &c.UpdatedAt)
}

func (t *tx) PutNotifyCursor(c incident.NotifyCursor) error {
	if err := t.mustWrite(); err != nil {
		return err
	}
	_, err := t.exec(`INSERT INTO notify_cursors (hook, seq, holder, lease_until, updated_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (hook) DO UPDATE SET seq = excluded.seq, holder = excluded.holder,
		lease_until = excluded.lease_until, updated_at = excluded.updated_at`,
		c.Hook, c.Seq, c.Holder, ts(c.LeaseUntil), ts(c.UpdatedAt))
	return err
}
