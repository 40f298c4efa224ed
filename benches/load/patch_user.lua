-- PATCH one user's title, as Entra ID does on an attribute change.
local token = os.getenv("TOKEN")
local target = os.getenv("TARGET")
local counter = 0
request = function()
  counter = counter + 1
  local body = string.format('{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{"op":"Replace","path":"title","value":"t%d"}]}', counter)
  return wrk.format("PATCH", "/scim/v2/Users/" .. target, {["Content-Type"] = "application/scim+json", ["Authorization"] = "Bearer " .. token}, body)
end
