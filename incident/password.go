package incident

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"
	"strings"

	"golang.org/x/crypto/argon2"
)

// PasswordParams are the argon2id parameters. They are stored in every
// hash (PHC string format), so changing them affects new hashes only.
type PasswordParams struct {
	Memory  uint32 // KiB
	Time    uint32 // passes
	Threads uint8
	KeyLen  uint32
	SaltLen uint32
}

// DefaultPasswordParams follow RFC 9106's second recommended option
// (64 MiB, 3 passes, 4 lanes): about 0.1 s per login on one core, which
// hurts a password guesser far more than a person.
var DefaultPasswordParams = PasswordParams{Memory: 64 * 1024, Time: 3, Threads: 4, KeyLen: 32, SaltLen: 16}

// HashPassword hashes a password with argon2id and returns the PHC string
// $argon2id$v=19$m=MEM,t=TIME,p=THREADS$SALT$KEY (unpadded standard
// base64). Random supplies the salt.
func HashPassword(password string, p PasswordParams, random io.Reader) (string, error) {
	salt := make([]byte, p.SaltLen)
	if _, err := io.ReadFull(random, salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, p.KeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s",
		argon2.Version, p.Memory, p.Time, p.Threads, b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// CheckPassword reports whether password matches a PHC string made by
// HashPassword, comparing in constant time. A malformed hash never matches.
func CheckPassword(encoded, password string) bool {
	p, salt, key, err := parsePHC(encoded)
	if err != nil {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(key)))
	return subtle.ConstantTimeCompare(got, key) == 1
}

// parsePHC reads $argon2id$v=19$m=..,t=..,p=..$salt$key, refusing
// parameters that would let a stored hash exhaust memory or time.
func parsePHC(encoded string) (PasswordParams, []byte, []byte, error) {
	var p PasswordParams
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[0] != "" || parts[1] != "argon2id" {
		return p, nil, nil, fmt.Errorf("not an argon2id PHC string")
	}
	if parts[2] != "v="+strconv.Itoa(argon2.Version) {
		return p, nil, nil, fmt.Errorf("unsupported argon2 version %q", parts[2])
	}
	for _, kv := range strings.Split(parts[3], ",") {
		k, v, _ := strings.Cut(kv, "=")
		n, err := strconv.ParseUint(v, 10, 32)
		if err != nil {
			return p, nil, nil, fmt.Errorf("parameter %q: %v", kv, err)
		}
		switch k {
		case "m":
			p.Memory = uint32(n)
		case "t":
			p.Time = uint32(n)
		case "p":
			if n > 255 {
				return p, nil, nil, fmt.Errorf("parameter %q out of range", kv)
			}
			p.Threads = uint8(n)
		default:
			return p, nil, nil, fmt.Errorf("unknown parameter %q", k)
		}
	}
	if p.Memory < 8 || p.Memory > 4<<20 || p.Time < 1 || p.Time > 64 || p.Threads < 1 {
		return p, nil, nil, fmt.Errorf("parameters out of range")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return p, nil, nil, fmt.Errorf("salt: %v", err)
	}
	key, err := b64.DecodeString(parts[5])
	if err != nil || len(key) < 16 || len(key) > 128 {
		return p, nil, nil, fmt.Errorf("bad key")
	}
	return p, salt, key, nil
}

// TokenPrefix starts every API token, so a leaked one is recognisable
// (secret scanners) and cannot be confused with a session id.
const TokenPrefix = "pgt_"

// newSecret returns 32 random bytes as unpadded base64url.
func newSecret(random io.Reader) (string, error) {
	b := make([]byte, 32)
	if _, err := io.ReadFull(random, b); err != nil {
		return "", fmt.Errorf("random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// HashSecret is how tokens and session ids are stored: hex SHA-256. A
// fast hash suffices because the secrets carry 256 bits of entropy.
func HashSecret(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}
