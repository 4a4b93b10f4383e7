-- bench/put.lua: wrk script for the 4 KiB PUT benchmark: PUTs the same 4096-byte body to
-- 1000 keys of bucket "bench" in turn (overwrites after the first round).
local body = string.rep("0123456789abcdef", 256)
local n = 0

request = function()
    n = n + 1
    return wrk.format("PUT", string.format("/bench/put-%03d", n % 1000), nil, body)
end
