-- make bench: order placements. BENCH_SHAPE=full posts POST /api/orders
-- bodies of two different products (ids BENCH_PMIN..BENCH_PMAX) of 1-3
-- each; BENCH_SHAPE=seed posts the seed's POST /order body, one product.
dofile(os.getenv("BENCH_DIR") .. "/wrk-report.lua")

local pmin = tonumber(os.getenv("BENCH_PMIN"))
local pmax = tonumber(os.getenv("BENCH_PMAX"))
local seed = os.getenv("BENCH_SHAPE") == "seed"
local headers = { ["Content-Type"] = "application/json" }
local n = 0

function init(args)
	math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6))
end

local function product()
	return math.random(pmin, pmax)
end

function request()
	n = n + 1
	local a = product()
	if seed then
		return wrk.format("POST", "/order", headers,
			string.format('{"product_id":%d,"quantity":%d}', a, math.random(1, 3)))
	end
	local b = a
	while b == a do
		b = product()
	end
	return wrk.format("POST", "/api/orders", headers, string.format(
		'{"customer_name":"Bench Customer","customer_email":"bench%d@example.com",' ..
		'"items":[{"product_id":%d,"quantity":%d},{"product_id":%d,"quantity":%d}]}',
		n, a, math.random(1, 3), b, math.random(1, 3)))
end
