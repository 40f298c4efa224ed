-- GET /Users?filter=userName eq "userN@example.com" for random existing N (< POOL).
local users = tonumber(os.getenv("POOL") or "10000")
local token = os.getenv("TOKEN")
function setup(thread) thread:set("id", math.random(1, 1000000)) end
function init(args) math.randomseed(id) end
request = function()
  local n = math.random(0, users - 1)
  local path = string.format("/scim/v2/Users?filter=userName+eq+%%22user%d%%40example.com%%22", n)
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
