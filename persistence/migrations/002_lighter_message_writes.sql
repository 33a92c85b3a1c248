-- Parley schema, version 2: less work per message post (docs/benchmarks.md).

-- A deliveries row is written only by the message post (persistence/
-- post_queries.cpp), in the statement that inserts its message, for a user
-- whose row the same transaction holds locked: both references hold by
-- construction. Their checks (two per row, four per message) were a third of
-- PostgreSQL's time per message under load. The message_id index served only
-- the cascade; the replay reads by primary key.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_message_id_fkey;
ALTER TABLE deliveries DROP CONSTRAINT deliveries_user_id_fkey;
DROP INDEX deliveries_message;

-- No query reads conversations in last_message_id order (the list is driven
-- by the caller's participants rows); the index only made every post's
-- update of its conversation a non-HOT update with three index insertions.
DROP INDEX conversations_last_message;
