#!/usr/bin/env perl
# Rate limits on placing orders (issue 10, point 4; SPEC section 6, 429):
# nginx limit_req and limit_conn per client address on POST /api/orders,
# POST /api/order and POST /order. A flood from one address gets 429 in the
# API's JSON error shape with Retry-After, on every one of those paths,
# while a customer at a normal pace from another address is never refused,
# reading is never limited, and the flooding address is served again as
# soon as it slows down. Too many placements in progress at once from one
# address are refused too (limit_conn).
#
# Every 127.x.y.z address is loopback, and a client of its own to nginx:
# the flood comes from 127.0.0.2, the held connections from 127.0.0.4, the
# customer from 127.0.0.1. The limits are the test stack's
# (scripts/test-stack.env): the flood must outrun the rate and the burst.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep time);
use BakeryTest;
use HardenTest;

my ($burst, $conns) = ($ENV{BAKERY_ORDER_BURST} // 20, $ENV{BAKERY_ORDER_CONN} // 10);
my $flood = $burst * 4 > 1500 ? $burst * 4 : 1500;
my $clients = 10;
my @paths = ('/api/orders', '/api/orders/', '/api/order', '/order');
my $J = { 'Content-Type' => 'application/json' };

my ($pid) = map { $_->[0] } sql(q{INSERT INTO products (name, description, category, price_cents, stock)
	VALUES ('Rate Cake ' || gen_random_uuid(), 'for t/64', 'test', 100, 100000) RETURNING id});
my $order = encode_json({ customer_name => 'Patient Pat', customer_email => 'pat@example.com',
	items => [ { product_id => $pid + 0, quantity => 1 } ] });

# --- a flood from 127.0.0.2, a customer from 127.0.0.1 ---------------------------------
my @customer;
my ($n, $took) = flood(from => '127.0.0.2', clients => $clients, n => $flood,
	step => sub {
		my ($ua, $k) = @_;
		if ($k % 10 == 0) { # reading is not limited, even mid-flood
			my $res = $ua->request(GET => base_url() . '/api/orders');
			return ("GET /api/orders $res->{status}", $res);
		}
		my $path = $paths[ $k % @paths ];
		my $res = $ua->request(POST => base_url() . $path, { headers => $J, content => '{}' });
		return ("POST $path $res->{status}", $res);
	},
	during => sub {
		push @customer, http(POST => '/api/orders', headers => $J, raw => $order)->{status};
		sleep 0.25;
	},
	enough => sub { @customer >= 5 });
my %n = %$n;
note(sprintf('%d requests in %.1f s: %s', $flood, $took, join(', ', map { "$_=$n{$_}" } sort keys %n)));

my $limited = 0;
$limited += $n{$_} for grep { / 429$/ } keys %n;
cmp_ok($limited, '>', 0, "the flood of $flood requests got 429s ($limited)");
for my $path (@paths) {
	cmp_ok($n{"POST $path 429"} // 0, '>', 0, "  on POST $path");
	cmp_ok($n{"POST $path 400"} // 0, '>', 0, "  and the requests within the limit reached the app (400 for {})");
}
is($n{bad429} // 0, 0, 'every 429 is {"error","code":"rate_limited"} in JSON with Retry-After and nosniff');
is(scalar(grep { !/^(POST \S+ (400|429)|GET \S+ 405|bad429)$/ } keys %n), 0, 'no other answers (no 5xx)')
	or diag(explain(\%n));
is($n{'GET /api/orders 429'} // 0, 0, 'reading is not limited: GETs got the app\'s answer (405) throughout');
is(join(' ', grep { $_ != 201 } @customer), '', 'a customer ordering every quarter second from another address: all '
	. scalar(@customer) . ' accepted (201)');

sleep 1;
my $ua2 = HTTP::Tiny->new(local_address => '127.0.0.2', timeout => 20);
my $again = $ua2->request(POST => base_url() . '/api/orders', { headers => $J, content => $order });
is($again->{status}, 201, 'the flooding address is served again a second later');

# --- limit_conn: placements in progress at once ---------------------------------------
# Requests whose headers nginx has read but whose body has not come yet are
# in progress: hold BAKERY_ORDER_CONN of them from 127.0.0.4.
my @held = map {
	my $s = raw_connect('127.0.0.4');
	print {$s} "POST /api/orders HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n";
	$s;
} 1 .. $conns;
# nginx counts each once it has read its headers: until then one more passes.
my $ua4 = HTTP::Tiny->new(local_address => '127.0.0.4', timeout => 20);
my $over;
for (1 .. 20) {
	sleep 0.25;
	$over = $ua4->request(POST => base_url() . '/api/orders', { headers => $J, content => '{}' });
	last if $over->{status} == 429;
}
is($over->{status}, 429, "one more placement from that address while $conns are in progress: 429");
ok(good_429($over), '  in the JSON shape with Retry-After') or diag($over->{content});
is(http(POST => '/api/orders', headers => $J, raw => '{}')->{status}, 400, '  while another address is served');
my @done = map { print {$_} '{}'; my $r = raw_read($_, 20); close $_; $r->{status} } @held;
is(scalar(grep { $_ == 400 } @done), $conns, "the $conns held placements are answered by the app once their bodies come");
is($ua4->request(POST => base_url() . '/api/orders', { headers => $J, content => '{}' })->{status}, 400,
	'and that address is served again');

done_testing;
