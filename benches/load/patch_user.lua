-- PATCH a user's title, as Entra ID does on an attribute change: the user with id TARGET
-- (every connection on the same user: the worst case of contention), or, when IDS names a
-- file of user ids (one a line), a random one of them for each request.
local token = os.getenv("TOKEN")
local target = os.getenv("TARGET")
local ids_file = os.getenv("IDS") or ""
local counter = 0
local ids = {}
dofile("benches/load/statuses.lua")
function thread_setup(thread) thread:set("seed", math.random(1, 1000000)) end
function init(args)
  math.randomseed(seed)
  if ids_file ~= "" then
    for line in io.lines(ids_file) do table.insert(ids, line) end
  end
end
request = function()
  counter = counter + 1
  local id = target
  if #ids > 0 then id = ids[math.random(1, #ids)] end
  local body = string.format('{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"title","value":"t%d"}]}', counter)
  return wrk.format("PATCH", "/scim/v2/Users/" .. id, {["Content-Type"] = "application/scim+json", ["Authorization"] = "Bearer " .. token}, body)
end
