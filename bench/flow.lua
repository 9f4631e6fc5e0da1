-- wrk script: customers completing a survey from their personal link, step by step, as the
-- page's htmx does: GET /s/{token} (the whole page), then one POST per step with the form
-- the previous answer carried (step id, hidden inputs such as a form token), until the
-- thank-you fragment; then the next customer.
--
-- Run with as many threads as connections (wrk -tN -cN): each thread is then one
-- customer at a time on one connection, so request() and response() strictly alternate
-- and each thread knows which request an answer belongs to. That is what lets this script
-- time GETs and POSTs separately (wrk's own latency figures mix them).
--
-- Usage: wrk -tN -cN -d20s --latency -s bench/flow.lua URL -- <tokens-file> <N>
-- Thread t of N takes lines t+1, t+1+N, ... of the tokens file (one invitation token a
-- line), so no two customers open the same invitation. done() prints one line,
-- "FLOW {json}", with the POST and GET latency percentiles in ms and the counters.
local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } flow_timespec;
int clock_gettime(int clk_id, flow_timespec *tp);
]]
local clock = ffi.new("flow_timespec")

local function now_ms()
  ffi.C.clock_gettime(1, clock) -- CLOCK_MONOTONIC
  return tonumber(clock.tv_sec) * 1000 + tonumber(clock.tv_nsec) / 1e6
end

local thread_counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", thread_counter)
  thread_counter = thread_counter + 1
  table.insert(threads, thread)
end

local COMMENTS = {
  "Quick delivery, friendly driver",
  "The app kept logging me out",
  "Support answered within minutes",
  "Price went up without notice",
}

local function urlencode(text)
  return (text:gsub("[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c))
  end))
end

local function unescape(text)
  return (text:gsub("&quot;", '"'):gsub("&#34;", '"'):gsub("&#39;", "'"):gsub("&lt;", "<")
    :gsub("&gt;", ">"):gsub("&amp;", "&"))
end

local function attr(tag, name)
  local value = tag:match("%s" .. name .. '="([^"]*)"')
  return value and unescape(value) or nil
end

-- The next POST a customer sends after reading ``body`` (an HTML page or the #survey
-- fragment), or nil when it holds no form. Hidden inputs are sent as they are; a group of
-- radio buttons gets one of its values (a score is random, so all branches are taken), a
-- group of checkboxes one or two, a text field or textarea a comment.
function next_post(body)
  local start = body:find("<form[^>]*hx%-post=")
  if not start then
    return nil
  end
  local form = body:sub(start, (body:find("</form>", start, true) or #body))
  local action = attr(form:match("^<form[^>]*>"), "hx%-post")
  local fields, radios, boxes, order = {}, {}, {}, {}
  for tag in form:gmatch("<input[^>]*>") do
    local kind, name, value = attr(tag, "type") or "text", attr(tag, "name"), attr(tag, "value")
    if name then
      if kind == "hidden" then
        table.insert(fields, { name, value or "" })
      elseif kind == "radio" or kind == "checkbox" then
        local groups = kind == "radio" and radios or boxes
        if not groups[name] then
          groups[name] = {}
          table.insert(order, { kind, name })
        end
        table.insert(groups[name], value or "on")
      elseif kind == "text" or kind == "email" or kind == "number" then
        table.insert(fields, { name, kind == "number" and "1" or COMMENTS[math.random(#COMMENTS)] })
      end
    end
  end
  for tag in form:gmatch("<textarea[^>]*>") do
    local name = attr(tag, "name")
    if name then
      table.insert(fields, { name, COMMENTS[math.random(#COMMENTS)] })
    end
  end
  for _, group in ipairs(order) do
    local kind, name = group[1], group[2]
    if kind == "radio" then
      local values = radios[name]
      table.insert(fields, { name, values[math.random(#values)] })
    else
      local values = boxes[name]
      local first = math.random(#values)
      table.insert(fields, { name, values[first] })
      if #values > 1 and math.random() < 0.5 then
        table.insert(fields, { name, values[(first % #values) + 1] })
      end
    end
  end
  local parts = {}
  for _, pair in ipairs(fields) do
    table.insert(parts, urlencode(pair[1]) .. "=" .. urlencode(pair[2]))
  end
  return action, table.concat(parts, "&")
end

function init(args)
  local path = args[1]
  local stride = tonumber(args[2] or "1")
  math.randomseed(1000 + tid)
  tokens = {}
  local i = 0
  for line in io.lines(path) do
    if i % stride == tid then
      table.insert(tokens, line)
    end
    i = i + 1
  end
  position = 0
  wrapped = 0
  pending_post = nil
  kind = nil
  started = 0
  gets, posts = {}, {}
  customers, thanked, non_200, no_form = 0, 0, 0, 0
  post_headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["HX-Request"] = "true",
    ["HX-Target"] = "survey",
  }
end

function request()
  if tokens == nil then -- wrk's own check of the script, before init()
    return wrk.format("GET", "/")
  end
  local req
  if pending_post then
    kind = "post"
    req = wrk.format("POST", pending_post[1], post_headers, pending_post[2])
    pending_post = nil
  else
    position = position + 1
    if position > #tokens then -- out of invitations: counted, and the run is short of them
      position, wrapped = 1, wrapped + 1
    end
    kind = "get"
    customers = customers + 1
    req = wrk.format("GET", "/s/" .. tokens[position])
  end
  started = now_ms()
  return req
end

function response(status, headers, body)
  local elapsed = now_ms() - started
  if kind == "post" then
    posts[#posts + 1] = elapsed
  else
    gets[#gets + 1] = elapsed
  end
  if status ~= 200 then
    non_200 = non_200 + 1
    return
  end
  -- The closing message (older versions have no data-view attribute, all have the ending).
  if body:find('data-view="thanks"', 1, true) or body:find('class="ending"', 1, true) then
    thanked = thanked + 1
    return
  end
  local action, form = next_post(body)
  if action then
    pending_post = { action, form }
  else
    no_form = no_form + 1
  end
end

local function percentile(sorted, p)
  if #sorted == 0 then
    return 0
  end
  local index = math.max(1, math.ceil(#sorted * p / 100))
  return sorted[index]
end

function done(summary, latency, requests)
  local all_posts, all_gets = {}, {}
  local totals = { customers = 0, thanked = 0, non_200 = 0, no_form = 0, wrapped = 0 }
  for _, thread in ipairs(threads) do
    for _, v in ipairs(thread:get("posts")) do
      all_posts[#all_posts + 1] = v
    end
    for _, v in ipairs(thread:get("gets")) do
      all_gets[#all_gets + 1] = v
    end
    for name, _ in pairs(totals) do
      totals[name] = totals[name] + thread:get(name)
    end
  end
  table.sort(all_posts)
  table.sort(all_gets)
  io.write(string.format(
    'FLOW {"posts": %d, "post_p50_ms": %.2f, "post_p90_ms": %.2f, "post_p99_ms": %.2f, ' ..
    '"gets": %d, "get_p50_ms": %.2f, "get_p99_ms": %.2f, "customers": %d, "thanked": %d, ' ..
    '"non_200": %d, "no_form": %d, "wrapped": %d}\n',
    #all_posts, percentile(all_posts, 50), percentile(all_posts, 90), percentile(all_posts, 99),
    #all_gets, percentile(all_gets, 50), percentile(all_gets, 99),
    totals.customers, totals.thanked, totals.non_200, totals.no_form, totals.wrapped))
end
