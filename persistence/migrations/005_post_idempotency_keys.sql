-- Parley schema, version 5: idempotency keys for message posts.
--
-- A post whose answer the client never saw (a 503 "outcome unknown", a
-- timeout, a dropped connection) may have been stored. A client that sends
-- the post again with the same Idempotency-Key gets the stored message back
-- instead of a second copy (docs/api.md). The key is the client's, unique
-- per sender and conversation: posts of one conversation are committed by
-- one worker, and this index also settles two servers racing with one key.
-- Only posts with a key have an index entry.
ALTER TABLE messages ADD COLUMN client_key TEXT NULL;
CREATE UNIQUE INDEX messages_client_key
  ON messages (conversation_id, user_id, client_key)
  WHERE client_key IS NOT NULL;
