#!/usr/bin/env perl
# GET /api/orders/{id} kept in Redis (one key per order) and in every
# responder's copies (issue 12): its bytes are those of the order read from
# PostgreSQL, for every kind of caller, and every writer of an order drops
# what is kept before it answers (customer cancel, staff cancel, collect and
# refund, branch edits) or right after its commit (the worker's moves and
# attempt bookkeeping), so the next read on any responder shows the change,
# long before the keys' 10 s lifetime could. The answer read from
# PostgreSQL is the one plain CGI gives with the cache off
# (BAKERY_CACHE_TTL=0). Each check asks more times than there are
# responders, so that every process's copies are tried.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use POSIX ();
use Time::HiRes qw(time sleep);
use BakeryTest;
use StaffTest;
use WorkerTest;

my $port = $ENV{BAKERY_REDIS_PORT} or BAIL_OUT('BAKERY_REDIS_PORT is not set: run the tests with make test');
my $bin = "$ENV{BAKERY_BIN}/bakery-api";
my $ASKS = 4 * pool_size();
my $SOON = 3; # seconds: well inside an order key's 10 s lifetime

sub redis {
	my @out = `redis-cli -h 127.0.0.1 -p $port @_`;
	$? == 0 or BAIL_OUT("redis-cli @_ failed");
	chomp @out;
	return wantarray ? @out : join("\n", @out);
}

sub key_of { "bakery:order:v1:$_[0]" }

# The caller's credentials as request headers: token => T, staff => S.
sub headers_of {
	my (%who) = @_;
	my %h;
	$h{'X-Order-Token'} = $who{token} if defined $who{token};
	$h{Authorization} = "Bearer $who{staff}" if defined $who{staff};
	return %h;
}

