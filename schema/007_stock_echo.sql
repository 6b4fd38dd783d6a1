-- 007: a change of a branch's stock no longer echoes back from products.
--
-- The default branch's stock is kept in two places (004): branch_stock, and
-- products.stock, each written through to the other by a trigger. A worker
-- reserving stock updates branch_stock; branch_stock_mirror then updates
-- products.stock, whose products_stock_update trigger ran
-- products_stock_to_branch, an INSERT ... ON CONFLICT into the very
-- branch_stock row just written, which found it equal and changed nothing.
-- That echo cost every item of every order a second statement on the row
-- (about 100 us of PostgreSQL's CPU, measured with pg_stat_statements).
-- Now products_stock_update fires only for a write of products.stock made
-- by a statement, not by another trigger (pg_trigger_depth() is 0 when the
-- WHEN clause of a statement's own row is evaluated): branch_stock_mirror
-- is the only trigger that writes products.stock, and its write is the
-- echo. Staff edits of products.stock still reach branch_stock.
DROP TRIGGER products_stock_update ON products;
CREATE TRIGGER products_stock_update AFTER UPDATE OF stock ON products
    FOR EACH ROW WHEN (OLD.stock IS DISTINCT FROM NEW.stock AND pg_trigger_depth() = 0)
    EXECUTE FUNCTION products_stock_to_branch();
