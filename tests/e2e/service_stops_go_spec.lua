-- service-stops on Go programs built with GOOS=windows by
-- tests/fixtures/service/build_go_services.sh, with the SCM's 7000/7009
-- events of tests/fixtures/evtx/system.evtx (service MyGoSvc): a console
-- program must be named as lacking service support; the same loop under
-- svc.Run (golang.org/x/sys/windows/svc) must not.
local cli = require "cli_helper"

local evtx = cli.src .. "/tests/fixtures/evtx/system.evtx"
local out

local function build()
  if out then return out end
  local dir = os.tmpname()
  os.remove(dir)
  local p = assert(io.popen("bash '" .. cli.src .. "/tests/fixtures/service/build_go_services.sh' '" .. dir .. "' 2>&1; echo \"rc=$?\""))
  local text = p:read("a")
  p:close()
  local rc = tonumber(text:match("rc=(%d+)%s*$"))
  if rc == 77 then return nil, "Go is not installed" end
  assert(rc == 0, "fixture build failed:\n" .. text)
  out = dir
  return out
end

local function findings(exe)
  local rep, r = cli.report { "run", "service-stops", "--format", "json", "-p", "service=MyGoSvc",
    "-p", "log=" .. evtx, "-p", "binary=" .. exe }
  local f = {}
  for _, x in ipairs(rep.findings) do f[x.id] = x end
  return f, rep, r
end

describe("service-stops: Go console program vs Go service", function()
  teardown(function()
    if out then os.execute("rm -rf '" .. out .. "'") end
  end)

  it("names the missing service support behind 7000/7009", function()
    local dir, why = build()
    if not dir then return pending(why) end
    local f, rep, r = findings(dir .. "/console.exe")
    assert.are.equal(2, r.code)
    assert.are.equal("error", assert(f["evtx.service-start-failed"], r.stdout).severity)
    assert.is_not_nil(f["evtx.service-timeout"])
    local go = assert(f["service.go-without-service-support"])
    assert.are.equal("error", go.severity)
    assert.truthy(go.title:find("console.exe", 1, true), go.title)
    assert.truthy(go.detail:find("golang.org/x/sys/windows/svc", 1, true))
    assert.truthy(go.detail:find("kardianos/service", 1, true))
    assert.is_false(rep.facts.go.svc)
  end)

  it("sees svc.Run linked in the service build", function()
    local dir, why = build()
    if not dir then return pending(why) end
    local f, rep = findings(dir .. "/withsvc.exe")
    assert.is_nil(f["service.go-without-service-support"])
    assert.are.equal("info", assert(f["service.go-service-support"]).severity)
    assert.is_true(rep.facts.go.svc)
  end)
end)
