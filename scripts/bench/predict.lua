-- wrk script for the predict benchmark.
--
--   MODE=get  IDS=ids.txt           GET /predict/{id}, ids drawn at random
--   MODE=seq  IDS=ids.txt           GET /predict/{id}, each thread walks the ids in order
--   MODE=post BODIES=bodies.txt     POST /predict/ with one JSON body per line, at random
--
-- Besides wrk's own latency figures it sums the component's Server-Timing
-- header (kv, load, infer in ms) and counts model-cache hits/misses and
-- prediction-cache hits, so the report can split a request's time.

local threads = {}

local function read_lines(path)
  local lines = {}
  for line in io.lines(path) do
    if #line > 0 then lines[#lines + 1] = line end
  end
  return lines
end

function setup(thread)
  thread:set("id", #threads)
  threads[#threads + 1] = thread
end

function init(args)
  mode = os.getenv("MODE") or "get"
  if mode == "post" then
    items = read_lines(os.getenv("BODIES") or "bodies.txt")
  else
    items = read_lines(os.getenv("IDS") or "ids.txt")
  end
  math.randomseed(os.time() + id * 7919)
  -- Two wrk threads walk disjoint halves (MODE=seq).
  cursor = id * math.floor(#items / 2)
  n, kv, load, infer, misses, cached, errors = 0, 0, 0, 0, 0, 0, 0
end

function request()
  if mode == "post" then
    -- An explicit header table replaces wrk's (-H), so copy them in: the
    -- API key must go with every request.
    local headers = {["content-type"] = "application/json"}
    for name, value in pairs(wrk.headers) do headers[name] = value end
    return wrk.format("POST", "/predict/", headers, items[math.random(#items)])
  end
  local id
  if mode == "seq" then
    cursor = cursor % #items + 1
    id = items[cursor]
  else
    id = items[math.random(#items)]
  end
  return wrk.format("GET", "/predict/" .. id)
end

function response(status, headers, body)
  if status ~= 200 then
    errors = errors + 1
    return
  end
  local t = headers["server-timing"] or headers["Server-Timing"]
  if t then
    n = n + 1
    kv = kv + tonumber(t:match("kv;dur=([%d%.]+)") or 0)
    load = load + tonumber(t:match("load;dur=([%d%.]+)") or 0)
    infer = infer + tonumber(t:match("infer;dur=([%d%.]+)") or 0)
    if t:find('desc="miss"', 1, true) then misses = misses + 1 end
  end
  if body:find('"cached":true', 1, true) then cached = cached + 1 end
end

function done(summary, latency, requests)
  local N, KV, LOAD, INFER, MISSES, CACHED, ERRORS = 0, 0, 0, 0, 0, 0, 0
  for _, t in ipairs(threads) do
    N = N + t:get("n")
    KV = KV + t:get("kv")
    LOAD = LOAD + t:get("load")
    INFER = INFER + t:get("infer")
    MISSES = MISSES + t:get("misses")
    CACHED = CACHED + t:get("cached")
    ERRORS = ERRORS + t:get("errors")
  end
  local secs = summary.duration / 1e6
  local per = function(x) return N > 0 and x / N or 0 end
  io.write(string.format(
    "RESULT req_per_s=%.0f p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d non200=%d socket_errors=%d " ..
    "kv_ms=%.3f load_ms=%.3f infer_ms=%.3f model_loads=%d cached=%d\n",
    summary.requests / secs, latency:percentile(50) / 1e3, latency:percentile(90) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3, summary.requests, ERRORS,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    per(KV), per(LOAD), per(INFER), MISSES, CACHED))
end
