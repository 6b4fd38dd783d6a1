package OpsTest;
# Helpers for the tests of the deployment files (t/6x): ports for servers a
# test starts itself, starting and stopping such a server, running a command
# for its output.
use strict;
use warnings;
use Exporter 'import';
use File::Temp ();
use IO::Socket::INET;
use POSIX ();
use Time::HiRes qw(sleep time);

our @EXPORT = qw(test_port port_open spawn_server stop_server run_cmd);

# The port in environment variable NAME if set (a developer's fixed range),
# else a free one the kernel picks on 127.0.0.1.
sub test_port {
	my ($name) = @_;
	return $ENV{$name} if $ENV{$name};
	my $s = IO::Socket::INET->new(LocalAddr => '127.0.0.1', LocalPort => 0, Listen => 1, ReuseAddr => 1)
		or die "no free port: $!";
	my $port = $s->sockport;
	close $s;
	return $port;
}

sub port_open {
	my ($port) = @_;
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port, Timeout => 1);
	return $s ? 1 : 0;
}

# In a child: stdin from /dev/null, stdout to OUT and stderr to ERR (paths,
# opened for append), ENV added to the environment (undef deletes), then
# exec COMMAND.
sub exec_child {
	my ($out, $err, $env, @cmd) = @_;
	open STDIN, '<', '/dev/null';
	open STDOUT, '>>', $out or POSIX::_exit(127);
	open STDERR, '>>', $err or POSIX::_exit(127);
	while (my ($k, $v) = each %$env) {
		if (defined $v) { $ENV{$k} = $v } else { delete $ENV{$k} }
	}
	exec @cmd or POSIX::_exit(127);
}

# spawn_server(LOGFILE, {ENV}, COMMAND...): COMMAND in the background, its
# output into LOGFILE. Returns its pid.
sub spawn_server {
	my ($log, $env, @cmd) = @_;
	my $pid = fork // die "fork: $!";
	exec_child($log, $log, $env, @cmd) if $pid == 0;
	return $pid;
}

# Sends SIG (TERM) to PID and waits up to SECONDS (15) for it to exit, then
# kills it. Returns the exit status ($?) of a process that exited in time,
# undef otherwise.
sub stop_server {
	my ($pid, $sig, $seconds) = @_;
	return undef unless $pid;
	kill $sig // 'TERM', $pid;
	my $deadline = time + ($seconds // 15);
	while (time < $deadline) {
		return $? if waitpid($pid, POSIX::WNOHANG()) == $pid;
		sleep 0.05;
	}
	kill 'KILL', $pid;
	waitpid($pid, 0);
	return undef;
}

# run_cmd({ENV}, COMMAND...): runs COMMAND to its end; returns its exit
# status, stdout and stderr.
sub run_cmd {
	my ($env, @cmd) = @_;
	my $out = File::Temp->new;
	my $err = File::Temp->new;
	my $pid = fork // die "fork: $!";
	exec_child($out->filename, $err->filename, $env, @cmd) if $pid == 0;
	waitpid($pid, 0);
	my $status = $?;
	return ($status, slurp($out->filename), slurp($err->filename));
}

sub slurp {
	my ($path) = @_;
	open my $fh, '<', $path or return '';
	local $/;
	return <$fh> // '';
}

1;
