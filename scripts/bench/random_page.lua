-- GET /predict/predictions/?limit=100&offset=<random> over the whole listing.
local rows = tonumber(os.getenv("BENCH_ROWS") or "60000")
math.randomseed(7)
request = function()
    return wrk.format("GET", "/predict/predictions/?limit=100&offset=" .. math.random(0, rows - 100))
end
