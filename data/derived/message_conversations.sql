-- message_conversations: the inbox list, table message_conversations_denorm.
-- One row per ordered pair (user_id, other_user_id) of users with at least
-- one direct message between them (either direction); the pair's two rows
-- appear with its first message and go with its last. last_message_id,
-- _text, _time and last_sender_id are those of the message between the two
-- with the greatest (created_at, id); unread_count counts the unread
-- messages from other_user_id to user_id; total_messages counts both
-- directions.
-- Category A, real time: kept by row triggers in the writer's transaction,
-- so a message sent or read shows at once. Staleness target: none (0); no
-- refresher, no dirty log. data::reconcile recomputes it from its
-- definition and repairs it (`server reconcile --repair`); definitions:
-- docs/DERIVED-DATA.md. Key: (user_id, other_user_id).
--
-- Table and indexes: message_conversations_denorm (UNIQUE (user_id,
-- other_user_id); CHECKs: not self, sender is one of the two, unread_count
-- <= total_messages, total_messages >= 1; last_message_id has no foreign
-- key, so deleting the last message never cascades to the pair) with
-- idx_conversations_user (user_id, last_message_time DESC) for the inbox
-- list and idx_conversations_unread (user_id, unread_count) WHERE
-- unread_count > 0 are created, and backfilled with real values, by
-- migration 20261125000013_message_conversations.sql. They stay there;
-- this file holds only the functions and triggers, and is re-applied
-- (idempotently) after the migrations on every start. The functions also
-- use direct_messages' index idx_messages_conversation (base schema).
--
-- Read by: /inbox (data::messages::inbox, one range scan of
-- idx_conversations_user), a conversation's unread count
-- (data::messages::unread_from), data::reconcile.
--
-- Kept by triggers (AFTER ... FOR EACH ROW) on:
--   direct_messages  derived_30_message_conversations (INSERT, DELETE,
--                    UPDATE OF is_read, message, sender_id, recipient_id,
--                    created_at)
-- Tests: data/tests/realtime_tables.rs (every transition, late commits,
-- the randomized concurrent workload), data/tests/replaceable_schema.rs
-- (message_conversations_*).
--
-- Rules the functions rely on:
-- * "Last message" is the greatest (created_at, id), not the most recently
--   inserted: a transaction that started earlier and commits later cannot
--   take the top with an older message.
-- * Deleting any message (the last one included) recomputes the last
--   message from the remaining ones; the pair's rows go only when no
--   message is left.
-- * Lock order: the rows of a pair are locked or upserted in ascending
--   user_id order (four rows, when a message moves to another pair, in
--   ascending (user_id, other_user_id)), and always after the dashboard
--   rows: PostgreSQL fires the triggers of one table and event in name
--   order, so derived_10_user_dashboard_stats (the recipient's unread
--   count) runs before derived_30_message_conversations. The names must
--   not change.
-- * Run writes at READ COMMITTED: after locking the pair's rows, the next
--   statement's fresh snapshot sees every message committed by a writer
--   that was waited for, so the newest remaining message is the truth.

-- A message joins its pair: both rows upserted in ascending user_id order
-- (the order every writer of this table uses), counts moved relatively,
-- the last message replaced only by a newer one.
CREATE OR REPLACE FUNCTION message_conversations_add(m direct_messages) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO message_conversations_denorm AS c (
        user_id, other_user_id, last_message_id, last_message_text, last_message_time,
        last_sender_id, unread_count, total_messages)
    SELECT v.user_id, v.other_user_id, m.id, m.message, m.created_at, m.sender_id, v.unread, 1
    FROM (VALUES (m.sender_id, m.recipient_id, 0),
                 (m.recipient_id, m.sender_id, CASE WHEN m.is_read THEN 0 ELSE 1 END)
         ) AS v(user_id, other_user_id, unread)
    ORDER BY v.user_id
    ON CONFLICT (user_id, other_user_id) DO UPDATE SET
        total_messages = c.total_messages + 1,
        unread_count   = c.unread_count + EXCLUDED.unread_count,
        last_message_id = CASE WHEN (EXCLUDED.last_message_time, EXCLUDED.last_message_id)
                                    > (c.last_message_time, c.last_message_id)
                               THEN EXCLUDED.last_message_id ELSE c.last_message_id END,
        last_message_text = CASE WHEN (EXCLUDED.last_message_time, EXCLUDED.last_message_id)
                                    > (c.last_message_time, c.last_message_id)
                               THEN EXCLUDED.last_message_text ELSE c.last_message_text END,
        last_sender_id = CASE WHEN (EXCLUDED.last_message_time, EXCLUDED.last_message_id)
                                    > (c.last_message_time, c.last_message_id)
                               THEN EXCLUDED.last_sender_id ELSE c.last_sender_id END,
        last_message_time = GREATEST(c.last_message_time, EXCLUDED.last_message_time),
        updated_at = now();
END
$$;

-- The newest message between a and b, either direction, or a row of NULLs.
-- Two index probes on idx_messages_conversation. STABLE: it reads with the
-- snapshot of the calling statement.
CREATE OR REPLACE FUNCTION message_conversations_latest(a UUID, b UUID) RETURNS direct_messages
LANGUAGE sql STABLE AS $$
    SELECT d.*
    FROM (
        (SELECT * FROM direct_messages
         WHERE sender_id = a AND recipient_id = b
         ORDER BY created_at DESC, id DESC LIMIT 1)
        UNION ALL
        (SELECT * FROM direct_messages
         WHERE sender_id = b AND recipient_id = a
         ORDER BY created_at DESC, id DESC LIMIT 1)
    ) d
    ORDER BY d.created_at DESC, d.id DESC
    LIMIT 1
