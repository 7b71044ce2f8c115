-- The event-log playbook on the generated fixtures, with diagkit.codes replaced
-- through ctx (a fake that answers like the real module), and without it.
require "diagkit"
require "diagkit.evtx"
local U = require "spec_util"

local FIX = U.evtx_fx

-- A stand-in for diagkit.codes: lookup(n) -> interpretations, most likely first.
local KNOWN = {
  [0xC0000005] = { kind = "ntstatus", name = "STATUS_ACCESS_VIOLATION", message = "The instruction referenced memory it could not access." },
  [0xC0000409] = { kind = "ntstatus", name = "STATUS_STACK_BUFFER_OVERRUN", message = "A stack-based buffer overrun was detected." },
  [1053] = { kind = "win32", name = "ERROR_SERVICE_REQUEST_TIMEOUT", message = "The service did not respond in a timely fashion." },
  [50] = { kind = "win32", name = "ERROR_NOT_SUPPORTED", message = "The request is not supported." },
  [14] = { kind = "win32", name = "ERROR_OUTOFMEMORY", message = "Not enough memory resources are available." },
  [0x8007000E] = { kind = "hresult", name = "E_OUTOFMEMORY", message = "Ran out of memory." },
}
local lookups = {}
local fake_codes = {
  lookup = function(n, opts)
    lookups[#lookups + 1] = { n = n, context = opts and opts.context }
    local i = KNOWN[n]
    if not i then return {} end
    -- a decoy first: the playbook must pick by kind
    return { { kind = "errno", name = "EDECOY", value = n }, setmetatable({ value = n }, { __index = i }) }
  end,
}

local function run(raw, modules)
  local rep = U.run_playbook("event-log", raw, modules)
  assert.are.same({}, rep.errors or {})
  return rep
end

local by_id = U.findings
local function evidence(f, kind) return U.evidence(f, kind)[1] end

describe("event-log playbook", function()
  local logs = FIX .. "application.evtx," .. FIX .. "system.evtx"

  it("explains Application Error 1000 through diagkit.codes and groups repeats", function()
    local rep = run({ log = logs }, { codes = fake_codes })
    local ae = by_id(rep, "evtx.app-error")
    assert.are.equal(2, #ae)
    local av = ae[1]
    assert.are.equal("error", av.severity)
    assert.matches("crasher.exe crashed %(Application Error 1000: STATUS_ACCESS_VIOLATION in crasher.exe%) %- 2 times", av.title)
    assert.matches("0xC0000005 STATUS_ACCESS_VIOLATION %(The instruction referenced memory", av.detail)
    assert.matches("offset 0x0000000000001234", av.detail)
    assert.are.equal("diagkit.codes", evidence(av, "code").source)
    assert.matches("record ids 1, 2", evidence(av, "event").value)
    -- the nameless (Windows 10) form is read by position
    assert.matches("STATUS_STACK_BUFFER_OVERRUN in ucrtbase.dll", ae[2].title)
    assert.matches("not the program's own code", ae[2].detail)
    local found = false
    for _, l in ipairs(lookups) do
      if l.n == 0xC0000005 then found = l.context == "windows" end
    end
    assert.is_true(found)
  end)

  it("decodes %%N insertion strings of SCM events: Win32 errors and HRESULTs", function()
    local rep = run({ log = logs }, { codes = fake_codes })
    local start = by_id(rep, "evtx.service-start-failed")[1]
    assert.matches("MyGoSvc failed to start %(SCM 7000: ERROR_SERVICE_REQUEST_TIMEOUT%)", start.title)
    assert.matches("golang.org/x/sys/windows/svc", start.remedy)
    local errs = by_id(rep, "evtx.service-error")
    assert.are.equal(2, #errs)
    assert.matches("%%%%2147942414 = HRESULT 0x8007000E = Win32 error 14 ERROR_OUTOFMEMORY %(Not enough memory resources are available.%)", errs[1].detail)
    assert.matches("SCM 7023: ERROR_OUTOFMEMORY", errs[1].title)
    assert.matches("%%%%50 = 0x00000032 ERROR_NOT_SUPPORTED", errs[2].detail)
    assert.matches("service%-specific", errs[2].detail)
    local crashed = by_id(rep, "evtx.service-crashed")
    assert.are.equal(2, #crashed)
    assert.matches("CrashySvc terminated unexpectedly %(SCM 7031%) %- 2 times", crashed[1].title)
    assert.matches("done this 2 time", crashed[1].detail)
    assert.are.equal(3, #by_id(rep, "evtx.service-timeout")) -- 7009, 7011, 7022
    assert.matches("leaky.exe %(12.0 GiB%)", by_id(rep, "evtx.low-memory")[1].detail)
    assert.matches("System.IO.FileNotFoundException", by_id(rep, "evtx.dotnet-crash")[1].title)
    assert.are.equal(1, #by_id(rep, "evtx.app-hang"))
    assert.are.equal(1, #by_id(rep, "evtx.wer-report"))
    -- 7036 is context only: not listed when other events matched
    assert.are.equal(0, #by_id(rep, "evtx.service-state"))
    assert.are.equal(0, #by_id(rep, "evtx.event"))
  end)

  it("still names common codes when diagkit.codes is missing", function()
    local rep = run({ log = logs }, { codes = false })
    local av = by_id(rep, "evtx.app-error")[1]
    assert.matches("STATUS_ACCESS_VIOLATION", av.title)
    assert.matches("not available", evidence(av, "code").source)
  end)

  it("narrows to one program or service", function()
    local rep = run({ log = logs, program = "crasher" }, { codes = fake_codes })
    local ids = {}
    for _, f in ipairs(rep.findings) do ids[#ids + 1] = f.id end
    table.sort(ids)
    assert.are.same({ "evtx.app-error", "evtx.app-error", "evtx.wer-report" }, ids)
    rep = run({ log = logs, program = "CrashySvc" }, { codes = fake_codes })
    assert.are.equal(1, #rep.findings)
    assert.are.equal("evtx.service-crashed", rep.findings[1].id)
  end)

  it("lists any event for an explicit provider or event id", function()
    local rep = run({ log = FIX .. "application.evtx", provider = "Some Other App" }, { codes = fake_codes })
    assert.are.equal(1, #rep.findings)
    assert.are.equal("evtx.event", rep.findings[1].id)
    assert.matches("all good", rep.findings[1].detail)
    rep = run({ log = FIX .. "system.evtx", event_id = { "7036" } }, { codes = fake_codes })
    assert.are.equal("evtx.service-state", rep.findings[1].id)
    assert.matches("Windows Update entered the running state", rep.findings[1].title)
  end)

  it("filters by time and reports unreadable logs", function()
    local rep = run({ log = logs, since = "2023-11-14T23:13:25Z" }, { codes = fake_codes })
    assert.are.equal(0, #by_id(rep, "evtx.app-error"))
    assert.is_true(#by_id(rep, "evtx.service-crashed") > 0)
    -- the only log given cannot be read: nothing was diagnosed (exit 3), not a warning
    rep = run({ log = FIX .. "missing.evtx" }, { codes = fake_codes })
    assert.are.equal(0, #rep.findings)
    assert.matches("could not read any of the event logs given: .*missing.evtx", rep.unknowns[1])
    -- one of two unreadable: a warning beside what the other says
    rep = run({ log = { FIX .. "missing.evtx", FIX .. "system.evtx" } }, { codes = fake_codes })
    assert.are.equal(1, #by_id(rep, "evtx.unreadable"))
    assert.matches("wevtutil epl missing ", by_id(rep, "evtx.unreadable")[1].remedy)
  end)

  it("queries the live channels on Windows (EvtQuery stubbed with the fixtures' XML)", function()
    local real = require "diagkit.evtx"
    local queried = {}
    local fake_evtx = setmetatable({
      query = function(channel, opts)
        queried[#queried + 1] = { channel = channel, xpath = opts.xpath }
        local f = assert(real.open(FIX .. (channel == "Application" and "application.evtx" or "system.evtx")))
        local xmls = {}
        for r in f:records() do xmls[#xmls + 1] = r.xml end
        f:close()
        local i = 0
        return function()
          while true do
            i = i + 1
            if not xmls[i] then return nil end
            local r = real.from_xml(xmls[i], opts)
            if r then return r end
          end
        end, nil, nil, nil
      end,
    }, { __index = real })
    local fake_sys = { platform = function() return { os = "windows", arch = "x86_64" } end }
    local rep = run({}, { sys = fake_sys, evtx = fake_evtx, codes = fake_codes })
    assert.are.equal("Application", queried[1].channel)
    assert.are.equal("System", queried[2].channel)
    assert.matches("^%*%[System%[%(EventID=1000 or EventID=1001", queried[1].xpath)
    assert.are.equal(2, #by_id(rep, "evtx.app-error"))
    assert.are.equal(2, #by_id(rep, "evtx.service-crashed"))
    assert.are.equal("Application", rep.facts["evtx.logs"][1].channel)
    -- where the API is missing (Wine) and no channel can be read: could not
    -- diagnose, naming each channel's error; no crash
    local broken = setmetatable({ query = function(channel)
      return nil, "live event log '" .. channel .. "': EvtQuery failed: not implemented", "ENOTSUP"
    end }, { __index = real })
    rep = run({}, { sys = fake_sys, evtx = broken, codes = fake_codes })
    assert.are.equal(0, #by_id(rep, "evtx.unreadable"))
    assert.matches("'Application'.*ENOTSUP.*'System'.*ENOTSUP", rep.unknowns[1])
  end)

  it("says it cannot diagnose without a log off Windows", function()
    local fake_sys = { platform = function() return { os = "linux", arch = "x86_64" } end }
    local rep = run({}, { sys = fake_sys, codes = fake_codes })
    assert.are.equal(0, #rep.findings)
    assert.matches("no event log given", table.concat(rep.unknowns, " "))
  end)
end)
