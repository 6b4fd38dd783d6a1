-- 005: placement books its pickup slot inside its one statement, "the
-- next free slot" without queueing behind other placements, and the stock
-- mirror triggers stop calling a function PostgreSQL plans per statement.
--
-- Before, placement asked for the earliest slot with a place left over
-- the whole booking horizon (every slot of every day computed, then
-- sorted), then booked it, and tried again when it had been taken
-- meanwhile: two statements, about 1.5 ms of PostgreSQL each time, and
-- every placement without a chosen slot queued on the same slot's row
-- lock until the one before it had committed.
--
-- slot_book_next walks the days in order and stops at the first slot it
-- can book. A slot another placement is booking at this moment (its
-- transaction-level advisory lock held) is passed over for the next one,
-- so concurrent placements book neighbouring slots side by side instead
-- of waiting for each other's commit; a customer who did not choose a
-- time gets the earliest slot that has a place left and is not being
-- booked by someone else (docs/design-decisions.md). The conditional
-- upsert (booked < capacity) still decides, so no slot is ever overbooked,
-- whoever books it and however.
--
-- Its statements always use their generic plans (see below).
--
-- Advisory keys: the two-integer form, (branch, minutes since the epoch
-- of the slot's start); the worker's order claims use the one-bigint form,
-- a separate key space.

-- A walk that finds a day without a free place notes it, and the next
-- walks skip the noted days, so a fully booked fortnight costs one lookup
-- instead of fifteen day queries. A note is only a hint, never a reason to
-- refuse anything: it concerns only the walk for placements that chose no
-- slot (a chosen slot and the slot list are computed as before), it holds
-- for one minute, and it is dropped as soon as a place of that day is
-- given back or the branch's capacity or opening hours change. A place
-- given back by a transaction that ran alongside the walk that noted the
-- day can so be missed by "the next free slot" for at most that minute.
--
-- No foreign key to branches: inserting a note would then lock the
-- branch's row, which every placement also locks (orders.branch_id). A
-- note of a deleted branch is never read again.
CREATE TABLE slot_full_days (
    branch_id bigint      NOT NULL,
    day       date        NOT NULL,
    -- the rules the day was full under (zone, slot minutes, default
    -- capacity, lead minutes): other rules, other slots
    rules     text        NOT NULL,
    noted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (branch_id, day, rules)
);

CREATE FUNCTION slot_book_next(b bigint, tz text, mins int, cap int, lead int, days int)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE
-- A custom plan of the day's slots query costs more to make than to run
-- (1.2 ms a call against 0.3 ms with the generic one, measured in psql).
SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    today date := (now() AT TIME ZONE tz)::date;
    r text := format('%s/%s/%s/%s', tz, mins, cap, lead);
    full_days date[];
    places int;
    s timestamptz;
    open_place boolean;
BEGIN
    SELECT coalesce(slot_capacity, cap) INTO places FROM branches WHERE id = b;
    IF places IS NULL OR places < 1 THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(array_agg(f.day), '{}') INTO full_days FROM slot_full_days f
    WHERE f.branch_id = b AND f.rules = r AND f.day BETWEEN today AND today + days
      AND f.noted_at > now() - interval '1 minute';
    FOR d IN 0..days LOOP
        CONTINUE WHEN today + d = ANY (full_days);
        open_place := false;
        FOR s IN SELECT p.slot_start
                 FROM pickup_slots(b, today + d, tz, mins, cap, lead, days, now()) AS p
                 WHERE p.remaining > 0 LOOP
            open_place := true;
            CONTINUE WHEN NOT pg_try_advisory_xact_lock((b % 2147483647)::int,
                (extract(epoch FROM s) / 60)::int);
            INSERT INTO slot_bookings (branch_id, slot_start, booked) VALUES (b, s, 1)
            ON CONFLICT (branch_id, slot_start) DO UPDATE SET booked = slot_bookings.booked + 1
            WHERE slot_bookings.booked < places;
            IF FOUND THEN
                RETURN s;
            END IF;
        END LOOP;
        IF NOT open_place THEN
            INSERT INTO slot_full_days (branch_id, day, rules) VALUES (b, today + d, r)
            ON CONFLICT (branch_id, day, rules) DO UPDATE SET noted_at = now();
        END IF;
    END LOOP;
    RETURN NULL;
END $$;

-- A place given back: the notes of its day go (the day is the bakery's,
-- whose zone the trigger does not know: the UTC day and both neighbours).
CREATE OR REPLACE FUNCTION orders_free_slot() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE slot_bookings SET booked = booked - 1
    WHERE branch_id = OLD.branch_id AND slot_start = OLD.pickup_at AND booked > 0;
    DELETE FROM slot_full_days
    WHERE branch_id = OLD.branch_id
      AND day BETWEEN (OLD.pickup_at AT TIME ZONE 'UTC')::date - 1
                  AND (OLD.pickup_at AT TIME ZONE 'UTC')::date + 1;
    RETURN NULL;
END $$;

-- More places or other hours: every note of the branch goes.
CREATE FUNCTION branch_slots_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM slot_full_days
    WHERE branch_id = CASE WHEN TG_OP = 'DELETE' THEN OLD.branch_id ELSE NEW.branch_id END;
    RETURN NULL;
END $$;
CREATE TRIGGER branch_hours_changed AFTER INSERT OR UPDATE OR DELETE ON branch_hours
    FOR EACH ROW EXECUTE FUNCTION branch_slots_changed();

CREATE FUNCTION branch_capacity_changed() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM slot_full_days WHERE branch_id = NEW.id;
    RETURN NULL;
END $$;
CREATE TRIGGER branch_capacity_changed AFTER UPDATE OF slot_capacity ON branches
    FOR EACH ROW WHEN (OLD.slot_capacity IS DISTINCT FROM NEW.slot_capacity)
    EXECUTE FUNCTION branch_capacity_changed();

-- The pickup slot of a new order, booked inside placement's one statement
-- (lib/order.c): at, or the next free one when at is NULL (NULL when none
-- is free). Raises BK002 when at is not a bookable slot start of the
-- branch now, BK001 when it is full: placement's statement, and with it
-- the whole placement, then fails (class BK: the application's own
-- conditions, which the programs answer rather than log as errors).
CREATE FUNCTION slot_for_order(b bigint, at timestamptz, tz text, mins int, cap int, lead int,
                               days int)
RETURNS timestamptz
LANGUAGE plpgsql VOLATILE SET plan_cache_mode = force_generic_plan AS $$
DECLARE
    places int;
BEGIN
    IF at IS NULL THEN
        RETURN slot_book_next(b, tz, mins, cap, lead, days);
    END IF;
    SELECT p.capacity INTO places
    FROM pickup_slots(b, (at AT TIME ZONE tz)::date, tz, mins, cap, lead, days, now()) AS p
    WHERE p.slot_start = at;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'not a bookable pickup slot' USING ERRCODE = 'BK002';
    END IF;
    INSERT INTO slot_bookings (branch_id, slot_start, booked) SELECT b, at, 1 WHERE places >= 1
    ON CONFLICT (branch_id, slot_start) DO UPDATE SET booked = slot_bookings.booked + 1
    WHERE slot_bookings.booked < places;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'pickup slot full' USING ERRCODE = 'BK001';
    END IF;
    RETURN at;
END $$;

-- Placement's statement ends with this when it stored no order (a product
-- withdrawn meanwhile, or the idempotency key taken by a concurrent
-- retry), so that nothing it did, a slot booked included, is kept.
CREATE FUNCTION bakery_no_order() RETURNS bigint
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RAISE EXCEPTION 'no order stored' USING ERRCODE = 'BK003';
END $$;

