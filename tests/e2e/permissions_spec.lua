-- `diagkit run permissions` as a user runs it: exit status, JSON report.
local cli = require "cli_helper"

local HOSTS = "O:SYG:SYD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)(A;ID;0x1200a9;;;AC)(A;ID;0x1200a9;;;S-1-15-2-2)"

describe("diagkit run permissions", function()
  it("explains the hosts file (JSON report, exit status 2)", function()
    local rep, r = cli.report { "run", "permissions", "--format", "json", "-p", "sddl=" .. HOSTS, "-p", "want=write",
      "-p", "path=C:\\Windows\\System32\\drivers\\etc\\hosts" }
    assert.are.equal(2, r.code)
    assert.are.equal("error", rep.status)
    assert.are.equal("access.elevation-required", rep.findings[1].id)
    assert.are.equal(false, rep.facts.evaluation.allowed)
  end)

  it("reports an allowed access as info with exit status 0", function()
    local rep, r = cli.report { "run", "permissions", "--format", "json", "-p", "path=/", "-p", "want=list" }
    assert.are.equal(0, r.code)
    assert.are.equal("access.allowed", rep.findings[1].id)
    assert.are.equal("/", rep.facts.access.steps[1].path)
  end)

  it("prints a readable text report naming the failing component", function()
    local r = cli.run { "run", "permissions", "-p", "path=/nonexistent-dk6/file", "-p", "want=read" }
    assert.are.equal(2, r.code)
    assert.truthy(r.stdout:find("/nonexistent-dk6", 1, true))
    assert.truthy(r.stdout:find("access.missing", 1, true))
  end)

  it("rejects a bad parameter as a usage error", function()
    local r = cli.run { "run", "permissions", "-p", "want=fly" }
    assert.are.equal(64, r.code)
  end)
end)
