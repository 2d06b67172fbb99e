-- wrk script for bench/wrk_driver.py: each request of a prepared list sent exactly once.
--
--   wrk -t C -c C -d 600s -s bench/wrk_once.lua URL -- REQUESTS_FILE DONE_DIR C
--
-- One connection per thread, so that a thread's responses follow its requests one to one
-- and each latency is taken here (send -> complete response) with a monotonic clock.
-- Thread i sends lines i, i+C, i+2C, ... of REQUESTS_FILE, each
--   METHOD <tab> PATH <tab> N <tab> name1 <tab> value1 ... <tab> BODY
-- and, when its last answer is in, stops and creates DONE_DIR/done-<i> (wrk's main thread
-- sleeps for the whole -d otherwise: the driver interrupts it once every thread is done);
-- until then a thread that is done sends /healthz, not measured (see response()).
-- done() prints one JSON object: latencies, statuses, Server-Timing values, first and last
-- times.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec *tp);
]]
local clock = ffi.new("bench_timespec")

local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC: comparable between threads
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local function split(line)
  local fields = {}
  for field in (line .. "\t"):gmatch("(.-)\t") do
    fields[#fields + 1] = field
  end
  return fields
end

local threads, next_id = {}, 0

function setup(thread)
  thread:set("id", next_id)
  next_id = next_id + 1
  threads[#threads + 1] = thread
end

function init(args)
  local file, count = args[1], tonumber(args[3])
  done_dir, clients = args[2], count
  requests, answered, extra = {}, 0, 0
  latencies, app, stripe, statuses = {}, {}, {}, {}
  first_sent, last_done = 0, 0
  local index = 0
  for line in io.lines(file) do
    if index % count == id then
      local f = split(line)
      local headers, n = {}, tonumber(f[3])
      for h = 0, n - 1 do
        headers[f[4 + 2 * h]] = f[5 + 2 * h]
      end
      local body = f[4 + 2 * n]
      if body == "" then body = nil end
      requests[#requests + 1] = wrk.format(f[1], f[2], headers, body)
    end
    index = index + 1
  end
end

local sent = 0

-- The position moves on when an answer arrives, not when wrk asks for a request: wrk calls
-- request() once more at start, on thread 0, only to look at it.
function request()
  sent = now_ms()
  local next_one = requests[answered + 1]
  if next_one == nil then
    extra = extra + 1 -- not measured: see response()
    return wrk.format("GET", "/healthz")
  end
  return next_one
end

local function all_done()
  for i = 0, clients - 1 do
    local marker = io.open(done_dir .. "/done-" .. i, "r")
    if marker == nil then return false end
    marker:close()
  end
  return true
end

-- A thread whose list is done keeps its connection busy with /healthz (not measured) until
-- every thread is done: gunicorn's sync workers close each connection after one answer and
-- wrk reconnects at once, so a thread that stopped early would leave an open connection
-- that never sends a request, and four of those hold all four workers until their timeout.
function response(status, headers, body)
  local done = now_ms()
  if answered < #requests then
    answered = answered + 1
    if first_sent == 0 then first_sent = sent end
    latencies[#latencies + 1] = done - sent
    statuses[tostring(status)] = (statuses[tostring(status)] or 0) + 1
    local timing = headers["Server-Timing"] or headers["server-timing"] or ""
    local a = timing:match("app;dur=([%d.]+)")
    local s = timing:match("stripe;dur=([%d.]+)")
    if a then app[#app + 1] = tonumber(a) end
    if s then stripe[#stripe + 1] = tonumber(s) end
    last_done = done
    if answered == #requests then
      local marker = io.open(done_dir .. "/done-" .. id, "w")
      marker:close()
    end
  end
  if answered >= #requests and all_done() then wrk.thread:stop() end
end

local function numbers(list)
  local parts = {}
  for i, v in ipairs(list) do parts[i] = string.format("%.3f", v) end
  return "[" .. table.concat(parts, ",") .. "]"
end

function done(summary, latency, requests)
  local all_lat, all_app, all_stripe, counts = {}, {}, {}, {}
  local first, last, extras = nil, 0, 0
  for _, thread in ipairs(threads) do
    for _, v in ipairs(thread:get("latencies") or {}) do all_lat[#all_lat + 1] = v end
    for _, v in ipairs(thread:get("app") or {}) do all_app[#all_app + 1] = v end
    for _, v in ipairs(thread:get("stripe") or {}) do all_stripe[#all_stripe + 1] = v end
    for k, v in pairs(thread:get("statuses") or {}) do counts[k] = (counts[k] or 0) + v end
    local f, l = thread:get("first_sent"), thread:get("last_done")
    if f and f > 0 and (first == nil or f < first) then first = f end
    if l and l > last then last = l end
    extras = extras + (thread:get("extra") or 0)
  end
  local status_parts = {}
  for k, v in pairs(counts) do status_parts[#status_parts + 1] = '"' .. k .. '":' .. v end
  io.write("WRK_RESULT {",
    '"latencies_ms":', numbers(all_lat), ',',
    '"app":', numbers(all_app), ',',
    '"stripe":', numbers(all_stripe), ',',
    '"statuses":{', table.concat(status_parts, ","), '},',
    '"seconds":', string.format("%.6f", ((last or 0) - (first or 0)) / 1000), ',',
    '"errors":', summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, ',',
    '"extra":', extras, "}\n")
end
