#!/usr/bin/env perl
# The local stack does not trust every local user (issue 10, point 11):
# PostgreSQL lets the role bakery in only with its generated password
# (scram-sha-256, kept in $BAKERY_VAR/db-password, mode 0600) and the
# superuser only on its unix socket from the server's own OS user; no
# socket can be used by another local user; as root, nginx, the api, the
# worker and Redis run as the unprivileged stack user (the api's socket is
# mode 0660 and nginx still reaches it); the password is
# masked where the stack prints its configuration.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use WorkerTest;
use HardenTest;

my $var = $ENV{BAKERY_VAR} or BAIL_OUT('BAKERY_VAR is not set: run the tests with make test');
my $port = $ENV{BAKERY_PG_PORT};
my $stack = "$FindBin::Bin/../scripts/stack.sh";
my $root = $> == 0;
my $pg_sock_dir = "$var/run/postgres";
chdir '/' or die "chdir /: $!";    # every user here can enter it (psql as postgres or nobody)

sub mode { my @st = stat($_[0]) or return -1; return $st[2] & 07777 }
sub owner { my @st = stat($_[0]) or return ''; return scalar getpwuid($st[4]) }

# psql ARGS... with no password from anywhere but ARGS: (exit status, output).
sub psql {
	my (@args) = @_;
	local $ENV{PGPASSWORD};
	delete $ENV{PGPASSWORD};
	local $ENV{PGPASSFILE} = "$var/no-such-passfile";
	my $out = `psql -X -w -qAt @args -c 'SELECT current_user' 2>&1`;
	return ($? >> 8, $out);
}

