package BranchTest;
# Helpers for the branch and pickup-slot tests (t/7x): a fresh branch made
# through the staff API, the bakery's "today" and instants as PostgreSQL
# sees them in BAKERY_TZ, and ISO 8601 instants as epoch seconds.
use strict;
use warnings;
use Exporter 'import';
use Test::More;
use Time::Local qw(timegm);
use BakeryTest;
use StaffTest;

our @EXPORT = qw(staff_token new_branch bakery_tz local_date epoch_of slots all_week);

my $token;

# One staff session for the whole test file.
sub staff_token {
	return $token if $token;
	my ($name, $pw) = new_staff('t7x');
	($token) = login($name, $pw);
	$token or BAIL_OUT('staff login failed');
	return $token;
}

# opening_hours with the same {open, close} every day.
sub all_week {
	my ($open, $close) = @_;
	return { map { $_ => { open => $open, close => $close } } qw(mon tue wed thu fri sat sun) };
}

# POST /api/staff/branches; returns the branch's JSON (dies unless 201).
sub new_branch {
	my (%o) = @_;
	my $r = staff_http(POST => '/api/staff/branches', staff_token(), body => {
		name => $o{name} // "T7x branch $$", address => $o{address} // '1 Test Lane',
		(exists $o{hours} ? (opening_hours => $o{hours}) : ()),
		(exists $o{capacity} ? (slot_capacity => $o{capacity}) : ()),
	});
	$r->{status} == 201 or die "branch create: $r->{status} $r->{body}";
	return $r->{json};
}

# The zone the stack runs in, as the API reports it.
sub bakery_tz {
	my $r = http(GET => '/api/branches');
	return $r->{json}[0]{timezone};
}

# The bakery's today plus N days, YYYY-MM-DD.
sub local_date {
	my ($days) = @_;
	my ($r) = sql(q{SELECT to_char((now() AT TIME ZONE $1)::date + $2::int, 'YYYY-MM-DD')},
		bakery_tz(), $days // 0);
	return $r->[0];
}

# "2026-12-03T09:00:00+01:00" (or Z) as epoch seconds.
sub epoch_of {
	my ($s) = @_;
	my ($y, $mo, $d, $h, $mi, $se, $z) = $s =~ /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)(Z|[+-]\d\d:\d\d)$/
		or die "not ISO 8601: $s";
	my $t = timegm($se, $mi, $h, $d, $mo - 1, $y);
	if ($z ne 'Z') {
		my ($sign, $oh, $om) = $z =~ /^([+-])(\d\d):(\d\d)$/;
		$t -= ($sign eq '+' ? 1 : -1) * ($oh * 3600 + $om * 60);
	}
	return $t;
}

# GET /api/pickup-slots for branch and date; returns the response.
sub slots {
	my ($branch, $date) = @_;
	return http(GET => "/api/pickup-slots?branch=$branch&date=$date");
}

1;
