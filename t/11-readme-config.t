#!/usr/bin/env perl
# README.md's configuration table is the one lib/config.c's table prints:
# a row changed there without `make readme-config` fails here.
use strict;
use warnings;
use FindBin;
use Test::More;

my $bin = "$ENV{BAKERY_BIN}/config-table";
ok(-x $bin, 'config-table is built');
my $want = `$bin`;
is($?, 0, 'config-table prints the table');

open(my $fh, '<', "$FindBin::Bin/../README.md") or die "README.md: $!";
my $readme = do { local $/; <$fh> };
my ($got) = $readme =~ m{^<!-- config-table -->\n(.*?)^<!-- /config-table -->$}ms;
ok(defined $got, 'README.md has the <!-- config-table --> ... <!-- /config-table --> lines');
$got //= '';
s/\A\n+//, s/\n+\z/\n/ for $got;
is($got, $want, "README.md's configuration table is lib/config.c's (make readme-config writes it)");

done_testing;
