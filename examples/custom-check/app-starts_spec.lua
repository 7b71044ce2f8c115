-- examples/custom-check/app-starts_spec.lua
-- Tests for app-starts.lua with busted, on any machine: diagkit.testing
-- replays a real run recorded with --record, and fakes the other endings.
local testing = require "diagkit.testing"

local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
local check = here .. "app-starts.lua"
local recorded = here .. "recordings/app-starts.calls.json"

describe("app-starts", function()
  it("reports the crash a real run recorded (a SIGSEGV)", function()
    -- nil params: the ones of the recorded run
    local report = testing.run(check, nil, testing.replay(recorded))
    local f = testing.finding(report, "app-starts.crashed")
    assert.is_not_nil(f)
    assert.are.equal("It crashed at once with SIGSEGV", f.title)
    assert.are.equal("error", report.status)
  end)

  it("fails loudly when the check asks something the recording does not have", function()
    local params = { argv = { "some-other-program" } }
    assert.has_error(function() testing.run(check, params, testing.replay(recorded)) end)
  end)

  it("finds nothing when the program is still running at the end", function()
    local modules = testing.fake { proc = { run = { status = "timeout", stderr = "" } } }
    local report = testing.run(check, { argv = { "server" } }, modules)
    assert.are.equal(0, #report.findings)
    assert.are.equal("ok", report.status)
  end)

  it("names what the exit status may mean", function()
    local modules = testing.fake {
      proc = { run = { status = "exited", exit_code = 2, stderr = "config.json: not found\n" } },
      codes = { lookup = { { kind = "errno", name = "ENOENT", value = 2 } } },
    }
    local report = testing.run(check, { argv = { "app" } }, modules)
    assert.are.equal("It exited at once with status 2 (ENOENT?)", testing.finding(report, "app-starts.exited").title)
  end)

  it("says it cannot tell when the program cannot be run at all", function()
    local modules = testing.fake { proc = { run = testing.returns(nil, "out of memory", "ENOMEM") } }
    local report = testing.run(check, { argv = { "app" } }, modules)
    assert.is_false(testing.has_finding(report, "^app%-starts%."))
    assert.are.equal("unknown", report.status)
  end)
end)
