-- GET a page of 100 users from the middle of the list, as an import (Okta) reads them.
local token = os.getenv("TOKEN")
local users = tonumber(os.getenv("POOL") or "10000")
request = function()
  local start = math.random(1, math.max(1, users - 100))
  return wrk.format("GET", string.format("/scim/v2/Users?startIndex=%d&count=100", start), {["Authorization"] = "Bearer " .. token})
end
