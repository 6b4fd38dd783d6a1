-- 003: order tokens and idempotency keys are stored only as SHA-256 (hex), as
-- staff session tokens are: a copy of the table (a backup, a leaked dump)
-- gives no access to the customers' names and emails, and no token to replay.
-- The responder hashes what a caller presents and compares the hashes in
-- constant time; a retry with its Idempotency-Key is told its token again
-- because that token derives from the key (lib/order.c, order_token_new).
-- sha256() is built into PostgreSQL 11 and later (no pgcrypto needed).

UPDATE orders SET access_token = encode(sha256(convert_to(access_token, 'UTF8')), 'hex');
UPDATE orders SET idempotency_key = encode(sha256(convert_to(idempotency_key, 'UTF8')), 'hex')
 WHERE idempotency_key IS NOT NULL;

ALTER TABLE orders
    ADD CONSTRAINT orders_access_token_sha256 CHECK (access_token ~ '^[0-9a-f]{64}$'),
    ADD CONSTRAINT orders_idempotency_key_sha256 CHECK (idempotency_key ~ '^[0-9a-f]{64}$');

COMMENT ON COLUMN orders.access_token IS 'SHA-256 (hex) of the order''s access token; never the token';
COMMENT ON COLUMN orders.idempotency_key IS 'SHA-256 (hex) of the Idempotency-Key; never the key';
COMMENT ON COLUMN orders.request_hash IS 'SHA-256 (hex) fingerprint of the request that used the key';
