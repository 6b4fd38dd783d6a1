#!/usr/bin/env perl
# Order tokens at rest (issue 10, point 8): the database holds only SHA-256
# hashes of order tokens and idempotency keys, never the clear values;
# tracking and cancelling with the token still work, the stored hash itself
# is no token, a retry with the key is told the same token again, the
# request fingerprint is SHA-256, and an Idempotency-Key needs 16 characters.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Digest::SHA qw(sha256_hex);
use Test::More;
use BakeryTest;
use StaffTest;

my ($user, $pw) = new_staff('t68');
my ($staff) = login($user, $pw);
my $made = staff_http(POST => '/api/staff/products', $staff,
	body => { name => "T68 Bun $$", category => "t68-$$", price => 1, stock => 100 });
is($made->{status}, 201, 'a product to order');
my $pid = $made->{json}{id};
my %order = (customer_name => 'Tina Hash', customer_email => "t68-$$\@example.com",
	items => [ { product_id => $pid + 0, quantity => 1 } ]);

sub row {
	my ($id) = @_;
	my ($r) = sql(q{SELECT access_token, coalesce(idempotency_key, ''), coalesce(request_hash, '')
		FROM orders WHERE id = $1}, $id);
	return @$r;
}

# --- a keyed order -------------------------------------------------------------------
my $key = join '', map { sprintf '%02x', int rand 256 } 1 .. 16;
my $a = http(POST => '/api/orders', body => \%order, headers => { 'Idempotency-Key' => $key });
is($a->{status}, 201, 'placed with a random key');
my ($id, $token) = @{ $a->{json} }{qw(order_id token)};
like($token, qr/^[0-9a-f]{32}$/, 'the customer gets a 128-bit hex token');
my ($stored, $skey, $fp) = row($id);
like($stored, qr/^[0-9a-f]{64}$/, 'the database holds a 64-hex hash');
isnt($stored, $token, '... not the token');
is($stored, sha256_hex($token), '... its SHA-256');
is($skey, sha256_hex($key), 'the idempotency key is stored as its SHA-256 too');
unlike($skey, qr/\Q$key\E/, '... never in clear');
like($fp, qr/^[0-9a-f]{64}$/, 'the request fingerprint is a SHA-256 (64 hex), not a 16-hex FNV');
my ($clear) = sql(q{SELECT count(*) FROM orders WHERE access_token = $1 OR idempotency_key = $2}, $token, $key);
is($clear->[0], 0, 'no row holds the clear token or key');

my $mine = http(GET => "/api/orders/$id", headers => { 'X-Order-Token' => $token });
is($mine->{json}{customer_name}, 'Tina Hash', 'tracking with the token (X-Order-Token) shows the customer');
is(http(GET => "/api/orders/$id?token=$token")->{json}{customer_email}, $order{customer_email},
	'... and with ?token=');
ok(!exists http(GET => "/api/orders/$id", headers => { 'X-Order-Token' => $stored })->{json}{customer_name},
	'the stored hash is no token');
ok(!exists http(GET => "/api/orders/$id", headers => { 'X-Order-Token' => 'f' x 32 })->{json}{customer_name},
	'a wrong token shows nothing personal');
is(http(POST => "/api/orders/$id/cancel", headers => { 'X-Order-Token' => $stored })->{status}, 403,
	'the stored hash cannot cancel');

my $b = http(POST => '/api/orders', body => \%order, headers => { 'Idempotency-Key' => $key });
is($b->{json}{order_id}, $id, 'a retry with the key: the same order');
is($b->{json}{token}, $token, '... and the same token, though only its hash is stored');
my %other = (%order, customer_name => 'Tina Other');
is(http(POST => '/api/orders', body => \%other, headers => { 'Idempotency-Key' => $key })->{json}{code},
	'idempotency_key_reused', 'another body with the key: 422, no token');

# The worker may have begun meanwhile: then 409, which is also past the token check.
my $c = http(POST => "/api/orders/$id/cancel", headers => { 'X-Order-Token' => $token });
ok($c->{status} == 200 && $c->{json}{status} eq 'cancelled'
	|| $c->{status} == 409 && $c->{json}{code} eq 'invalid_state', 'cancelling with the token is allowed')
	or diag $c->{body};

# --- without a key -----------------------------------------------------------------------
my $n = http(POST => '/api/orders', body => \%order);
is($n->{status}, 201, 'placed without a key');
isnt($n->{json}{token}, $token, 'a token of its own');
is((row($n->{json}{order_id}))[0], sha256_hex($n->{json}{token}), 'stored as its SHA-256');
is(http(GET => "/api/orders/$n->{json}{order_id}", headers => { 'X-Order-Token' => $n->{json}{token} })
	->{json}{customer_name}, 'Tina Hash', 'and it tracks the order');

# --- key length ---------------------------------------------------------------------------
for my $k ('x', 'short-key-15chr', '') {
	my $r = http(POST => '/api/orders', body => \%order, headers => { 'Idempotency-Key' => $k });
	is($r->{status}, 400, "a key of " . length($k) . " characters: 400");
	is($r->{json}{code}, 'invalid_idempotency_key', '  invalid_idempotency_key');
}
is(http(POST => '/api/orders', body => \%order, headers => { 'Idempotency-Key' => "sixteen-chars-$$" . 'xx' })
	->{status}, 201, 'a key of 16 or more characters is accepted');

# --- the column refuses a clear token ---------------------------------------------------------
my $ok = eval {
	sql(q{INSERT INTO orders (customer_name, customer_email, total_cents, access_token) VALUES ('X', 'x@y.zz', 0, $1)},
		'0123456789abcdef0123456789abcdef');
	1;
};
ok(!$ok, 'a clear 32-hex token cannot be stored (check constraint)');
like($@, qr/orders_access_token_sha256/, '... orders_access_token_sha256');
my ($bad) = sql(q{SELECT count(*) FROM orders WHERE access_token !~ '^[0-9a-f]{64}$'
	OR idempotency_key !~ '^[0-9a-f]{64}$'});
is($bad->[0], 0, 'every stored token and key is a hash');

staff_http(PATCH => "/api/staff/products/$pid", $staff, body => { active => JSON::PP::false });
done_testing();
