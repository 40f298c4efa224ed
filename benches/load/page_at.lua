-- GET the same page of 100 users again and again: at startIndex START (1 by default), or,
-- when CURSOR is set, at that RFC 9865 cursor.
local token = os.getenv("TOKEN")
local start = os.getenv("START") or "1"
local cursor = os.getenv("CURSOR") or ""
local path = string.format("/scim/v2/Users?startIndex=%s&count=100", start)
if cursor ~= "" then
  path = string.format("/scim/v2/Users?cursor=%s&count=100", cursor)
end
request = function()
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
