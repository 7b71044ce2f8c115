-- log.scan throughput: lua5.4 log_scan.lua <file> <pattern>...   (prints counts per pattern)
require "diagkit"
local log = require "diagkit.log"
local pats = {}
for i = 2, #arg do pats["p" .. (i - 1)] = arg[i] end
local res, st = assert(log.scan(arg[1], pats, { max = 0, text = false }))
local out = {}
for i = 1, #arg - 1 do out[#out + 1] = string.format("p%d=%d", i, res["p" .. i].count) end
print(table.concat(out, " "), "lines=" .. st.lines)
