-- wrk_bodies.lua: wrk POSTs /v1/summarize with the JSON bodies of LEDE_WRK_BODIES (one per
-- line, as bench/http_load --bodies writes them), in turn, like http_load and lede-load. The
-- requests are formatted once at start, so wrk's own cost per call stays small.
local requests = {}
local i = 0
init = function(args)
  local headers = { ["Content-Type"] = "application/json" }
  for line in io.lines(os.getenv("LEDE_WRK_BODIES")) do
    requests[#requests + 1] = wrk.format("POST", "/v1/summarize", headers, line)
  end
end
request = function()
  i = i % #requests + 1
  return requests[i]
end
