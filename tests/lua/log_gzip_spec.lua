-- diagkit.log on gzip files written by the real gzip tool.
require "diagkit"
local log = require "diagkit.log"

local dir
local U = require "spec_util"
local sh = U.must
local function write(name, text) return U.write(dir .. "/" .. name, text) end
local function collect(path)
  local out = {}
  for line, n, off in log.lines(path) do out[#out + 1] = { line, n, off } end
  return out
end

describe("diagkit.log with gzip", function()
  setup(function() dir = U.tmpdir() end)
  teardown(function() U.rmrf(dir) end)

  it("reads lines of a gzip file exactly as of the plain file", function()
    local plain = write("app.log", "start\r\nERROR disk full\n\nlast without newline")
    sh("gzip -k -9 '" .. plain .. "'")
    assert.are.same(collect(plain), collect(plain .. ".gz"))
    assert.are.equal(4, #collect(plain .. ".gz"))
  end)

  it("recognises gzip by its magic, not its name", function()
    local plain = write("rotated.1", "one\ntwo\n")
    sh("gzip -c '" .. plain .. "' > '" .. dir .. "/rotated.2'")
    assert.are.same({ "one", "two" }, log.tail(dir .. "/rotated.2", 5))
  end)

  it("reads every member of a concatenated gzip file", function()
    local a = write("a", "alpha\n")
    local b = write("b", "beta\n")
    sh(string.format("gzip -c '%s' > '%s/ab.gz' && gzip -c '%s' >> '%s/ab.gz'", a, dir, b, dir))
    local lines = {}
    for l in log.lines(dir .. "/ab.gz") do lines[#lines + 1] = l end
    assert.are.same({ "alpha", "beta" }, lines)
  end)

  it("scans a big compressed log in one pass", function()
    local path = dir .. "/big.log"
    local f = assert(io.open(path, "wb"))
    for i = 1, 200000 do
      f:write(i % 1000 == 0 and ("ERROR code=" .. i .. "\n") or ("INFO request " .. i .. " ok\n"))
    end
    f:close()
    sh("gzip '" .. path .. "'")
    local res, stats = log.scan(path .. ".gz", { err = [[ERROR code=(\d+)]] })
    assert.are.equal(200000, stats.lines)
    assert.are.equal(200, res.err.count)
    assert.are.equal(1000, res.err.matches[1].line)
  end)

  it("reports a truncated file with the byte offset, never partial lines", function()
    local plain = write("t.log", string.rep("some log line that compresses\n", 5000))
    sh("gzip -k '" .. plain .. "'")
    sh(string.format("head -c 200 '%s.gz' > '%s/trunc.gz'", plain, dir))
    local it, msg, code = log.lines(dir .. "/trunc.gz")
    assert.is_nil(it)
    assert.are.equal("EINVAL", code)
    assert.truthy(msg:find("truncated at byte 200", 1, true), msg)
  end)

  it("reports corrupt data and trailing garbage", function()
    local plain = write("c.log", string.rep("x\n", 1000))
    sh("gzip -k '" .. plain .. "'")
    local gz = assert(io.open(plain .. ".gz", "rb")):read("a")
    -- Flip bytes in the deflate stream (after the 10-byte header).
    local bad = gz:sub(1, 12) .. string.rep("\255", 8) .. gz:sub(21)
    local p = write("bad.gz", bad)
    local _, msg, code = log.tail(p)
    assert.are.equal("EINVAL", code)
    assert.truthy(msg:find("gzip", 1, true), msg)
    local p2 = write("garbage.gz", gz .. "not gzip")
    local _, msg2, code2 = log.tail(p2)
    assert.are.equal("EINVAL", code2)
    assert.truthy(msg2:find("trailing garbage after the gzip data at byte " .. #gz, 1, true), msg2)
  end)
end)