# --- the password ---------------------------------------------------------------
my $file = "$var/db-password";
ok(-f $file, "the generated password is kept in $file");
is(sprintf('%04o', mode($file)), '0600', '  mode 0600');
chomp(my $pass = do { local (@ARGV, $/) = $file; <> } // '');
like($pass, qr/^[0-9a-f]{32}$/, '  128 random bits, hex');
like($ENV{DATABASE_URL} // '', qr{^postgresql://bakery:\Q$pass\E\@127\.0\.0\.1:\Q$port\E/bakery$}, 'DATABASE_URL carries it');

my ($rc, $out) = psql("'postgresql://bakery\@127.0.0.1:$port/bakery'");
isnt($rc, 0, 'bakery without a password is refused');
like($out, qr/no password supplied/, '  no password supplied') if $rc;
($rc, $out) = psql("'postgresql://bakery:wrong\@127.0.0.1:$port/bakery'");
isnt($rc, 0, 'bakery with a wrong password is refused');
like($out, qr/password authentication failed/, '  password authentication failed');
($rc, $out) = psql("'$ENV{DATABASE_URL}'");
is("$rc $out", "0 bakery\n", 'bakery with its password gets in');
($rc, $out) = psql("'postgresql://bakery:$pass\@127.0.0.1:$port/postgres'");
isnt($rc, 0, 'bakery only reaches its own database');
($rc, $out) = psql("-h 127.0.0.1 -p $port -U postgres -d postgres");
isnt($rc, 0, 'the superuser over TCP is refused');
like($out, qr/no pg_hba\.conf entry/, '  no pg_hba.conf entry for it');

# --- sockets --------------------------------------------------------------------
my $pg_sock = "$pg_sock_dir/.s.PGSQL.$port";
ok(-S $pg_sock, "PostgreSQL's socket is $pg_sock");
is(sprintf('%04o', mode($pg_sock) & 0777), '0600', '  mode 0600 (unix_socket_permissions)');
is(sprintf('%04o', mode($pg_sock_dir)), '0700', '  in a directory of mode 0700');
my $api_sock = "$var/run/app/api.sock";
ok(-S $api_sock, "the api's FastCGI socket is $api_sock");
is(sprintf('%04o', mode($api_sock) & 0777), '0660', '  mode 0660 (the owner and its group: nginx)');
is(http(GET => '/api/products')->{status}, 200, '  and nginx reaches the api through it');
is(sprintf('%04o', mode("$var/run/app")), '0700', '  in a directory of mode 0700 (only the stack user: nginx and the api)');
is(sprintf('%04o', mode("$var/run/supervisor.sock") & 0777), '0700', "supervisord's socket is mode 0700");

SKIP: {
	skip 'the stack runs as root only when the tests do', 17 unless $root;
	my $user = stack_user();
	my $uid = getpwnam($user);
	ok(defined $uid && $uid != 0, "the stack user $user exists and is not root");
	is(owner("$var/run/app"), $user, "  owns the api's socket directory");
	is(owner($pg_sock_dir), 'postgres', 'postgres owns its socket directory');

	# Another local user: nobody.
	my $as_nobody = sub {
		my $pid = fork // die "fork: $!";
		if (!$pid) { open(STDOUT, '>', '/dev/null'); open(STDERR, '>', '/dev/null'); exec('runuser', '-u', 'nobody', '--', @_); exit 127 }
		waitpid($pid, 0);
		return $? >> 8;
	};
	isnt($as_nobody->('psql', '-X', '-w', '-h', $pg_sock_dir, '-p', $port, '-U', 'postgres', '-d', 'postgres',
		'-c', 'SELECT 1'), 0, "another local user cannot use PostgreSQL's socket");
	isnt($as_nobody->('perl', '-MIO::Socket::UNIX', '-e', 'IO::Socket::UNIX->new(Peer => $ARGV[0]) or exit 1', $api_sock), 0,
		"another local user cannot connect to the api's socket");
	isnt($as_nobody->('supervisorctl', '-c', "$var/supervisord.conf", 'pid'), 0,
		"another local user cannot talk to supervisord");
	is(system('runuser', '-u', 'postgres', '--', 'psql', '-X', '-w', '-qAt', '-h', $pg_sock_dir, '-p', $port,
		'-U', 'postgres', '-d', 'postgres', '-o', '/dev/null', '-c', 'SELECT 1') >> 8, 0,
		'the server\'s own OS user is the superuser on the socket (peer): creating the role and database');
	my @rules = `runuser -u postgres -- psql -X -w -qAt -h $pg_sock_dir -p $port -U postgres -d postgres -c "SELECT type || ' ' || array_to_string(database, ',') || ' ' || array_to_string(user_name, ',') || ' ' || auth_method FROM pg_hba_file_rules ORDER BY line_number"`;
	chomp @rules;
	is_deeply(\@rules, [ 'local all postgres peer', 'host bakery bakery scram-sha-256' ], 'pg_hba: exactly those two rules, no trust')
		or diag(explain(\@rules));
	my ($hash) = `runuser -u postgres -- psql -X -w -qAt -h $pg_sock_dir -p $port -U postgres -d postgres -c "SELECT rolpassword FROM pg_authid WHERE rolname = 'bakery'"`;
	like($hash // '', qr/^SCRAM-SHA-256\$/, "bakery's password is stored as a SCRAM verifier");

	# Who runs what: real, effective, saved and file-system uid.
	my $uids = sub {
		my ($pid) = @_;
		open(my $fh, '<', "/proc/$pid/status") or return '';
		my ($line) = grep { /^Uid:/ } <$fh>;
		return join ' ', ($line // '') =~ /(\d+)/g;
	};
	for my $svc (qw(nginx api worker redis)) {
		my $p = service_pid($svc);
		is($uids->($p), join(' ', ($uid) x 4), "$svc (pid $p) runs as $user");
	}
	my @children = split ' ', `pgrep -P ${\ service_pid('api')}`;
	ok(@children && !grep({ $uids->($_) ne join(' ', ($uid) x 4) } @children),
		'so do the api\'s responder processes (' . scalar(@children) . ')');
	is($uids->(service_pid('postgres')), join(' ', (scalar getpwnam('postgres')) x 4), 'postgres runs as postgres');
}

# --- the password is not printed ---------------------------------------------------
my $status = `$stack status 2>&1`;
unlike($status, qr/\Q$pass\E/, 'scripts/stack.sh status does not print the password');
like($status, qr{DATABASE_URL\s+postgresql://bakery:\*\*\*\@}, '  it shows DATABASE_URL masked');

done_testing;
