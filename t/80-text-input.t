#!/usr/bin/env perl
# Strict text input (issue 10, points 1 and 2) through nginx, on every
# endpoint that takes a JSON string: an escaped NUL (\u0000) is refused
# (400 nul_character with the field) instead of cutting the string short,
# and names, emails and product labels refuse the characters that change
# what staff and customers see (C1 controls, bidi overrides and isolates,
# zero-width characters, line and paragraph separators): 422 with the field,
# and so does a staff account's name (bakery-api create-staff). Nothing
# refused is stored.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib";
use Test::More;
use BakeryTest;
use StaffTest;

my ($user, $pw) = new_staff('t67');
my ($tok) = login($user, $pw);
ok($tok, 'logged in');
my $cat = "t67-$$";
my $made = staff_http(POST => '/api/staff/products', $tok,
	body => { name => "T67 Loaf $$", description => 'plain', category => $cat, price => 2, stock => 50 });
is($made->{status}, 201, 'a product to order');
my $pid = $made->{json}{id};
my $email = "t67-$$\@example.com";

sub expect {
	my ($r, $status, $code, $field, $what) = @_;
	is($r->{status}, $status, "$what: $status")
		and is($r->{json}{code}, $code, "  code $code")
		and is($r->{json}{field}, $field, "  field $field")
		or diag $r->{body};
}

# Bodies are written by hand: JSON::PP would escape nothing of what we test.
sub order_body {
	my (%f) = (customer_name => '"Bob"', customer_email => qq("$email"), @_);
	return qq({"customer_name":$f{customer_name},"customer_email":$f{customer_email},)
		. qq("items":[{"product_id":$pid,"quantity":1}]});
}

# --- point 1: \u0000 in every string field ------------------------------------------------
expect(http(POST => '/api/orders', body => order_body(customer_name => '"Bob\u0000<img>"')),
	400, 'nul_character', 'customer_name', 'order: NUL in the name');
expect(http(POST => '/api/orders', body => order_body(customer_email => qq("$email\\u0000\@evil"))),
	400, 'nul_character', 'customer_email', 'order: NUL in the email');
expect(http(POST => '/api/orders', body => order_body() =~ s/\}$/,"note":"a\\u0000b"}/r),
	400, 'nul_character', 'note', 'order: NUL in a member the API ignores');
expect(http(POST => '/api/order', body => qq({"product_id":"$pid\\u0000x"})),
	400, 'nul_character', 'product_id', 'seed order: NUL in the string id');
my ($stored) = sql(q{SELECT count(*) FROM orders WHERE customer_email LIKE $1}, "t67-$$%");
is($stored->[0], 0, 'no order stored for a refused body');
my $r = http(POST => '/api/orders', body => order_body(customer_name => '"Bob\\\\u0000"'));
is($r->{status}, 201, 'an escaped backslash before u0000 is text, not a NUL') or diag $r->{body};

expect(http(POST => '/api/staff/login', body => qq({"username":"$user\\u0000x","password":"$pw"})),
	400, 'nul_character', 'username', 'login: NUL in the username');
expect(http(POST => '/api/staff/login', body => qq({"username":"$user","password":"$pw\\u0000x"})),
	400, 'nul_character', 'password', 'login: NUL in the password');

my $base = qq("category":"$cat","price":1,"stock":1);
for my $f (qw(name description category)) {
	my %v = (name => '"T67 NUL"', description => '"d"', category => qq("$cat"));
	$v{$f} = $f eq 'category' ? qq("$cat\\u0000x") : '"before\u0000after"';
	my $body = '{' . join(',', map { qq("$_":$v{$_}) } sort keys %v) . ',"price":1,"stock":1}';
	expect(staff_http(POST => '/api/staff/products', $tok, body => $body),
		400, 'nul_character', $f, "staff create: NUL in $f");
	expect(staff_http(PATCH => "/api/staff/products/$pid", $tok, body => qq({"$f":$v{$f}})),
		400, 'nul_character', $f, "staff edit: NUL in $f");
}
my ($names) = sql(q{SELECT count(*) FROM products WHERE name LIKE 'T67 NUL%' OR name LIKE 'before%'});
is($names->[0], 0, 'no product stored or renamed by a refused body');

# --- point 2: characters that change what staff see -------------------------------------------
my %hidden = (
	'U+0085 next line (C1)' => '\u0085', 'U+009B CSI (C1, raw bytes)' => "\xc2\x9b",
	'U+202E right-to-left override' => '\u202e', 'U+202A embedding' => '\u202a',
	'U+2066 isolate' => '\u2066', 'U+2069 pop isolate (raw bytes)' => "\xe2\x81\xa9",
	'U+200B zero-width space' => '\u200b', 'U+200D zero-width joiner' => '\u200d',
	'U+FEFF BOM' => '\ufeff', 'U+2028 line separator' => '\u2028', 'U+2029 paragraph separator' => '\u2029',
);
for my $what (sort keys %hidden) {
	my $c = $hidden{$what};
	expect(http(POST => '/api/orders', body => order_body(customer_name => qq("Ann${c}gnp.exe"))),
		422, 'invalid_name', 'customer_name', "order name with $what");
	expect(http(POST => '/api/orders', body => order_body(customer_email => qq("ann${c}x\@example.com"))),
		422, 'invalid_email', 'customer_email', "order email with $what");
	for my $f (qw(name category description)) {
		expect(staff_http(PATCH => "/api/staff/products/$pid", $tok, body => qq({"$f":"T67${c}x"})),
			422, 'invalid_value', $f, "staff edit: $f with $what");
	}
}
($stored) = sql(q{SELECT count(*) FROM orders WHERE customer_name LIKE 'Ann%' AND customer_email LIKE $1}, '%t67%');
for my $bad ("t67-\xe2\x80\xae$$", "t67-\xe2\x80\x8b$$", "t67-\x1b[31m$$", "t67-\xff$$") {
	isnt(create_staff($bad, 'long-enough-password'), 0, 'create-staff refuses the name ' . join('', map { sprintf '\\x%02x', ord } split //, $bad));
	next if $bad =~ /\xff/; # not even a parameter PostgreSQL would take
	my ($n) = sql(q{SELECT count(*) FROM staff_users WHERE username = $1}, $bad);
	is($n->[0], 0, '  nothing stored');
}
is($stored->[0], 0, 'no order stored with a hidden character');
my ($p) = sql(q{SELECT name, category, description FROM products WHERE id = $1}, $pid);
is_deeply($p, [ "T67 Loaf $$", $cat, 'plain' ], 'the product is unchanged');

my $ok = http(POST => '/api/orders',
	body => order_body(customer_name => qq("Zo\\u00eb \\u05e9\\u05dc\\u05d5\\u05dd \xf0\x9f\x8d\x9e")));
is($ok->{status}, 201, 'letters of any script and an emoji are still fine') or diag $ok->{body};
is(staff_http(PATCH => "/api/staff/products/$pid", $tok, body => { description => "two\nlines" })->{status},
	200, 'a newline in a description is still fine');

staff_http(PATCH => "/api/staff/products/$pid", $tok, body => { active => JSON::PP::false });
done_testing();
