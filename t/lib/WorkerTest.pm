package WorkerTest;
# Helpers for the worker tests (t/4x-worker-*.t): products and orders of
# their own, raw messages on the broker, extra bakery-worker processes
# (always stopped at exit), services of the test stack stopped and started
# (and asked about through its supervisord), and the workers' logs.
use strict;
use warnings;
use Exporter 'import';
use FindBin;
use POSIX ();
use Time::HiRes qw(time);
use Test::More;
use BakeryTest;

our @EXPORT = qw(new_product stock set_stock place_order insert_order order_row history
	wait_final wait_status publish_raw publish_many rabbitmqctl start_worker stop_worker worker_logs
	log_count stack_service supervisorctl service_pid service_state);

my $repo = "$FindBin::Bin/..";
my %workers; # pid => log file

# A fresh product in category 'test'; returns its id.
sub new_product {
	my (%o) = @_;
	my ($id) = map { $_->[0] } sql(q{INSERT INTO products (name, description, category, price_cents, stock)
		VALUES ($1 || ' ' || left(gen_random_uuid()::text, 8), 'worker test', 'test', $2, $3) RETURNING id},
		$o{name} // 'Worker Test Loaf', $o{price} // 250, $o{stock} // 100);
	return $id;
}

sub stock {
	my ($id) = @_;
	my ($row) = sql(q{SELECT stock FROM products WHERE id = $1}, $id);
	return $row->[0];
}

sub set_stock { sql(q{UPDATE products SET stock = $2 WHERE id = $1}, @_) }

# POST /api/orders; items as [product_id, quantity] pairs. Returns the
# response (its json has order_id and token on 201).
sub place_order {
	my (%o) = @_;
	return http(POST => '/api/orders', body => {
		customer_name => $o{name} // 'Worker Test',
		customer_email => $o{email} // 'buyer@example.com',
		items => [ map { { product_id => $_->[0] + 0, quantity => $_->[1] + 0 } } @{ $o{items} } ],
	});
}

# An order written straight into the database (placement's checks skipped),
# in one statement as the responder's one transaction would; queued => 0
# leaves it to the relay. Returns its id.
sub insert_order {
	my (%o) = @_;
	my $ids = '{' . join(',', map { $_->[0] } @{ $o{items} }) . '}';
	my $qty = '{' . join(',', map { $_->[1] } @{ $o{items} }) . '}';
	my ($id) = map { $_->[0] } sql(q{WITH q AS (SELECT * FROM unnest($5::bigint[], $6::int[]) AS q(pid, qty)),
		o AS (INSERT INTO orders (customer_name, customer_email, total_cents, access_token, status, queued,
			created_at, updated_at)
			VALUES ('Worker Test', $1, (SELECT coalesce(sum(p.price_cents * q.qty), 0) FROM q JOIN products p ON p.id = q.pid),
			encode(sha256(convert_to(random()::text || clock_timestamp()::text, 'UTF8')), 'hex'), $2, $3,
			now() - interval '1 minute', now() - make_interval(secs => $4::int)) RETURNING id),
		i AS (INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents, product_name)
			SELECT o.id, p.id, q.qty, p.price_cents, p.name FROM o, q JOIN products p ON p.id = q.pid),
		h AS (INSERT INTO order_history (order_id, from_status, to_status, reason)
			SELECT id, NULL, 'pending', 'order placed' FROM o)
		SELECT id FROM o},
		$o{email} // 'buyer@example.com', $o{status} // 'pending', $o{queued} ? 'true' : 'false',
		$o{age} // 60, $ids, $qty);
	return $id;
}

# {status, failure_reason, attempts, queued} of an order.
sub order_row {
	my ($id) = @_;
	my ($r) = sql(q{SELECT status, coalesce(failure_reason, ''), attempts, queued FROM orders WHERE id = $1}, $id);
	return $r ? { status => $r->[0], failure_reason => $r->[1], attempts => $r->[2], queued => $r->[3] } : undef;
}

# The history as "from>to" strings.
sub history {
	my ($id) = @_;
	return map { "$_->[0]>$_->[1]" } sql(q{SELECT coalesce(from_status, ''), to_status FROM order_history
		WHERE order_id = $1 ORDER BY id}, $id);
}

# Waits until every order of @ids is completed or failed: 1, or 0 at the deadline.
sub wait_final {
	my ($seconds, @ids) = @_;
	return 1 unless @ids;
	my $list = '{' . join(',', @ids) . '}';
	return wait_until($seconds, sub {
		my ($r) = sql(q{SELECT count(*) FROM orders WHERE id = ANY($1::bigint[])
			AND status IN ('completed', 'failed')}, $list);
		return $r->[0] == @ids;
	});
}

sub wait_status {
	my ($seconds, $id, $status) = @_;
	return wait_until($seconds, sub { my $o = order_row($id); $o && $o->{status} eq $status });
}

# rabbitmqctl on the test stack's private node; returns its output.
sub rabbitmqctl {
	my (@args) = @_;
	my $var = $ENV{BAKERY_VAR} or BAIL_OUT('BAKERY_VAR is not set');
	my $port = $ENV{BAKERY_AMQP_PORT} or BAIL_OUT('BAKERY_AMQP_PORT is not set');
	my $epmd = $ENV{BAKERY_EPMD_PORT} // 4370;
	open(my $fh, '-|', 'timeout', '60', 'env', "HOME=$var/rabbitmq", "RABBITMQ_NODENAME=bakery-$port\@localhost",
		'RABBITMQ_USE_LONGNAME=false', "ERL_EPMD_PORT=$epmd", '/usr/lib/rabbitmq/bin/rabbitmqctl', @args)
		or die "rabbitmqctl: $!";
	local $/;
	my $out = <$fh> // '';
	close $fh;
	return $out;
}

# Publishes BODY (bytes) persistently, as anyone could: to the order
# exchange, or with dead => 1 to the dead-letter exchange as the broker
# would dead-letter it (dead => REASON sets x-first-death-reason). Sent with
# amqp-publish (amqp-tools); a MESSAGE_ID (undef for none) is a property
# amqp-publish cannot set, so such a message goes through the project's
# amqp-send (tools/amqp_send.c: amqp-publish plus -m, built by make
# test-build). Returns 1 when the broker took it.
sub publish_raw {
	my ($body, $message_id, %o) = @_;
	return publish_many(\%o, [ $body, $message_id ]);
}

# publish_raw for several [BODY, MESSAGE_ID] pairs in one go, in order:
# publish_many({ dead => ... } or {}, PAIRS...).
sub publish_many {
	my ($opt, @msgs) = @_;
	for my $m (@msgs) {
		return 0 unless amqp_publish($opt, @$m);
	}
	return 1;
}

sub exchange_of { return $_[0]{dead} ? 'bakery.orders.dead' : 'bakery.orders' }

# One message, the body on the tool's stdin.
sub amqp_publish {
	my ($opt, $body, $message_id) = @_;
	my $url = $ENV{AMQP_URL} or BAIL_OUT('AMQP_URL is not set');
	my @args = ('-u', $url, '-e', exchange_of($opt), '-r', 'order');
	push @args, '-H', "x-first-death-reason: $opt->{dead}" if $opt->{dead} && $opt->{dead} ne '1';
	my @tool = defined $message_id ? ("$repo/build-test/amqp-send", '-m', $message_id)
		: ('amqp-publish', '-p');
	# It connects before it reads the body: a broker that is down must not
	# kill this test with SIGPIPE.
	local $SIG{PIPE} = 'IGNORE';
	open(my $fh, '|-', 'timeout', '60', @tool, @args) or die "$tool[0]: $!";
	binmode $fh;
	print $fh $body;
	return close($fh) ? 1 : 0;
}

# Starts an extra bakery-worker with the test stack's environment plus
# %env, logging to $BAKERY_VAR/log/NAME.log (so make test's sanitizer check
# reads it too). Returns its pid; it is stopped at exit at the latest.
sub start_worker {
	my (%o) = @_;
	my $log = "$ENV{BAKERY_VAR}/log/" . ($o{name} // 'worker-test') . '.log';
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		POSIX::setsid();
		open STDIN, '<', '/dev/null';
		open STDOUT, '>>', $log or die "$log: $!";
		open STDERR, '>&', \*STDOUT;
		$ENV{$_} = $o{env}{$_} for keys %{ $o{env} || {} };
		exec("$ENV{BAKERY_BIN}/bakery-worker", @{ $o{args} || [] }) or POSIX::_exit(127);
	}
	$workers{$pid} = $log;
	return $pid;
}

# Sends SIG (default TERM) and reaps: the exit status as from waitpid
# (-1 if it did not exit within the deadline, then it is killed).
sub stop_worker {
	my ($pid, $sig, $seconds) = @_;
	return -1 unless $workers{$pid};
	kill $sig // 'TERM', $pid;
	my $status = -1;
	my $deadline = time + ($seconds // 30);
	while (time < $deadline) {
		if (waitpid($pid, POSIX::WNOHANG()) == $pid) { $status = $?; last }
		select(undef, undef, undef, 0.05);
	}
	if ($status == -1) {
		kill 'KILL', $pid;
		waitpid($pid, 0);
	}
	delete $workers{$pid};
	return $status;
}

# Log files of the stack's worker and of the extra ones.
sub worker_logs { return glob("$ENV{BAKERY_VAR}/log/worker*.log") }

# How many lines of the worker logs match RE.
sub log_count {
	my ($re) = @_;
	my $n = 0;
	for my $f (worker_logs()) {
		open(my $fh, '<', $f) or next;
		while (<$fh>) { $n++ if /$re/ }
	}
	return $n;
}

# scripts/stack.sh stop|start SERVICE on the test stack: 1 on success.
sub stack_service {
	my ($cmd, $service) = @_;
	my $rc = system("$repo/scripts/stack.sh", $cmd, $service);
	return $rc == 0 ? 1 : 0;
}

# supervisorctl ARGS... on the test stack's supervisord; its output, without
# the trailing newline.
sub supervisorctl {
	my (@args) = @_;
	my $var = $ENV{BAKERY_VAR} or BAIL_OUT('BAKERY_VAR is not set');
	open(my $fh, '-|', 'supervisorctl', '-c', "$var/supervisord.conf", @args) or die "supervisorctl: $!";
	local $/;
	my $out = <$fh> // '';
	close $fh;
	$out =~ s/\s+\z//;
	return $out;
}

# The pid of a program of the test stack (postgres, redis, epmd, rabbitmq,
# api, worker, nginx), 0 when it is not running.
sub service_pid {
	my $pid = supervisorctl('pid', $_[0]);
	return $pid =~ /^[0-9]+$/ ? $pid + 0 : 0;
}

# Its supervisord state: RUNNING, STARTING, BACKOFF, STOPPED, FATAL, ...
sub service_state {
	my (undef, $state) = split ' ', supervisorctl('status', $_[0]);
	return $state // '';
}

END {
	for my $pid (keys %workers) {
		my $st = $?;
		stop_worker($pid, 'TERM', 20);
		$? = $st;
	}
}

1;
