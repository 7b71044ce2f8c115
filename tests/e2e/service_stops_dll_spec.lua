-- service-stops on a real service binary that cannot load: missingdll.exe
-- (examples/crashers, built by mingw-w64, imports dkgone.dll which is never
-- built) must give the loader's finding and point at the missing-dll playbook;
-- a loadable Go program must not.
local cli = require "cli_helper"

local win = cli.src .. "/examples/crashers/build-win64/"

local function run(args) return cli.run_report("service-stops", args) end

local ids = require("spec_util").by_id

describe("service-stops: the binary's DLLs", function()
  before_each(function()
    -- Off Windows the system DLLs are Wine's (the missing-dll playbook's default sysroot).
    if not io.open("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows/kernel32.dll") then
      pending("Wine DLLs not installed: system DLLs cannot be resolved")
    end
  end)

  it("names the missing DLL and sends on to missing-dll", function()
    if not io.open(win .. "missingdll.exe") then return pending("examples/crashers/build-win64 not built") end
    local rep, r = run { "-p", "service=DemoSvc", "-p", "binary=" .. win .. "missingdll.exe" }
    assert.are.equal(2, r.code)
    local f = ids(rep)
    local s = assert(f["service.binary-cannot-load"], r.stdout)
    assert.are.equal("error", s.severity)
    assert.are.equal("missing-dll", s.next)
    assert.truthy(s.title:find("dkgone.dll", 1, true), s.title)
    assert.truthy(assert(f["deps.missing-dll"]).title:find("0xC0000135", 1, true))
  end)

  it("says nothing about DLLs for a Go program that loads", function()
    if not io.open(win .. "goexit3.exe") then return pending("examples/crashers/build-win64 not built") end
    local f = ids((run { "-p", "service=MyGoSvc", "-p", "binary=" .. win .. "goexit3.exe" }))
    assert.is_nil(f["service.binary-cannot-load"])
    assert.is_not_nil(f["deps.ok"])
    assert.is_not_nil(f["service.go-without-service-support"])
  end)
end)
