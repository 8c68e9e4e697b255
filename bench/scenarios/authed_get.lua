-- wrk script: an authenticated GET from many users, request i as user i mod N. Arguments: the
-- file of tokens (one per line) and the path.
local tokens = {}
local path = "/api/market/symbols"
local counter = 0

function init(args)
  for line in io.lines(args[1]) do
    tokens[#tokens + 1] = line
  end
  path = args[2] or path
end

function request()
  counter = counter + 1
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. tokens[counter % #tokens + 1]})
end

function done(summary, latency, requests)
  io.write(string.format("p50_ms %.2f p95_ms %.2f p99_ms %.2f\n", latency:percentile(50) / 1000,
                         latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
