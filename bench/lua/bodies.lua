-- Replays pre-signed, pre-encrypted WeChat pushes from a file, each one once.
--
-- Usage: wrk ... -s bench/lua/bodies.lua URL -- FILE THREADS
-- FILE holds one request a line: "<path and query>\t<body>" (bench/webhook.py
-- writes it; every line has its own timestamp, nonce, signature, msg_signature,
-- MsgId and CreateTime). Thread i of THREADS takes lines i, i+THREADS, ...
-- so no two threads send the same message. A thread that runs out of lines starts
-- again from its first one and counts the wrap; bench/webhook.py reports it.
-- response() counts every status other than 200 (and the 5xx among them): wrk's own
-- "status" error counts only statuses above 399.
-- done() prints one JSON line starting with "WRKJSON " for the harness.

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  local file, count = args[1], tonumber(args[2])
  requests_list, position, wrapped, non200, s5xx = {}, 0, 0, 0, 0
  local headers = { ["Content-Type"] = "text/xml" }
  local index = 0
  for line in io.lines(file) do
    if index % count == id then
      local tab = line:find("\t", 1, true)
      local path, body = line:sub(1, tab - 1), line:sub(tab + 1)
      table.insert(requests_list, wrk.format("POST", path, headers, body))
    end
    index = index + 1
  end
  if #requests_list == 0 then
    error("no requests for thread " .. id .. " in " .. file)
  end
end

function request()
  position = position + 1
  if position > #requests_list then
    position, wrapped = 1, wrapped + 1
  end
  return requests_list[position]
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    if status >= 500 then
      s5xx = s5xx + 1
    end
  end
end

function done(summary, latency, requests)
  local wraps, not_ok, server_errors = 0, 0, 0
  for _, thread in ipairs(threads) do
    wraps = wraps + (thread:get("wrapped") or 0)
    not_ok = not_ok + (thread:get("non200") or 0)
    server_errors = server_errors + (thread:get("s5xx") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRKJSON {"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, "write": %d, ' ..
    '"status": %d, "timeout": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f, "wraps": %d, ' ..
    '"non200": %d, "s5xx": %d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean, wraps, not_ok, server_errors))
end
