#!/usr/bin/env perl
# The container deployment (SPEC §3, issue 13): docker-compose.yml,
# Dockerfile and docker/, checked without a container engine.
# - Compose validates the file (Debian's docker-compose 1.x, a validator
#   here), refuses to run without the secrets, and every service has a
#   health check, a restart policy, limits, an init and bounded logs.
# - Passwords with any character reach PostgreSQL and RabbitMQ: the api's
#   and worker's entry point (docker/app-env.sh) builds AMQP_URL with them
#   percent-encoded, proven against the test stack's broker with a user of
#   its own; PostgreSQL gets PG* parts.
# - Every Dockerfile step that builds is a Makefile target that exists; what
#   COPY takes from the context is there; the images run as non-root.
# - nginx -t passes on both renders of the template: the local one (the
#   running test stack's, rendered by scripts/stack.sh) and the container
#   one (docker/nginx-entrypoint.sh); the container render, run as an
#   unprivileged user, starts before the api and serves once it is up.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Temp qw(tempdir);
use HTTP::Tiny;
use JSON::PP;
use BakeryTest;
use OpsTest;
use WorkerTest qw(rabbitmqctl);

my $repo = "$FindBin::Bin/..";
my $bin = $ENV{BAKERY_BIN} or BAIL_OUT('BAKERY_BIN is not set: run the tests with make test');
my $tmp = tempdir(CLEANUP => 1);
chmod 0755, $tmp;
my @SERVICES = qw(api nginx postgres rabbitmq redis worker);
my $PW = q{p@ss:w/rd?#%41 &"'\ü};    # every character a URL reserves, and more

sub slurp { open my $fh, '<', $_[0] or die "$_[0]: $!"; local $/; return scalar <$fh> }
sub spew { open my $fh, '>', $_[0] or die "$_[0]: $!"; print $fh $_[1]; close $fh or die "$_[0]: $!" }

# ------------------------------------------------------------ compose ----
my %no_secrets = map { $_ => undef } qw(POSTGRES_PASSWORD RABBITMQ_PASSWORD RABBITMQ_USER);

sub compose_config {
	my ($envfile) = @_;
	return run_cmd(\%no_secrets, 'docker-compose', '--env-file', $envfile,
		'--project-directory', $repo, '-f', "$repo/docker-compose.yml", 'config');
}

sub yaml_to_data {
	my ($yaml) = @_;
	spew("$tmp/config.yml", $yaml);
	my ($rc, $out, $err) = run_cmd({}, 'python3', '-c',
		'import sys, json, yaml; sys.stdout.buffer.write(json.dumps(yaml.safe_load(open(sys.argv[1], encoding="utf-8")),'
		. ' ensure_ascii=False).encode())', "$tmp/config.yml");
	die "yaml to json: $err" if $rc;
	return JSON::PP->new->decode($out);    # strings as UTF-8 bytes, like $PW
}

sub published_ports { # SERVICE-CONFIG -> [host_ip or '', published port]...
	my ($svc) = @_;
	return map {
		ref $_ ? [ $_->{host_ip} // '', $_->{published} // '' ]
		       : do { my @p = split /:/, $_; @p == 3 ? [ $p[0], $p[1] ] : [ '', $p[0] ] }
	} @{ $svc->{ports} || [] };
}

SKIP: {
	skip 'docker-compose is not installed (Debian package docker-compose; make test-deps installs it)', 1
		unless system('sh', '-c', 'command -v docker-compose >/dev/null') == 0;

	my $example = slurp("$repo/.env.example");
	my $compose = slurp("$repo/docker-compose.yml");
	my @required = $compose =~ /\$\{(\w+):\?/g;
	my %required = map { $_ => 1 } @required;
	is_deeply([ sort keys %required ], [ qw(POSTGRES_PASSWORD RABBITMQ_PASSWORD) ], 'the passwords are required (${VAR:?...})');
	unlike($compose, qr/change-me/, 'no password falls back to a default');
	for my $v (sort keys %required) {
		like($example, qr/^$v=/m, ".env.example lists $v");
	}
	spew("$tmp/empty.env", $example);
	my ($rc, $out, $err) = compose_config("$tmp/empty.env");
	ok($rc != 0, 'compose refuses the file while the passwords of .env.example are empty');
	like($err, qr/POSTGRES_PASSWORD|RABBITMQ_PASSWORD/, 'and names the missing one');

	(my $env = $example) =~ s/^(POSTGRES_PASSWORD|RABBITMQ_PASSWORD)=$/$1=$PW/mg;
	spew("$tmp/test.env", $env);
	($rc, $out, $err) = compose_config("$tmp/test.env");
	is($rc, 0, 'docker-compose config validates the file with the secrets set') or diag $err;
	my $cfg = yaml_to_data($out);
	is_deeply([ sort keys %{ $cfg->{services} } ], \@SERVICES, 'the six services of SPEC §3');

	for my $name (@SERVICES) {
		my $s = $cfg->{services}{$name};
		my $test = $s->{healthcheck}{test};
		ok(ref $test eq 'ARRAY' && @$test > 1 && $test->[0] ne 'NONE' && !$s->{healthcheck}{disable},
			"$name has a health check");
		like($s->{restart} // '', qr/^(always|unless-stopped|on-failure)/, "$name has a restart policy");
		my $lim = $s->{deploy}{resources}{limits} || {};
		ok($lim->{memory} && $lim->{cpus}, "$name has memory and CPU limits");
		ok($s->{init}, "$name runs under an init (init: true)");
		ok($s->{logging}{options}{'max-size'}, "$name has a log size limit");
		for my $p (published_ports($s)) {
			next if $name eq 'nginx';
			is($p->[0], '127.0.0.1', "$name publishes port $p->[1] on 127.0.0.1 only");
		}
	}
	my $s = $cfg->{services};
	ok((grep { $_->[1] == 15672 } published_ports($s->{rabbitmq})), 'the RabbitMQ management UI is published');
	like(join(' ', @{ $s->{postgres}{healthcheck}{test} }), qr/pg_isready .*-h \S+/, 'pg_isready checks over TCP (-h)');
	my ($maj, $min) = ($s->{rabbitmq}{image} // '') =~ /^rabbitmq:(\d+)\.(\d+)-management$/;
	ok(defined $maj && ($maj > 3 || ($maj == 3 && $min >= 13)), "a current rabbitmq image ($s->{rabbitmq}{image})");

	for my $name (qw(api worker)) {
		my $e = $s->{$name}{environment};
		is($e->{PGPASSWORD}, $PW, "$name gets the PostgreSQL password as it is (PGPASSWORD)");
		is($e->{DATABASE_URL}, '', "$name: DATABASE_URL is \"\", so libpq takes the PG* parts");
		is($e->{AMQP_PASSWORD}, $PW, "$name gets the RabbitMQ password as it is, for its entry point");
		ok(!grep({ defined && /:\/\/.*\Q$PW\E/ } values %$e), "$name: no password spliced into a URL");
	}
	ok($s->{worker}{environment}{BAKERY_HEARTBEAT_FILE} && $s->{worker}{healthcheck}{test}[1] =~ /-newermt/,
		'the worker is checked by its heartbeat file');
	is($s->{postgres}{environment}{POSTGRES_PASSWORD}, $PW, 'postgres gets the same password');
	is($s->{rabbitmq}{environment}{RABBITMQ_DEFAULT_PASS}, $PW, 'rabbitmq gets the same password');

	for my $f ('.gitignore', '.dockerignore') {
		like(slurp("$repo/$f"), qr{^/?\.env$}m, "$f lists .env");
	}
	ok(slurp("$repo/docs/operations.md") =~ /--compatibility/, "operations.md documents Compose v1's --compatibility");
}

# ---------------------------------------- passwords reach the services ----
# docker/app-env.sh as the entry points source it (POSIX sh), against the
# test stack: a RabbitMQ user of this test with the nasty password, and
# PostgreSQL through PG* parts. bakery-api (CGI mode, one request) reports
# in /api/health whether it got in.
sub app_env_url {
	my (%parts) = @_;
	my ($rc, $out, $err) = run_cmd({ AMQP_URL => undef, %parts }, 'sh', '-c',
		". '$repo/docker/app-env.sh' && printf '%s %s' \"\${AMQP_PASSWORD+left}\" \"\$AMQP_URL\"");
	is($rc, 0, 'app-env.sh runs') or diag $err;
	return split / /, $out, 2;
}

sub health_with {
	my (%env) = @_;
	my ($rc, $out, $err) = run_cmd({ GATEWAY_INTERFACE => 'CGI/1.1', REQUEST_METHOD => 'GET',
		PATH_INFO => '/api/health', QUERY_STRING => '', %env }, "$bin/bakery-api");
	my (undef, $body) = split /\r\n\r\n/, $out, 2;
	return (json_of($body) || {}, "status $rc: $out$err");
}

{
	my $user = "t60-$$";
	my ($left, $url) = app_env_url(AMQP_HOST => '127.0.0.1', AMQP_PORT => $ENV{BAKERY_AMQP_PORT},
		AMQP_USER => $user, AMQP_PASSWORD => $PW, AMQP_VHOST => 'bakery');
	like($url, qr{^amqp://[A-Za-z0-9._~%-]+:[A-Za-z0-9._~%\x80-\xff-]+\@127\.0\.0\.1:\d+/bakery$},
		'user and password percent-encoded into the URL (bytes past ASCII as they are)');
	(my $pass = $url) =~ s{^amqp://[^:]+:([^@]+)@.*}{$1};
	$pass =~ s/%([0-9A-F]{2})/chr hex $1/ge;
	is($pass, $PW, 'which decodes to the password, byte for byte');
	is($left, '', 'and AMQP_PASSWORD is dropped from the environment');
	is((app_env_url(AMQP_URL => 'amqp://a:b@h:1/v', AMQP_HOST => 'x', AMQP_PASSWORD => 'y'))[1], 'amqp://a:b@h:1/v',
		'an AMQP_URL that is set wins');

	rabbitmqctl('add_user', $user, $PW);
	rabbitmqctl('set_permissions', '-p', 'bakery', $user, '.*', '.*', '.*');
	# The stack's application role logs in with a password (scram-sha-256),
	# which its DATABASE_URL carries: the parts get it as PGPASSWORD.
	my ($pgpw) = ($ENV{DATABASE_URL} // '') =~ m{^postgres(?:ql)?://[^:/@]+:([^@]+)@};
	$pgpw //= '';
	$pgpw =~ s/%([0-9A-Fa-f]{2})/chr hex $1/ge;
	my %pg = (DATABASE_URL => '', PGHOST => '127.0.0.1', PGPORT => $ENV{BAKERY_PG_PORT}, PGUSER => 'bakery',
		PGDATABASE => 'bakery', PGPASSWORD => $pgpw);
	my ($h, $output) = health_with(%pg, AMQP_URL => $url);
	is($h->{checks}{rabbitmq}, 'ok', 'bakery-api logs in to RabbitMQ with the encoded URL') or diag $output;
	is($h->{checks}{postgres}, 'ok', 'and to PostgreSQL with DATABASE_URL "" and PG* parts');
	my $raw = "amqp://$user:$PW\@127.0.0.1:$ENV{BAKERY_AMQP_PORT}/bakery";
	isnt((health_with(%pg, AMQP_URL => $raw))[0]{checks}{rabbitmq}, 'ok', 'while the raw password in the URL does not work');
	rabbitmqctl('delete_user', $user);

	my ($rc, $out, $err) = run_cmd(\%pg, "$repo/scripts/migrate.sh");
	is($rc, 0, 'migrate.sh (the api entry point runs it) works with DATABASE_URL "" and PG* parts') or diag $err;
	like($out, qr/schema up to date/, 'and finds the schema up to date');
}

# --------------------------------------------------------- Dockerfile ----
# Instructions with their continuation lines joined, comments dropped.
sub dockerfile {
	my $text = slurp("$repo/Dockerfile");
	$text =~ s/^\s*#.*\n//mg;
	$text =~ s/\\\n/ /g;
	return map { [ /^(\w+)\s+(.*?)\s*$/ ] } grep { /\S/ } split /\n/, $text;
}

my (%stage_user, %stage_entry, $stage, @make_runs, @copies);
for my $ins (dockerfile()) {
	my ($cmd, $args) = @$ins;
	if ($cmd eq 'FROM') {
		my ($base, $name) = $args =~ /^(\S+)(?:\s+AS\s+(\S+))?/i;
		$stage = $name // $base;
		$stage_user{$stage} = $stage_user{$base} // 'root';
	} elsif ($cmd eq 'USER') {
		$stage_user{$stage} = $args;
	} elsif ($cmd eq 'ENTRYPOINT') {
		$stage_entry{$stage} = decode_json($args)->[0];
	} elsif ($cmd eq 'COPY' && $args !~ /--from=/) {
		my @w = split ' ', $args;
		my $dest = pop @w;
		push @copies, map { [ $_, $dest ] } @w;
	} elsif ($cmd eq 'RUN') {
		for my $step (split /\s*(?:&&|\|\||;|\|)\s*/, $args) {
			my ($prog, @rest) = split ' ', $step;
			next unless defined $prog;
			if ($prog eq 'make') {
				push @make_runs, \@rest;
			} elsif ($prog =~ m{^(?:gcc|cc|clang|g\+\+|c\+\+|ld|cmake|ninja|\./configure)$}) {
				fail("Dockerfile builds with the Makefile only, not with: $step");
			}
		}
	}
}
ok(@make_runs >= 1, 'the Dockerfile builds with make');
for my $m (@make_runs) {
	my ($rc, $out, $err) = run_cmd({}, 'make', '-n', '-C', $repo, @$m);
	is($rc, 0, "Dockerfile: make @$m is a target of the Makefile") or diag $err;
}
my $dockerignore = slurp("$repo/.dockerignore");
for my $c (@copies) {
	my ($src, $dest) = @$c;
	ok(-e "$repo/$src", "Dockerfile: COPY $src is in the build context");
	my ($top) = $src =~ m{^([^/]+)};
	unlike($dockerignore, qr{^\Q$top\E/?$}m, "Dockerfile: $src is not excluded by .dockerignore");
	ok(-x "$repo/$src", "Dockerfile: $src, an entry point, is executable")
		if grep { defined && $_ eq $dest } values %stage_entry;
}
for my $t (qw(api worker nginx)) {
	ok(exists $stage_user{$t}, "Dockerfile has the stage $t");
	unlike($stage_user{$t} // 'root', qr/^(root|0)(:|$)/, "the $t image runs as a user, not root");
}
for my $sh (glob "$repo/docker/*.sh") {
	my ($rc, undef, $err) = run_cmd({}, 'sh', '-n', $sh);
	is($rc, 0, "sh -n docker/" . ($sh =~ s{.*/}{}r)) or diag $err;
}

# -------------------------------------------------------------- nginx ----
my %image_env = slurp("$repo/Dockerfile") =~ /\b(BAKERY_HTTP_LISTEN|BAKERY_UPSTREAM)=(\S+)/g;
like($image_env{BAKERY_HTTP_LISTEN} // '', qr/^(?:[\d.]+:)?(\d+)$/, 'the nginx image listens on a port of its own');
ok(($image_env{BAKERY_HTTP_LISTEN} =~ /(\d+)$/)[0] >= 1024, 'an unprivileged one (no root needed)');

# Local render: the one scripts/stack.sh wrote for the running test stack,
# tested as stack.sh tests it.
{
	my $ngx = "$ENV{BAKERY_VAR}/nginx";
	my ($rc, undef, $err) = run_cmd({}, 'nginx', '-t', '-p', "$ngx/", '-c', "$ngx/nginx.conf",
		'-e', "$tmp/local-t.log", '-g', 'master_process off;');
	is($rc, 0, 'nginx -t passes on the local render (scripts/stack.sh)') or diag $err;
	my $conf = slurp("$ngx/nginx.conf");
	like($conf, qr/default unix:\S+api\.sock;/, 'local render: the api is the unix socket');
	unlike($conf, qr/^\s*resolver\b/m, 'local render: no resolver');
	unlike($conf, qr/\$\{BAKERY_\w+\}/, 'local render: every template variable substituted');
}

# Container render: docker/nginx-entrypoint.sh as the image runs it, as an
# unprivileged user (nobody when the tests run as root).
my @as_user = $> == 0 ? ('setpriv', '--reuid=65534', '--regid=65534', '--clear-groups') : ();
my $cvar = "$tmp/nginx-var";
mkdir $cvar;
chown 65534, 65534, $cvar if @as_user;
system('cp', "$repo/docker/nginx-entrypoint.sh", "$repo/nginx/bakery.conf.in", $tmp) == 0 or die 'cp';
my %cenv = (BAKERY_VAR => $cvar, BAKERY_WWW => "$repo/www", BAKERY_NGINX_TEMPLATE => "$tmp/bakery.conf.in",
	%image_env);
{
	my $log = "$tmp/container-t.log";
	spew($log, '');
	chown 65534, 65534, $log if @as_user;
	# Its log is the user's: nginx reopens /dev/stderr, as it does in a container.
	waitpid(spawn_server($log, \%cenv, @as_user, 'sh', "$tmp/nginx-entrypoint.sh", '-t'), 0);
	is($?, 0, "nginx -t passes on the container render (BAKERY_UPSTREAM=$image_env{BAKERY_UPSTREAM}, Docker's resolver), without Docker")
		or diag slurp($log);
	my $conf = slurp("$cvar/nginx/nginx.conf");
	like($conf, qr/^\s*resolver 127\.0\.0\.11\b/m, "container render: Docker's resolver");
	like($conf, qr/default \Q$image_env{BAKERY_UPSTREAM}\E;/, 'container render: the api by name, in a variable');
	unlike($conf, qr/\$\{BAKERY_\w+\}/, 'container render: every template variable substituted');
}

# ... and run: it starts while no api is up (503), serves once one is.
{
	my $port = test_port('BAKERY_TEST_CONTAINER_HTTP_PORT');
	my $fport = test_port('BAKERY_TEST_CONTAINER_FCGI_PORT');
	ok(!port_open($_), "port $_ is free") for $port, $fport;
	my $log = "$tmp/container-nginx.log";
	spew($log, '');
	chown 65534, 65534, $log if @as_user;
	my $nginx = spawn_server($log, { %cenv, BAKERY_HTTP_LISTEN => "127.0.0.1:$port",
		BAKERY_UPSTREAM => "127.0.0.1:$fport", BAKERY_RESOLVER => 'resolver 127.0.0.1 valid=10s;' },
		@as_user, 'sh', "$tmp/nginx-entrypoint.sh");
	ok(wait_until(10, sub { port_open($port) }), 'the container render runs with no api up yet') or diag slurp($log);
	my ($uid) = (slurp("/proc/$nginx/status") =~ /^Uid:\s+(\d+)/m);
	isnt($uid, 0, "its nginx master runs as uid $uid, not root");
	my $ua = HTTP::Tiny->new(timeout => 10);
	my $r = $ua->get("http://127.0.0.1:$port/api/health");
	is($r->{status}, 503, 'without an api: 503');
	is((json_of($r->{content}) || {})->{code}, 'service_unavailable', 'as JSON');

	my $pool = spawn_server("$tmp/pool.log", {}, "$bin/bakery-api", '--listen', "127.0.0.1:$fport", '--processes', '1');
	ok(wait_until(10, sub { port_open($fport) }), 'an api pool on TCP, as in the api container');
	ok(wait_until(10, sub { $ua->get("http://127.0.0.1:$port/api/health")->{status} == 200 }),
		'nginx reaches it without a restart: GET /api/health 200') or diag slurp($log);
	is(stop_server($pool, 'TERM'), 0, 'the pool stops');
	is(stop_server($nginx, 'QUIT'), 0, 'nginx stops gracefully on SIGQUIT');
}

done_testing;
