-- POST /Users with a userName unique per thread and request.
local token = os.getenv("TOKEN")
local counter = 0
dofile("benches/load/statuses.lua")
-- A new seed per run: a second run must not repeat the first run's userNames (409s).
math.randomseed(os.time())
function thread_setup(thread) thread:set("id", math.random(1, 1000000000)) end
request = function()
  counter = counter + 1
  local body = string.format('{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"new-%d-%d@example.com","active":true}', id, counter)
  return wrk.format("POST", "/scim/v2/Users", {["Content-Type"] = "application/scim+json", ["Authorization"] = "Bearer " .. token}, body)
end
