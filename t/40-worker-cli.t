#!/usr/bin/env perl
# bakery-worker's command line: --help, --version, --config, bad arguments.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;

my $bin = "$ENV{BAKERY_BIN}/bakery-worker";
ok(-x $bin, 'bakery-worker is built');

sub run {
	my (@args) = @_;
	my $out = `$bin @args 2>&1`;
	return ($? >> 8, $out);
}

my ($rc, $out) = run('--help');
is($rc, 0, '--help exits 0');
like($out, qr/^usage: bakery-worker \[--concurrency N\]/m, '--help shows the usage');
like($out, qr/BAKERY_PAYMENT_DELAY_MS/, '--help lists the environment');
unlike($out, qr/bakery:bakery@/, 'without the AMQP password');

($rc, $out) = run('--version');
is($rc, 0, '--version exits 0');
like($out, qr/^bakery-worker \d+\.\d+\.\d+$/m, '--version prints the version');

($rc, $out) = run('--config');
is($rc, 0, '--config exits 0');
like($out, qr/^BAKERY_MAX_DELIVERIES\s/m, '--config prints the settings');

($rc, $out) = run('--bogus');
is($rc, 2, 'an unknown argument exits 2');
like($out, qr/unknown argument --bogus/, 'and says which');

for my $bad ('0', '65', 'x', '-1', '') {
	($rc, $out) = run('--concurrency', "'$bad'");
	is($rc, 2, "--concurrency '$bad' is refused");
}
($rc, $out) = run('--concurrency');
is($rc, 2, '--concurrency without a value is refused');

{
	local $ENV{BAKERY_WORKER_INFLIGHT} = '0';
	($rc, $out) = run();
	is($rc, 2, 'a bad BAKERY_WORKER_INFLIGHT stops start-up');
	like($out, qr/BAKERY_WORKER_INFLIGHT must be an integer/, 'with a clear message');
}

done_testing;
