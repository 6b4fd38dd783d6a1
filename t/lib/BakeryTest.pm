package BakeryTest;
# Shared helpers for the HTTP tests: requests through nginx, JSON, SQL on the
# test stack's database, and waiting for a condition with a deadline.
use strict;
use warnings;
use Exporter 'import';
use DBI;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep time);
use Test::More;

our @EXPORT = qw(base_url http json_of pool_size sql wait_until);

my $json = JSON::PP->new->utf8->canonical;
my $ua = HTTP::Tiny->new(timeout => 20, keep_alive => 1, max_redirect => 0);

sub base_url {
	my $url = $ENV{BAKERY_URL} or BAIL_OUT('BAKERY_URL is not set: run the tests with make test');
	return $url;
}

# http(METHOD, PATH, body => string|ref, headers => {...})
# Returns {status, headers, body, json} where json is the decoded body or undef.
sub http {
	my ($method, $path, %opt) = @_;
	my %headers = %{ $opt{headers} || {} };
	my %args = (headers => \%headers);
	if (exists $opt{body}) {
		my $b = $opt{body};
		$args{content} = ref $b ? $json->encode($b) : $b;
		$headers{'Content-Type'} //= 'application/json';
	} elsif (exists $opt{raw}) {
		# Bytes exactly as given, with only the headers the caller set.
		$args{content} = $opt{raw};
	}
	my $res = $ua->request($method, base_url() . $path, \%args);
	$res->{json} = json_of($res->{content});
	$res->{body} = $res->{content};
	return $res;
}

# The responder pool's size as bakery-api reports it (--config) in the
# tests' environment, which is the stack's: BAKERY_PROCESSES or its default.
sub pool_size {
	my $bin = "$ENV{BAKERY_BIN}/bakery-api";
	my ($n) = map { /^BAKERY_PROCESSES\s+(\d+)/ ? $1 : () } `$bin --config`;
	$n or BAIL_OUT("$bin --config did not give BAKERY_PROCESSES");
	return $n;
}

sub json_of {
	my ($text) = @_;
	return undef unless defined $text && length $text;
	my $v = eval { $json->decode($text) };
	return $v;
}

# sql(QUERY, PARAMS...) on the test database; returns rows as arrays of
# strings (NULL as '', booleans as t/f, arrays as their text, as psql -At
# would print them). Parameters are $1, $2 ... placeholders, never spliced
# into the SQL. One connection per process, opened again when the server went
# away (the fault tests restart PostgreSQL).
sub sql {
	my ($query, @params) = @_;
	my $sth = dbh()->prepare($query);
	$sth->execute(@params);
	my @rows = $sth->{NUM_OF_FIELDS} ? map { [ map { $_ // '' } @$_ ] } @{ $sth->fetchall_arrayref } : ();
	return @rows;
}

my ($dbh, $dbh_pid);

sub dbh {
	return $dbh if $dbh && $dbh_pid == $$ && $dbh->ping;
	my $db = $ENV{DATABASE_URL} or BAIL_OUT('DATABASE_URL is not set');
	# AutoInactiveDestroy: a forked child never closes its parent's
	# connection. Dollar placeholders only, so ? and :name in SQL stay SQL.
	$dbh = DBI->connect("dbi:Pg:$db", '', '', { RaiseError => 1, PrintError => 0, AutoCommit => 1,
		AutoInactiveDestroy => 1, pg_placeholder_dollaronly => 1, pg_enable_utf8 => 0,
		pg_bool_tf => 1, pg_expand_array => 0 });
	$dbh_pid = $$;
	return $dbh;
}

# Polls COND every 50 ms until it returns true or SECONDS pass.
sub wait_until {
	my ($seconds, $cond) = @_;
	my $deadline = time + $seconds;
	while (time < $deadline) {
		my $v = $cond->();
		return $v if $v;
		sleep 0.05;
	}
	return $cond->();
}

1;
