package RouteTable;
# The route table of cgi-bin/router.c, read generically: every
# { "METHOD", "/pattern", handler, flags } row of its routes[] array, in
# order, however many rows there are (t/13, t/69).
use strict;
use warnings;
use Exporter 'import';

our @EXPORT = qw(route_table);

# route_table(REPO) -> (["GET", "/api/health"], ...); () when the table is not found.
sub route_table {
	my ($repo) = @_;
	open my $fh, '<', "$repo/cgi-bin/router.c" or die "cgi-bin/router.c: $!";
	my $router = do { local $/; <$fh> };
	my ($table) = $router =~ /\bstruct route routes\[\]\s*=\s*\{(.*?)\n\};/s;
	return () unless defined $table;
	$table =~ s{/\*.*?\*/}{}gs; # comments may quote routes
	my @rows;
	push @rows, [$1, $2] while $table =~ /\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,/g;
	return @rows;
}

1;
