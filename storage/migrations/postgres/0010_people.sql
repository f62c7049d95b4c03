-- PostgreSQL dialect: the same statements as migrations/sqlite/0010_people.sql.
--
-- People: users who sign in, their sign-in sessions, their roles in
-- workspaces (members), and API tokens that act for them.
--
-- users.email is kept as given; email_key (trimmed, lower case) is what is
-- unique and compared. password_hash is an argon2id PHC string
-- ($argon2id$v=19$m=…,t=…,p=…$salt$hash). A session, like a token, is
-- stored as the hex SHA-256 of its secret.
--
-- api_tokens gain their creator (user_id; NULL for the instance admin's
-- tokens: the bootstrap token and those `herald token create` makes), a
-- workspace they are narrowed to (NULL: every workspace of the creator), an
-- expiry and a revocation. role is 'admin' for the instance admin's tokens
-- not narrowed, '' for "the creator's role in each workspace", else a
-- workspace role. A deleted workspace takes its members and the tokens
-- narrowed to it along.

CREATE TABLE users (
    id            BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         TEXT    NOT NULL,
    email_key     TEXT    COLLATE "C" NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    admin         INTEGER NOT NULL DEFAULT 0,
    created_at    BIGINT  NOT NULL,
    updated_at    BIGINT  NOT NULL
);

CREATE TABLE sessions (
    id         BIGINT  GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash       TEXT    NOT NULL UNIQUE,
    created_at BIGINT  NOT NULL,
    expires_at BIGINT  NOT NULL
);
CREATE INDEX sessions_user ON sessions (user_id, expires_at);

CREATE TABLE members (
    workspace_id BIGINT  NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    user_id      BIGINT  NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);
CREATE INDEX members_user ON members (user_id, workspace_id);

ALTER TABLE api_tokens ADD COLUMN user_id BIGINT REFERENCES users (id) ON DELETE CASCADE;
ALTER TABLE api_tokens ADD COLUMN workspace_id BIGINT REFERENCES workspaces (id) ON DELETE CASCADE;
ALTER TABLE api_tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE api_tokens ADD COLUMN revoked_at BIGINT;
CREATE INDEX api_tokens_user ON api_tokens (user_id, id);
CREATE INDEX api_tokens_workspace ON api_tokens (workspace_id);
