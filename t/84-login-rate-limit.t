#!/usr/bin/env perl
# Staff login rate limit (issue 10, point 4): nginx limit_req per client
# address on /api/staff/login. A flood of logins from one address gets 429
# in the API's JSON error shape with Retry-After, from nginx (the flood's
# bodies are `{}`, which the app answers 400 without counting a failure, so
# every 429 is nginx's), while staff logging in from another address are
# served, and the flooding address is served again once it slows down.
# The limits are the test stack's (scripts/test-stack.env): the flood must
# outrun the rate and the burst. The flood comes from 127.0.0.5 (any
# 127.x.y.z is loopback and a client of its own to nginx).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use HTTP::Tiny;
use Time::HiRes qw(sleep time);
use BakeryTest;
use HardenTest;
use StaffTest;

my $burst = $ENV{BAKERY_LOGIN_BURST} // 5;
my $flood = $burst * 4 > 1500 ? $burst * 4 : 1500;
my $clients = 10;
my $J = { 'Content-Type' => 'application/json' };
my ($user, $pw) = new_staff('t71');

my @staff;
my ($n, $took) = flood(from => '127.0.0.5', clients => $clients, n => $flood,
	step => sub {
		my ($ua) = @_;
		my $res = $ua->request(POST => base_url() . '/api/staff/login', { headers => $J, content => '{}' });
		return ($res->{status}, $res);
	},
	during => sub {
		my ($tok, $res) = login($user, $pw);
		push @staff, $res->{status};
		sleep 0.25;
	},
	enough => sub { @staff >= 3 });
my %n = %$n;
note(sprintf('%d logins in %.1f s: %s', $flood, $took, join(', ', map { "$_=$n{$_}" } sort keys %n)));

cmp_ok($n{429} // 0, '>', 0, "the flood of $flood logins got 429s (" . ($n{429} // 0) . ')');
cmp_ok($n{400} // 0, '>', 0, 'the logins within the limit reached the app (400 for {})');
is($n{bad429} // 0, 0, 'every 429 is {"error","code":"rate_limited"} in JSON with Retry-After and nosniff');
is(scalar(grep { !/^(400|429|bad429)$/ } keys %n), 0, 'no other answers (no 5xx)') or diag(explain(\%n));
is(join(' ', grep { $_ != 200 } @staff), '', 'staff logging in every quarter second from another address: all '
	. scalar(@staff) . ' served (200)');

my $log = "$ENV{BAKERY_VAR}/log/nginx-error.log";
ok(wait_until(5, sub { open(my $fh, '<', $log) or return 0; scalar grep { /limiting requests.*zone "staff_login"/ } <$fh> }),
	'nginx logged the refusals of zone staff_login');

my $ua = HTTP::Tiny->new(local_address => '127.0.0.5', timeout => 20);
my $again;
ok(wait_until(5, sub {
	$again = $ua->request(POST => base_url() . '/api/staff/login',
		{ headers => $J, content => qq({"username":"$user","password":"$pw"}) });
	$again->{status} == 200;
}), 'the flooding address can log in again once it slows down') or diag($again->{content});

done_testing;
