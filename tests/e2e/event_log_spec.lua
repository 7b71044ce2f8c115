-- `diagkit run event-log` end to end: on the generated fixtures and on the real
-- System log sample (skipped when ../shared/data/evtx is absent); reports
-- validated against docs/report.schema.json.
local cli = require "cli_helper"
local U = require "spec_util"

local FIX, SAMPLES = U.evtx_fx, U.shared .. "/evtx/"

local function ids(rep)
  local out = {}
  for _, f in ipairs(rep.findings) do out[#out + 1] = f.id end
  return out
end

local function find(rep, id, pattern)
  for _, f in ipairs(rep.findings) do
    if f.id == id and (not pattern or f.title:match(pattern)) then return f end
  end
end

describe("diagkit run event-log", function()
  local saved = {}
  local function report(args)
    local rep, r = cli.report(args)
    saved[#saved + 1] = U.tmpfile(r.stdout)
    return rep, r
  end
  teardown(function()
    if #saved > 0 then
      local ok, out = cli.validate(saved)
      for _, p in ipairs(saved) do os.remove(p) end
      assert.is_true(ok, out)
    end
  end)

  it("explains the crashes and service failures in the fixtures", function()
    local rep, r = report { "run", "event-log", "-p", "log=" .. FIX .. "application.evtx," .. FIX .. "system.evtx",
      "--format", "json" }
    assert.are.equal(2, r.code)
    local ae = assert(find(rep, "evtx.app-error", "crasher.exe crashed"))
    assert.matches("STATUS_ACCESS_VIOLATION", ae.title)
    assert.matches("2 times", ae.title)
    assert.truthy(find(rep, "evtx.service-start-failed", "MyGoSvc"))
    assert.truthy(find(rep, "evtx.service-crashed", "CrashySvc"))
    assert.truthy(find(rep, "evtx.dotnet-crash"))
    assert.truthy(find(rep, "evtx.low-memory"))
    assert.are.equal(2, #rep.facts["evtx.logs"])
  end)

  it("narrows to one program", function()
    local rep = report { "run", "event-log", "-p", "log=" .. FIX .. "application.evtx", "-p", "program=hangs.exe",
      "--format", "json" }
    assert.are.same({ "evtx.app-hang" }, ids(rep))
    assert.are.equal("warning", rep.findings[1].severity)
  end)

  it("shows the message text of forwarded events", function()
    local rep = report { "run", "event-log", "-p", "log=" .. FIX .. "forwarded.evtx", "--format", "json" }
    local f = assert(find(rep, "evtx.service-crashed", "RemoteSvc"))
    assert.matches("Message on FIXTURE%-PC: The RemoteSvc service terminated unexpectedly", f.detail)
    assert.matches("done this 3 time", f.detail)
  end)

  it("prints readable text", function()
    local r = cli.run { "run", "event-log", "-p", "log=" .. FIX .. "system.evtx", "-p", "program=Spooler" }
    assert.are.equal(2, r.code)
    assert.matches("Service Spooler stopped with an error %(SCM 7023: ", r.stdout)
    assert.matches("%%%%2147942414 = HRESULT 0x8007000E = Win32 error 14", r.stdout)
  end)

  it("reports an unreadable log and a missing log parameter", function()
    local rep, r = report { "run", "event-log", "-p", "log=" .. FIX .. "none.evtx", "--format", "json" }
    assert.are.equal(3, r.code) -- nothing could be read: could not diagnose
    assert.are.same({}, ids(rep))
    assert.matches("none.evtx: No such file", rep.unknowns[1])
  end)

  it("finds the real Service Control Manager failures in the System log sample", function()
    local f = io.open(SAMPLES .. "system.evtx", "rb")
    if not f then
      pending("no samples in " .. SAMPLES)
      return
    end
    f:close()
    local rep, r = report { "run", "event-log", "-p", "log=" .. SAMPLES .. "system.evtx", "--format", "json" }
    assert.are.equal(2, r.code)
    local cld = assert(find(rep, "evtx.service-start-failed", "CldFlt"))
    assert.matches("3 times", cld.title)
    assert.matches("%%%%50 = 0x00000032", cld.detail)
    local spooler = assert(find(rep, "evtx.service-error", "Spooler"))
    assert.matches("0x8007000E", spooler.detail)
    assert.are.equal(true, rep.facts["evtx.logs"][1].dirty)
  end)
end)
