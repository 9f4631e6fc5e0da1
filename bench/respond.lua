-- wrk script: POST /s/{token} completing a one-page survey (NPS + comment) as htmx does.
-- Every request uses a different invitation token, read from a file made by
-- bench/respond_answers.py; thread t of T takes lines t+1, t+1+T, ... so no two
-- requests complete the same invitation.
-- Usage: wrk -t2 -c32 -d10s --latency -s bench/respond.lua URL -- <tokens-file> <threads> [htmx|plain]
local thread_counter = 0

function setup(thread)
  thread:set("tid", thread_counter)
  thread_counter = thread_counter + 1
end

function init(args)
  local path = args[1]
  local stride = tonumber(args[2] or "2")
  tokens = {}
  local i = 0
  for line in io.lines(path) do
    if i % stride == tid then
      table.insert(tokens, line)
    end
    i = i + 1
  end
  n = 0
  body = "step=nps%2Ccomment&q_nps=9&q_comment=Quick+delivery%2C+friendly+driver"
  headers = { ["Content-Type"] = "application/x-www-form-urlencoded" }
  if (args[3] or "htmx") == "htmx" then
    headers["HX-Request"] = "true"
  end
end

function request()
  n = n + 1
  -- Past the end we wrap around: those requests answer 409 and show up as non-2xx.
  local token = tokens[((n - 1) % #tokens) + 1]
  return wrk.format("POST", "/s/" .. token, headers, body)
end
