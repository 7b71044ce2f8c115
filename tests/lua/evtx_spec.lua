-- diagkit.evtx from Lua: open, info, records (filters, where, threads, closing),
-- export, warnings, errors. Fixtures: tests/fixtures/evtx (make_evtx.py); real
-- samples from ../shared/data/evtx when present.
require "diagkit"
local evtx = require "diagkit.evtx"
local U = require "spec_util"

local SRC, FIX, SAMPLES = U.src, U.evtx_fx, U.shared .. "/evtx/"

local exists = U.exists

local function all(f, filter)
  local out = {}
  for r in f:records(filter) do out[#out + 1] = r end
  return out
end

describe("diagkit.evtx", function()
  it("opens a file and reports its header", function()
    local f = assert(evtx.open(FIX .. "application.evtx"))
    local info = f:info()
    assert.are.equal("3.1", info.version)
    assert.are.equal(1, info.chunks)
    assert.are.equal(1, info.chunks_declared)
    assert.is_false(info.dirty)
    assert.is_true(info.header_crc_ok)
    assert.are.equal(69632, info.size)
    assert.matches("application.evtx", tostring(f))
    f:close()
    assert.matches("closed", tostring(f))
    assert.has_error(function() f:info() end, "attempt to use a closed evtx file")
  end)

  it("returns nil, message, code for expected failures", function()
    local f, msg, code = evtx.open(FIX .. "no-such.evtx")
    assert.is_nil(f)
    assert.matches("no%-such.evtx", msg)
    assert.are.equal("ENOENT", code)
    f, msg, code = evtx.open(FIX .. "make_evtx.py")
    assert.is_nil(f)
    assert.matches("ElfFile", msg)
    assert.are.equal("DK_BAD_FORMAT", code)
    assert.has_error(function() evtx.open() end)
  end)

  it("yields records as plain tables", function()
    local f = assert(evtx.open(FIX .. "application.evtx"))
    local recs = all(f)
    assert.are.equal(7, #recs)
    local r = recs[1]
    assert.are.equal(1, r.record_id)
    assert.are.equal("2023-11-14T22:13:20.0000000Z", r.time)
    assert.are.equal("Application Error", r.provider)
    assert.are.equal(1000, r.event_id)
    assert.are.equal(2, r.level)
    assert.are.equal(812, r.pid)
    assert.are.equal(4410, r.tid)
    assert.are.equal("Application", r.channel)
    assert.are.equal("FIXTURE-PC", r.computer)
    assert.are.equal("c0000005", r.data.ExceptionCode)
    assert.are.equal("AppName", r.data_list[1].name)
    assert.are.equal("crasher.exe", r.data_list[1].value)
    assert.are.equal("", r.data.PackageFullName)
    assert.matches("<Data Name='ExceptionCode'>c0000005</Data>", r.xml, 1, true)
    -- nameless <Data>: only in data_list, in order, empty items kept
    local nameless = recs[3]
    assert.are.same({}, nameless.data)
    assert.are.equal(15, #nameless.data_list)
    assert.is_nil(nameless.data_list[1].name)
    assert.are.equal("ucrtbase.dll", nameless.data_list[4].value)
    assert.are.equal("", nameless.data_list[14].value)
    f:close()
  end)

  it("filters by provider, event ids, time range and a predicate", function()
    local f = assert(evtx.open(FIX .. "system.evtx"))
    assert.are.equal(10, #all(f, { provider = "SERVICE CONTROL MANAGER" }))
    local ids = {}
    for _, r in ipairs(all(f, { event_id = { 7031, 7034 } })) do ids[#ids + 1] = r.event_id end
    assert.are.same({ 7031, 7031, 7034 }, ids)
    assert.are.equal(1, #all(f, { event_id = 2004 }))
    assert.are.equal(3, #all(f, { since = "2023-11-14T23:13:25Z", ["until"] = "2023-11-14T23:13:29Z" }))
    local where = all(f, { where = function(r) return r.data.param1 == "CrashySvc" end })
    assert.are.equal(2, #where)
    assert.are.equal("2", where[2].data.param2)
    assert.is_nil(all(f, { xml = false })[1].xml)
    assert.has_error(function() f:records { since = "last tuesday" } end)
    assert.has_error(function() f:records { event_id = "x" } end)
    f:close()
  end)

  it("reads UserData from nested Binary XML as dotted leaf names", function()
    local f = assert(evtx.open(FIX .. "system.evtx"))
    local r = all(f, { event_id = 2004 })[1]
    assert.are.equal("UserData", r.data_kind)
    assert.are.equal("MemoryExhaustionInfo", r.userdata_name)
    assert.are.equal("leaky.exe", r.data["ProcessInfo.Process_0_Name"])
    assert.are.equal("S-1-5-18", r.user_id)
    f:close()
  end)

  it("works with a to-be-closed iterator and a break", function()
    local f = assert(evtx.open(FIX .. "system.evtx"))
    local n = 0
    for r in f:records() do
      n = n + 1
      if r.record_id == 3 then break end
    end
    assert.are.equal(3, n)
    local iter, state, init, closer = f:records()
    assert.is_function(iter)
    assert.is_nil(init)
    assert.are.equal(state, closer)
    f:close()
    assert.has_error(function() iter(state) end, "evtx file closed during iteration")
  end)

  it("exports XML, JSON and JSON lines from C", function()
    local f = assert(evtx.open(FIX .. "system.evtx"))
    local path = os.tmpname()
    for _, fmt in ipairs { "xml", "jsonl", "json" } do
      local out = assert(io.open(path, "wb"))
      local n = f:export(out, { format = fmt, event_id = { 7023, 7024 } })
      out:close()
      assert.are.equal(2, n)
      local text = assert(io.open(path, "rb")):read("a")
      if fmt == "xml" then
        assert.matches("<Data Name='param2'>%%%%2147942414</Data>", text)
      else
        local json = require "diagkit.json"
        local doc
        if fmt == "json" then
          doc = assert(json.decode(text))
        else
          doc = {}
          for line in text:gmatch("[^\n]+") do doc[#doc + 1] = assert(json.decode(line)) end
        end
        assert.are.equal(2, #doc)
        assert.are.equal("%%50", doc[2].data.param2)
        assert.are.equal(7024, doc[2].event_id)
      end
    end
    os.remove(path)
    assert.has_error(function() f:export(io.stdout, { format = "yaml" }) end)
    f:close()
  end)

  it("decodes the same records on several threads, in order", function()
    local path = exists(SAMPLES .. "security.evtx") and SAMPLES .. "security.evtx" or FIX .. "system.evtx"
    local f = assert(evtx.open(path))
    local a, b = {}, {}
    for r in f:records { xml = false } do a[#a + 1] = r.record_id end
    for r in f:records { xml = false, threads = 4 } do b[#b + 1] = r.record_id end
    assert.is_true(#a > 0)
    assert.are.same(a, b)
    f:close()
    assert.is_true(evtx.cpu_count() >= 1)
  end)

  it("reads an event from XML text (what EvtRender and wevtutil print)", function()
    local f = assert(evtx.open(FIX .. "system.evtx"))
    for r in f:records() do
      local back = assert(evtx.from_xml(r.xml))
      assert.are.equal(r.xml, back.xml)
      assert.are.same(r.data_list, back.data_list)
      assert.are.equal(r.time, back.time)
      assert.are.equal(r.record_id, back.record_id)
      assert.is_nil(back.chunk)
    end
    f:close()
    local pretty = [[
<Event xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
  <System>
    <Provider Name="Application Error"/>
    <EventID Qualifiers="0">1000</EventID>
    <EventRecordID>9</EventRecordID>
  </System>
  <EventData>
    <Data>crasher.exe</Data>
  </EventData>
</Event>]]
    local r = assert(evtx.from_xml(pretty))
    assert.are.equal(1000, r.event_id)
    assert.are.equal("crasher.exe", r.data_list[1].value)
    assert.is_false(evtx.from_xml(pretty, { event_id = 7 }))
    U.fails("DK_BAD_FORMAT", "not closed", evtx.from_xml, "<Event><System>")
  end)

  it("reports live event logs as unavailable off Windows", function()
    if package.config:sub(1, 1) == "\\" then return end
    U.fails("ENOTSUP", "only on Windows", evtx.query, "Application")
  end)

  it("converts times", function()
    local ft = assert(evtx.parse_time("2017-07-12T17:16:28.2141616Z"))
    assert.are.equal("2017-07-12T17:16:28.2141616Z", evtx.time(ft))
    local none, msg = evtx.parse_time("soon")
    assert.is_nil(none)
    assert.matches("ISO%-8601", msg)
  end)

  it("skips damaged records with a warning naming chunk and offset", function()
    local src = assert(io.open(FIX .. "application.evtx", "rb")):read("a")
    -- the second record claims a size past the end of the chunk
    local first = string.unpack("<I4", src, 4096 + 512 + 4 + 1)
    local at = 4096 + 512 + first
    local damaged = src:sub(1, at + 4) .. string.pack("<I4", 0x20000) .. src:sub(at + 9)
    local path = os.tmpname()
    assert(io.open(path, "wb")):write(damaged):close()
    local f = assert(evtx.open(path))
    local recs = all(f)
    assert.are.equal(6, #recs)
    assert.are.equal(3, recs[2].record_id)
    local w = table.concat(f:warnings(), "\n")
    assert.matches("chunk 0 at file offset 0x1000: bad record at 0x%x+ %(size outside the chunk%)", w)
    assert.matches("records CRC32 mismatch", w)
    f:close()
    -- truncated inside the chunk: the complete records are still read
    assert(io.open(path, "wb")):write(src:sub(1, 4096 + 9000)):close()
    f = assert(evtx.open(path))
    local n = #all(f)
    assert.is_true(n >= 1 and n < 7)
    assert.matches("truncated", f:warnings()[1])
    f:close()
    os.remove(path)
  end)

  it("reads the real samples, including those the reference parsers return nothing for", function()
    if not exists(SAMPLES .. "system.evtx") then
      pending("no samples in " .. SAMPLES)
      return
    end
    local f = assert(evtx.open(SAMPLES .. "system.evtx"))
    assert.is_true(f:info().dirty)
    assert.are.equal(3, f:info().chunks_declared)
    local n, scm = 0, 0
    for r in f:records { xml = false } do
      n = n + 1
      if r.provider == "Service Control Manager" then scm = scm + 1 end
    end
    assert.are.equal(1881, n)
    assert.is_true(scm > 0)
    f:close()
    for _, name in ipairs { "issue_201.evtx", "MSExchange_Management_wec.evtx" } do
      f = assert(evtx.open(SAMPLES .. name))
      local recs = all(f)
      assert.are.equal(1, #recs)
      assert.are.equal("MSExchange CmdletLogs", recs[1].provider)
      f:close()
    end
  end)
end)
