-- Counts the responses of a wrk run by status code and prints them when it ends, so a run
-- with failures says which statuses it got (wrk itself only counts "Non-2xx or 3xx").
-- Loaded by the other scripts with dofile; they keep their own `request` and `init`, and
-- put their own per-thread setup in `thread_setup`.
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  if thread_setup then thread_setup(thread) end
end
function response(status)
  statuses = statuses or {}
  statuses[status] = (statuses[status] or 0) + 1
end
function done()
  local total = {}
  for _, t in ipairs(threads) do
    for code, n in pairs(t:get("statuses") or {}) do total[code] = (total[code] or 0) + n end
  end
  for code, n in pairs(total) do io.write(string.format("status %d: %d\n", code, n)) end
end
