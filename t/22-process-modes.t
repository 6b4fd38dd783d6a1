#!/usr/bin/env perl
# The responder's three ways to run (SPEC §5): its own pre-fork pool
# (restart of a dead child, SIGHUP reload, graceful SIGTERM with a request
# in flight), under spawn-fcgi, and as a classic CGI program.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use POSIX ();
use BakeryTest;
use FcgiClient;

my $bin = "$ENV{BAKERY_BIN}/bakery-api";
ok(-x $bin, 'bakery-api is built');
my $dir = tempdir(CLEANUP => 1);

sub children_of {
	my ($ppid) = @_;
	my @kids = map { (split ' ', $_)[0] } grep { (split ' ', $_)[1] == $ppid }
		map { s/^\s+//r } `ps -e -o pid=,ppid=`;
	my @sorted = sort { $a <=> $b } @kids; # sort in scalar context is undefined
	return @sorted;
}

# --- own pool ---------------------------------------------------------------
my $sock = "$dir/pool.sock";
my $pool = fork // die;
if (!$pool) {
	open STDERR, '>>', "$dir/pool.log";
	$ENV{BAKERY_LOG_LEVEL} = 'debug';
	exec $bin, '--listen', $sock, '--processes', '2';
	exit 127;
}
END { kill 'KILL', $pool if $pool && kill 0, $pool }
ok(wait_until(10, sub { -S $sock && children_of($pool) == 2 }), 'pool opens its socket with 2 children');
my $r = FcgiClient::request($sock, GET => '/api/products');
is($r->{status}, 200, 'pool answers GET /api/products');
ok(ref json_of($r->{body}) eq 'ARRAY', 'with the listing');

my @before = children_of($pool);
kill 'KILL', $before[0];
ok(wait_until(10, sub { my @now = children_of($pool); @now == 2 && !grep { $_ == $before[0] } @now }),
	'a killed child is replaced');
is(FcgiClient::request($sock, GET => '/api/health')->{status}, 200, 'pool still answers');

@before = children_of($pool);
kill 'HUP', $pool;
ok(wait_until(15, sub { my @now = children_of($pool); @now == 2 && !grep { my $o = $_; grep { $_ == $o } @before } @now }),
	'SIGHUP replaces every child, same supervisor pid');
is(FcgiClient::request($sock, GET => '/api/health')->{status}, 200, 'reloaded pool answers');

# Graceful stop: a request whose body is still on its way when SIGTERM comes
# is answered before the child exits.
my $inflight = FcgiClient::connect_socket($sock);
FcgiClient::begin($inflight, { REQUEST_METHOD => 'POST', PATH_INFO => '/api/orders',
	CONTENT_TYPE => 'application/json', CONTENT_LENGTH => 2, QUERY_STRING => '' });
ok(wait_until(10, sub { open my $fh, '<', "$dir/pool.log"; grep { m{request POST /api/orders} } <$fh> }),
	'a child has taken the request and waits for its body');
kill 'TERM', $pool;
my $late = FcgiClient::finish($inflight, '{}');
is($late->{status}, 400, 'in-flight request finished after SIGTERM (400 for an empty order)');
my $gone = wait_until(15, sub { waitpid($pool, POSIX::WNOHANG()) == $pool });
ok($gone, 'supervisor exited after SIGTERM');
is($? >> 8, 0, 'with status 0') if $gone;
ok(!-e $sock, 'and removed its socket');

# An upgrade: a new binary installed in place of the running one (a new
# file, as `install` makes), then SIGHUP. The new children run the new file,
# not the unlinked old one /proc/self/exe still names.
{
	my $copy = "$dir/bakery-api";
	system('cp', $bin, $copy) == 0 or die 'cp';
	my $usock = "$dir/upgrade.sock";
	my $up = fork // die;
	if (!$up) {
		open STDERR, '>>', "$dir/upgrade.log";
		exec $copy, '--listen', $usock, '--processes', '1';
		exit 127;
	}
	ok(wait_until(10, sub { -S $usock && children_of($up) == 1 }), 'a pool runs from a copy of the binary');
	system('cp', $bin, "$copy.new") == 0 && rename("$copy.new", $copy) or die 'install';
	like(readlink("/proc/$up/exe") // '', qr/ \(deleted\)$/, 'the copy is replaced by a new file');
	my @old = children_of($up);
	kill 'HUP', $up;
	ok(wait_until(15, sub { my @now = children_of($up); @now == 1 && $now[0] != $old[0] }), 'SIGHUP: a new child');
	my ($kid) = children_of($up);
	is(readlink("/proc/$kid/exe") // '', $copy, 'which runs the new file, not the deleted one');
	is(readlink("/proc/$up/exe") // '', $copy, 'and so does the supervisor');
	is(FcgiClient::request($usock, GET => '/api/health')->{status}, 200, 'the upgraded pool answers');
	kill 'TERM', $up;
	waitpid($up, 0);
}

# --- spawn-fcgi ---------------------------------------------------------------
my $ssock = "$dir/spawn.sock";
my $pidfile = "$dir/spawn.pid";
system('spawn-fcgi', '-s', $ssock, '-F', '2', '-P', $pidfile, '--', $bin) == 0 or fail('spawn-fcgi started');
ok(wait_until(10, sub { -S $ssock }), 'spawn-fcgi socket exists');
$r = FcgiClient::request($ssock, GET => '/api/products/1');
ok($r && ($r->{status} == 200 || $r->{status} == 404), 'responder under spawn-fcgi answers a product');
$r = FcgiClient::request($ssock, POST => '/api/health', '');
is($r->{status}, 405, 'and routes like the pool (405 for POST /api/health)');
system('pkill', '-TERM', '-f', "^$bin\$");
ok(wait_until(10, sub { system('pgrep', '-f', "^$bin\$") != 0 }), 'spawn-fcgi children stop on SIGTERM');

# --- classic CGI --------------------------------------------------------------
{
	local $ENV{GATEWAY_INTERFACE} = 'CGI/1.1';
	local $ENV{REQUEST_METHOD} = 'GET';
	local $ENV{PATH_INFO} = '/api/products';
	local $ENV{QUERY_STRING} = 'category=bread';
	my $out = `$bin`;
	like($out, qr/^Status: 200 OK\r\n/, 'CGI mode prints a status line');
	my (undef, $body) = split /\r\n\r\n/, $out, 2;
	my $list = json_of($body);
	ok(ref $list eq 'ARRAY' && @$list && !grep({ $_->{category} ne 'bread' } @$list), 'CGI mode answers the filtered listing');
}
{
	local $ENV{GATEWAY_INTERFACE} = 'CGI/1.1';
	local $ENV{REQUEST_METHOD} = 'POST';
	local $ENV{PATH_INFO} = '/api/orders';
	local $ENV{CONTENT_TYPE} = 'application/json';
	my $body = '{"customer_name":"Cgi","customer_email":"cgi@example.com","items":[{"product_id":1,"quantity":1}]}';
	local $ENV{CONTENT_LENGTH} = length $body;
	my $out = `printf '%s' '$body' | $bin`;
	like($out, qr/^Status: 201 Created\r\n/, 'CGI mode places an order read from stdin');
}

done_testing;
