-- Add a member to a group, then remove it again, alternately, as Entra ID sends them
-- (no `attributes`: the bridge answers 204).
local token = os.getenv("TOKEN")
local group = os.getenv("GROUP")
local member = os.getenv("MEMBER")
local counter = 0
dofile("benches/load/statuses.lua")
request = function()
  counter = counter + 1
  local op
  if counter % 2 == 1 then
    op = string.format('{"op":"Add","path":"members","value":[{"value":"%s"}]}', member)
  else
    op = string.format('{"op":"Remove","path":"members[value eq \\"%s\\"]"}', member)
  end
  local body = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[' .. op .. ']}'
  return wrk.format("PATCH", "/scim/v2/Groups/" .. group, {["Content-Type"] = "application/scim+json", ["Authorization"] = "Bearer " .. token}, body)
end
