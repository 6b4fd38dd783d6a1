package Bench;
# What make bench (bench/bench.pl) and make soak (bench/soak.pl) share: their
# own stack under its own BAKERY_VAR on port family 26 (every port
# overridable with the usual BAKERY_*_PORT variables), wrk runs and their
# figures, the processes of the stack and their peak memory, and the
# machine's description.
use strict;
use warnings;
use Exporter 'import';
use FindBin;
use POSIX ();
use Time::HiRes qw(time sleep);

our @EXPORT = qw(repo stack_env stack_up stack_down stack_cmd wrk_run duration_s
	stack_pids vm_kb machine load_avg say_bench cpu_snapshot cpu_delta);

my $repo = POSIX::getcwd();
$repo = "$FindBin::Bin/.." if -d "$FindBin::Bin/../scripts";

sub repo { return $repo }

sub say_bench { print "bench: @_\n" }

# The stack's settings for a run named NAME (bench or soak): port family 26
# unless the caller set BAKERY_*_PORT, state in /tmp/bakery-NAME unless
# BAKERY_VAR is set, the optimised build, payment time 0, order rate
# limits out of the way. Extra settings in %extra.
sub stack_env {
	my ($name, %extra) = @_;
	my %ports = (HTTP => 26080, PG => 26433, REDIS => 26380, AMQP => 26673,
		AMQP_DIST => 26674, EPMD => 26370);
	$ENV{"BAKERY_${_}_PORT"} //= $ports{$_} for keys %ports;
	$ENV{BAKERY_VAR} //= "/tmp/bakery-$name";
	$ENV{BAKERY_BIN} = "$repo/build";
	$ENV{BAKERY_PAYMENT_DELAY_MS} //= 0;
	$ENV{BAKERY_ORDER_RATE} //= '1000000r/s';
	$ENV{BAKERY_ORDER_BURST} //= 1000000;
	$ENV{BAKERY_ORDER_CONN} //= 60000;
	$ENV{$_} = $extra{$_} for keys %extra;
}

sub stack_cmd {
	my (@args) = @_;
	return system("$repo/scripts/stack.sh", @args) == 0;
}

# A fresh start of the stack, then its URLs in %ENV (DATABASE_URL & co.).
sub stack_up {
	stack_cmd('down') or die "bench: scripts/stack.sh down failed\n";
	stack_cmd('up') or die "bench: scripts/stack.sh up failed\n";
	open(my $fh, '-|', "$repo/scripts/stack.sh", 'env') or die "stack.sh env: $!";
	while (<$fh>) {
		$ENV{$1} = $2 if /^export (\w+)=(\S*)$/;
	}
	close $fh;
	$ENV{DATABASE_URL} or die "bench: no DATABASE_URL from scripts/stack.sh env\n";
}

sub stack_down { stack_cmd('down') }

# "10s", "3s", "2m", "90" -> seconds.
sub duration_s {
	my ($d) = @_;
	$d =~ /^(\d+)([sm]?)$/ or die "bench: a duration is N, Ns or Nm, not '$d'\n";
	return $2 eq 'm' ? $1 * 60 : $1;
}

# wrk with CONNECTIONS connections for SECONDS against URL with the Lua
# script SCRIPT (under bench/), extra environment in %env. Returns
# {rps, p50_ms, p99_ms, errors, requests} from bench/wrk-report.lua's line.
sub wrk_run {
	my (%o) = @_;
	local $ENV{BENCH_DIR} = "$repo/bench";
	local @ENV{ keys %{ $o{env} || {} } } = values %{ $o{env} || {} };
	my @cmd = ('wrk', '-t', $o{threads} // 2, '-c', $o{connections} // 64, '-d', "$o{seconds}s",
		'--timeout', '10s', '-s', "$repo/bench/$o{script}", $o{url});
	open(my $fh, '-|', @cmd) or die "wrk: $!";
	my $out = do { local $/; <$fh> } // '';
	close $fh;
	my %r;
	if ($out =~ /^BENCH (.*)$/m) {
		%r = map { split /=/ } split ' ', $1;
	} else {
		warn "bench: wrk gave no figures:\n$out";
		return { rps => 0, p50_ms => 0, p99_ms => 0, errors => -1, requests => 0 };
	}
	return { requests => $r{requests}, rps => $r{requests} / ($r{duration_us} / 1e6),
		p50_ms => $r{p50_us} / 1000, p99_ms => $r{p99_us} / 1000,
		errors => $r{status_errors} + $r{socket_errors} };
}

