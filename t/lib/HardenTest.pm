package HardenTest;
# Helpers of the hardening tests (t/6x-*.t): raw HTTP through a socket, for
# requests HTTP::Tiny will not send (a malformed request line, a body that
# never comes), the check of the API's JSON error shape, and the stack user.
use strict;
use warnings;
use Exporter 'import';
use IO::Select;
use IO::Socket::INET;
use HTTP::Tiny;
use POSIX ();
use Time::HiRes qw(time);
use Test::More;
use BakeryTest;

our @EXPORT = qw(raw_connect raw_read raw_http json_error_ok good_429 flood stack_user);

# A TCP connection to the stack's nginx, from local address FROM
# (127.0.0.1 unless given: any 127.x.y.z is a separate client to nginx).
sub raw_connect {
	my ($from) = @_;
	my ($port) = base_url() =~ m{:(\d+)};
	my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1', PeerPort => $port,
		LocalAddr => $from // '127.0.0.1', Proto => 'tcp', Timeout => 10) or die "connect: $!";
	return $s;
}

# Reads from SOCKET until the peer closes it, or a whole response (headers
# and Content-Length bytes) has come, or SECONDS pass. Returns
# {status, headers (lower-case names), body, json, closed, raw}; status 0
# when nothing came.
sub raw_read {
	my ($sock, $seconds) = @_;
	my $deadline = time + ($seconds // 20);
	my $sel = IO::Select->new($sock);
	my ($raw, $closed) = ('', 0);
	while (1) {
		my $res = parse_response($raw);
		return { %$res, closed => $closed, raw => $raw } if $res->{complete} || $closed;
		my $left = $deadline - time;
		last if $left <= 0;
		next unless $sel->can_read($left);
		my $n = sysread($sock, my $buf, 65536);
		$closed = 1 if !$n;
		$raw .= $buf if $n;
	}
	return { %{ parse_response($raw) }, closed => $closed, raw => $raw };
}

sub parse_response {
	my ($raw) = @_;
	my ($head, $body) = split /\r\n\r\n/, $raw, 2;
	my %res = (status => 0, headers => {}, body => $body, complete => 0);
	return \%res unless defined $body;
	my ($line, @lines) = split /\r\n/, $head;
	($res{status}) = ($line // '') =~ m{^HTTP/1\.[01] (\d{3})};
	$res{status} //= 0;
	for (@lines) {
		my ($k, $v) = /^([^:]+):\s*(.*)$/ or next;
		$res{headers}{ lc $k } = exists $res{headers}{ lc $k } ? [ (ref $res{headers}{ lc $k } ? @{ $res{headers}{ lc $k } } : $res{headers}{ lc $k }), $v ] : $v;
	}
	my $len = $res{headers}{'content-length'};
	$res{complete} = defined $len && !ref $len && length($body) >= $len;
	$res{json} = json_of($body);
	return \%res;
}

# Sends BYTES on a new connection and reads the answer.
sub raw_http {
	my ($bytes, %opt) = @_;
	my $s = raw_connect($opt{from});
	print {$s} $bytes;
	my $res = raw_read($s, $opt{timeout});
	close $s;
	return $res;
}

# The API's error shape: STATUS, JSON {"error": a sentence, "code": CODE},
# Content-Type application/json, X-Content-Type-Options nosniff. One test.
sub json_error_ok {
	my ($res, $status, $code, $name) = @_;
	my $j = $res->{json};
	my $ok = $res->{status} == $status && ref $j eq 'HASH' && defined $j->{error} && length $j->{error}
		&& ($j->{code} // '') eq $code
		&& ($res->{headers}{'content-type'} // '') =~ m{^application/json}
		&& ($res->{headers}{'x-content-type-options'} // '') eq 'nosniff';
	ok($ok, "$name: $status $code in JSON, nosniff")
		or diag("got $res->{status} " . explain($res->{headers}) . substr($res->{body} // $res->{content} // '', 0, 300));
	return $ok;
}

# Is RES (an HTTP::Tiny response) a 429 of the API's shape, with Retry-After?
sub good_429 {
	my ($res) = @_;
	my $j = json_of($res->{content});
	return ref $j eq 'HASH' && ($j->{code} // '') eq 'rate_limited' && length($j->{error} // '')
		&& ($res->{headers}{'retry-after'} // '') =~ /^[1-9]\d*$/
		&& ($res->{headers}{'content-type'} // '') =~ m{^application/json}
		&& ($res->{headers}{'x-content-type-options'} // '') eq 'nosniff';
}

# A rate-limit flood: n requests from `clients` forked keep-alive clients
# bound to local address `from`. step->($ua, $k) sends request k and returns
# (label, response); the labels are counted, and every 429 not in the API's
# shape also under bad429. Meanwhile the parent calls during->() until a
# client has finished and enough->() is true. Returns the counts and the
# seconds it took.
sub flood {
	my (%o) = @_;
	pipe(my $out_r, my $out_w) or die "pipe: $!";
	my @kids;
	for my $c (0 .. $o{clients} - 1) {
		my $kid = fork // die "fork: $!";
		if (!$kid) {
			close $out_r;
			my $ua = HTTP::Tiny->new(keep_alive => 1, local_address => $o{from}, timeout => 20);
			my %n;
			for (my $k = $c; $k < $o{n}; $k += $o{clients}) {
				my ($label, $res) = $o{step}->($ua, $k);
				$n{$label}++;
				$n{bad429}++ if $res->{status} == 429 && !good_429($res);
			}
			syswrite($out_w, join('', map { "$_\t$n{$_}\n" } keys %n));
			POSIX::_exit(0);
		}
		push @kids, $kid;
	}
	close $out_w;
	my $t0 = time;
	$o{during}->() while waitpid(-1, POSIX::WNOHANG()) == 0 || !$o{enough}->();
	my %n;
	for (<$out_r>) { chomp; my ($k, $v) = split /\t/; $n{$k} += $v }
	waitpid($_, 0) for @kids;
	return (\%n, time - $t0);
}

# The user the stack runs nginx, the api, the worker and Redis as when it
# runs as root (scripts/stack.sh, BAKERY_USER).
sub stack_user { return $ENV{BAKERY_USER} || 'bakery' }

1;
