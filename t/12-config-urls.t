#!/usr/bin/env perl
# A malformed DATABASE_URL, REDIS_URL or AMQP_URL stops the start-up of both
# binaries (status 2, before any process is forked) with a message that
# names the variable and never shows the password. Such a value used to make
# every child of the pool die and be replaced once a second, forever.
use strict;
use warnings;
use File::Temp qw(tempdir);
use Test::More;

my $pw = 's3cret-pw';
my %bad = (
	DATABASE_URL => [ "postgresql://bakery:$pw\@127.0.0.1:5433/bakery?no_such_option=1",
		"host=127.0.0.1 password=$pw dbname", "postgresql://bakery:$pw\@[::1/bakery" ],
	REDIS_URL => [ "redis://:$pw\@127.0.0.1:port/0", "redis:/:$pw\@127.0.0.1:6380/0",
		"redis://:$pw\@127.0.0.1:6380/db0" ],
	AMQP_URL => [ "amqp://bakery:$pw\@127.0.0.1:port/bakery", "amqps://bakery:$pw\@127.0.0.1:5671/bakery",
		"amqp:/bakery:$pw\@127.0.0.1" ],
);
my $dir = tempdir(CLEANUP => 1);
# A real start: the responder's own pool, the worker as it runs in the stack.
my %args = ('bakery-api' => "--listen $dir/api.sock --processes 1", 'bakery-worker' => '');

for my $bin (sort keys %args) {
	my $path = "$ENV{BAKERY_BIN}/$bin";
	ok(-x $path, "$bin is built");
	for my $var (sort keys %bad) {
		for my $value (@{ $bad{$var} }) {
			local $ENV{$var} = $value;
			# Were the value let through, the timeout ends the run with 124.
			my $out = `timeout 20 $path $args{$bin} </dev/null 2>&1`;
			is($? >> 8, 2, "$bin: $var=$value stops start-up with status 2");
			like($out, qr/^\Q$bin\E: \Q$var\E /m, "  with a message naming $var")
				or diag($out);
			unlike($out, qr/\Q$pw\E/, '  and not its password');
		}
	}
}
ok(!-e "$dir/api.sock", 'no pool ever opened its socket');

done_testing;
