-- Parley schema, version 4: "unread" compares message ids, not times.
--
-- A message's created_at is its statement's start (now()), and a post's
-- statement may wait (for its users' row locks, behind another batch) before
-- it commits. A reader who marked the conversation read during that wait got
-- messages_read_at later than the message's created_at, so a message it
-- never saw counted as read. last_read_message_id is the conversation's last
-- message as the reader's own statement saw it: a message still committing
-- is newer than that, whenever its statement started. messages_read_at stays,
-- moved as before (SPEC §1).
ALTER TABLE participants ADD COLUMN last_read_message_id BIGINT NOT NULL DEFAULT 0;

-- Keeps every conversation's read state as the old rule gave it.
UPDATE participants p SET last_read_message_id = c.last_message_id
  FROM conversations c JOIN messages m ON m.id = c.last_message_id
  WHERE c.id = p.conversation_id AND p.messages_read_at >= m.created_at;
