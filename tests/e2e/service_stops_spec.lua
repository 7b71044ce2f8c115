-- service-stops end to end: hive and evtx built by the fixture scripts,
-- sc/systemctl/journal texts in tests/fixtures/service, a real Go .exe from
-- examples/crashers, and the real System.evtx in ../shared/data when present.
local cli = require "cli_helper"

local fx = cli.src .. "/tests/fixtures/service/"
local evtx = cli.src .. "/tests/fixtures/evtx/system.evtx"
local shared_system = cli.src .. "/../shared/data/evtx/system.evtx"

local ids = require("spec_util").by_id

local function run(args) return cli.run_report("service-stops", args) end

describe("diagkit run service-stops", function()
  it("diagnoses a Go console program registered as a service (SCM 7000/7009, no svc package)", function()
    local exe = cli.src .. "/examples/crashers/build-win64/goexit3.exe"
    if not io.open(exe) then return pending("examples/crashers/build-win64/goexit3.exe not built (needs Go)") end
    local rep, r = run { "-p", "service=MyGoSvc", "-p", "log=" .. evtx, "-p", "binary=" .. exe }
    assert.are.equal(2, r.code)
    local f = ids(rep)
    assert.is_not_nil(f["evtx.service-start-failed"], r.stdout)
    assert.is_not_nil(f["evtx.service-timeout"])
    local go = assert(f["service.go-without-service-support"])
    assert.truthy(go.detail:find("golang.org/x/sys/windows/svc", 1, true))
    assert.are.equal("service-stops", rep.playbook.id)
  end)

  it("reads a SYSTEM hive: unquoted ImagePath and missing dependencies", function()
    local tmp = os.tmpname()
    os.remove(tmp)
    if not os.execute("sh '" .. cli.src .. "/tests/fixtures/reg/build.sh' '" .. tmp .. "' >/dev/null 2>&1") then
      return pending("hivexregedit is needed to build the fixture hive")
    end
    local hive2 = tmp .. "/sample.hive"
    local rep = run { "-p", "service=DemoSvc", "-p", "hive=" .. hive2 }
    finally(function() os.execute("rm -rf '" .. tmp .. "'") end)
    local f = ids(rep)
    local uq = assert(f["service.unquoted-image-path"])
    assert.truthy(uq.title:find("C:\\Program.exe", 1, true))
    assert.is_not_nil(f["service.dependency-missing"])
    assert.are.equal("C:\\Program Files\\Demo\\demo.exe", rep.facts.config.image)
    assert.are.equal(2, rep.facts.config.start)
    -- a name that is not there, with the closest one offered
    local miss = run { "-p", "service=DemoSv", "-p", "hive=" .. hive2 }
    assert.are.equal("service.not-found", miss.findings[1].id)
    assert.truthy(miss.findings[1].title:find("did you mean 'DemoSvc'", 1, true), miss.findings[1].title)
  end)

  it("reads sc qc / sc queryex text: 1066 means the service's own code", function()
    local rep = run { "-p", "service=MyGoSvc", "-p", "sc_text=" .. fx .. "sc-mygosvc.txt" }
    local f = ids(rep)
    local e = assert(f["service.exit-code"])
    assert.truthy(e.title:find("own exit code 3", 1, true), e.title)
    assert.is_not_nil(f["service.unquoted-image-path"])
    local nd = ids(run { "-p", "service=ConsoleApp", "-p", "sc_text=" .. fx .. "sc-no-dispatcher.txt" })
    assert.is_not_nil(nd["service.no-dispatcher"])
    local gone = run { "-p", "service=Nope", "-p", "sc_text=" .. fx .. "sc-missing.txt" }
    assert.are.equal("service.not-found", gone.findings[1].id)
  end)

  it("explains systemd's 203/EXEC", function()
    local rep, r = run { "-p", "service=api", "-p", "systemctl_text=" .. fx .. "show-203.txt" }
    assert.are.equal(2, r.code)
    local f = assert(ids(rep)["service.systemd-exec"])
    assert.truthy(f.title:find("203/EXEC", 1, true))
    assert.truthy(f.remedy:find("/opt/api/bin/api", 1, true))
    assert.are.equal("/opt/api/bin/api", rep.facts.unit.ExecStart)
  end)

  it("puts an OOM kill, a restart loop and a Go panic in the journal together", function()
    local rep = run { "-p", "service=api", "-p", "systemctl_text=" .. fx .. "show-oom.txt",
      "-p", "journal=" .. fx .. "journal-api.json" }
    local f = ids(rep)
    assert.is_nil(assert(f["service.oom-kill"]).next) -- no oom playbook ships: no dead-end next
    assert.is_not_nil(f["service.kernel-oom"])
    assert.is_not_nil(f["service.restart-loop"])
    local panic = assert(f["service.go-panic"])
    assert.truthy(panic.title:find("nil pointer dereference", 1, true))
    assert.truthy(panic.detail:find("server.go:41", 1, true), panic.detail)
    assert.are.equal(1, rep.facts.journal_bad_lines) -- the line that is not JSON
  end)

  it("says what to give it when there is nothing to read", function()
    local rep, r = run { "-p", "service=api", "-p", "os=linux" }
    if rep.facts.unit then return pending("systemd runs here: the live path answered") end
    assert.are.equal(3, r.code)
    assert.truthy(rep.unknowns[1]:find("systemctl_text", 1, true))
  end)

  it("finds the SCM's events in a real System.evtx (../shared/data)", function()
    if not io.open(shared_system) then return pending("../shared/data/evtx is absent: real-log case skipped") end
    local rep = run { "-p", "service=CldFlt", "-p", "log=" .. shared_system }
    local f = assert(ids(rep)["evtx.service-start-failed"])
    assert.truthy(f.title:find("3 times", 1, true), f.title)
  end)
end)

describe("diagkit run service-stops (the unit's user and its program)", function()
  it("says when User= cannot execute ExecStart= on this machine", function()
    local is_root = io.popen("id -u"):read("l") == "0"
    if not is_root then return pending("needs root to build a root-only program") end
    local dir = os.tmpname()
    os.remove(dir)
    assert(os.execute("mkdir -p '" .. dir .. "/bin' && printf '#!/bin/sh\\nexit 0\\n' > '" .. dir
      .. "/bin/api' && chmod 700 '" .. dir .. "/bin/api' && chmod 755 '" .. dir .. "' '" .. dir .. "/bin'"))
    finally(function() os.execute("rm -rf '" .. dir .. "'") end)
    local show = dir .. "/show.txt"
    local f = assert(io.open(show, "w"))
    f:write("Id=api.service\nLoadState=loaded\nActiveState=failed\nResult=exit-code\nExecMainStatus=203\n",
      "User=nobody\nExecStart={ path=" .. dir .. "/bin/api ; argv[]=" .. dir .. "/bin/api ; ignore_errors=no }\n")
    f:close()
    local rep = cli.report { "run", "service-stops", "--format", "json", "-p", "service=api", "-p", "systemctl_text=" .. show }
    local found
    for _, x in ipairs(rep.findings) do if x.id == "service.account-cannot-exec" then found = x end end
    assert.is_not_nil(found, "findings: " .. #rep.findings)
    assert.truthy(found.title:find("User nobody cannot execute", 1, true), found.title)
    assert.are.equal("permissions", found.next)
    -- and the kernel agrees
    assert.is_false(os.execute("setpriv --reuid=nobody --regid=nogroup --clear-groups test -x '" .. dir .. "/bin/api'") == true)
  end)
end)
