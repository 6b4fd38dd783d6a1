-- 009: the default branch's stock reaches products.stock once a statement.
--
-- branch_stock_mirror (004, 005) ran branch_stock_to_product once for each
-- row of branch_stock written: a worker's batch reserving 16 orders writes
-- some 14 rows, and each ran its own UPDATE of products (about 53 us of
-- PostgreSQL's time each, measured with pg_stat_statements in make bench).
-- Now a statement-level trigger sees every row the statement wrote (its
-- transition table) and mirrors them all in one UPDATE. What it writes is
-- the same: the default branch's rows, only where products.stock differs.
-- PostgreSQL allows a transition table only on a trigger of one event and
-- without a column list, so there are two triggers on the one function;
-- branch_stock has no column but its keys and stock, which the UPDATE
-- compares. An INSERT ... ON CONFLICT DO UPDATE fires both, each with its
-- own rows. products_stock_update (007) still does not echo: it fires
-- only at trigger depth 0.
DROP TRIGGER branch_stock_mirror ON branch_stock;
DROP FUNCTION branch_stock_to_product();

CREATE FUNCTION branch_stock_to_products() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products p SET stock = n.stock, updated_at = now()
    FROM written_stock n JOIN branches b ON b.id = n.branch_id AND b.is_default
    WHERE p.id = n.product_id AND p.stock IS DISTINCT FROM n.stock;
    RETURN NULL;
END $$;

CREATE TRIGGER branch_stock_mirror_insert AFTER INSERT ON branch_stock
    REFERENCING NEW TABLE AS written_stock
    FOR EACH STATEMENT EXECUTE FUNCTION branch_stock_to_products();
CREATE TRIGGER branch_stock_mirror_update AFTER UPDATE ON branch_stock
    REFERENCING NEW TABLE AS written_stock
    FOR EACH STATEMENT EXECUTE FUNCTION branch_stock_to_products();
