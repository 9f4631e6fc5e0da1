-- wrk script: POST /api/v1/events, every request a new contact (so every event is
-- scheduled: contact insert + event + invitation + outbox job in one transaction).
-- Usage: wrk -t2 -c32 -d10s --latency -s bench/events.lua URL -- <run-prefix> <api-key>
local thread_counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_counter)
  thread_counter = thread_counter + 1
  table.insert(threads, thread)
end

function init(args)
  prefix = args[1] or "run"
  key = args[2] or ""
  n = 0
end

function request()
  n = n + 1
  local body = string.format(
    '{"checkpoint":"order_delivered","contact":{"id":"%s-%d-%d","email":"c%d.%d@example.com","name":"Bench Customer","timezone":"Europe/Berlin","attributes":{"tier":"gold"}},"properties":{"order_id":"A-%d","total":42.5}}',
    prefix, tid, n, tid, n, n)
  return wrk.format("POST", "/api/v1/events", {
    ["Content-Type"] = "application/json",
    ["Authorization"] = "Bearer " .. key,
  }, body)
end
