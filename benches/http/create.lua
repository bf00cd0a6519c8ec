-- wrk script: every request creates a confirmed booking on its own hour of
-- one of 1,000 resources, so none conflicts (thread id x counter spread).
local counter = 0
thread_id = 0 -- set per thread by setup()
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("HOLDFAST_KEY")
  wrk.headers["Content-Type"] = "application/json"
  wrk.method = "POST"
end

request = function()
  counter = counter + 1
  local n = counter * 16 + thread_id
  local resource = string.format("r%04d", n % 1000)
  local hour = math.floor(n / 1000)
  -- 2030-01-01T00:00:00Z plus `hour` hours.
  local start = 1893456000 + hour * 3600
  local body = string.format(
    '{"resource_id":"%s","start":"%s","end":"%s","status":"confirmed"}',
    resource, os.date("!%Y-%m-%dT%H:%M:%SZ", start), os.date("!%Y-%m-%dT%H:%M:%SZ", start + 3600))
  return wrk.format(nil, "/api/v1/bookings", nil, body)
end

done = function(summary, latency, requests)
  io.write(string.format("non-2xx/3xx: %d\n", summary.errors.status))
end