# The answer as PostgreSQL gives it: bakery-api as plain CGI with the
# cache off. "STATUS BODY".
sub uncached {
	my ($id, %who) = @_;
	my %h = headers_of(%who);
	local $ENV{BAKERY_CACHE_TTL} = 0;
	local $ENV{GATEWAY_INTERFACE} = 'CGI/1.1';
	local $ENV{REQUEST_METHOD} = 'GET';
	local $ENV{PATH_INFO} = "/api/orders/$id";
	local $ENV{QUERY_STRING} = '';
	local $ENV{HTTP_X_ORDER_TOKEN} = $h{'X-Order-Token'} if $h{'X-Order-Token'};
	local $ENV{HTTP_AUTHORIZATION} = $h{Authorization} if $h{Authorization};
	my $out = `$bin 2>/dev/null`;
	my ($head, $body) = split /\r\n\r\n/, $out, 2;
	my ($status) = ($head // '') =~ /^Status: (\d+)/;
	return ($status // 'none') . ' ' . ($body // '');
}

# $ASKS answers through nginx: the distinct "STATUS BODY"s seen.
sub answers {
	my ($id, %who) = @_;
	my %seen;
	my %h = headers_of(%who);
	for (1 .. $ASKS) {
		my $r = http(GET => "/api/orders/$id", headers => \%h);
		$seen{"$r->{status} $r->{body}"}++;
	}
	return keys %seen;
}

# 1 when every one of $ASKS answers is the uncached one.
sub agree {
	my ($id, %who) = @_;
	my $want = uncached($id, %who);
	my @seen = answers($id, %who);
	return @seen == 1 && $seen[0] eq $want && $want eq uncached($id, %who);
}

sub status_seen {
	my ($id) = @_;
	my ($r) = http(GET => "/api/orders/$id")->{json};
	return $r ? $r->{status} : 'none';
}

# What Redis keeps for the order now (the status in its entry, '' if none).
sub kept_status {
	my ($id) = @_;
	my $v = redis('GET', key_of($id)) // '';
	return $v =~ /"status":"(\w+)"/ ? $1 : '';
}

# Reads the order until Redis keeps it (a fresh key: its 10 s start now).
sub keep {
	my ($id) = @_;
	redis('DEL', key_of($id));
	return wait_until(5, sub { status_seen($id); kept_status($id) ne '' });
}

my ($user, $pw) = new_staff('t88');
my ($staff) = login($user, $pw);
ok($staff, 'staff logged in');
my $pid = new_product(name => 'T88 Loaf', stock => 1000);
sql(q{INSERT INTO branch_stock (branch_id, product_id, stock) SELECT id, $1, 1000 FROM branches
	ON CONFLICT (branch_id, product_id) DO UPDATE SET stock = 1000}, $pid);

# --- the bytes of a kept answer, for every kind of caller ------------------------------------
ok(stack_service(stop => 'worker'), 'the worker stopped: orders stay as placed');
my $a = place_order(name => 'T88 Reader', email => 't88@example.com', items => [ [ $pid, 1 ] ]);
is($a->{status}, 201, 'an order');
my ($aid, $atok) = ($a->{json}{order_id}, $a->{json}{token});
ok(keep($aid), '  kept in Redis once read');
like(redis('GET', key_of($aid)), qr/^\d+:[0-9a-f]{64}\n\d+\n\{/, '  as generation, token hash, the two answers');
my $ttl = redis('PTTL', key_of($aid));
ok($ttl > 0 && $ttl <= 10000, "  for at most 10 s ($ttl ms left)");
for my $who ([ 'no token' ], [ 'its token', token => $atok ], [ 'a wrong token', token => 'f' x 32 ],
	[ 'a malformed token', token => 'x' ], [ 'staff', staff => $staff ]) {
	my ($what, %cred) = @$who;
	ok(agree($aid, %cred), "with $what: every answer is the uncached one, byte for byte");
}
my @with = answers($aid, token => $atok);
like($with[0], qr/"customer_email":"t88\@example.com"/, '  the token shows the customer');
my @without = answers($aid, token => 'f' x 32);
unlike($without[0], qr/customer_email/, '  a wrong token does not');
is(http(GET => '/api/orders/999999999')->{status}, 404, 'no such order: 404');
ok(!redis('EXISTS', key_of(999999999)) || kept_status(999999999) eq '', '  and no answer kept for it');

# --- the customer cancels -----------------------------------------------------------------
my $b = place_order(items => [ [ $pid, 1 ] ]);
my $bid = $b->{json}{order_id};
ok(keep($bid), 'a second order, kept');
is(kept_status($bid), 'pending', '  as pending');
is(http(POST => "/api/orders/$bid/cancel", headers => { 'X-Order-Token' => $b->{json}{token} })->{status}, 200,
	'  cancelled by the customer');
ok(agree($bid, token => $b->{json}{token}), '  every answer right after shows it, as uncached');
is(status_seen($bid), 'cancelled', '  cancelled');

# --- staff: cancel ------------------------------------------------------------------------
my $c = place_order(items => [ [ $pid, 1 ] ]);
my $cid = $c->{json}{order_id};
ok(keep($cid), 'a third order, kept');
is(staff_http(POST => "/api/staff/orders/$cid/cancel", $staff)->{status}, 200, '  cancelled by staff');
ok(agree($cid), '  every answer right after shows it');
is(status_seen($cid), 'cancelled', '  cancelled');

# --- the worker: processing, completed, failed --------------------------------------------
# The worker commits, then drops the key: the next reads show the change
# once the database does, within $SOON at most.
sub agrees_soon {
	my ($id) = @_;
	return wait_until($SOON, sub { agree($id) });
}

my $d = place_order(items => [ [ $pid, 1 ] ]);
my $did = $d->{json}{order_id};
my $e = place_order(email => 'no@decline.test', items => [ [ $pid, 1 ] ]);
my $eid = $e->{json}{order_id};
my $scarce = new_product(name => 'T88 Scarce', stock => 5);
my $f = place_order(items => [ [ $scarce, 2 ] ]);
my $fid = $f->{json}{order_id};
set_stock($scarce, 1); # $f can no longer be had
ok(keep($_), "order $_ kept as pending") for $did, $eid, $fid;
# Processing lasts the payment (500 ms): caught while the database still
# says so, so the worker is started beside the polling.
my $starter = fork // die "fork: $!";
if (!$starter) {
	POSIX::_exit(stack_service(start => 'worker') ? 0 : 1);
}
ok(wait_until(30, sub { order_row($did)->{status} ne 'pending' }), 'the worker started takes the order');
my $caught;
my $deadline = time + 2;
while (!$caught && time < $deadline && order_row($did)->{status} eq 'processing') {
	my @seen = answers($did);
	$caught = 1 if @seen == 1 && $seen[0] =~ /"to":"processing"/ && order_row($did)->{status} eq 'processing';
}
SKIP: {
	skip 'the payment ended before the reads could be made', 1 unless $caught || order_row($did)->{status} eq 'processing';
	ok($caught, '  while processing, every answer shows it');
}
is(waitpid($starter, 0) == $starter && $?, 0, '  the worker is up');
ok(wait_final(30, $did, $eid, $fid), 'the worker settles all three');
ok(agrees_soon($did), '  completed: every answer shows it');
is(status_seen($did), 'completed', '  completed');
ok(agrees_soon($eid), '  declined: every answer shows it');
is(status_seen($eid), 'failed', '  failed');
ok(agrees_soon($fid), '  out of stock: every answer shows it');
like(http(GET => "/api/orders/$fid")->{json}{failure_reason} // '', qr/insufficient stock/, '  with why');

# --- the worker's attempt bookkeeping: an interrupted attempt resumed ----------------------
ok(stack_service(stop => 'worker'), 'the worker stopped');
my $g = place_order(items => [ [ $pid, 1 ] ]);
my $gid = $g->{json}{order_id};
# As if a worker had died during the payment: processing, its message back.
sql(q{UPDATE orders SET status = 'processing', attempts = 1, updated_at = now() - interval '1 minute' WHERE id = $1}, $gid);
ok(keep($gid), 'an order left processing, kept');
ok(stack_service(start => 'worker'), 'the worker started');
ok(wait_until(30, sub { order_row($gid)->{attempts} >= 2 }), '  it counts the attempt');
ok(agrees_soon($gid), '  every answer shows the new updated_at (or what followed)');
ok(wait_final(30, $gid), '  and settles it');
ok(agrees_soon($gid), '  every answer shows that');

# --- staff: collect and refund ------------------------------------------------------------
ok(keep($did), 'the completed order, kept');
is(staff_http(POST => "/api/staff/orders/$did/collect", $staff)->{status}, 200, '  collected by staff');
ok(agree($did), '  every answer right after shows it');
is(status_seen($did), 'collected', '  collected');
ok(keep($gid), 'another completed order, kept');
is(staff_http(POST => "/api/staff/orders/$gid/refund", $staff)->{status}, 200, '  refunded by staff');
ok(agree($gid), '  every answer right after shows it');
is(status_seen($gid), 'refunded', '  refunded');

# --- a branch renamed ---------------------------------------------------------------------
my ($branch, $bname) = @{ (sql(q{SELECT o.branch_id, b.name FROM orders o JOIN branches b ON b.id = o.branch_id
	WHERE o.id = $1}, $aid))[0] };
END { sql(q{UPDATE branches SET name = $2 WHERE id = $1}, $branch, $bname) if $branch }
ok(keep($aid), 'the first order, kept');
is(staff_http(PATCH => "/api/staff/branches/$branch", $staff, body => { name => "T88 Corner $$" })->{status}, 200,
	'  its branch renamed');
ok(agree($aid, token => $atok), '  every answer right after shows the new name');
is(http(GET => "/api/orders/$aid")->{json}{branch}{name}, "T88 Corner $$", '  the new name');
is(staff_http(PATCH => "/api/staff/branches/$branch", $staff, body => { name => $bname })->{status}, 200,
	'  and back');
ok(agree($aid), '  shown at once too');

# --- changes Redis is told of from outside ------------------------------------------------
ok(keep($cid), 'an order kept');
sql(q{UPDATE orders SET customer_name = 'T88 Changed' WHERE id = $1}, $cid); # nobody tells Redis
redis('DEL', key_of($cid));
ok(agree($cid, staff => $staff), '  its key deleted with redis-cli: every answer shows the database again');
like((answers($cid, staff => $staff))[0], qr/T88 Changed/, '  the change');
status_seen($cid);
sql(q{UPDATE orders SET customer_name = 'T88 Again' WHERE id = $1}, $cid);
redis('FLUSHALL');
ok(agree($cid, staff => $staff), '  FLUSHALL: every answer shows the database again');

# --- a change whose invalidation is lost: the key's lifetime bounds it ---------------------
ok(keep($cid), 'an order kept');
sql(q{UPDATE orders SET customer_name = 'T88 Lost' WHERE id = $1}, $cid); # a writer gone before its DEL
unlike((answers($cid, staff => $staff))[0], qr/T88 Lost/, '  a change nobody invalidated is not seen yet');
ok(wait_until(12, sub { agree($cid, staff => $staff) }), '  but within the key\'s 10 s');

# --- a writer that cannot reach Redis drops every order once it can again -------------------
ok(stack_service(stop => 'worker'), 'the worker stopped');
my $h = place_order(items => [ [ $pid, 1 ] ]);
my $hid = $h->{json}{order_id};
ok(keep($hid), 'a pending order kept');
# Writes wait (reads do not) for longer than a responder waits for Redis (2 s).
redis('CLIENT', 'PAUSE', 3500, 'WRITE');
is(http(POST => "/api/orders/$hid/cancel", headers => { 'X-Order-Token' => $h->{json}{token} })->{status}, 200,
	'  cancelled while Redis takes no writes');
ok(wait_until($SOON, sub { agree($hid) }), '  every answer shows it soon after Redis takes writes again');
ok(stack_service(start => 'worker'), 'the worker started');

# --- Redis stopped ------------------------------------------------------------------------
END { stack_service(start => 'redis') }
ok(keep($aid), 'an order kept');
ok(stack_service(stop => 'redis'), 'Redis stopped');
sql(q{UPDATE orders SET customer_name = 'T88 Offline' WHERE id = $1}, $aid); # nobody can tell Redis
ok(agree($aid, token => $atok), '  every answer comes from PostgreSQL');
like((answers($aid, token => $atok))[0], qr/T88 Offline/, '  with the change');
ok(stack_service(start => 'redis'), 'Redis started again');
ok(wait_until(20, sub { http(GET => '/api/health')->{json}{checks}{redis} eq 'ok' }), '  health sees it');
ok(wait_until(20, sub { status_seen($aid); kept_status($aid) ne '' }), '  and the order is kept again');
ok(stack_service(stop => 'worker'), 'the worker stopped');
my $i = place_order(items => [ [ $pid, 1 ] ]);
ok(keep($i->{json}{order_id}), 'a new order kept');
is(staff_http(POST => "/api/staff/orders/$i->{json}{order_id}/cancel", $staff)->{status}, 200, '  cancelled by staff');
ok(agree($i->{json}{order_id}), '  shown at once as before');
ok(stack_service(start => 'worker'), 'the worker started');

done_testing();
