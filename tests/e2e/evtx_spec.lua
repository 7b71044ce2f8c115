-- `diagkit evtx` as a user runs it: formats, filters, repeated --event-id,
-- threads, damaged files, exit statuses and usage errors.
local cli = require "cli_helper"
local json = require "diagkit.json"
local U = require "spec_util"

local FIX, SAMPLES = U.evtx_fx, U.shared .. "/evtx/"

local function lines(s)
  local out = {}
  for l in s:gmatch("[^\n]+") do out[#out + 1] = l end
  return out
end

local function jsonl(s)
  local out = {}
  for _, l in ipairs(lines(s)) do out[#out + 1] = assert(json.decode(l)) end
  return out
end

describe("diagkit evtx", function()
  it("prints the <Event> elements one after another, as wevtutil qe /f:xml does", function()
    local r = cli.run { "evtx", FIX .. "application.evtx" }
    assert.are.equal(0, r.code, r.stderr)
    local n = 0
    for _ in r.stdout:gmatch("</Event>\n") do n = n + 1 end
    assert.are.equal(7, n)
    assert.matches("^<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Application Error'/>", r.stdout)
    -- text keeps its newlines (.NET 1026 stack), markup is escaped
    assert.matches("Exception Info: System.IO.FileNotFoundException\n   at Program.Main", r.stdout, 1, true)
  end)

  it("prints JSON lines and a JSON array with the documented shape", function()
    local r = cli.run { "evtx", FIX .. "application.evtx", "--format", "jsonl", "--event-id", "1000" }
    assert.are.equal(0, r.code, r.stderr)
    local recs = jsonl(r.stdout)
    assert.are.equal(3, #recs)
    assert.are.equal("c0000005", recs[1].data.ExceptionCode)
    assert.are.equal("crasher.exe", recs[1].data_list[1].value)
    assert.is_nil(recs[1].xml)
    r = cli.run { "evtx", FIX .. "application.evtx", FIX .. "system.evtx", "--format", "json", "--xml",
      "--provider", "Application Error" }
    assert.are.equal(0, r.code, r.stderr)
    local arr = assert(json.decode(r.stdout))
    assert.are.equal(3, #arr)
    assert.matches("^<Event", arr[1].xml)
    -- several files: one valid array
    r = cli.run { "evtx", FIX .. "application.evtx", FIX .. "system.evtx", "--format", "json" }
    assert.are.equal(18, #assert(json.decode(r.stdout)))
  end)

  it("takes --event-id repeated and as a list, and time bounds", function()
    local r = cli.run { "evtx", FIX .. "system.evtx", "--format", "jsonl", "--event-id", "7031",
      "--event-id=7034,7000" }
    local ids = {}
    for _, rec in ipairs(jsonl(r.stdout)) do ids[#ids + 1] = rec.event_id end
    assert.are.same({ 7000, 7031, 7031, 7034 }, ids)
    r = cli.run { "evtx", FIX .. "system.evtx", "--format", "jsonl", "--since", "2023-11-14T23:13:25Z",
      "--until", "2023-11-14T23:13:29Z" }
    assert.are.equal(3, #jsonl(r.stdout))
    r = cli.run { "evtx", FIX .. "system.evtx", "--format", "jsonl", "--since", "1h" }
    assert.are.equal(0, r.code)
    assert.are.equal("", r.stdout) -- the fixture is from 2023
  end)

  it("gives the same output on several threads", function()
    local file = io.open(SAMPLES .. "security.evtx", "rb") and SAMPLES .. "security.evtx" or FIX .. "system.evtx"
    local one = cli.run { "evtx", file, "--format", "jsonl" }
    local four = cli.run { "evtx", file, "--format", "jsonl", "--threads", "4" }
    assert.are.equal(0, four.code, four.stderr)
    assert.is_true(#one.stdout > 0)
    assert.are.equal(one.stdout, four.stdout)
  end)

  it("prints the header with --info", function()
    local r = cli.run { "evtx", "--info", FIX .. "system.evtx" }
    assert.are.equal(0, r.code)
    local info = assert(json.decode(r.stdout))
    assert.are.equal(1, info.chunks)
    assert.are.equal("3.1", info.version)
  end)

  it("warns about damaged data on stderr and exits 1", function()
    local src = assert(io.open(FIX .. "application.evtx", "rb")):read("a")
    local path = os.tmpname()
    -- flip the chunk header CRC: reported, records still printed
    local crc_at = 4096 + 124 + 1
    local bad = src:sub(1, crc_at - 1) .. string.char(src:byte(crc_at) ~ 0xFF) .. src:sub(crc_at + 1)
    assert(io.open(path, "wb")):write(bad):close()
    local r = cli.run { "evtx", path, "--format", "jsonl" }
    assert.are.equal(1, r.code)
    assert.are.equal(7, #lines(r.stdout))
    assert.matches("chunk 0 at file offset 0x1000: header CRC32 mismatch", r.stderr)
    os.remove(path)
  end)

  it("exits 2 for a file it cannot read and 64 for usage errors", function()
    local r = cli.run { "evtx", FIX .. "nope.evtx" }
    assert.are.equal(2, r.code)
    assert.matches("nope.evtx", r.stderr)
    r = cli.run { "evtx", FIX .. "make_evtx.py" }
    assert.are.equal(2, r.code)
    assert.matches("not an EVTX file", r.stderr)
    for _, args in ipairs {
      { "evtx" },
      { "evtx", FIX .. "system.evtx", "--format", "yaml" },
      { "evtx", FIX .. "system.evtx", "--event-id", "seven" },
      { "evtx", FIX .. "system.evtx", "--since", "last week" },
      { "evtx", FIX .. "system.evtx", "--threads", "-1" },
      { "evtx", FIX .. "system.evtx", "--bogus" },
    } do
      r = cli.run(args)
      assert.are.equal(64, r.code, table.concat(args, " "))
      assert.matches("^diagkit: ", r.stderr)
    end
    r = cli.run { "evtx", "--help" }
    assert.are.equal(0, r.code)
    assert.matches("Usage: diagkit evtx FILE", r.stdout)
  end)

  it("reads every real sample without crashing", function()
    local p = io.popen("ls " .. SAMPLES .. "*.evtx 2>/dev/null")
    local files = lines(p:read("a"))
    p:close()
    if #files == 0 then
      pending("no samples in " .. SAMPLES)
      return
    end
    for _, f in ipairs(files) do
      local r = cli.run { "evtx", f, "--format", "jsonl", "--recover" }
      assert.is_true(r.code == 0 or r.code == 1, f .. ": " .. r.stderr)
      assert.is_true(#lines(r.stdout) > 0, f)
    end
  end)
end)
