-- The end of every make bench wrk run: one machine-readable line on
-- stdout that bench/bench.pl reads (latencies in microseconds; errors are
-- answers of 400 and above, and socket errors: connect, read, write and
-- timeouts).
function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format(
		"BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d status_errors=%d socket_errors=%d\n",
		summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
		e.status, e.connect + e.read + e.write + e.timeout))
end
