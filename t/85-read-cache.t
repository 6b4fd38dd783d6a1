#!/usr/bin/env perl
# The read caches of issue 12: GET /api/products/{id} kept in Redis beside
# the listings, and every responder's copies of what it read from Redis
# (kept while Redis's CLIENT TRACKING reports no change). Whatever process
# answers, a change shows on the very next request: a staff edit, the
# worker's stock reservation, a Redis DEL from outside; with Redis stopped
# the copies are dropped and PostgreSQL answers. Each check asks more times
# than there are responders, so that every process's copies are tried.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use StaffTest;
use WorkerTest;

my $port = $ENV{BAKERY_REDIS_PORT} or BAIL_OUT('BAKERY_REDIS_PORT is not set: run the tests with make test');
my $LISTINGS = 'bakery:products:v1';
my $ASKS = 4 * pool_size();

sub redis {
	my @out = `redis-cli -h 127.0.0.1 -p $port @_`;
	$? == 0 or BAIL_OUT("redis-cli @_ failed");
	chomp @out;
	return wantarray ? @out : $out[0];
}

my ($user, $pw) = new_staff('t85');
my ($tok) = login($user, $pw);
my $made = staff_http(POST => '/api/staff/products', $tok,
	body => { name => "T85 Loaf $$", description => 'read cache', category => "t85-$$", price => 2.5, stock => 7 });
is($made->{status}, 201, 'a product of its own');
my $id = $made->{json}{id};
my $cat = "t85-$$";

# $ASKS reads of the product: the stocks seen, and how many answered 200.
sub product_stocks {
	my %seen;
	my $ok = 0;
	for (1 .. $ASKS) {
		my $r = http(GET => "/api/products/$id");
		$ok++ if $r->{status} == 200;
		$seen{ $r->{json}{stock} // 'none' }++;
	}
	return ($ok, join(',', sort keys %seen));
}

# $ASKS reads of its category's listing: the stocks seen and the X-Cache values.
sub listing_stocks {
	my (%seen, %cache);
	for (1 .. $ASKS) {
		my $r = http(GET => "/api/products?category=$cat");
		$cache{ $r->{headers}{'x-cache'} // '' }++;
		$seen{ ref $r->{json} eq 'ARRAY' && @{ $r->{json} } ? $r->{json}[0]{stock} : 'none' }++;
	}
	return (join(',', sort keys %seen), \%cache);
}

my ($ok, $seen) = product_stocks();
is($ok, $ASKS, "$ASKS reads of the product: 200");
is($seen, '7', '  all with its stock');
my ($lseen, $cache) = listing_stocks();
is($lseen, '7', "$ASKS listings: its stock");
cmp_ok($cache->{HIT} // 0, '>=', $ASKS - 4, '  most of them cache hits');
ok(scalar(grep { /product:$id:0$/ } redis('HKEYS', $LISTINGS)), 'the product is kept in the listings hash');

# --- a staff edit ---------------------------------------------------------------------------
is(staff_http(PATCH => "/api/staff/products/$id", $tok, body => { stock => 3 })->{status}, 200, 'staff set stock 3');
(undef, $seen) = product_stocks();
is($seen, '3', '  every read of the product after it shows 3');
($lseen) = listing_stocks();
is($lseen, '3', '  and every listing');

# --- the worker's reservation ---------------------------------------------------------------
my $o = place_order(items => [ [ $id, 2 ] ]);
is($o->{status}, 201, 'an order of 2');
ok(wait_final(60, $o->{json}{order_id}), '  the worker settles it');
is(order_row($o->{json}{order_id})->{status}, 'completed', '  completed');
(undef, $seen) = product_stocks();
is($seen, '1', '  every read of the product after it shows the stock left, 1');
($lseen) = listing_stocks();
is($lseen, '1', '  and every listing');

# --- withdrawn ------------------------------------------------------------------------------
staff_http(PATCH => "/api/staff/products/$id", $tok, body => { active => JSON::PP::false });
($ok) = product_stocks();
is($ok, 0, 'withdrawn: no read of the product answers 200');
is(http(GET => "/api/products/$id")->{status}, 404, '  it answers not found');
ok(!grep({ /product:$id:0$/ } redis('HKEYS', $LISTINGS)), '  and nothing is kept for it');
staff_http(PATCH => "/api/staff/products/$id", $tok, body => { active => JSON::PP::true });
(undef, $seen) = product_stocks();
is($seen, '1', 'back on sale: every read shows it again');

# --- a change Redis is told of from outside --------------------------------------------------
set_stock($id, 6);
redis('DEL', $LISTINGS);
(undef, $seen) = product_stocks();
is($seen, '6', 'the listings hash deleted with redis-cli: every read shows the database again');
($lseen) = listing_stocks();
is($lseen, '6', '  and every listing');

# --- Redis stopped ---------------------------------------------------------------------------
END { stack_service(start => 'redis') }
ok(stack_service(stop => 'redis'), 'Redis stopped');
set_stock($id, 4); # nobody can tell Redis: only the copies' loss shows it
(undef, $seen) = product_stocks();
is($seen, '4', '  every read of the product comes from PostgreSQL');
($lseen, $cache) = listing_stocks();
is($lseen, '4', '  and every listing');
is(join(',', sort keys %$cache), 'MISS', '  as misses');
ok(stack_service(start => 'redis'), 'Redis started again');
ok(wait_until(20, sub { http(GET => '/api/health')->{json}{checks}{redis} eq 'ok' }), '  health sees it');
ok(wait_until(20, sub { (listing_stocks())[1]{HIT} }), '  and the listing is cached again');
staff_http(PATCH => "/api/staff/products/$id", $tok, body => { stock => 8 });
(undef, $seen) = product_stocks();
is($seen, '8', '  where a staff edit shows at once as before');

done_testing();
