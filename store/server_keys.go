package store

// ---- keys shared by the instances of one store ----

// ServerKey returns the key called name, storing key as it when there is
// none yet: the first instance to ask makes it, every other one reads the
// same.
func (t *tx) ServerKey(name, keyHex string) (string, error) {
	if err := t.mustWrite(); err != nil {
		return "", err
	}
	if _, err := t.exec(`INSERT INTO server_keys (name, key_hex, created_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING`,
		name, keyHex, ts(t.now)); err != nil {
		return "", err
	}
	var got string
	err := t.row(`SELECT key_hex FROM server_keys WHERE name = ?`, name).Scan(&got)
	return got, err
}
