-- The read mix of `bench/caldav.py --workers` for wrk 4.1 (Debian/Ubuntu package `wrk`):
--
--   wrk -t2 -c16 -d20s -s bench/wrk_readmix.lua http://127.0.0.1:PORT/alice/room-101/ -- MIX
--
-- MIX is a Lua file (bench/caldav.py writes it) returning the requests on the URL's path as
-- {method = ..., headers = {...}, body = ...} (body nil: none). Each thread cycles through them
-- and sends `Connection: close` on every 20th request, so connections are accepted again and
-- spread over the workers sharing the listening socket. done() prints one line for
-- bench/caldav.py after wrk's own summary:
--
--   readmix requests=N duration_us=D errors=E bad=B
--
-- E: connect, read and write errors and timeouts; B: answers with a status above 399 (wrk's
-- own count, its "Non-2xx or 3xx responses"). No response() function: with one, wrk would copy
-- every body for it, doubling its CPU per request.

local keep_alive, closing = {}, {}
local sent = 0

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

function done(summary, latency, requests)
   local errors = summary.errors
   io.write(string.format("readmix requests=%d duration_us=%d errors=%d bad=%d\n",
                          summary.requests, summary.duration,
                          errors.connect + errors.read + errors.write + errors.timeout,
                          errors.status))
end