-- pickup_slots() as in 004, but each slot's bookings are one index probe:
-- before, a hash join read every booking the branch ever had to find one
-- day's.
CREATE OR REPLACE FUNCTION pickup_slots(b bigint, d date, tz text, mins int, cap int, lead int,
                                        days int, now timestamptz)
RETURNS TABLE (slot_start timestamptz, slot_end timestamptz, capacity int, remaining int)
LANGUAGE sql STABLE AS $$
    SELECT s, s + make_interval(mins => mins), coalesce(br.slot_capacity, cap),
           greatest(coalesce(br.slot_capacity, cap) - coalesce((SELECT k.booked
               FROM slot_bookings k WHERE k.branch_id = b AND k.slot_start = s), 0), 0)
    FROM branches br
    JOIN branch_hours h ON h.branch_id = br.id AND h.weekday = extract(isodow FROM d)
    CROSS JOIN LATERAL generate_series((d + h.opens) AT TIME ZONE tz,
        (d + h.closes) AT TIME ZONE tz - make_interval(mins => mins),
        make_interval(mins => mins)) AS s
    WHERE br.id = b AND d <= (now AT TIME ZONE tz)::date + days
      AND s >= now + make_interval(mins => lead)
    ORDER BY s
$$;

-- A SQL function PostgreSQL cannot inline has its body planned again in
-- every statement that calls it: bakery_default_branch() reads a table
-- (006 makes it PL/pgSQL, and bakery_iso() inlinable).
-- The stock mirror triggers of 004 ask for the default branch in their
-- own statements, whose plans PL/pgSQL keeps: they run for every stock
-- change, the worker's reservations included.
CREATE OR REPLACE FUNCTION products_stock_to_branch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO branch_stock (branch_id, product_id, stock)
    SELECT id, NEW.id, NEW.stock FROM branches WHERE is_default
    ON CONFLICT (branch_id, product_id) DO UPDATE SET stock = EXCLUDED.stock
    WHERE branch_stock.stock IS DISTINCT FROM EXCLUDED.stock;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION branch_stock_to_product() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE products p SET stock = NEW.stock, updated_at = now()
    FROM branches b
    WHERE b.id = NEW.branch_id AND b.is_default
      AND p.id = NEW.product_id AND p.stock IS DISTINCT FROM NEW.stock;
    RETURN NULL;
END $$;
