-- 004: branches with opening hours and pickup-slot capacity, stock per
-- branch, bookings of pickup slots, the final status "collected", and
-- allergens and dietary tags on products (SPEC §10).
--
-- Stock now lives in branch_stock. products.stock stays, as the default
-- branch's stock kept equal to its branch_stock row by the triggers below
-- (either side may be written), so everything that reads or writes
-- products.stock keeps its meaning. Times of day are the bakery's, in the
-- zone the programs are given (BAKERY_TZ); slot instants are timestamptz.

CREATE TABLE branches (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    address       text    NOT NULL CHECK (length(address) BETWEEN 1 AND 300),
    -- Orders per pickup slot; NULL = BAKERY_SLOT_CAPACITY.
    slot_capacity integer CHECK (slot_capacity BETWEEN 0 AND 1000),
    is_default    boolean NOT NULL DEFAULT false,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
-- Exactly one default branch: the one requests without a branch get.
CREATE UNIQUE INDEX branches_one_default_idx ON branches (is_default) WHERE is_default;

-- One opening interval per ISO weekday (1 = Monday); no row = closed.
CREATE TABLE branch_hours (
    branch_id bigint   NOT NULL REFERENCES branches (id) ON DELETE CASCADE,
    weekday   smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens     time     NOT NULL,
    closes    time     NOT NULL CHECK (opens < closes),
    PRIMARY KEY (branch_id, weekday)
);

INSERT INTO branches (name, address, is_default)
VALUES ('High Street', '12 High Street', true);
INSERT INTO branch_hours (branch_id, weekday, opens, closes)
SELECT b.id, d, '07:00', '18:00' FROM branches b, generate_series(1, 6) AS d;
INSERT INTO branch_hours (branch_id, weekday, opens, closes)
SELECT id, 7, '08:00', '13:00' FROM branches;

CREATE FUNCTION bakery_default_branch() RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT id FROM branches WHERE is_default $$;

-- Stock of a product at a branch; no row = none there.
CREATE TABLE branch_stock (
    branch_id  bigint  NOT NULL REFERENCES branches (id) ON DELETE CASCADE,
    product_id bigint  NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    stock      integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
    PRIMARY KEY (branch_id, product_id)
);
CREATE INDEX branch_stock_product_idx ON branch_stock (product_id);

-- Today's stock becomes the default branch's: nothing lost.
INSERT INTO branch_stock (branch_id, product_id, stock)
SELECT bakery_default_branch(), id, stock FROM products;

-- products.stock -> the default branch's row. The WHERE stops the echo of
-- the trigger the other way.
CREATE FUNCTION products_stock_to_branch() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO branch_stock (branch_id, product_id, stock)
    VALUES (bakery_default_branch(), NEW.id, NEW.stock)
    ON CONFLICT (branch_id, product_id) DO UPDATE SET stock = EXCLUDED.stock
    WHERE branch_stock.stock IS DISTINCT FROM EXCLUDED.stock;
    RETURN NULL;
END $$;
CREATE TRIGGER products_stock_insert AFTER INSERT ON products
    FOR EACH ROW EXECUTE FUNCTION products_stock_to_branch();
CREATE TRIGGER products_stock_update AFTER UPDATE OF stock ON products
    FOR EACH ROW WHEN (OLD.stock IS DISTINCT FROM NEW.stock)
    EXECUTE FUNCTION products_stock_to_branch();

-- The default branch's row -> products.stock.
CREATE FUNCTION branch_stock_to_product() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.branch_id = bakery_default_branch() THEN
        UPDATE products SET stock = NEW.stock, updated_at = now()
        WHERE id = NEW.product_id AND stock IS DISTINCT FROM NEW.stock;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER branch_stock_mirror AFTER INSERT OR UPDATE OF stock ON branch_stock
    FOR EACH ROW EXECUTE FUNCTION branch_stock_to_product();

-- Orders: where and when they are collected, and the final "collected".
ALTER TABLE orders
    ADD COLUMN branch_id bigint NOT NULL DEFAULT bakery_default_branch() REFERENCES branches (id),
    ADD COLUMN pickup_at timestamptz;
ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('pending', 'processing', 'completed', 'failed', 'cancelled',
                      'refunded', 'collected'));
CREATE INDEX orders_branch_pickup_idx ON orders (branch_id, pickup_at) WHERE pickup_at IS NOT NULL;

-- Places taken per slot. Placement books with a conditional upsert
-- (booked < capacity) in its transaction: the row lock serialises racing
-- buyers, and the loser sees the winner's count. booked never exceeds the
-- capacity in force at booking.
CREATE TABLE slot_bookings (
    branch_id  bigint      NOT NULL REFERENCES branches (id) ON DELETE CASCADE,
    slot_start timestamptz NOT NULL,
    booked     integer     NOT NULL CHECK (booked >= 0),
    PRIMARY KEY (branch_id, slot_start)
);

-- Every way an order ends up cancelled, failed or refunded (customer,
-- staff, worker) gives its place back, once: a trigger, so no statement
-- can forget it.
CREATE FUNCTION orders_free_slot() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE slot_bookings SET booked = booked - 1
    WHERE branch_id = OLD.branch_id AND slot_start = OLD.pickup_at AND booked > 0;
    RETURN NULL;
