package BakeryTest;
# Shared helpers for the HTTP tests: requests through nginx, JSON, SQL on the
# test stack's database, and waiting for a condition with a deadline.
use strict;
use warnings;
use Exporter 'import';
use File::Temp;
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(sleep time);
use Test::More;

our @EXPORT = qw(base_url http json_of sql wait_until);

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

sub json_of {
	my ($text) = @_;
	return undef unless defined $text && length $text;
	my $v = eval { $json->decode($text) };
	return $v;
}

# sql(QUERY, PARAMS...) on the test database; returns rows as arrays of
# strings. Parameters are psql variables, referenced as :'p1', :'p2' ...
# (quoted by psql as literals), never spliced into the SQL.
sub sql {
	my ($query, @params) = @_;
	my $db = $ENV{DATABASE_URL} or BAIL_OUT('DATABASE_URL is not set');
	my @vars;
	for my $i (0 .. $#params) {
		push @vars, '-v', 'p' . ($i + 1) . '=' . $params[$i];
	}
	# psql interpolates variables in a script, not in -c: feed a file.
	my $file = File::Temp->new(SUFFIX => '.sql');
	print $file $query, ";\n";
	close $file;
	open(my $fh, '-|', 'psql', $db, '-X', '-qAt', '-F', "\t", '-v', 'ON_ERROR_STOP=1', @vars,
		'-f', $file->filename) or die "psql: $!";
	my @rows = map { chomp; [ split /\t/, $_, -1 ] } <$fh>;
	close $fh or die "psql failed for: $query";
	return @rows;
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
