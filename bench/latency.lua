-- wrk script for bench/household_page.py: spread requests over many paths, report exact figures.
--
--   wrk -t2 -c32 -d15s --latency -s bench/latency.lua http://127.0.0.1:PORT -- PATHS_FILE
--
-- PATHS_FILE holds one request path per line (e.g. /h/<code> for every household, or just
-- /livez). Each wrk thread walks the list from its own offset, so the run touches every
-- household page instead of one hot key. The same script drives both endpoints, so the Lua
-- overhead is identical on both sides of the ratio.
--
-- done() prints one machine-readable line, parsed by the driver:
--   BENCH requests=N duration_us=N rps=F p50_us=N p90_us=N p99_us=N max_us=N
--         connect_errors=N read_errors=N write_errors=N timeouts=N non2xx=N

local paths = {}
local counter = 0
-- Not "local thread_index": a local would hide the global that thread:set gives each thread.
local next_index = 0
local threads = {}

function setup(thread)
  thread:set("thread_index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end

function init(args)
  local file = args[1]
  if not file then
    error("latency.lua: pass the paths file after --")
  end
  for line in io.lines(file) do
    if line ~= "" then
      table.insert(paths, line)
    end
  end
  if #paths == 0 then
    error("latency.lua: no paths in " .. file)
  end
  -- Start each thread at a different place in the list.
  counter = math.floor((thread_index or 0) * #paths / 2)
end

function request()
  counter = counter + 1
  return wrk.format("GET", paths[(counter % #paths) + 1])
end

function done(summary, latency, requests)
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.2f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d non2xx=%d\n",
    summary.requests, summary.duration, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status))
end
