-- Replays pre-signed DynamoDB requests (bench/requests.py wrote them) and checks the answers.
--
-- wrk -t1 -c16 -d10s --latency -s bench/replay.lua URL -- FILE THREADS [PATTERN ...]
--
-- FILE holds one request a line: method, path, header count, header names and values, body,
-- separated by tabs (bodies are JSON without tabs or newlines). Requests are formatted once,
-- in init, so the timed loop only hands out strings. Each wrk thread starts at its own offset
-- and cycles through the list; the connections of a thread share its cursor, so they never
-- send the same request at once. An answer counts as an error unless its status is 200 and,
-- when patterns are given, its body matches one of them (Lua patterns, tried in order; the
-- count of each is reported, e.g. reads and writes of the mixed load). done() prints one JSON
-- line with the totals and the latency percentiles (microseconds).

local threads = {}

function setup(thread)
   thread:set("id", #threads)
   table.insert(threads, thread)
end

local function split(line)
   local fields = {}
   local start = 1
   while true do
      local stop = string.find(line, "\t", start, true)
      if not stop then
         fields[#fields + 1] = string.sub(line, start)
         return fields
      end
      fields[#fields + 1] = string.sub(line, start, stop - 1)
      start = stop + 1
   end
end

function init(args)
   local file = assert(io.open(args[1], "rb"))
   local nthreads = tonumber(args[2]) or 1
   requests = {}
   for line in file:lines() do
      local f = split(line)
      local headers = {}
      local count = tonumber(f[3])
      for h = 0, count - 1 do
         headers[f[4 + 2 * h]] = f[5 + 2 * h]
      end
      -- everything after the headers is the body (it has no tabs, but be safe)
      local body = table.concat(f, "\t", 4 + 2 * count)
      requests[#requests + 1] = wrk.format(f[1], f[2], headers, body)
   end
   file:close()
   listed = #requests
   patterns = {}
   matched = {}
   for i = 3, #args do
      patterns[#patterns + 1] = args[i]
      matched[#matched + 1] = 0
   end
   cursor = math.floor(id * #requests / nthreads)
   issued, answered, non200, failed = 0, 0, 0, 0
   sample = ""
end

function request()
   cursor = cursor % #requests + 1
   issued = issued + 1
   return requests[cursor]
end

function response(status, headers, body)
   answered = answered + 1
   if status ~= 200 then
      non200 = non200 + 1
      if sample == "" then sample = status .. " " .. string.sub(body or "", 1, 300) end
      return
   end
   if #patterns == 0 then return end
   for i = 1, #patterns do
      if string.find(body, patterns[i]) then
         matched[i] = matched[i] + 1
         return
      end
   end
   failed = failed + 1
   if sample == "" then sample = "200 " .. string.sub(body or "", 1, 300) end
end

local function quote(s)
   s = string.gsub(s, '[%c"\\]', function(c) return string.format("\\u%04x", string.byte(c)) end)
   return '"' .. s .. '"'
end

function done(summary, latency, requests_)
   local total = {issued = 0, answered = 0, non200 = 0, failed = 0, listed = 0}
   local counts = {}
   local sample_ = ""
   for _, thread in ipairs(threads) do
      for name, _ in pairs(total) do
         total[name] = total[name] + thread:get(name)
      end
      local m = thread:get("matched")
      for i = 1, #m do counts[i] = (counts[i] or 0) + m[i] end
      if sample_ == "" then sample_ = thread:get("sample") end
   end
   local e = summary.errors
   print(string.format(
      '{"requests":%d,"duration_us":%d,"issued":%d,"answered":%d,"listed":%d,"non200":%d,' ..
      '"check_failures":%d,"matched":[%s],"socket_errors":{"connect":%d,"read":%d,' ..
      '"write":%d,"timeout":%d},"latency_us":{"p50":%d,"p90":%d,"p99":%d,"mean":%.1f,' ..
      '"max":%d},"sample":%s}',
      summary.requests, summary.duration, total.issued, total.answered, total.listed,
      total.non200, total.failed, table.concat(counts, ","), e.connect, e.read, e.write,
      e.timeout, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.mean, latency.max, quote(sample_)))
end
