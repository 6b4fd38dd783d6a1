package StaffTest;
# Helpers for the staff API tests: accounts made with the real command
# (bakery-api create-staff, password on stdin), login, and requests that
# carry the session as Bearer or as the cookie.
use strict;
use warnings;
use Exporter 'import';
use BakeryTest;

our @EXPORT = qw(create_staff new_staff login staff_http);

my $seq = 0;

# Runs `bakery-api create-staff NAME` with PASSWORD on stdin; returns
# [exit status, output].
sub create_staff {
	my ($name, $password) = @_;
	my $bin = "$ENV{BAKERY_BIN}/bakery-api";
	local $ENV{BAKERY_STAFF_PASSWORD};
	delete $ENV{BAKERY_STAFF_PASSWORD};
	my $pid = open(my $fh, '|-', "$bin create-staff '$name' >/dev/null 2>&1") or die "create-staff: $!";
	print $fh "$password\n";
	close $fh;
	return $? >> 8;
}

# A fresh account with a unique name; returns (name, password).
sub new_staff {
	my ($prefix) = @_;
	my $name = sprintf('%s-%d-%d', $prefix // 'staff', $$, ++$seq);
	my $password = "pw-$name-long-enough";
	create_staff($name, $password) == 0 or die "create-staff $name failed";
	return ($name, $password);
}

# Logs in; returns the token (undef on failure) and the response.
sub login {
	my ($name, $password) = @_;
	my $r = http(POST => '/api/staff/login', body => { username => $name, password => $password });
	return (($r->{status} == 200 ? $r->{json}{token} : undef), $r);
}

# http() with the session as Bearer TOKEN.
sub staff_http {
	my ($method, $path, $token, %opt) = @_;
	$opt{headers} = { %{ $opt{headers} || {} }, Authorization => "Bearer $token" };
	return http($method, $path, %opt);
}

1;
