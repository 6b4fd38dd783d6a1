-- 006: the two helper functions of 004, same names, same answers, cheaper.
--
-- A LANGUAGE sql function whose body PostgreSQL cannot inline is planned
-- afresh on every execution of the statement calling it (PostgreSQL 15
-- keeps no plan of it between statements). bakery_default_branch() and
-- bakery_iso() were such functions: measured with pgbench -M prepared,
-- bakery_default_branch() was two thirds of the time PostgreSQL spent on
-- GET /api/products/{id}'s statement, and bakery_iso() half of that of
-- GET /api/orders/{id}'s (docs/performance.md).

-- PL/pgSQL keeps its statement's plan for the session. The unique index
-- branches_one_default_idx allows at most one row.
CREATE OR REPLACE FUNCTION bakery_default_branch() RETURNS bigint
LANGUAGE plpgsql STABLE AS $$
BEGIN
    RETURN (SELECT id FROM branches WHERE is_default);
END $$;

-- One expression without FROM: inlined into the calling statement. The
-- same text as before ("2026-12-02T09:30:00+01:00"; NULL for NULL), the
-- offset being local time minus UTC at that instant.
CREATE OR REPLACE FUNCTION bakery_iso(ts timestamptz, tz text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT to_char(ts AT TIME ZONE tz, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN (ts AT TIME ZONE tz) < (ts AT TIME ZONE 'UTC') THEN '-' ELSE '+' END
        || to_char(CASE WHEN (ts AT TIME ZONE tz) < (ts AT TIME ZONE 'UTC')
                        THEN (ts AT TIME ZONE 'UTC') - (ts AT TIME ZONE tz)
                        ELSE (ts AT TIME ZONE tz) - (ts AT TIME ZONE 'UTC') END, 'HH24:MI')
$$;
