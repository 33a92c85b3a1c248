-- Parley schema, version 1. See SPEC §1.

CREATE TABLE users (
  id          BIGSERIAL PRIMARY KEY,
  username    TEXT NOT NULL UNIQUE,
  avatar_url  TEXT NULL,
  github_id   BIGINT UNIQUE NULL,
  -- The user's inbox counter: the seq of the newest row in deliveries.
  last_seq    BIGINT NOT NULL DEFAULT 0,
  created_at  TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- Usernames are unique regardless of case; this index also serves the
-- case-insensitive prefix search (C collation, so LIKE 'x%' can use it).
CREATE UNIQUE INDEX users_username_lower ON users (lower(username) text_pattern_ops);

CREATE TABLE conversations (
  id               BIGSERIAL PRIMARY KEY,
  -- The pair, smaller id first: one conversation per pair, by the database.
  user_low         BIGINT NOT NULL REFERENCES users (id),
  user_high        BIGINT NOT NULL REFERENCES users (id),
  last_message_id  BIGINT NULL,
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now(),
  CONSTRAINT conversations_pair_unique UNIQUE (user_low, user_high),
  CONSTRAINT conversations_pair_ordered CHECK (user_low < user_high)
);

CREATE TABLE participants (
  user_id          BIGINT NOT NULL REFERENCES users (id),
  conversation_id  BIGINT NOT NULL REFERENCES conversations (id),
  messages_read_at TIMESTAMPTZ NOT NULL DEFAULT now(),
  PRIMARY KEY (user_id, conversation_id)
);
CREATE INDEX participants_conversation ON participants (conversation_id);

CREATE TABLE messages (
  id               BIGSERIAL PRIMARY KEY,
  content          VARCHAR(480) NOT NULL,
  user_id          BIGINT NOT NULL REFERENCES users (id),
  conversation_id  BIGINT NOT NULL REFERENCES conversations (id),
  created_at       TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX messages_conversation_id ON messages (conversation_id, id DESC);

ALTER TABLE conversations
  ADD CONSTRAINT conversations_last_message_fk FOREIGN KEY (last_message_id)
  REFERENCES messages (id) ON DELETE SET NULL;
-- Lists conversations by latest activity.
CREATE INDEX conversations_last_message ON conversations (last_message_id DESC);

-- The per-user inbox: gap-free seq per user, in commit order (SPEC §1).
CREATE TABLE deliveries (
  user_id     BIGINT NOT NULL REFERENCES users (id),
  seq         BIGINT NOT NULL,
  message_id  BIGINT NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  PRIMARY KEY (user_id, seq)
);
CREATE INDEX deliveries_message ON deliveries (message_id);
