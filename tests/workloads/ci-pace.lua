-- wrk script: paces each connection, so that the load is a rate rather than "as fast as the
-- server answers". After each response a connection waits a think time drawn uniformly from
-- [MS/2, 3*MS/2] (MS: the first argument after --, default 100) before its next request: C
-- connections then offer about C / (MS + latency) requests per second, spread over the second.
-- Usage: wrk -t1 -cC -dD -s tests/workloads/ci-pace.lua URL -- MS
local mean = 100

function init(args)
	mean = tonumber(args[1]) or mean
	math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end

function delay()
	return math.floor(mean / 2 + math.random() * mean)
end
