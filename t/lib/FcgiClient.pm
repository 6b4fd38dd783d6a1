package FcgiClient;
# A minimal FastCGI client (responder role) for talking to bakery-api
# without nginx: the process-model tests use it on the pool's socket.
use strict;
use warnings;
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);

sub _record {
	my ($type, $id, $content) = @_;
	my $len = length $content;
	my $pad = (8 - $len % 8) % 8;
	return pack('CCnnCC', 1, $type, $id, $len, $pad, 0) . $content . ("\0" x $pad);
}

sub _nv {
	my ($name, $value) = @_;
	my $enc = sub { my $l = shift; $l < 128 ? pack('C', $l) : pack('N', $l | 0x80000000) };
	return $enc->(length $name) . $enc->(length $value) . $name . $value;
}

# connect_socket(PATH) -> socket
sub connect_socket {
	my ($path) = @_;
	return IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $path);
}

# begin(SOCK, PARAMS_HASHREF): sends BEGIN_REQUEST and all params, no body yet.
sub begin {
	my ($sock, $params) = @_;
	my $nv = join '', map { _nv($_, $params->{$_}) } sort keys %$params;
	print {$sock} _record(1, 1, pack('nCx5', 1, 0)) . _record(4, 1, $nv) . _record(4, 1, '');
	$sock->flush;
}

# finish(SOCK, BODY) -> {status, headers, body}: sends the body, reads the reply.
sub finish {
	my ($sock, $body) = @_;
	$body //= '';
	print {$sock} _record(5, 1, $body) if length $body;
	print {$sock} _record(5, 1, '');
	$sock->flush;
	my $out = '';
	while (1) {
		my $hdr = _read($sock, 8) // last;
		my ($v, $type, $id, $len, $pad) = unpack('CCnnC', $hdr);
		my $content = $len ? _read($sock, $len) : '';
		_read($sock, $pad) if $pad;
		last unless defined $content;
		$out .= $content if $type == 6;
		last if $type == 3;
	}
	my ($head, $rest) = split /\r\n\r\n/, $out, 2;
	my %h;
	for (split /\r\n/, $head // '') {
		my ($k, $val) = split /:\s*/, $_, 2;
		$h{ lc $k } = $val if defined $val;
	}
	my ($status) = ($h{status} // '200') =~ /^(\d+)/;
	return { status => $status, headers => \%h, body => $rest };
}

sub _read {
	my ($sock, $n) = @_;
	my $buf = '';
	while (length $buf < $n) {
		my $got = sysread($sock, $buf, $n - length $buf, length $buf);
		return undef unless $got;
	}
	return $buf;
}

# request(PATH, METHOD, URI, BODY, EXTRA_PARAMS) -> reply
sub request {
	my ($path, $method, $uri, $body, $extra) = @_;
	my $sock = connect_socket($path) or return undef;
	begin($sock, { REQUEST_METHOD => $method, PATH_INFO => $uri, REQUEST_URI => $uri,
		QUERY_STRING => '', CONTENT_LENGTH => length($body // ''), %{ $extra || {} } });
	my $r = finish($sock, $body);
	close $sock;
	return $r;
}

1;
