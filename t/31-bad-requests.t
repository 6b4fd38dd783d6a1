#!/usr/bin/env perl
# Table of bad requests: each gets the right status, a JSON error of the
# shape {"error","code"[,"field"]}, and stores nothing.
use strict;
use utf8;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;

my ($pid) = map { $_->[0] } sql(q{INSERT INTO products (name, description, category, price_cents, stock)
	VALUES ('Bad-request Loaf ' || gen_random_uuid(), 'for t/31', 'test', 500, 3) RETURNING id});
my ($off) = map { $_->[0] } sql(q{INSERT INTO products (name, description, category, price_cents, stock, active)
	VALUES ('Withdrawn Tart ' || gen_random_uuid(), 'for t/31', 'test', 500, 3, false) RETURNING id});

sub order_body {
	my (%over) = @_;
	my %b = (customer_name => 'Ann', customer_email => 'ann@example.com',
		items => [ { product_id => $pid + 0, quantity => 1 } ], %over);
	delete $b{$_} for grep { !defined $b{$_} } keys %b;
	return JSON::PP->new->utf8->canonical->encode(\%b);
}
sub item { my ($p, $q) = @_; return order_body(items => [ { product_id => $p, quantity => $q } ]) }
sub raw_item { my ($text) = @_; return '{"customer_name":"Ann","customer_email":"ann@example.com","items":[' . $text . ']}' }

