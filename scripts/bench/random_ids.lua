-- GET /predict/precomputed/{id} with ids drawn at random from a file of ids
-- (one per line), so requests spread over every record bucket.
local ids = {}
for line in io.lines(os.getenv("BENCH_IDS") or "ids.txt") do
    ids[#ids + 1] = line
end
math.randomseed(42)
request = function()
    return wrk.format("GET", "/predict/precomputed/" .. ids[math.random(#ids)])
end
