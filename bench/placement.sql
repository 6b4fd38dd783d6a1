-- Ceiling C of make bench (SPEC §9): what POST /api/orders asks of
-- PostgreSQL for an order of two products, as pgbench runs it (-M prepared,
-- each statement in its own transaction, as the responder sends them: the
-- check, then placement's one statement).
-- Keep it in step with lib/order.c (products_for_order, place_order) and
-- lib/slot.c (slot_book_next), the token hashed as order.c hashes it, in
-- SHA-256 hex.
-- The order is then marked queued after the answer, once for up to 32
-- confirmed orders under load (api_orders_settle): left out here.
-- Variables from bench/bench.pl: pmin, pmax (product ids), branch (the
-- default one's id, as the responder resolves it), and the stack's slot
-- rules tz, mins, cap, lead, days.
\set p1 random(:pmin, :pmax)
\set p2 :pmin + (:p1 - :pmin + random(1, :pmax - :pmin)) % (:pmax - :pmin + 1)
\set q1 random(1, 3)
\set q2 random(1, 3)
\set tok random(1, 9223372036854775807)
SELECT b.id, p.id, p.price_cents, coalesce(s.stock, 0), p.active, p.name FROM branches b
 LEFT JOIN products p ON p.id = ANY(ARRAY[:p1, :p2]::bigint[])
 LEFT JOIN branch_stock s ON s.product_id = p.id AND s.branch_id = b.id
 WHERE b.id = :branch::bigint OR (:branch = 0 AND b.is_default);
WITH q AS (SELECT p.id, p.name, p.price_cents, l.qty
  FROM unnest(ARRAY[:p1, :p2]::bigint[], ARRAY[:q1, :q2]::int[]) AS l(pid, qty)
  JOIN products p ON p.id = l.pid AND p.active),
 o AS (INSERT INTO orders (customer_name, customer_email, total_cents, access_token,
  idempotency_key, request_hash, branch_id, pickup_at)
  SELECT 'Bench Customer', 'bench@example.com', sum(q.price_cents::bigint * q.qty),
   encode(sha256(('pgbench-' || :client_id || '-' || :tok)::bytea), 'hex'), NULL, 'pgbench',
   :branch::bigint, slot_for_order(:branch, NULL::timestamptz, :tz, :mins, :cap, :lead, :days) FROM q
  HAVING count(*) = 2
  ON CONFLICT (idempotency_key) DO NOTHING RETURNING id, total_cents, branch_id, pickup_at),
 i AS (INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents, product_name)
  SELECT o.id, q.id, q.qty, q.price_cents, q.name FROM o, q),
 h AS (INSERT INTO order_history (order_id, from_status, to_status, reason)
  SELECT o.id, NULL, 'pending', 'order placed' FROM o)
 SELECT coalesce(o.id, bakery_no_order()), o.total_cents, o.branch_id, bakery_iso(o.pickup_at, :tz)
 FROM (VALUES (1)) AS one (x) LEFT JOIN o ON true;
