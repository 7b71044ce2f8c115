-- Parse speed through the Lua binding: lua5.4 lua_parse.lua <dump> <with goroutines: true|false> [runs]
require "diagkit"
local gocrash = require "diagkit.gocrash"
local clock = require("diagkit.sys").clock_ms
local f = assert(io.open(arg[1], "rb"))
local text = f:read("a")
f:close()
local with = arg[2] ~= "false"
local runs = tonumber(arg[3] or "5")
local best = math.huge
local r
for _ = 1, runs do
  collectgarbage()
  local t0 = clock()
  r = gocrash.parse(text, { goroutines = with })
  local dt = clock() - t0
  if dt < best then best = dt end
end
print(string.format("%.2f ms %.0f MB/s goroutines=%d buckets=%d", best, #text / (best / 1000) / 1e6, r.goroutine_count, #r.buckets))
