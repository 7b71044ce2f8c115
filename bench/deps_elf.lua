-- The diagkit side of bench_deps.sh's ELF run: walks every file listed in
-- arg[2] (one path a line) with one walker (shared caches) and prints, per
-- file, "file<TAB>name<TAB>resolved path or 'not found'"; the elapsed time
-- goes to stderr.   lua5.4 bench/deps_elf.lua <build dir> <list>
package.cpath = arg[1] .. "/lua/?.so;" .. package.cpath
package.path = arg[1] .. "/../scripts/?.lua;" .. package.path
require "diagkit.core"
local deps = require "diagkit.deps"
local files = {}
for line in io.lines(arg[2]) do files[#files + 1] = line end
local clock = os.clock
local t0 = clock()
local w = deps.walker { ld_library_path = os.getenv("LD_LIBRARY_PATH") }
local out = {}
local walked = 0
for _, f in ipairs(files) do
  local r = w:walk(f, { tree = false })
  if r then
    walked = walked + 1
    for i = 2, #r.modules do
      local m = r.modules[i]
      out[#out + 1] = f .. "\t" .. m.name .. "\t" .. (m.path or "not found")
    end
  end
end
local t = clock() - t0
w:close()
io.stdout:write(table.concat(out, "\n"), "\n")
io.stderr:write(string.format("walked %d files in %.3f s (CPU)\n", walked, t))
