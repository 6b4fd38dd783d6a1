#!/usr/bin/env perl
# The ?category= filter (issue 10, point 3): at most the database's 50
# characters (longer is 400 invalid_query with the field), and a category
# no product is in leaves nothing in Redis (no listing field, no refill
# lock), so made-up values cannot fill the cache. A real category is cached
# as before. Redis is read directly with redis-cli on the test stack's port.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use StaffTest;

my $port = $ENV{BAKERY_REDIS_PORT} or BAIL_OUT('BAKERY_REDIS_PORT is not set: run the tests with make test');
my $LISTINGS = 'bakery:products:v1';

sub redis {
	my @out = `redis-cli -h 127.0.0.1 -p $port @_`;
	$? == 0 or BAIL_OUT("redis-cli @_ failed");
	chomp @out;
	return wantarray ? @out : $out[0];
}

sub url_escape { my ($s) = @_; $s =~ s/([^A-Za-z0-9_.~-])/sprintf '%%%02X', ord $1/ge; return $s }

sub listing { return http(GET => '/api/products?category=' . url_escape($_[0])) }

# --- length ---------------------------------------------------------------------------
for my $case ([ 'x' x 50, 200, '50 ASCII characters' ], [ "\xc3\xa9" x 50, 200, '50 two-byte characters' ],
	[ 'x' x 51, 400, '51 characters' ], [ "\xc3\xa9" x 51, 400, '51 two-byte characters' ],
	[ "\xe2\x82\xac" x 51, 400, '51 three-byte characters' ], [ 'x' x 300, 400, '300 characters' ]) {
	my $r = listing($case->[0]);
	is($r->{status}, $case->[1], "a category of $case->[2]: $case->[1]");
	if ($case->[1] == 400) {
		is($r->{json}{code}, 'invalid_query', '  invalid_query');
		is($r->{json}{field}, 'category', '  field category');
	}
}

# --- unknown categories are not cached ------------------------------------------------------
my $unknown = "t69-nobody-sells-$$-" . time;
for my $i (1 .. 3) {
	my $r = listing($unknown);
	is($r->{status}, 200, "unknown category, request $i: 200");
	is($r->{body}, '[]', '  an empty list');
	is($r->{headers}{'x-cache'}, 'MISS', '  never a cache hit');
}
is(redis('HEXISTS', $LISTINGS, $unknown), '0', 'no listing stored for the unknown category');
is(scalar(grep { /\Q$unknown\E/ } redis('--scan', '--pattern', "'bakery:*'")), 0,
	'no Redis key names it (no refill lock left behind)');
my $long = 'y' x 51;
listing($long);
is(scalar(grep { /yyyyyyyyyy/ } redis('--scan', '--pattern', "'bakery:*'"), redis('HKEYS', $LISTINGS)), 0,
	'nothing in Redis for a refused category either');

# --- a real category is cached ----------------------------------------------------------------
my ($user, $pw) = new_staff('t69');
my ($tok) = login($user, $pw);
my $cat = "t69-real-$$";
my $p = staff_http(POST => '/api/staff/products', $tok, body => { name => "T69 Roll $$", category => $cat, price => 1, stock => 5 });
is($p->{status}, 201, 'a product in a category of its own');
is(listing($cat)->{headers}{'x-cache'}, 'MISS', 'its category: first request from PostgreSQL');
ok(wait_until(5, sub { listing($cat)->{headers}{'x-cache'} eq 'HIT' }), 'then from Redis');
is(redis('HEXISTS', $LISTINGS, $cat), '1', 'stored under its category');
staff_http(PATCH => "/api/staff/products/$p->{json}{id}", $tok, body => { active => JSON::PP::false });
my $gone = listing($cat);
is($gone->{body}, '[]', 'withdrawn: the category lists nothing');
is(redis('HEXISTS', $LISTINGS, $cat), '0', 'and an empty category is not cached');

done_testing();
