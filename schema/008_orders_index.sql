-- 008: one index fewer on orders.
--
-- An order's status change can never be a HOT update (status is indexed),
-- so every move of every order writes a new entry into each index of
-- orders, as every placement does. orders_created_idx (created_at) is a
-- prefix of orders_created_id_idx (created_at, id, schema 002), which
-- serves every query the first one could.
DROP INDEX orders_created_idx;
