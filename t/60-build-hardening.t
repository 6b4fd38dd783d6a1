#!/usr/bin/env perl
# Build hardening (issue 10, point 10), read back from the binaries with
# readelf: the release build (build/, which make test builds too) is a PIE
# with full RELRO (GNU_RELRO and BIND_NOW), stack canaries
# (-fstack-protector-strong calls __stack_chk_fail) and _FORTIFY_SOURCE
# (checked __*_chk libc calls). The sanitizer build the tests run against
# (build-test/) has the same but fortification, which it leaves out.
use strict;
use warnings;
use FindBin;
use Test::More;

my $repo = "$FindBin::Bin/..";
plan skip_all => 'readelf not found (binutils)' if system('command -v readelf >/dev/null') != 0;

sub readelf {
	my ($bin, @opts) = @_;
	open(my $fh, '-|', 'readelf', '-W', @opts, $bin) or die "readelf: $!";
	local $/;
	my $out = <$fh> // '';
	close $fh;
	return $out;
}

my $test_bin = $ENV{BAKERY_BIN} // "$repo/build-test";
for my $dir ("$repo/build", $test_bin) {
	my $release = $dir eq "$repo/build";
	for my $name (qw(bakery-api bakery-worker)) {
		my $bin = "$dir/$name";
		my $what = ($release ? 'release' : 'test build') . " $name";
		ok(-x $bin, "$what exists ($bin)") or next;
		like(readelf($bin, '-h'), qr/^\s*Type:\s+DYN\b/m, "$what is position-independent (ELF type DYN)");
		my $dyn = readelf($bin, '-d');
		like($dyn, qr/\(FLAGS_1\).*\bPIE\b/, "$what: FLAGS_1 has PIE");
		like($dyn, qr/\(FLAGS_1\).*\bNOW\b|\(BIND_NOW\)|\(FLAGS\).*\bBIND_NOW\b/, "$what: BIND_NOW (-z now)");
		like(readelf($bin, '-l'), qr/^\s*GNU_RELRO\b/m, "$what: GNU_RELRO segment (-z relro)");
		my $syms = readelf($bin, '--dyn-syms');
		like($syms, qr/\b__stack_chk_fail\b/, "$what: stack protector (__stack_chk_fail)");
		if ($release) {
			my %chk = map { $_ => 1 } $syms =~ /\b(__\w+_chk)\b/g;
			delete $chk{__stack_chk_fail};
			cmp_ok(scalar(keys %chk), '>', 0, "$what: _FORTIFY_SOURCE (checked calls: " . join(' ', sort keys %chk) . ')');
		}
	}
}

done_testing;