my $J = 'application/json';
my $big = '{"customer_name":"' . ('x' x 70000) . '"}';
my @cases = (
	# [name, method, path, content-type, body, status, code, field]
	[ 'malformed JSON', POST => '/api/orders', $J, '{"customer_name":', 400, 'malformed_json' ],
	[ 'truncated JSON', POST => '/api/orders', $J, substr(order_body(), 0, 30), 400, 'malformed_json' ],
	[ 'empty body', POST => '/api/orders', $J, '', 400, 'malformed_json' ],
	[ 'trailing garbage', POST => '/api/orders', $J, order_body() . 'x', 400, 'malformed_json' ],
	[ 'two JSON values', POST => '/api/orders', $J, order_body() . order_body(), 400, 'malformed_json' ],
	[ 'JSON array body', POST => '/api/orders', $J, '[1,2]', 400, 'invalid_type' ],
	[ 'JSON string body', POST => '/api/orders', $J, '"hello"', 400, 'invalid_type' ],
	[ 'invalid UTF-8', POST => '/api/orders', $J, order_body(customer_name => 'X') =~ s/"X"/"\xff\xfe"/r, 400, 'invalid_utf8' ],
	[ 'overlong UTF-8', POST => '/api/orders', $J, order_body(customer_name => 'X') =~ s/"X"/"\xc0\xaf"/r, 400, 'invalid_utf8' ],
	[ 'UTF-8 surrogate', POST => '/api/orders', $J, order_body(customer_name => 'X') =~ s/"X"/"\xed\xa0\x80"/r, 400, 'invalid_utf8' ],
	[ 'NUL byte in body', POST => '/api/orders', $J, order_body() =~ s/Ann/A\0n/r, 400, 'invalid_utf8' ],
	[ 'missing name', POST => '/api/orders', $J, order_body(customer_name => undef), 400, 'missing_field', 'customer_name' ],
	[ 'name is a number', POST => '/api/orders', $J, order_body(customer_name => 5), 400, 'invalid_type', 'customer_name' ],
	[ 'empty name', POST => '/api/orders', $J, order_body(customer_name => ''), 422, 'invalid_name', 'customer_name' ],
	[ 'blank name', POST => '/api/orders', $J, order_body(customer_name => '   '), 422, 'invalid_name', 'customer_name' ],
	[ 'name of 101 characters', POST => '/api/orders', $J, order_body(customer_name => 'é' x 101), 422, 'invalid_name', 'customer_name' ],
	[ 'name with a newline', POST => '/api/orders', $J, order_body(customer_name => "A\nB"), 422, 'invalid_name', 'customer_name' ],
	[ 'missing email', POST => '/api/orders', $J, order_body(customer_email => undef), 400, 'missing_field', 'customer_email' ],
	[ 'email is an array', POST => '/api/orders', $J, order_body(customer_email => []), 400, 'invalid_type', 'customer_email' ],
	[ 'email without @', POST => '/api/orders', $J, order_body(customer_email => 'ann.example.com'), 422, 'invalid_email', 'customer_email' ],
	[ 'email without domain dot', POST => '/api/orders', $J, order_body(customer_email => 'ann@localhost'), 422, 'invalid_email', 'customer_email' ],
	[ 'email with space', POST => '/api/orders', $J, order_body(customer_email => 'a nn@example.com'), 422, 'invalid_email', 'customer_email' ],
	[ 'email of 255 bytes', POST => '/api/orders', $J, order_body(customer_email => ('a' x 60) . '@' . ('b' x 190) . '.com'), 422, 'invalid_email', 'customer_email' ],
	[ 'missing items', POST => '/api/orders', $J, order_body(items => undef), 400, 'missing_field', 'items' ],
	[ 'items is an object', POST => '/api/orders', $J, order_body(items => {}), 400, 'invalid_type', 'items' ],
	[ 'no items', POST => '/api/orders', $J, order_body(items => []), 422, 'invalid_items', 'items' ],
	[ '51 items', POST => '/api/orders', $J, order_body(items => [ map { { product_id => $_, quantity => 1 } } 1 .. 51 ]), 422, 'invalid_items', 'items' ],
	[ 'item is a number', POST => '/api/orders', $J, raw_item('7'), 400, 'invalid_type', 'items[0]' ],
	[ 'missing product_id', POST => '/api/orders', $J, raw_item('{"quantity":1}'), 400, 'missing_field', 'items[0].product_id' ],
	[ 'product_id a string', POST => '/api/orders', $J, item("$pid", 1), 400, 'invalid_type', 'items[0].product_id' ],
	[ 'unknown product', POST => '/api/orders', $J, item(999999999, 1), 422, 'unknown_product', 'items[0].product_id' ],
	[ 'inactive product', POST => '/api/orders', $J, item($off + 0, 1), 422, 'unknown_product', 'items[0].product_id' ],
	[ 'negative product_id', POST => '/api/orders', $J, item(-1, 1), 422, 'unknown_product', 'items[0].product_id' ],
	[ 'fractional product_id', POST => '/api/orders', $J, raw_item('{"product_id":1.5,"quantity":1}'), 422, 'unknown_product', 'items[0].product_id' ],
	[ 'huge product_id', POST => '/api/orders', $J, raw_item('{"product_id":99999999999999999999,"quantity":1}'), 422, 'unknown_product', 'items[0].product_id' ],
	[ 'missing quantity', POST => '/api/orders', $J, raw_item("{\"product_id\":$pid}"), 400, 'missing_field', 'items[0].quantity' ],
	[ 'quantity a string', POST => '/api/orders', $J, raw_item("{\"product_id\":$pid,\"quantity\":\"2\"}"), 400, 'invalid_type', 'items[0].quantity' ],
	[ 'quantity null', POST => '/api/orders', $J, raw_item("{\"product_id\":$pid,\"quantity\":null}"), 400, 'invalid_type', 'items[0].quantity' ],
	[ 'quantity 0', POST => '/api/orders', $J, item($pid + 0, 0), 422, 'invalid_quantity', 'items[0].quantity' ],
	[ 'quantity -1', POST => '/api/orders', $J, item($pid + 0, -1), 422, 'invalid_quantity', 'items[0].quantity' ],
	[ 'quantity 1.5', POST => '/api/orders', $J, raw_item("{\"product_id\":$pid,\"quantity\":1.5}"), 422, 'invalid_quantity', 'items[0].quantity' ],
	[ 'quantity 1001', POST => '/api/orders', $J, item($pid + 0, 1001), 422, 'invalid_quantity', 'items[0].quantity' ],
	[ 'quantity 1e4', POST => '/api/orders', $J, raw_item("{\"product_id\":$pid,\"quantity\":1e4}"), 422, 'invalid_quantity', 'items[0].quantity' ],
	[ 'quantity 2^64', POST => '/api/orders', $J, raw_item("{\"product_id\":$pid,\"quantity\":18446744073709551617}"), 422, 'invalid_quantity', 'items[0].quantity' ],
	[ 'merged quantity over 1000', POST => '/api/orders', $J, order_body(items => [ { product_id => $pid + 0, quantity => 600 }, { product_id => $pid + 0, quantity => 600 } ]), 422, 'invalid_quantity' ],
	[ 'more than the stock', POST => '/api/orders', $J, item($pid + 0, 4), 422, 'insufficient_stock', 'items[0].quantity' ],
	[ 'second item bad', POST => '/api/orders', $J, order_body(items => [ { product_id => $pid + 0, quantity => 1 }, { product_id => 999999998, quantity => 1 } ]), 422, 'unknown_product', 'items[1].product_id' ],
	[ 'no content type', POST => '/api/orders', '', order_body(), 415, 'unsupported_media_type' ],
	[ 'form content type', POST => '/api/orders', 'application/x-www-form-urlencoded', 'a=b', 415, 'unsupported_media_type' ],
	[ 'text/plain', POST => '/api/orders', 'text/plain', order_body(), 415, 'unsupported_media_type' ],
	[ 'application/jsonx', POST => '/api/orders', 'application/jsonx', order_body(), 415, 'unsupported_media_type' ],
	[ 'body over 64 KiB', POST => '/api/orders', $J, $big, 413, 'body_too_large' ],
	[ 'PUT on orders', PUT => '/api/orders', $J, order_body(), 405, 'method_not_allowed' ],
	[ 'DELETE an order', DELETE => '/api/orders/1', '', undef, 405, 'method_not_allowed' ],
	[ 'GET cancel', GET => '/api/orders/1/cancel', '', undef, 405, 'method_not_allowed' ],
	[ 'non-numeric order id', GET => '/api/orders/abc', '', undef, 404, 'not_found' ],
	[ 'overflowing order id', GET => '/api/orders/99999999999999999999999', '', undef, 404, 'not_found' ],
	[ 'order id 0', GET => '/api/orders/0', '', undef, 404, 'not_found' ],
	[ 'unknown api path', GET => '/api/bakers', '', undef, 404, 'not_found' ],
	[ 'category not UTF-8', GET => '/api/products?category=%FF', '', undef, 400, 'invalid_query', 'category' ],
	[ 'category bad escape', GET => '/api/products?category=%G1', '', undef, 400, 'invalid_query', 'category' ],
	[ 'category too long', GET => '/api/products?category=' . ('x' x 300), '', undef, 400, 'invalid_query', 'category' ],
	[ 'cancel unknown order', POST => '/api/orders/999999999/cancel', '', undef, 404, 'not_found' ],
	[ 'seed: product_id missing', POST => '/api/order', $J, '{"quantity":1}', 400, 'missing_field', 'product_id' ],
	[ 'seed: product_id words', POST => '/order', $J, '{"product_id":"one"}', 422, 'unknown_product', 'product_id' ],
	[ 'seed: quantity 0', POST => '/order', $J, "{\"product_id\":$pid,\"quantity\":0}", 422, 'invalid_quantity', 'quantity' ],
	[ 'seed: quantity " 2"', POST => '/order', $J, "{\"product_id\":$pid,\"quantity\":\" 2\"}", 422, 'invalid_quantity', 'quantity' ],
	[ 'seed: malformed', POST => '/order', $J, '{product_id:1}', 400, 'malformed_json' ],
	[ 'bad Idempotency-Key', POST => '/api/orders', $J, order_body(), 400, 'invalid_idempotency_key', undef, { 'Idempotency-Key' => 'x' x 201 } ],
);
cmp_ok(scalar @cases, '>=', 40, 'at least 40 bad requests in the table');

