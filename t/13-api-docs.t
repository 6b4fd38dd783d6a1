#!/usr/bin/env perl
# docs/api.md and the route table (cgi-bin/router.c) name the same routes
# (issue 13.9): every row of the table is documented, and every route the
# reference names exists. The table is read generically, every
# { "METHOD", "/pattern", handler, flags } row of the routes[] array,
# however many there are; the reference's routes are every `METHOD /path`
# in backquotes, a query string or [optional part] cut off, any {name}
# read as {id}.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use RouteTable;

my $repo = "$FindBin::Bin/..";

sub slurp {
	my ($path) = @_;
	open my $fh, '<', $path or die "$path: $!";
	local $/;
	return <$fh>;
}

my %routes = map { ("$_->[0] $_->[1]" => 1) } route_table($repo);
cmp_ok(scalar(keys %routes), '>=', 20, scalar(keys %routes) . ' rows read from the routes[] table of cgi-bin/router.c');

my $doc = slurp("$repo/docs/api.md");
my %documented;
# A named placeholder ({product_id}) is the table's {id}.
$documented{"$1 " . ($2 =~ s/\{[^}]*\}/{id}/gr)} = 1
	while $doc =~ m{`(GET|HEAD|POST|PUT|PATCH|DELETE) (/[^`\s?\[]*)}g;
cmp_ok(scalar(keys %documented), '>=', 20, scalar(keys %documented) . ' routes named in docs/api.md');

my @undocumented = grep { !$documented{$_} } sort keys %routes;
is_deeply(\@undocumented, [], 'every route of the table is documented in docs/api.md')
	or diag "undocumented: @undocumented";
my @unknown = grep { !$routes{$_} } sort keys %documented;
is_deeply(\@unknown, [], 'every route docs/api.md names is in the table')
	or diag "not in cgi-bin/router.c: @unknown";

done_testing;
