-- One-time password codes (docs/adr/0008): a new account or a reset gets
-- a code that the person uses to set their own password, so no admin
-- knows it. Only the code's SHA-256 is kept; one code per user.
CREATE TABLE password_codes (
	user_id     BIGINT PRIMARY KEY,
	hash        TEXT   NOT NULL,
	issued_by   TEXT   NOT NULL,
	approved_by TEXT   NOT NULL,
	issued_at   TEXT   NOT NULL,
	expires_at  TEXT   NOT NULL
);