my $count_sql = 'SELECT (SELECT count(*) FROM orders) || \',\' || (SELECT count(*) FROM order_items) || \',\' || (SELECT count(*) FROM order_history) || \',\' || (SELECT sum(stock) FROM products)';
# The worker changes history and stock while it finishes earlier tests'
# orders: let it drain first, so any change below is ours.
ok(wait_until(60, sub { (sql(q{SELECT count(*) FROM orders WHERE status IN ('pending', 'processing')}))[0][0] == 0 }),
	'earlier orders are all processed');
my ($before) = map { $_->[0] } sql($count_sql);

for my $c (@cases) {
	my ($name, $method, $path, $type, $body, $status, $code, $field, $headers) = @$c;
	my %h = %{ $headers || {} };
	$h{'Content-Type'} = $type if $type;
	my $r = http($method, $path, headers => \%h, defined $body ? (raw => $body) : ());
	my $j = $r->{json};
	my $ok = $r->{status} == $status && ref $j eq 'HASH' && defined $j->{error} && length $j->{error}
		&& ($j->{code} // '') eq $code && (!defined $field || ($j->{field} // '') eq $field)
		&& ($r->{headers}{'content-type'} // '') =~ m{^application/json};
	ok($ok, "$name -> $status $code" . ($field ? " ($field)" : ''))
		or diag("got $r->{status}: " . substr($r->{body} // '', 0, 300));
	if ($status == 405) {
		ok(length($r->{headers}{allow} // ''), "  $name: 405 carries Allow ($r->{headers}{allow})");
	}
}

my ($after) = map { $_->[0] } sql($count_sql);
is($after, $before, 'nothing was stored by any rejected request (orders, items, history, stock)');

done_testing;
