#!/usr/bin/env perl
# The stack's Redis is a bounded cache (issue 10, point 3): maxmemory is set
# (BAKERY_REDIS_MAXMEMORY, 64mb by default) and the least recently used keys
# are evicted beyond it, whichever they are (all are refillable).
use strict;
use warnings;
use Test::More;

my $port = $ENV{BAKERY_REDIS_PORT} or BAIL_OUT('BAKERY_REDIS_PORT is not set: run the tests with make test');

sub config_get {
	my ($name) = @_;
	my @out = `redis-cli -h 127.0.0.1 -p $port CONFIG GET $name`;
	chomp @out;
	return $out[1];
}

my %unit = (kb => 1024, mb => 1024**2, gb => 1024**3);
my ($n, $u) = ($ENV{BAKERY_REDIS_MAXMEMORY} // '64mb') =~ /^(\d+)(kb|mb|gb)$/;
my $max = config_get('maxmemory');
is($max, $n * $unit{$u}, "maxmemory is $n$u");
cmp_ok($max, '>', 0, 'so memory is bounded');
is(config_get('maxmemory-policy'), 'allkeys-lru', 'least recently used keys are evicted first');

done_testing;
