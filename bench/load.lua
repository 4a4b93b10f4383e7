-- bench/load.lua: wrk script that fills a bucket fast: PUTs a 16-byte object to each of
-- BENCH_LOAD_N keys <BENCH_LOAD_PREFIX>000000.. once (run it with one wrk thread), then
-- repeats the last key until every key has been answered and exits wrk.
local n = tonumber(os.getenv("BENCH_LOAD_N"))
local prefix = os.getenv("BENCH_LOAD_PREFIX")
local conns = tonumber(os.getenv("BENCH_LOAD_CONNS"))
local body = "0123456789abcdef"
local sent = 0
local answered = 0

request = function()
    local i = sent
    if i >= n then
        i = n - 1
    end
    sent = sent + 1
    return wrk.format("PUT", string.format("%s%06d", prefix, i), nil, body)
end

response = function(status, headers, body)
    answered = answered + 1
    if answered >= n + conns then
        os.exit(0)
    end
end
