#!/usr/bin/env perl
# GET /api/products through nginx and FastCGI, from PostgreSQL and Redis.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;

# Start from an empty cache so the first request must be a miss.
system('redis-cli', '-p', $ENV{BAKERY_REDIS_PORT}, 'DEL', 'bakery:products:v1') == 0
	or BAIL_OUT('redis-cli failed');

my $r = http(GET => '/api/products');
is($r->{status}, 200, 'listing answers 200');
is($r->{headers}{'x-cache'}, 'MISS', 'first listing comes from PostgreSQL');
my $list = $r->{json};
ok(ref $list eq 'ARRAY' && @$list >= 12, 'at least 12 products in the seed catalogue');

my %db = map { $_->[0] => $_ } sql('SELECT id, name, category, price_cents, stock, description FROM products WHERE active');
is(scalar @$list, scalar keys %db, 'every active product listed');
my %cats;
my ($sorted, $described) = (1, 0);
for my $i (0 .. $#$list) {
	my $p = $list->[$i];
	$cats{ $p->{category} }++;
	my $row = $db{ $p->{id} } or do { fail("product $p->{id} is in the database"); next };
	is($p->{name}, $row->[1], "name of $p->{id} from the database");
	my $cents = $row->[3];
	my $want = sprintf('%d.%02d', int($cents / 100), $cents % 100);
	ok(abs($p->{price} * 100 - $cents) < 1e-9, "price of $p->{name} is exactly $want");
	is($p->{stock}, $row->[4], "stock of $p->{name}");
	is($p->{description}, $row->[5], "description of $p->{name} from the database");
	$described++ if length $p->{description};
	if ($i > 0) {
		my $q = $list->[ $i - 1 ];
		$sorted = 0 if ($q->{category} cmp $p->{category} || $q->{name} cmp $p->{name}) > 0;
	}
}
ok($sorted, 'ordered by category, then name');
# Products other tests made may have none; the seed's 12 have one each.
cmp_ok($described, '>=', 12, 'the seed catalogue is described');
cmp_ok(scalar keys %cats, '>=', 4, 'at least 4 categories');
like($r->{body}, qr/"price":\d+\.\d{2}[,}]/, 'money rendered with two decimals, not a float');

my $again = http(GET => '/api/products');
is($again->{headers}{'x-cache'}, 'HIT', 'second listing served from Redis');
is($again->{body}, $r->{body}, 'cached bytes are identical');
my $etag = $again->{headers}{etag};
ok($etag, 'listing has an ETag');
my $nm = http(GET => '/api/products', headers => { 'If-None-Match' => $etag });
is($nm->{status}, 304, 'If-None-Match with the ETag gives 304');
is($nm->{body} // '', '', 'and no body');

my $bread = http(GET => '/api/products?category=bread');
is($bread->{status}, 200, 'category filter answers');
my @bread = grep { $_->{category} eq 'bread' } @$list;
is(scalar @{ $bread->{json} }, scalar @bread, 'filter returns exactly that category');
is(scalar(grep { $_->{category} ne 'bread' } @{ $bread->{json} }), 0, 'and nothing else');
my $none = http(GET => '/api/products?category=nonexistent');
is_deeply($none->{json}, [], 'unknown category gives an empty list');

my $seed = http(GET => '/products');
is($seed->{status}, 200, 'seed-000 path /products works without the prefix');
is_deeply($seed->{json}, $list, 'and returns the same listing');

# An expired listing is refilled by one process while the others wait for it.
system('redis-cli', '-p', $ENV{BAKERY_REDIS_PORT}, 'DEL', 'bakery:products:v1') == 0 or BAIL_OUT('redis-cli');
my @kids;
pipe(my $rd, my $wr) or die;
for (1 .. 12) {
	my $k = fork // die;
	if (!$k) { close $rd; my $x = http(GET => '/api/products'); print {$wr} ($x->{headers}{'x-cache'} // 'none'), "\n"; exit 0 }
	push @kids, $k;
}
close $wr;
my @seen = <$rd>;
waitpid($_, 0) for @kids;
chomp @seen;
is(scalar(grep { $_ eq 'MISS' } @seen), 1, '12 concurrent requests on an empty cache: one refill (MISS), the rest HIT')
	or diag("@seen");

# A refill that read the database before an invalidation must not store it.
system('redis-cli', '-p', $ENV{BAKERY_REDIS_PORT}, 'INCR', 'bakery:products:v1:gen') == 0 or BAIL_OUT('redis-cli');
system('redis-cli', '-p', $ENV{BAKERY_REDIS_PORT}, 'DEL', 'bakery:products:v1') == 0 or BAIL_OUT('redis-cli');
is(http(GET => '/api/products')->{headers}{'x-cache'}, 'MISS', 'after an invalidation the next listing is a miss');
is(http(GET => '/api/products')->{headers}{'x-cache'}, 'HIT', 'and the one after a hit again');

my $one = http(GET => "/api/products/$list->[0]{id}");
is($one->{status}, 200, 'one product by id');
is_deeply($one->{json}, $list->[0], 'same fields as in the listing');
is(http(GET => '/api/products/999999999')->{status}, 404, 'unknown product id is 404');
is(http(GET => '/api/products/abc')->{status}, 404, 'non-numeric product id is 404');

done_testing;
