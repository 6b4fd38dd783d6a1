-- 001: the whole data model: catalogue, orders with their items and history,
-- staff accounts and sessions. Money is integer cents everywhere.

CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text    NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    description text    NOT NULL DEFAULT '' CHECK (length(description) <= 1000),
    category    text    NOT NULL CHECK (length(category) BETWEEN 1 AND 50),
    price_cents integer NOT NULL CHECK (price_cents >= 0 AND price_cents <= 10000000),
    stock       integer NOT NULL DEFAULT 0 CHECK (stock >= 0),
    active      boolean NOT NULL DEFAULT true,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX products_listing_idx ON products (category, name) WHERE active;

CREATE TABLE orders (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_name   text   NOT NULL CHECK (length(customer_name) BETWEEN 1 AND 100),
    customer_email  text   NOT NULL CHECK (length(customer_email) BETWEEN 3 AND 254),
    status          text   NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'processing', 'completed',
                                      'failed', 'cancelled', 'refunded')),
    total_cents     bigint NOT NULL CHECK (total_cents >= 0),
    failure_reason  text,
    -- Capability to read the customer's details and cancel: random, hex.
    access_token    text   NOT NULL UNIQUE,
    idempotency_key text   UNIQUE CHECK (length(idempotency_key) BETWEEN 1 AND 200),
    -- Fingerprint of the request that used the key: a different request
    -- reusing a key is refused instead of answered with the wrong order.
    request_hash    text,
    -- False until the broker confirmed the publish; the relay republishes.
    queued          boolean NOT NULL DEFAULT false,
    attempts        integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_status_created_idx ON orders (status, created_at);
CREATE INDEX orders_created_idx ON orders (created_at);
CREATE INDEX orders_unqueued_idx ON orders (id) WHERE NOT queued AND status = 'pending';

CREATE TABLE order_items (
    order_id         bigint  NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id       bigint  NOT NULL REFERENCES products (id),
    quantity         integer NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
    unit_price_cents integer NOT NULL CHECK (unit_price_cents >= 0),
    product_name     text    NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
CREATE INDEX order_items_product_idx ON order_items (product_id);

CREATE TABLE order_history (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status text,
    to_status   text   NOT NULL,
    reason      text   NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX order_history_order_idx ON order_history (order_id, id);

CREATE TABLE staff_users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username      text NOT NULL UNIQUE CHECK (length(username) BETWEEN 1 AND 64),
    password_hash text NOT NULL,
    active        boolean NOT NULL DEFAULT true,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE staff_sessions (
    -- SHA-256 of the bearer token, hex: a leaked table does not leak sessions.
    token_hash text   PRIMARY KEY,
    staff_id   bigint NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL
);
CREATE INDEX staff_sessions_expiry_idx ON staff_sessions (expires_at);
