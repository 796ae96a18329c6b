-- patrol.lua -- a wrk script: grid workers' patrol findings, each located,
-- registered, routed by the list, given working-time deadlines and dispatched
-- in the request that reports it (POST /api/v1/cases, source patrol).  Texts and
-- points vary so the duplicate merger does not fold them into one case.  Each wrk
-- thread builds its requests before the clock starts (init): made one by one
-- during the run they cost wrk ~4.5 us of CPU each, on the same two cores, where
-- a fixed body costs it nothing (wrk builds that once).  Should a thread use up
-- its prebuilt requests, it makes the rest as it goes.
--   wrk ... -s bench/patrol.lua URL -- TOKEN PREBUILT   (a grid worker's token;
--   requests built per thread beforehand)
local pool = {}
for ch in string.gmatch("东西南北上下左右前后山水木火土金日月星云风雨雪花草树鸟鱼车马路桥门窗灯", "[%z\1-\127\194-\244][\128-\191]*") do pool[#pool+1] = ch end
local cats = {"0101","0102","0104","0201","0202","0203","0301","0401","0502","0801","1001","1101","1201"}
local n, token = 0, ""
math.randomseed(os.time() + (tonumber(tostring({}):match("0x(%x+)"), 16) or 0))
local function make()
  n = n + 1
  local t = {}
  for i = 1, 24 do t[i] = pool[math.random(#pool)] end
  local body = string.format('{"title":"巡查发现 %d","body":"%s","category":"%s","source":"patrol","lon":%.6f,"lat":%.6f}',
    n, table.concat(t), cats[math.random(#cats)], 116.3962 + math.random() * 0.0236, 39.9052 + math.random() * 0.0236)
  return wrk.format("POST", "/api/v1/cases", {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}, body)
end
local built, next = {}, 0
init = function(args)
  token = args[1] or ""
  for i = 1, tonumber(args[2] or "0") do built[i] = make() end
end
request = function()
  next = next + 1
  local r = built[next]
  if r then built[next] = nil return r end
  return make()
end
