#!/usr/bin/env perl
# The command line both binaries share (lib/cli.c; issue 10, point 7): a bad
# argument prints the problem and the usage only — never the configuration,
# since stderr is the log — and exits 2; --help, --version and --config
# behave alike in both.
use strict;
use warnings;
use Test::More;

my $secret = 's3cret-t70';
local $ENV{DATABASE_URL} = "host=127.0.0.1 port=1 dbname=bakery user=bakery password=$secret";
local $ENV{AMQP_URL} = "amqp://bakery:$secret\@127.0.0.1:1/bakery";

sub run {
	my ($bin, @args) = @_;
	my $out = `$ENV{BAKERY_BIN}/$bin @args 2>&1 </dev/null`;
	return ($? >> 8, $out);
}

my %bad = (
	'bakery-api' => [ '--bogus', '--listen', '--processes 0', '--processes x', '--processes=99999', 'create-staff',
		'create-staff a b', 'serve' ],
	'bakery-worker' => [ '--bogus', '--concurrency', '--concurrency 0', '--concurrency=65', 'extra' ],
);
for my $bin (sort keys %bad) {
	ok(-x "$ENV{BAKERY_BIN}/$bin", "$bin is built");
	for my $args (@{ $bad{$bin} }) {
		my ($rc, $out) = run($bin, $args);
		is($rc, 2, "$bin $args: exit 2");
		like($out, qr/^\Q$bin\E: .+\n/, '  says what is wrong');
		like($out, qr/^usage: \Q$bin\E /m, '  shows the usage');
		unlike($out, qr/^(BAKERY_|DATABASE_URL|REDIS_URL|AMQP_URL)\w*\s/m, '  prints no configuration');
		unlike($out, qr/Environment \(current values\)/, '  not even its heading');
		unlike($out, qr/\Q$secret\E/, '  and no secret');
	}
	my ($rc, $out) = run($bin, '--help');
	is($rc, 0, "$bin --help: exit 0");
	like($out, qr/^usage: \Q$bin\E /m, '  the usage');
	like($out, qr/^Environment \(current values\):\n(?:.*\n)*DATABASE_URL\s/m, '  and the configuration');
	unlike($out, qr/\Q$secret\E/, '  masked');
	($rc, $out) = run($bin, '--version');
	like($out, qr/^\Q$bin\E \d+\.\d+\.\d+$/, "$bin --version");
	($rc, $out) = run($bin, '--config');
	is($rc, 0, "$bin --config: exit 0");
	like($out, qr/^AMQP_URL\s/m, '  the configuration');
	unlike($out, qr/\Q$secret\E/, '  masked');
}

done_testing;
