-- wrk script for bench/callback.py: signed SCAN events to POST /wechat/callback, counted by answer.
--
--   wrk -t2 -c32 -d10s --latency -s bench/callback.lua http://127.0.0.1:PORT -- REQUESTS_FILE [USERS]
--
-- REQUESTS_FILE holds one "QUERY<TAB>SCENE" per line: a signed query string (signature,
-- timestamp, nonce) precomputed by the driver, and a household's scene (h_<code>). In plain mode
-- the signature covers only token, timestamp and nonce, not the body, so any body may go with
-- any of those queries and no SHA-1 is computed here. Each request gets its own body with a
-- FromUserName + CreateTime pair no other request of any run has used, so the callback's dedupe
-- never short-circuits a request: every one is a fresh event, handled in full. USERS = 0: each
-- request comes from someone the app has never heard from (their identity row is created);
-- USERS = N: from a pool of N followers, oBenchFollower000000 … (the driver subscribes them
-- first), as a village's regulars would; CreateTime makes every event distinct.
--
-- done() prints the BENCH line of bench/latency.lua plus how the callback answered:
--   cards=N (a one-article news reply) duplicates=N ("success") others=N (anything else)

local lines = {}
local counter = 0
local sent = 0
local next_index = 0 -- main state only; each thread gets its own as the global thread_index
local threads = {}
local run_tag = ""
local users = 0
local base_time = 0
cards, duplicates, others = 0, 0, 0 -- globals: done() reads them from every thread

local BODY = "<xml><ToUserName><![CDATA[gh_b0000000benc]]></ToUserName>" ..
  "<FromUserName><![CDATA[%s]]></FromUserName><CreateTime>%s</CreateTime>" ..
  "<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[SCAN]]></Event>" ..
  "<EventKey><![CDATA[%s]]></EventKey><Ticket><![CDATA[gQFbenchTicket]]></Ticket></xml>"
local HEADERS = { ["Content-Type"] = "text/xml" }

function setup(thread)
  thread:set("thread_index", next_index)
  next_index = next_index + 1
  table.insert(threads, thread)
end

function init(args)
  local file = args[1]
  if not file then
    error("callback.lua: pass the requests file after --")
  end
  for line in io.lines(file) do
    local query, scene = line:match("^([^\t]+)\t(.+)$")
    if query then
      table.insert(lines, { "/wechat/callback?" .. query, scene })
    end
  end
  if #lines == 0 then
    error("callback.lua: no requests in " .. file)
  end
  users = tonumber(args[2] or "0") or 0
  counter = math.floor((thread_index or 0) * #lines / 2)
  base_time = os.time()
  -- Unique per wrk run (runs are seconds apart) and per thread.
  run_tag = string.format("%d%s", base_time, string.char(65 + (thread_index or 0)))
end

function request()
  counter = counter + 1
  sent = sent + 1
  local line = lines[(counter % #lines) + 1]
  local openid
  if users > 0 then
    openid = string.format("oBenchFollower%06d", counter % users) -- subscribed in the driver's warm-up
  else
    openid = string.format("oBench%s%09d", run_tag, sent)
  end
  -- Seconds, thread, sequence: no two requests of any run share a CreateTime, so no sender
  -- from the pool ever repeats an event (the callback reads CreateTime only for dedupe).
  local create_time = string.format("%d%d%07d", base_time, thread_index or 0, sent)
  local body = string.format(BODY, openid, create_time, line[2])
  return wrk.format("POST", line[1], HEADERS, body)
end

function response(status, headers, body)
  if body == "success" then
    duplicates = duplicates + 1
  elseif body:find("<ArticleCount>1</ArticleCount>", 1, true) then
    cards = cards + 1
  else
    others = others + 1
  end
end

function done(summary, latency, requests)
  local c, d, o = 0, 0, 0
  for _, thread in ipairs(threads) do
    c = c + thread:get("cards")
    d = d + thread:get("duplicates")
    o = o + thread:get("others")
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "BENCH requests=%d duration_us=%d rps=%.2f p50_us=%d p90_us=%d p99_us=%d max_us=%d " ..
    "connect_errors=%d read_errors=%d write_errors=%d timeouts=%d non2xx=%d cards=%d duplicates=%d others=%d\n",
    summary.requests, summary.duration, summary.requests / secs,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, e.status, c, d, o))
end