END $$;
CREATE TRIGGER orders_free_slot AFTER UPDATE OF status ON orders
    FOR EACH ROW WHEN (OLD.pickup_at IS NOT NULL
        AND OLD.status NOT IN ('cancelled', 'failed', 'refunded')
        AND NEW.status IN ('cancelled', 'failed', 'refunded'))
    EXECUTE FUNCTION orders_free_slot();

-- An instant as ISO 8601 in zone tz with the offset then in force.
CREATE FUNCTION bakery_iso(ts timestamptz, tz text) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT to_char(ts AT TIME ZONE tz, 'YYYY-MM-DD"T"HH24:MI:SS')
        || CASE WHEN o < interval '0' THEN '-' ELSE '+' END
        || to_char(CASE WHEN o < interval '0' THEN -o ELSE o END, 'HH24:MI')
    FROM (SELECT (ts AT TIME ZONE tz) - (ts AT TIME ZONE 'UTC') AS o) AS x
$$;

-- The bookable pickup slots of branch b on local day d in zone tz at
-- instant now: slots of mins minutes from opening time (stepped in real
-- time, so a DST change inside opening hours gives the hours that really
-- pass), the last ending by closing time, starting lead minutes after now
-- at the earliest, on a day at most days after today. Capacity is the
-- branch's own or cap.
CREATE FUNCTION pickup_slots(b bigint, d date, tz text, mins int, cap int, lead int,
                             days int, now timestamptz)
RETURNS TABLE (slot_start timestamptz, slot_end timestamptz, capacity int, remaining int)
LANGUAGE sql STABLE AS $$
    SELECT s, s + make_interval(mins => mins), coalesce(br.slot_capacity, cap),
           greatest(coalesce(br.slot_capacity, cap) - coalesce(k.booked, 0), 0)
    FROM branches br
    JOIN branch_hours h ON h.branch_id = br.id AND h.weekday = extract(isodow FROM d)
    CROSS JOIN LATERAL generate_series((d + h.opens) AT TIME ZONE tz,
        (d + h.closes) AT TIME ZONE tz - make_interval(mins => mins),
        make_interval(mins => mins)) AS s
    LEFT JOIN slot_bookings k ON k.branch_id = br.id AND k.slot_start = s
    WHERE br.id = b AND d <= (now AT TIME ZONE tz)::date + days
      AND s >= now + make_interval(mins => lead)
    ORDER BY s
$$;

-- Allergens and dietary tags.
ALTER TABLE products
    ADD COLUMN allergens text[] NOT NULL DEFAULT '{}'
        CHECK (allergens <@ ARRAY['gluten', 'milk', 'eggs', 'nuts', 'sesame', 'soy']),
    ADD COLUMN dietary text[] NOT NULL DEFAULT '{}'
        CHECK (dietary <@ ARRAY['vegan', 'vegetarian']);

-- The seed catalogue's products, where a database already holds them.
UPDATE products p SET allergens = v.allergens, dietary = v.dietary
FROM (VALUES
 ('Chocolate Croissant', '{gluten,milk,eggs,soy}'::text[], '{vegetarian}'::text[]),
 ('Butter Croissant', '{gluten,milk,eggs}', '{vegetarian}'),
 ('Almond Croissant', '{gluten,milk,eggs,nuts}', '{vegetarian}'),
 ('Cinnamon Roll', '{gluten,milk,eggs}', '{vegetarian}'),
 ('Blueberry Muffin', '{gluten,milk,eggs}', '{vegetarian}'),
 ('Double Chocolate Muffin', '{gluten,milk,eggs,soy}', '{vegetarian}'),
 ('Lemon Poppy Seed Muffin', '{gluten,milk,eggs}', '{vegetarian}'),
 ('Sourdough Loaf', '{gluten}', '{vegan,vegetarian}'),
 ('Seeded Rye', '{gluten,sesame}', '{vegan,vegetarian}'),
 ('Baguette', '{gluten}', '{vegan,vegetarian}'),
 ('Focaccia', '{gluten}', '{vegan,vegetarian}'),
 ('Chocolate Cake', '{gluten,milk,eggs,soy}', '{vegetarian}'),
 ('Carrot Cake', '{gluten,milk,eggs,nuts}', '{vegetarian}'),
 ('Lemon Tart', '{gluten,milk,eggs}', '{vegetarian}'),
 ('Oatmeal Raisin Cookie', '{gluten,milk}', '{vegetarian}'),
 ('Chocolate Chip Cookie', '{gluten,milk,eggs,soy}', '{vegetarian}')
) AS v(name, allergens, dietary)
WHERE p.name = v.name;

-- A branch as the audit log records it (before and after a change).
CREATE FUNCTION branch_snapshot(b bigint) RETURNS jsonb
LANGUAGE sql STABLE AS $$
    SELECT jsonb_build_object('id', id, 'name', name, 'address', address,
        'slot_capacity', slot_capacity,
        'opening_hours', (SELECT coalesce(jsonb_object_agg(weekday,
            left(opens::text, 5) || '-' || left(closes::text, 5) ORDER BY weekday), '{}')
            FROM branch_hours WHERE branch_id = b))
    FROM branches WHERE id = b
$$;
