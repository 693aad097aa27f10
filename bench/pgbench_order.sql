-- The order transaction of bench/raw_endpoint.py as a pgbench custom script (the database's ceiling).
-- Variables from the driver (-D): n (0; a per-client counter), clients, smin/scount (session ids),
-- mmin/mcount (member ids). bench/pgbench.py puts the live-order index predicate in for __LIVE__.
-- Pair p is unique per transaction, so no member orders a session twice.
\set n :n + 1
\set p (:n - 1) * :clients + :client_id
\set sid :smin + :p % :scount
\set mid :mmin + (:p / :scount) % :mcount
BEGIN;
SELECT id AS uid, market_id AS um FROM users WHERE id = :mid AND is_active AND 'member' = ANY(roles) \gset
INSERT INTO idempotency_keys (user_id, key, created_at) VALUES (:mid, 'pgb-' || :sid, now()) ON CONFLICT (user_id, key) DO NOTHING RETURNING id AS kid \gset
SELECT l.id AS lid, l.market_id AS m, l.provider_id AS prov, l.category_id AS cat, l.auto_accept::int AS auto, s.waitlist_open::int AS wl FROM listings l JOIN listing_sessions s ON s.listing_id = l.id WHERE s.id = :sid AND l.state = 'published' AND s.cancelled_at IS NULL AND s.starts_at > now() \gset
INSERT INTO orders (market_id, kind, member_id, listing_id, session_id, category_id, state, holds_seat, title, description, note, mode, preferred_times, arrangement, delivery_note, offer_attempts, created_at, updated_at) VALUES (:m, 'listing', :mid, :lid, :sid, :cat, 'placed', false, 'pgbench', '', '', 'offline', '[]', '{}', '', 0, now(), now()) ON CONFLICT (member_id, session_id) WHERE __LIVE__ DO NOTHING RETURNING id AS oid \gset
WITH t AS (UPDATE listing_sessions SET seats_taken = seats_taken + 1 WHERE id = :sid AND seats_taken < capacity AND cancelled_at IS NULL RETURNING 1) SELECT count(*) AS got FROM t \gset
\if :got
\if :auto
UPDATE orders SET state = 'accepted', holds_seat = true, provider_id = :prov WHERE id = :oid;
INSERT INTO order_events (order_id, market_id, at, actor_id, actor_role, action, from_state, to_state, reason, data) VALUES (:oid, :m, now(), :mid, 'member', 'place', NULL, 'placed', '', '{}'), (:oid, :m, now(), NULL, 'system', 'auto_accept', 'placed', 'accepted', '', '{}');
INSERT INTO outbox_jobs (job, args, due_at, dedupe_key, state, attempts, sends, created_at) VALUES ('remind', '{"kind": "day_before", "to": "member"}', now() + interval '1 day', 'pgb:' || :oid || ':1', 'pending', 0, 0, now()), ('remind', '{"kind": "day_before", "to": "provider"}', now() + interval '1 day', 'pgb:' || :oid || ':2', 'pending', 0, 0, now()), ('remind', '{"kind": "hour_before", "to": "member"}', now() + interval '2 days', 'pgb:' || :oid || ':3', 'pending', 0, 0, now()), ('remind', '{"kind": "hour_before", "to": "provider"}', now() + interval '2 days', 'pgb:' || :oid || ':4', 'pending', 0, 0, now()) ON CONFLICT (dedupe_key) DO NOTHING;
INSERT INTO notifications (market_id, user_id, kind, title, body, data, dedupe_key, created_at) VALUES (:m, :prov, 'order_accepted', 'pgbench', '', '{}', 'pgb:' || :oid || ':acc', now()) ON CONFLICT (dedupe_key) DO NOTHING;
\else
UPDATE orders SET state = 'offered', holds_seat = true, provider_id = :prov, offer_attempts = 1 WHERE id = :oid;
INSERT INTO order_events (order_id, market_id, at, actor_id, actor_role, action, from_state, to_state, reason, data) VALUES (:oid, :m, now(), :mid, 'member', 'place', NULL, 'placed', '', '{}'), (:oid, :m, now(), NULL, 'system', 'offer', 'placed', 'offered', '', '{}');
INSERT INTO offers (market_id, order_id, provider_id, state, score_parts, deadline_at, reason, created_at) VALUES (:m, :oid, :prov, 'pending', '{}', now() + interval '48 hours', '', now());
INSERT INTO notifications (market_id, user_id, kind, title, body, data, dedupe_key, created_at) VALUES (:m, :prov, 'offer', 'pgbench', '', '{}', 'pgb:' || :oid || ':offer', now()) ON CONFLICT (dedupe_key) DO NOTHING;
\endif
\else
UPDATE orders SET state = 'waitlisted' WHERE id = :oid;
INSERT INTO order_events (order_id, market_id, at, actor_id, actor_role, action, from_state, to_state, reason, data) VALUES (:oid, :m, now(), :mid, 'member', 'place', NULL, 'placed', '', '{}'), (:oid, :m, now(), NULL, 'system', 'waitlist', 'placed', 'waitlisted', 'the session is full', '{}');
SELECT count(*) + 1 AS pos FROM orders WHERE session_id = :sid AND state = 'waitlisted' AND id < :oid;
\endif
UPDATE idempotency_keys SET status_code = 201, response = '{}' WHERE id = :kid;
END;
