#!/usr/bin/env perl
# Faults in the middle of a rush (SPEC §3, §7.2, §7.6): 20 orders a second
# at the default payment time while, each alone, every worker process is
# killed with kill -9 (and nobody types a command), RabbitMQ is stopped for
# 10 s, Redis is shut down, PostgreSQL is fast-stopped. After each: every
# accepted order completed exactly once, the stock balances to the unit,
# the API answered no 5xx but 503s while PostgreSQL was down, and health is
# back to ok.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use Time::HiRes qw(time sleep);
use BakeryTest;
use WorkerTest;
use LoadTest;

END { my $st = $?; stack_service(start => $_) for qw(postgres rabbitmq redis); $? = $st }

sub at { my ($t) = @_; sleep($t - time) if $t > time } # the fault's schedule

my %faults = (
	'every worker killed with kill -9' => sub {
		my ($start) = @_;
		at($start + 4);
		my @pids = stack_worker_pids();
		ok(@pids >= 1, 'the stack has worker processes: ' . join(' ', @pids));
		kill 'KILL', @pids;
		ok(wait_until(30, sub { my @now = stack_worker_pids(); @now && !grep { my $p = $_; grep { $_ == $p } @pids } @now }),
			'the supervisor runs the worker again, with nobody at the keyboard');
	},
	'rabbitmq stopped for 10 s' => sub {
		my ($start) = @_;
		at($start + 4);
		ok(stack_service(stop => 'rabbitmq'), 'rabbitmq stopped');
		at($start + 14);
		ok(stack_service(start => 'rabbitmq'), 'rabbitmq started again');
	},
	'redis shut down and restarted' => sub {
		my ($start) = @_;
		at($start + 4);
		ok(stack_service(stop => 'redis'), 'redis shut down');
		at($start + 10);
		ok(stack_service(start => 'redis'), 'redis started again');
	},
	'postgres fast-stopped and started' => sub {
		my ($start) = @_;
		at($start + 4);
		ok(stack_service(stop => 'postgres'), 'postgres fast-stopped');
		at($start + 10);
		ok(stack_service(start => 'postgres'), 'postgres started again');
	},
);

for my $what (sort keys %faults) {
	ok(wait_until(120, \&health_ok), "$what: health is ok before");
	my $p = new_product(name => 'T48 Pretzel', stock => 100000);
	my $initial = stock($p);
	my @res = rush(rate => 20, seconds => 20, clients => 6, product => $p, during => $faults{$what});
	my $pg = $what =~ /postgres/;
	my @bad = grep { $_->{status} != 201 && !($pg && $_->{status} == 503) } @res;
	is(scalar @bad, 0, "$what: every answer 201" . ($pg ? ' or 503' : '') . ' (' . scalar(@res) . ' orders)')
		or diag(explain([ @bad[0 .. ($#bad < 9 ? $#bad : 9)] ]));
	if ($pg) {
		my $refused = grep { $_->{status} == 503 } @res;
		note("$what: $refused placements answered 503 while the database was away");
	}
	my @ids = accepted_ids(@res);
	cmp_ok(scalar @ids, '>', 200, "$what: " . scalar(@ids) . ' orders accepted');
	ok(wait_final(120, @ids), "$what: every accepted order is final");
	check_exactly_once($what, $p, $initial, @res);
	ok(wait_until(120, \&health_ok), "$what: health is back to ok");
}

done_testing;
