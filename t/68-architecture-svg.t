#!/usr/bin/env perl
# docs/architecture.svg is what `make docs` makes of docs/architecture.dot
# (issue 13.8): the committed picture is rendered again with graphviz's dot
# (make test installs it) and must come out byte for byte the same.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $repo = "$FindBin::Bin/..";
my $dot = "$repo/docs/architecture.dot";
my $svg = "$repo/docs/architecture.svg";

sub slurp {
	my ($path) = @_;
	open my $fh, '<', $path or return undef;
	local $/;
	return <$fh>;
}

ok(-f $dot, 'docs/architecture.dot exists');
ok(-f $svg, 'docs/architecture.svg is committed');
ok(system('sh', '-c', 'command -v dot >/dev/null') == 0, "graphviz's dot is installed (scripts/deps.sh --test)")
	or BAIL_OUT('no dot');
my $tmp = tempdir(CLEANUP => 1);
is(system('dot', '-Tsvg', $dot, '-o', "$tmp/architecture.svg"), 0, 'dot renders the source');
my ($want, $got) = (slurp("$tmp/architecture.svg"), slurp($svg));
ok(defined $got && defined $want && $got eq $want,
	'docs/architecture.svg is up to date with docs/architecture.dot (else: make docs, commit)');
like($got // '', qr/<svg\b.*GET \/api\/metrics/s, 'it is an SVG of the current source');
my $make = slurp("$repo/Makefile") // '';
ok($make =~ /^docs\/architecture\.svg: docs\/architecture\.dot$/m &&
	$make =~ /^\tdot -Tsvg docs\/architecture\.dot -o /m, 'make docs renders it the same way');

done_testing;