$$;

-- Locks the two rows of the pair {a, b}, lower user_id first: the order
-- every writer of this table uses.
CREATE OR REPLACE FUNCTION message_conversations_lock(a UUID, b UUID) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM message_conversations_denorm
    WHERE (user_id = a AND other_user_id = b) OR (user_id = b AND other_user_id = a)
    ORDER BY user_id
    FOR UPDATE;
END
$$;

-- A message leaves its pair (deleted, or moved to another pair). With the
-- pair's rows locked, the next statement's fresh snapshot (READ COMMITTED
-- takes one per statement) sees every message committed by a writer we
-- waited for, so the newest remaining message is the truth. No message
-- left: both rows go. Never inserts: inside a user's deletion cascade the
-- rows may already be gone.
CREATE OR REPLACE FUNCTION message_conversations_remove(m direct_messages) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    latest direct_messages;
BEGIN
    PERFORM message_conversations_lock(m.sender_id, m.recipient_id);
    latest := message_conversations_latest(m.sender_id, m.recipient_id);
    IF latest.id IS NULL THEN
        DELETE FROM message_conversations_denorm
        WHERE (user_id = m.sender_id AND other_user_id = m.recipient_id)
           OR (user_id = m.recipient_id AND other_user_id = m.sender_id);
    ELSE
        UPDATE message_conversations_denorm SET
            total_messages    = total_messages - 1,
            unread_count      = unread_count
                                - CASE WHEN user_id = m.recipient_id AND NOT m.is_read THEN 1 ELSE 0 END,
            last_message_id   = latest.id,
            last_message_text = latest.message,
            last_message_time = latest.created_at,
            last_sender_id    = latest.sender_id,
            updated_at        = now()
        WHERE (user_id = m.sender_id AND other_user_id = m.recipient_id)
           OR (user_id = m.recipient_id AND other_user_id = m.sender_id);
    END IF;
END
$$;

-- Fires after derived_10_user_dashboard_stats (the recipient's unread count),
-- so dashboard rows are locked before conversation rows.
CREATE OR REPLACE FUNCTION message_conversations_on_direct_messages() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    latest direct_messages;
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM message_conversations_add(NEW);
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM message_conversations_remove(OLD);
    ELSIF (OLD.sender_id, OLD.recipient_id, OLD.created_at, OLD.message)
          = (NEW.sender_id, NEW.recipient_id, NEW.created_at, NEW.message) THEN
        -- Read, or unread again: one row, one relative update.
        IF OLD.is_read <> NEW.is_read THEN
            UPDATE message_conversations_denorm SET
                unread_count = unread_count + CASE WHEN NEW.is_read THEN -1 ELSE 1 END,
                updated_at   = now()
            WHERE user_id = NEW.recipient_id AND other_user_id = NEW.sender_id;
        END IF;
    ELSIF least(OLD.sender_id, OLD.recipient_id) = least(NEW.sender_id, NEW.recipient_id)
      AND greatest(OLD.sender_id, OLD.recipient_id) = greatest(NEW.sender_id, NEW.recipient_id) THEN
        -- Same pair (edited text, moved time, swapped direction): the count
        -- stays, the unread share may move between the two rows, and the
        -- last message is looked up again.
        PERFORM message_conversations_lock(NEW.sender_id, NEW.recipient_id);
        latest := message_conversations_latest(NEW.sender_id, NEW.recipient_id);
        UPDATE message_conversations_denorm SET
            unread_count      = unread_count
                                - CASE WHEN user_id = OLD.recipient_id AND NOT OLD.is_read THEN 1 ELSE 0 END
                                + CASE WHEN user_id = NEW.recipient_id AND NOT NEW.is_read THEN 1 ELSE 0 END,
            last_message_id   = latest.id,
            last_message_text = latest.message,
            last_message_time = latest.created_at,
            last_sender_id    = latest.sender_id,
            updated_at        = now()
        WHERE (user_id = NEW.sender_id AND other_user_id = NEW.recipient_id)
           OR (user_id = NEW.recipient_id AND other_user_id = NEW.sender_id);
    ELSE
        -- Moved to another pair (rare): lock all four rows in one ordered
        -- pass, take the message out of the old pair, put it in the new one.
        PERFORM 1 FROM message_conversations_denorm
        WHERE (user_id, other_user_id) IN ((OLD.sender_id, OLD.recipient_id), (OLD.recipient_id, OLD.sender_id),
                                           (NEW.sender_id, NEW.recipient_id), (NEW.recipient_id, NEW.sender_id))
        ORDER BY user_id, other_user_id
        FOR UPDATE;
        PERFORM message_conversations_remove(OLD);
        PERFORM message_conversations_add(NEW);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER derived_30_message_conversations
AFTER INSERT OR DELETE OR UPDATE OF is_read, message, sender_id, recipient_id, created_at ON direct_messages
FOR EACH ROW EXECUTE FUNCTION message_conversations_on_direct_messages();
