-- 002: what the staff back office needs beyond 001's accounts and sessions:
-- the audit log, failed-login bookkeeping for throttling, and indexes for the
-- staff order list (newest first by id, filtered by status or email).

CREATE TABLE staff_audit (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    staff_id   bigint REFERENCES staff_users (id) ON DELETE SET NULL,
    username   text   NOT NULL,
    action     text   NOT NULL,
    entity     text   NOT NULL,
    entity_id  bigint,
    before     jsonb,
    after      jsonb,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One row per failed login, keyed "user:NAME" and "addr:IP"; rows older than
-- the throttling window are deleted as new failures arrive.
CREATE TABLE staff_login_failures (
    key        text NOT NULL,
    failed_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_login_failures_key_idx ON staff_login_failures (key, failed_at);

CREATE INDEX orders_status_id_idx ON orders (status, id);
CREATE INDEX orders_created_id_idx ON orders (created_at, id);
