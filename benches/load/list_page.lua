-- GET a page of 100 users, as an import (Okta) reads them. By default from a random
-- place in the list by startIndex; START=n reads always from startIndex n; CURSOR=c
-- reads always the page after cursor c (RFC 9865: a nextCursor from the bridge).
local token = os.getenv("TOKEN")
local users = tonumber(os.getenv("POOL") or "10000")
local fixed = tonumber(os.getenv("START") or "")
local cursor = os.getenv("CURSOR")
request = function()
  local path
  if cursor then
    path = "/scim/v2/Users?count=100&cursor=" .. cursor
  else
    local start = fixed or math.random(1, math.max(1, users - 100))
    path = string.format("/scim/v2/Users?startIndex=%d&count=100", start)
  end
  return wrk.format("GET", path, {["Authorization"] = "Bearer " .. token})
end
