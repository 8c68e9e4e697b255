-- wrk script: durable market orders from many users. Request i goes to user i mod N and
-- alternates buy/sell per round, so positions stay small and margin never runs out.
-- Tokens come from the file named by the first script argument, one per line.
local tokens = {}
local counter = 0
local offset = 0
local thread_id = 0

function setup(thread)
  thread:set("thread_id", thread_id)
  thread_id = thread_id + 1
end

function init(args)
  for line in io.lines(args[1]) do
    tokens[#tokens + 1] = line
  end
  offset = (thread_id or 0) * 7
end

function request()
  counter = counter + 1
  local n = #tokens
  local i = (counter + offset) % n + 1
  local side = (math.floor(counter / n) % 2 == 0) and "buy" or "sell"
  local body = '{"symbol":"BTCUSDT","side":"' .. side ..
               '","type":"market","quantity":"0.002","leverage":10}'
  return wrk.format("POST", "/api/orders", {
    ["Authorization"] = "Bearer " .. tokens[i],
    ["Content-Type"] = "application/json",
  }, body)
end
