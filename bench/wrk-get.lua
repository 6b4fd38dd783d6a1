-- make bench: GET requests, with the order's token as X-Order-Token when
-- BENCH_TOKEN is set (how the storefront's tracking page reads an order).
dofile(os.getenv("BENCH_DIR") .. "/wrk-report.lua")

local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
	wrk.headers["X-Order-Token"] = token
end
