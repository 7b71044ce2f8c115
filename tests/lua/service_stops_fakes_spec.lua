-- service-stops with fake modules: the live paths that this machine cannot
-- take for real (Windows' SCM through diagkit.svc; journalctl through
-- diagkit.proc), driven through playbook.run(def, raw, {modules = fakes}).
-- diagkit.codes stays real, so the decoded codes are the real table's.
require "diagkit"
local U = require "spec_util"

local FX = U.src .. "/tests/fixtures/service/"

local function run(raw, modules) return U.run_playbook("service-stops", raw, modules) end

local by_id = U.by_id

local windows_sys = { platform = function() return { os = "windows", arch = "x86_64" } end }

describe("service-stops with fake modules", function()
  it("reads the live SCM (diagkit.svc): disabled, unquoted path, 1066 -> the service's own code", function()
    local asked
    local svc = {
      query = function(name)
        asked = name
        return {
          image = [[C:\Program Files\My Go Svc\mygosvc.exe -config C:\etc\svc.toml]], start = 4, type = 16,
          account = "LocalSystem", display = "My Go Service", depends = {},
          status = { state = 1, win32_exit = 1066, service_exit = 3, pid = 0 },
        }
      end,
    }
    local rep = run({ service = "MyGoSvc" }, { sys = windows_sys, svc = svc })
    assert.are.equal("MyGoSvc", asked)
    local f = by_id(rep)
    assert.are.equal("error", assert(f["service.disabled"]).severity)
    local uq = assert(f["service.unquoted-image-path"])
    assert.are.equal("warning", uq.severity)
    assert.truthy(uq.title:find([[C:\Program.exe]], 1, true), uq.title)
    local e = assert(f["service.exit-code"])
    assert.truthy(e.title:find("own exit code 3", 1, true), e.title)
    assert.are.equal("Service Control Manager (live)", rep.facts.config.source)
    assert.are.equal("STOPPED", rep.facts.config.state)
  end)

  it("decodes a Win32 exit code the SCM recorded (not 1066) through diagkit.codes", function()
    local svc = { query = function()
      return { image = [["C:\svc\a.exe"]], start = 2, depends = {},
        status = { state = 1, win32_exit = 2, service_exit = 0 } }
    end }
    local rep = run({ service = "A" }, { sys = windows_sys, svc = svc })
    local f = by_id(rep)
    local e = assert(f["service.exit-code"])
    assert.truthy(e.title:find("ERROR_FILE_NOT_FOUND", 1, true), e.title)
    assert.is_nil(f["service.unquoted-image-path"]) -- quoted: no finding
  end)

  it("says a service that does not exist does not exist (1060 from OpenServiceW)", function()
    local svc = { query = function(name)
      return nil, "OpenServiceW(" .. name .. ") failed with error 1060", 1060
    end }
    local rep = run({ service = "Nope" }, { sys = windows_sys, svc = svc })
    local f = assert(by_id(rep)["service.not-found"])
    assert.are.equal("error", f.severity)
    assert.truthy(f.detail:find("1060", 1, true), f.detail)
  end)

  it("notes 1077 (never started) instead of calling it a failure", function()
    local svc = { query = function()
      return { image = [["C:\svc\a.exe"]], start = 3, depends = {}, status = { state = 1, win32_exit = 1077 } }
    end }
    local f = by_id(run({ service = "A" }, { sys = windows_sys, svc = svc }))
    assert.are.equal("info", assert(f["service.never-started"]).severity)
    assert.is_nil(f["service.exit-code"])
  end)

  it("asks journalctl through diagkit.proc when only systemctl text is given", function()
    local argv_seen
    local journal = U.read(FX .. "journal-api.json")
    local proc = { run = function(spec)
      argv_seen = spec.argv
      return { status = "exited", exit_code = 0, stdout = journal, stderr = "" }
    end }
    local rep = run({ service = "api", systemctl_text = FX .. "show-oom.txt" }, { proc = proc })
    assert.are.equal("journalctl", argv_seen[1])
    assert.are.same({ "-u", "api.service" }, { argv_seen[2], argv_seen[3] })
    local f = by_id(rep)
    assert.is_nil(assert(f["service.oom-kill"]).next) -- no oom playbook ships: no dead-end next
    assert.are.equal("go-crash", assert(f["service.go-panic"]).next)
    assert.is_not_nil(f["service.kernel-oom"])
  end)
end)
