#!/usr/bin/env perl
# Classic hosting (SPEC §5, issue 13): the systemd units in contrib/systemd/
# for the responder pool, the socket-activated responders (spawn-fcgi's
# socket on fd 0) and the worker. Each service restarts, is hardened, runs
# as the bakery user and reads /etc/bakery/bakery.env; all pass
# `systemd-analyze verify`, which needs no running systemd: it loads them
# under a root of their own holding this machine's system units and a
# stand-in for every command they run (the bakery ones must be what the
# build makes, the others must exist here).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use File::Basename qw(basename dirname);
use File::Path qw(make_path);
use File::Temp qw(tempdir);
use OpsTest;

my $repo = "$FindBin::Bin/..";
my $dir = "$repo/contrib/systemd";
my $bin = $ENV{BAKERY_BIN} or BAIL_OUT('BAKERY_BIN is not set: run the tests with make test');
my @units = map { basename($_) } sort glob("$dir/*.service $dir/*.socket");
is_deeply(\@units, [ 'bakery-api-fcgi@.service', 'bakery-api.service', 'bakery-api.socket', 'bakery-worker.service' ],
	'units for the pool, the socket with its responders, and the worker');

# UNIT -> { "Section.Key" => [values...] }
sub parse_unit {
	my ($path) = @_;
	open my $fh, '<', $path or die "$path: $!";
	my ($section, %keys) = ('');
	while (my $line = <$fh>) {
		next if $line =~ /^\s*(?:[#;]|$)/;
		if ($line =~ /^\[(\w+)\]/) { $section = $1; next }
		my ($k, $v) = $line =~ /^\s*(\w+)\s*=\s*(.*?)\s*$/ or next;
		push @{ $keys{"$section.$k"} }, $v;
	}
	return \%keys;
}

my %unit = map { $_ => parse_unit("$dir/$_") } @units;
my $example = do { open my $fh, '<', "$dir/bakery.env.example" or die; local $/; <$fh> };
my @cmds;
for my $name (grep { /\.service$/ } @units) {
	my $u = $unit{$name};
	my $one = sub { my $v = $u->{"Service.$_[0]"}; $v ? $v->[-1] : '' };
	like($one->('Restart'), qr/^(always|on-failure|on-abnormal)$/, "$name restarts (Restart=)");
	is($one->('ProtectSystem'), 'strict', "$name: ProtectSystem=strict");
	is($one->('NoNewPrivileges'), 'yes', "$name: NoNewPrivileges=yes");
	is($one->('PrivateTmp'), 'yes', "$name: PrivateTmp=yes");
	is($one->('User'), 'bakery', "$name runs as the dedicated user bakery");
	is($one->('EnvironmentFile'), '/etc/bakery/bakery.env', "$name reads /etc/bakery/bakery.env");
	my $start = $one->('ExecStart');
	# Every ${VAR} of the command line has a value: a default here, or the file's.
	for my $var ($start =~ /\$\{(\w+)\}/g) {
		ok((grep { /^\Q$var\E=/ } @{ $u->{'Service.Environment'} || [] }) || $example =~ /^\Q$var\E=/m,
			"$name: \${$var} has a default (Environment=) or is in bakery.env.example");
	}
	push @cmds, map { /^[-\@:+!]*(\/\S+)/ ? $1 : () } map { @{ $u->{"Service.$_"} || [] } } qw(ExecStart ExecReload ExecStop);
}
like($unit{'bakery-api.service'}{'Service.ExecStart'}[0], qr{bakery-api --listen /run/bakery/api\.sock --processes \S+},
	'the pool is bakery-api with its own pre-fork (--listen, --processes)');
is($unit{'bakery-api-fcgi@.service'}{'Service.StandardInput'}[0], 'socket',
	'the socket-activated responder gets the listening socket on fd 0, as from spawn-fcgi');
isnt($unit{'bakery-api-fcgi@.service'}{'Service.StandardOutput'}[0] // 'inherit', 'inherit',
	'and its output does not follow fd 0 into the socket');
is($unit{'bakery-api.socket'}{'Socket.ListenStream'}[0], '/run/bakery/api.sock', 'the socket unit owns the pool\'s path');
like($unit{'bakery-api.service'}{'Unit.Conflicts'}[0] // '', qr/bakery-api\.socket/, 'so the pool conflicts with it');
my $svc = $unit{'bakery-api.socket'}{'Socket.Service'}[0] // '';
ok(-e "$dir/" . ($svc =~ s/\@[^.]+\./\@./r), "the socket activates a service of this directory ($svc)");
like($unit{'bakery-worker.service'}{'Service.ExecStart'}[0], qr{/bakery-worker\b}, 'the worker unit runs bakery-worker');
like(do { open my $fh, '<', "$dir/bakery.sysusers" or die; local $/; <$fh> }, qr/^u bakery\b/m,
	'bakery.sysusers creates the user');

SKIP: {
	my $analyze = `sh -c 'command -v systemd-analyze'`;
	chomp $analyze;
	skip 'systemd-analyze is not installed (Debian package systemd; make test-deps installs it)', 1 unless $analyze;
	my $system = (grep { -d } '/usr/lib/systemd/system', '/lib/systemd/system')[0];
	skip "no system unit directory here for systemd-analyze's root", 1 unless $system;

	my $root = tempdir(CLEANUP => 1);
	make_path("$root/usr/lib/systemd", "$root/etc/systemd/system");
	system('cp', '-r', $system, "$root/usr/lib/systemd/") == 0 or die 'cp';
	system('cp', (map { "$dir/$_" } @units), "$root/etc/systemd/system/") == 0 or die 'cp';
	my ($prefix) = do { open my $fh, '<', "$repo/Makefile" or die; local $/; <$fh> } =~ /^PREFIX\s*\?=\s*(\S+)/m;
	is($prefix, '/usr/local', 'make install puts the binaries in /usr/local/bin, where the units run them');
	my %seen;
	for my $cmd (grep { !$seen{$_}++ } @cmds) {
		my $made = $cmd =~ m{^/usr/local/bin/(bakery-\w+)$} ? "$bin/$1" : $cmd;
		ok(-x $made, "$cmd: " . ($made eq $cmd ? 'exists here' : "what make installs ($made exists)"));
		make_path("$root" . dirname($cmd));
		open my $fh, '>', "$root$cmd" or die "$root$cmd: $!";
		print $fh "#!/bin/sh\n";
		close $fh;
		chmod 0755, "$root$cmd";
	}
	my @names = map { s/@\./\@1./r } @units;
	push @names, 'bakery-api-fcgi@2.service';
	my ($rc, $out, $err) = run_cmd({ SYSTEMD_LOG_COLOR => 0 }, $analyze, 'verify', "--root=$root", '--man=no', @names);
	is($rc, 0, "systemd-analyze verify @names");
	is("$out$err", '', 'with nothing to say (no warning)');
}

done_testing;
