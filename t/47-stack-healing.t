#!/usr/bin/env perl
# The supervised stack (SPEC §3): every long-lived process of the test stack,
# killed with SIGKILL, is running again under a new pid within seconds with
# no command typed, and serves; `scripts/stack.sh up` then finds the stack
# all running. A supervisord that died takes its programs with it and `up`
# starts it all again; on a stack with one program stopped, `up` starts that
# one and says so.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time);
use BakeryTest;
use WorkerTest;

my $stack = "$FindBin::Bin/../scripts/stack.sh";
my @services = qw(postgres redis epmd rabbitmq api worker nginx);

# Whatever happens below, the stack is left whole for the tests after this.
END { my $st = $?; system("$stack up >/dev/null 2>&1"); $? = $st }

# scripts/stack.sh up: (exit status, output).
sub up {
	my $out = `$stack up 2>&1`;
	return ($? >> 8, $out);
}

sub healthy {
	my $h = http(GET => '/api/health');
	return $h->{status} == 200 && ($h->{json}{status} // '') eq 'ok';
}

my $product = new_product(name => 'T47 Rye', stock => 1000);

sub order_completes {
	my $r = place_order(items => [ [ $product, 1 ] ]);
	return 0 unless $r->{status} == 201;
	return wait_status(60, $r->{json}{order_id}, 'completed');
}

# Does SERVICE serve again? Every one of them shows in a healthy stack (the
# API checks PostgreSQL, Redis and RabbitMQ); epmd must know the broker
# again, and the worker must process an order.
sub serves {
	my ($svc) = @_;
	return 0 unless healthy();
	return order_completes() if $svc eq 'worker';
	if ($svc eq 'epmd') {
		my $names = `epmd -port $ENV{BAKERY_EPMD_PORT} -names 2>&1`;
		return $names =~ /^name bakery-$ENV{BAKERY_AMQP_PORT} at port/m;
	}
	return 1;
}

ok(wait_until(60, \&healthy), 'the stack is healthy to begin with');
ok(order_completes(), 'and processes orders');

# The programs get the environment of the `up` that started supervisord:
# the stack's URLs and every BAKERY_* of the caller.
for my $svc (qw(api worker)) {
	my %env = map { split /=/, $_, 2 } split /\0/, do {
		open(my $fh, '<', '/proc/' . service_pid($svc) . '/environ') or die "environ of $svc: $!";
		local $/;
		<$fh> // '';
	};
	is_deeply([ @env{qw(DATABASE_URL AMQP_URL BAKERY_PAYMENT_DELAY_MS)} ],
		[ @ENV{qw(DATABASE_URL AMQP_URL BAKERY_PAYMENT_DELAY_MS)} ], "$svc has the caller's environment");
}

# RabbitMQ reboots its Erlang VM and recovers its queues: slowest by far.
my %deadline = (postgres => 60, rabbitmq => 90);
for my $svc (@services) {
	my $old = service_pid($svc);
	ok($old > 0, "$svc runs under supervisord (pid $old)") or next;
	my $t0 = time;
	kill 'KILL', $old;
	my $new = wait_until($deadline{$svc} // 30, sub {
		my $pid = service_pid($svc);
		return $pid && $pid != $old && service_state($svc) eq 'RUNNING' ? $pid : 0;
	});
	ok($new, "$svc killed with SIGKILL runs again, with a new pid") or next;
	my $back = time - $t0;
	ok(wait_until($deadline{$svc} // 30, sub { serves($svc) }), "$svc serves again");
	note(sprintf('%s: running again after %.1f s, serving after %.1f s', $svc, $back, time - $t0));
	my ($rc, $out) = up();
	is($rc, 0, "stack.sh up exits 0 after $svc came back");
	like($out, qr/^bakery: stack already running\b.*all \d+ programs RUNNING/m, 'and reports the stack all running')
		or diag($out);
}

# A live process, not a zombie its new parent has yet to reap.
sub alive {
	my ($pid) = @_;
	open(my $fh, '<', "/proc/$pid/stat") or return 0;
	my ($state) = (<$fh> // '') =~ /\) (\S)/;
	return defined $state && $state !~ /[ZX]/;
}

# --- supervisord itself killed ------------------------------------------------
my $sv = supervisorctl('pid');
my %old = map { $_ => service_pid($_) } @services;
ok($sv =~ /^[0-9]+$/ && kill('KILL', $sv), "supervisord (pid $sv) killed with SIGKILL");
ok(wait_until(60, sub { !grep { alive($_) } grep { $_ } values %old }), 'its programs stop with it')
	or diag(join ' ', map { "$_=$old{$_}" } grep { alive($old{$_}) } @services);
my ($rc, $out) = up();
is($rc, 0, 'stack.sh up exits 0 after supervisord died');
like($out, qr/^bakery: supervisord was not running\b.*started it/m, 'and says it started supervisord') or diag($out);
is(scalar(grep { $out =~ /^bakery: $_ was not running\b.*started it/m } @services), scalar @services,
	'and every program') or diag($out);
is(scalar(grep { service_state($_) eq 'RUNNING' } @services), scalar @services, 'all RUNNING again');
ok(healthy(), 'healthy');
ok(order_completes(), 'orders complete');

# --- one program stopped ------------------------------------------------------
ok(stack_service(stop => 'worker'), 'stack.sh stop worker');
is(service_state('worker'), 'STOPPED', 'supervisord leaves a program stopped on purpose alone');
($rc, $out) = up();
is($rc, 0, 'stack.sh up exits 0 on the partially running stack');
like($out, qr/^bakery: worker was not running\b.*started it/m, 'and says it started the worker') or diag($out);
unlike($out, qr/^bakery: (?!worker)\S+ was (not running|being restarted)/m, 'and nothing else') or diag($out);
is(service_state('worker'), 'RUNNING', 'worker RUNNING');
ok(order_completes(), 'orders complete');

($rc, $out) = up();
is($rc, 0, 'a second up exits 0');
like($out, qr/^bakery: stack already running\b/m, 'and only says the stack is running') or diag($out);
is(scalar(grep { service_state($_) eq 'RUNNING' } @services), scalar @services, 'the stack is whole at the end');

done_testing;
