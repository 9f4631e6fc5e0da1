-- wrk script: POST /hooks/in/<source> with GitHub-style signatures, every request a new
-- contact and a new delivery id. wrk's Lua has no HMAC, so bench/inbound.py signs the
-- requests beforehand into a file of "signature<TAB>delivery<TAB>body" lines; each
-- thread takes every n-th line and cycles through its share.
-- Usage: wrk -t2 -c32 -d10s --latency -s bench/inbound.lua URL -- <requests-file> <source-id>
local thread_counter = 0

function setup(thread)
  thread:set("tid", thread_counter)
  thread_counter = thread_counter + 1
  thread:set("nthreads", 2)
end

function init(args)
  local path = args[1]
  source = args[2]
  lines = {}
  local i = 0
  for line in io.lines(path) do
    if i % nthreads == tid then
      local sig, delivery, body = line:match("^([^\t]+)\t([^\t]+)\t(.*)$")
      table.insert(lines, {sig, delivery, body})
    end
    i = i + 1
  end
  n = 0
end

function request()
  n = n + 1
  local item = lines[((n - 1) % #lines) + 1]
  return wrk.format("POST", "/hooks/in/" .. source, {
    ["Content-Type"] = "application/json",
    ["X-Hub-Signature-256"] = item[1],
    ["X-GitHub-Delivery"] = item[2],
  }, item[3])
end
