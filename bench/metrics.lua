-- wrk script: GET one metrics read with an API key, over and over (the soak's readers).
-- Usage: wrk -t1 -c2 -d60s --latency -s bench/metrics.lua URL -- <path-and-query> <api-key>
function init(args)
  path = args[1] or "/api/v1/metrics"
  headers = { ["Authorization"] = "Bearer " .. (args[2] or "") }
end

function request()
  if path == nil then -- wrk's own check of the script, before init()
    return wrk.format("GET", "/")
  end
  return wrk.format("GET", path, headers)
end
