#!/usr/bin/env perl
# Staff accounts and sessions (SPEC §6.2): the create-staff command, login
# (token and cookie), me, logout, 401 in every no-session case, passwords
# never in clear, login slowing (429 + Retry-After), cross-site writes refused.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use StaffTest;

my $bin = "$ENV{BAKERY_BIN}/bakery-api";

# --- the command ---------------------------------------------------------------
my ($name, $password) = new_staff('t60');
isnt(create_staff("$name-short", 'too-short'), 0, 'a password under 10 characters is refused');
isnt(create_staff($name, 'another long password'), 0, 'an existing name is refused');
{
	local $ENV{BAKERY_STAFF_PASSWORD} = 'from the environment';
	my $out = `$bin create-staff '$name-env' </dev/null 2>&1`;
	is($? >> 8, 0, 'BAKERY_STAFF_PASSWORD is used when stdin is not a terminal') or diag $out;
}
my ($tok_env) = login("$name-env", 'from the environment');
ok($tok_env, 'and that password logs in');

# --- login ---------------------------------------------------------------------
my ($token, $r) = login($name, $password);
is($r->{status}, 200, 'login: 200');
like($token // '', qr/^[0-9a-f]{32}$/, 'a 128-bit token');
is($r->{json}{username}, $name, 'with the username');
like($r->{json}{expires_at} // '', qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/, 'and the expiry');
my $cookie = $r->{headers}{'set-cookie'} // '';
like($cookie, qr/^bakery_staff=\Q$token\E;/, 'the cookie carries the same token');
like($cookie, qr/HttpOnly/, 'HttpOnly');
like($cookie, qr/SameSite=Strict/, 'SameSite=Strict');
unlike($cookie, qr/Secure/, 'not Secure over plain http');
my $https = http(POST => '/api/staff/login', body => { username => $name, password => $password },
	headers => { 'X-Forwarded-Proto' => 'https' });
like($https->{headers}{'set-cookie'} // '', qr/; Secure/, 'Secure behind https');

for my $bad ([ $name, 'wrong password!' ], [ "nobody-$$", $password ]) {
	my $f = http(POST => '/api/staff/login', body => { username => $bad->[0], password => $bad->[1] });
	is($f->{status}, 401, "login $bad->[0]: 401");
	is($f->{json}{code}, 'invalid_credentials', 'invalid_credentials, the same for unknown users');
}
is(http(POST => '/api/staff/login', body => '{"username":1}')->{status}, 400, 'malformed login body: 400');
is(http(POST => '/api/staff/login', raw => 'x', headers => { 'Content-Type' => 'text/plain' })->{status}, 415,
	'login without JSON: 415');

# --- me, with Bearer and with the cookie -----------------------------------------
my $me = staff_http(GET => '/api/staff/me', $token);
is($me->{status}, 200, 'me with Bearer: 200');
is($me->{json}{username}, $name, 'names the user');
is($me->{json}{expires_at}, $r->{json}{expires_at}, 'and the expiry');
is(http(GET => '/api/staff/me', headers => { Cookie => "other=1; bakery_staff=$token" })->{status}, 200,
	'me with the cookie: 200');

# --- 401 without a valid session -----------------------------------------------
my @staff_gets = ('/api/staff/me', '/api/staff/products', '/api/staff/orders', '/api/staff/orders/1',
	'/api/staff/summary', '/api/staff/audit');
for my $path (@staff_gets) {
	my $n = http(GET => $path);
	is($n->{status}, 401, "GET $path without a session: 401");
}
is($_->{json}{code}, 'unauthorized', 'code unauthorized') for http(GET => '/api/staff/me');
for my $w ([ POST => '/api/staff/logout' ], [ POST => '/api/staff/products' ], [ PATCH => '/api/staff/products/1' ],
	[ POST => '/api/staff/orders/1/cancel' ], [ POST => '/api/staff/orders/1/refund' ]) {
	is(http(@$w, body => {})->{status}, 401, "$w->[0] $w->[1] without a session: 401");
}
my $forged = 'f' x 32;
is(staff_http(GET => '/api/staff/me', $forged)->{status}, 401, 'a forged token: 401');
is(staff_http(GET => '/api/staff/me', 'not-a-token')->{status}, 401, 'a malformed token: 401');
is(http(GET => '/api/staff/me', headers => { Cookie => "bakery_staff=$forged" })->{status}, 401,
	'a forged cookie: 401');

my ($tok2) = login($name, $password);
sql(q{UPDATE staff_sessions SET expires_at = now() - interval '1 second'
	WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')}, $tok2);
is(staff_http(GET => '/api/staff/me', $tok2)->{status}, 401, 'an expired session: 401');

# --- logout ----------------------------------------------------------------------
my ($tok3) = login($name, $password);
my $out = staff_http(POST => '/api/staff/logout', $tok3);
is($out->{status}, 204, 'logout: 204');
like($out->{headers}{'set-cookie'} // '', qr/bakery_staff=;.*Max-Age=0/, 'and the cookie is cleared');
is(staff_http(GET => '/api/staff/me', $tok3)->{status}, 401, 'after logout: 401');
is(staff_http(GET => '/api/staff/me', $token)->{status}, 200, 'other sessions live on');

# --- nothing in clear ------------------------------------------------------------
my ($row) = sql(q{SELECT password_hash FROM staff_users WHERE username = $1}, $name);
like($row->[0], qr/^\$y\$/, 'the password is stored as a yescrypt hash');
unlike($row->[0], qr/\Q$password\E/, 'not in clear');
my ($hits) = sql(q{SELECT count(*) FROM staff_users WHERE password_hash LIKE '%' || $1 || '%'}, $password);
is($hits->[0], 0, 'no row holds the password');
my ($sess) = sql(q{SELECT count(*) FROM staff_sessions WHERE token_hash = $1}, $token);
is($sess->[0], 0, 'the session token is not stored in clear');
my ($hashed) = sql(q{SELECT count(*) FROM staff_sessions
	WHERE token_hash = encode(sha256(convert_to($1, 'UTF8')), 'hex')}, $token);
is($hashed->[0], 1, 'only its SHA-256');
my @logs = glob("$ENV{BAKERY_VAR}/log/*.log");
ok(@logs, 'there are logs to search');
my $leaks = 0;
for my $f (@logs) {
	open(my $fh, '<', $f) or next;
	while (<$fh>) { $leaks++ if index($_, $password) >= 0 || index($_, $token) >= 0 }
}
is($leaks, 0, 'neither the password nor a token appears in any log');

# --- cross-site writes -------------------------------------------------------------
my $origin = base_url();
my %cookie = (Cookie => "bakery_staff=$token");
my $x = http(POST => '/api/staff/products', body => {}, headers => { %cookie, Origin => 'https://evil.example' });
is($x->{status}, 403, 'a cookie write from another Origin: 403');
is($x->{json}{code}, 'cross_site', 'code cross_site');
is(http(POST => '/api/staff/products', body => {}, headers => \%cookie)->{status}, 403,
	'a cookie write without Origin: 403');
is(http(POST => '/api/staff/orders/1/cancel', raw => '', headers => { %cookie, Origin => $origin })->{status}, 403,
	'a cookie write without a JSON body or X-Requested-With: 403');
isnt(http(POST => '/api/staff/products', body => {}, headers => { %cookie, Origin => $origin })->{status}, 403,
	'a same-origin JSON cookie write is let through');
isnt(http(POST => '/api/staff/orders/999999999/cancel', raw => '',
	headers => { %cookie, Origin => $origin, 'X-Requested-With' => 'fetch' })->{status}, 403,
	'so is a same-origin one with X-Requested-With');
isnt(staff_http(POST => '/api/staff/products', $token, body => {}, headers => { Origin => 'https://evil.example' })->{status},
	403, 'Bearer writes need no Origin check');
is(http(GET => '/api/staff/me', headers => { %cookie, Origin => 'https://evil.example' })->{status}, 200,
	'reads with the cookie are not writes');

# --- login slowing -----------------------------------------------------------------
my ($slow, $slowpw) = new_staff('t60slow');
my @st = map { http(POST => '/api/staff/login', body => { username => $slow, password => "wrong-$_" })->{status} } 1 .. 5;
is_deeply(\@st, [ (401) x 5 ], 'five failures: 401 each');
my $t = http(POST => '/api/staff/login', body => { username => $slow, password => $slowpw });
is($t->{status}, 429, 'then even the right password is slowed: 429');
is($t->{json}{code}, 'rate_limited', 'code rate_limited');
my $ra = $t->{headers}{'retry-after'} // 0;
ok($ra > 0 && $ra <= 900, "with Retry-After ($ra s)");
my ($other) = login($name, $password);
ok($other, 'another account from the same address still logs in');
sql(q{UPDATE staff_login_failures SET failed_at = failed_at - interval '16 minutes' WHERE key = 'user:' || $1}, $slow);
my ($after) = login($slow, $slowpw);
ok($after, 'once the failures are older than the window, the account logs in again');

# Per address: through the binary's CGI mode with another REMOTE_ADDR, many
# accounts each failing once until the address is slowed.
sub cgi_login {
	my ($user, $pw, $addr) = @_;
	my $body = qq({"username":"$user","password":"$pw"});
	local %ENV = (%ENV, GATEWAY_INTERFACE => 'CGI/1.1', REQUEST_METHOD => 'POST',
		PATH_INFO => '/api/staff/login', CONTENT_TYPE => 'application/json',
		CONTENT_LENGTH => length $body, REMOTE_ADDR => $addr, QUERY_STRING => '');
	my $pid = open(my $fh, '-|') // die "fork: $!";
	if (!$pid) {
		open(STDERR, '>', '/dev/null');
		pipe(my $r, my $w);
		print $w $body; close $w;
		open(STDIN, '<&', $r) or die;
		exec($bin) or exit 127;
	}
	local $/;
	my $out = <$fh>;
	close $fh;
	return $out =~ /^Status: (\d+)/ ? $1 : 0;
}
my $addr = '198.51.100.' . (1 + $$ % 250);
my @codes = map { cgi_login("t60-addr-$$-$_", 'wrong password', $addr) } 1 .. 20;
is_deeply(\@codes, [ (401) x 20 ], 'twenty failures from one address, each for another name: 401');
is(cgi_login($name, $password, $addr), 429, 'then that address is slowed even for a good account');
is(cgi_login($name, $password, '198.51.100.251'), 200, 'another address is not');

done_testing;