# Pids of this stack's processes whose command line starts with a program
# named like RE (bakery-api, bakery-worker, nginx ...), told apart from
# other stacks' by BAKERY_VAR in their environment (or, for programs that
# do not inherit it, the stack's directory on their command line).
sub stack_pids {
	my ($re) = @_;
	my @pids;
	for my $dir (glob '/proc/[0-9]*') {
		my ($pid) = $dir =~ m{(\d+)$};
		open(my $c, '<', "$dir/cmdline") or next;
		my $cmd = do { local $/; <$c> } // '';
		my ($prog) = split /\0/, $cmd;
		next unless defined $prog && $prog =~ $re;
		open(my $e, '<', "$dir/environ") or next;
		my $env = do { local $/; <$e> } // '';
		push @pids, $pid if index("\0$env", "\0BAKERY_VAR=$ENV{BAKERY_VAR}\0") >= 0
			|| index($cmd, $ENV{BAKERY_VAR}) >= 0;
	}
	return @pids;
}

# A field of /proc/PID/status in kB (VmHWM: peak resident set; VmRSS: now).
sub vm_kb {
	my ($pid, $field) = @_;
	open(my $fh, '<', "/proc/$pid/status") or return 0;
	while (my $line = <$fh>) { return $1 if $line =~ /^\Q$field\E:\s+(\d+)/ }
	return 0;
}

# CPU time (user + system, with that of reaped children, in clock ticks)
# per program of the stack: each program supervisord runs with all its
# descendants (PostgreSQL's backends, the api's responders), plus the
# process trees of the pids in %extra (name => pid), plus 'client': this
# process's reaped children (wrk, pgbench). A profile the machine's other
# load does not blur: where the CPU of one run went.
sub cpu_snapshot {
	my (%extra) = @_;
	my (%stat, %kids);
	for my $dir (glob '/proc/[0-9]*') {
		open(my $s, '<', "$dir/stat") or next;
		my $line = <$s> // next;
		my ($pid, $comm, $rest) = $line =~ /^(\d+) \((.*)\) (.*)$/ or next;
		my @f = split ' ', $rest;
		$stat{$pid} = [ $comm, $f[11] + $f[12] + $f[13] + $f[14] ];
		push @{ $kids{ $f[1] } }, $pid;
	}
	my $tree;
	$tree = sub { my $t = $stat{ $_[0] } ? $stat{ $_[0] }[1] : 0; $t += $tree->($_) for @{ $kids{ $_[0] } || [] }; $t };
	my %t;
	if (open(my $fh, '<', "$ENV{BAKERY_VAR}/run/supervisord.pid")) {
		my $sv = <$fh> // 0;
		chomp $sv;
		for my $p (@{ $kids{$sv} || [] }) {
			my $name = $stat{$p}[0];
			$name = 'rabbitmq' if $name =~ /^beam/;
			$name = 'redis' if $name =~ /^redis/;
			$t{$name} += $tree->($p);
		}
	}
	$t{$_} += $tree->($extra{$_}) for keys %extra;
	my @times = POSIX::times();
	$t{client} = $times[3] + $times[4];
	return \%t;
}

# CPU microseconds per request of each program between two snapshots.
sub cpu_delta {
	my ($before, $after, $requests) = @_;
	my $tick = POSIX::sysconf(POSIX::_SC_CLK_TCK()) || 100;
	my %d;
	for my $p (keys %$after) {
		my $ticks = $after->{$p} - ($before->{$p} // 0);
		$d{$p} = $ticks * 1e6 / $tick / ($requests || 1) if $ticks > 0;
	}
	return \%d;
}

sub load_avg {
	open(my $fh, '<', '/proc/loadavg') or return '?';
	my @l = split ' ', <$fh>;
	return "@l[0..2]";
}

# nproc, CPU model and RAM, one line.
sub machine {
	my $cpus = `nproc` // '?';
	chomp $cpus;
	my ($model, $mem) = ('?', '?');
	if (open(my $fh, '<', '/proc/cpuinfo')) {
		while (<$fh>) { if (/^model name\s*:\s*(.*)$/) { $model = $1; last } }
	}
	if (open(my $fh, '<', '/proc/meminfo')) {
		while (<$fh>) { if (/^MemTotal:\s+(\d+)/) { $mem = sprintf('%.1f GiB', $1 / 1048576); last } }
	}
	my $kernel = (POSIX::uname())[2];
	return "$cpus CPUs ($model), $mem RAM, Linux $kernel";
}

1;
