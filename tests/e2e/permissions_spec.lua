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

describe("diagkit access", function()
  local HOSTS6 = "O:SYG:SYD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)"
  it("gives the verdict and the walk for a path (exit 0 allowed)", function()
    local r = cli.run { "access", "/", "--want", "list" }
    assert.are.equal(0, r.code)
    assert.truthy(r.stdout:find("^ALLOWED  list  /"))
  end)
  it("exits 1 when denied and names the component (JSON)", function()
    local r = cli.run { "access", "/nonexistent-dk6/x", "--format", "json" }
    assert.are.equal(1, r.code)
    local rep = require("diagkit.json").decode(r.stdout)
    assert.are.equal("ENOENT", rep.errno)
    assert.are.equal("/nonexistent-dk6", rep.denied_at.component)
  end)
  it("evaluates an SDDL and compares the elevated token", function()
    local r = cli.run { "access", "--sddl", HOSTS6, "--want", "write" }
    assert.are.equal(1, r.code)
    assert.truthy(r.stdout:find("ACE#1 (A;ID;FA;;;BA)                 deny-only", 1, true))
    assert.truthy(r.stdout:find("would be GRANTED by ACE#1 (A;ID;FA;;;BA)", 1, true))
    r = cli.run { "access", "--sddl", HOSTS6, "--want", "read" }
    assert.are.equal(0, r.code)
  end)
  it("reports usage errors with exit 64 and bad SDDL with exit 2", function()
    assert.are.equal(64, cli.run({ "access", "/", "--want", "fly" }).code)
    assert.are.equal(64, cli.run({ "access" }).code)
    assert.are.equal(64, cli.run({ "access", "--sddl", HOSTS6, "--token", "root" }).code)
    local r = cli.run { "access", "--sddl", "D:(A;;FA;;;QQ)" }
    assert.are.equal(2, r.code)
    assert.truthy(r.stderr:find("unknown SID alias 'QQ'", 1, true))
  end)
end)
