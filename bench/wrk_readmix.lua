-- The read mix of `bench/caldav.py --workers` for wrk 4.1 (Debian/Ubuntu package `wrk`):
--
--   wrk -t2 -c16 -d20s -s bench/wrk_readmix.lua http://127.0.0.1:PORT/alice/room-101/ -- MIX
--
-- MIX is a Lua file (bench/caldav.py writes it) returning the requests on the URL's path as
-- {method = ..., headers = {...}, body = ...} (body nil: none). Each thread cycles through them
-- and sends `Connection: close` on every 20th request, so connections are accepted again and
-- spread over the workers sharing the listening socket. Answers outside 200-399 are counted
-- per status; done() prints one line for bench/caldav.py after wrk's own summary:
--
--   readmix requests=N duration_us=D errors=E bad=B statuses=STATUS:COUNT,...
--
-- (E: connect, read, write errors and timeouts; B: answers outside 200-399.)

local keep_alive, closing = {}, {}
local sent = 0
local threads = {}
-- globals, read by done() through thread:get()
bad = 0
statuses = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   for index, request in ipairs(dofile(args[1])) do
      keep_alive[index] = wrk.format(request.method, wrk.path, request.headers, request.body)
      local headers = {}
      for name, value in pairs(request.headers) do
         headers[name] = value
      end
      headers["Connection"] = "close"
      closing[index] = wrk.format(request.method, wrk.path, headers, request.body)
   end
end

function request()
   sent = sent + 1
   local index = (sent - 1) % #keep_alive + 1
   if sent % 20 == 0 then
      return closing[index]
   end
   return keep_alive[index]
end

function response(status, headers, body)
   if status < 200 or status > 399 then
      bad = bad + 1
      statuses[status] = (statuses[status] or 0) + 1
   end
end

function done(summary, latency, requests)
   local total, counts = 0, {}
   for _, thread in ipairs(threads) do
      total = total + thread:get("bad")
      for status, count in pairs(thread:get("statuses")) do
         counts[status] = (counts[status] or 0) + count
      end
   end
   local listed = {}
   for status, count in pairs(counts) do
      table.insert(listed, status .. ":" .. count)
   end
   local errors = summary.errors
   io.write(string.format("readmix requests=%d duration_us=%d errors=%d bad=%d statuses=%s\n",
                          summary.requests, summary.duration,
                          errors.connect + errors.read + errors.write + errors.timeout,
                          total, table.concat(listed, ",")))
end
