-- Parley schema, version 3: no foreign-key checks in the message post
-- (docs/benchmarks.md).

-- A message row is written only by the message post (persistence/
-- post_queries.cpp), in the statement that has just found its sender among
-- its conversation's participants and holds both users' rows locked; and
-- conversations.last_message_id is set there to a message the same statement
-- inserts. All three references hold by construction, and nothing deletes
-- users, conversations or messages. Their checks (a row lock on the sender's
-- user row and on the conversation row per message, and on the message per
-- conversation) were a fifth of PostgreSQL's time per message in a batch of
-- 16 to 64. Anything that ever deletes messages must also move or clear
-- conversations.last_message_id: the conversation list joins on it.
ALTER TABLE messages DROP CONSTRAINT messages_user_id_fkey;
ALTER TABLE messages DROP CONSTRAINT messages_conversation_id_fkey;
ALTER TABLE conversations DROP CONSTRAINT conversations_last_message_fk;
