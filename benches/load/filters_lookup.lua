-- GET /Users?filter=userName eq "userN@example.com" for random N < POOL, skipping the
-- special slots of filters.py (N % 40 == 7 carry other userNames), so every lookup finds
-- its user. Counts statuses (statuses.lua).
local users = tonumber(os.getenv("POOL") or "10000")
local token = os.getenv("TOKEN")
dofile("benches/load/statuses.lua")
function thread_setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args) math.randomseed(seed) end
request = function()
  local n
  repeat n = math.random(0, users - 1) until n % 40 ~= 7
  local path = string.format("/scim/v2/Users?filter=userName+eq+%%22user%d%%40example.com%%22", n)
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
