-- `diagkit check <file.lua>`: a user's own check file, same options and exit status as run.
local cli = require "cli_helper"
local U = require "spec_util"

describe("diagkit check", function()
  local check = cli.src .. "/tests/fixtures/checks/disk_space_check.lua"

  it("runs a user check and reports its warning (exit 1)", function()
    local r = cli.run({ "check", check, "-p", "dir=/nonexistent/folder" })
    assert.are.equal(1, r.code, r.stderr)
    assert.truthy(r.stdout:find("Folder /nonexistent/folder does not exist", 1, true))
  end)

  it("exits 0 when the check finds nothing", function()
    local r = cli.run({ "check", check, "-p", "dir=/" })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("No findings.", 1, true))
  end)

  it("rejects a missing required parameter with one line and 64", function()
    local r = cli.run({ "check", check })
    assert.are.equal(64, r.code)
    assert.are.equal("diagkit: missing required parameter 'dir' (-p dir=...)\n", r.stderr)
  end)

  it("reports a check that is not a playbook as a usage error", function()
    local path = U.tmpfile("return 42\n")
    local r = cli.run({ "check", path })
    os.remove(path)
    assert.are.equal(64, r.code)
    assert.truthy(r.stderr:find("must return diagkit.playbook", 1, true))
  end)

  it("reports a check that raises as 'could not diagnose' (exit 3)", function()
    local path = U.tmpfile([[return diagkit.playbook { id = "boom", title = "t", summary = "s",
      run = function() error("kaboom") end }]])
    local r = cli.run({ "check", path, "--format", "nagios" })
    os.remove(path)
    assert.are.equal(3, r.code)
    assert.truthy(r.stdout:match("^DIAGKIT BOOM UNKNOWN %- could not diagnose: [^\n]*kaboom"), r.stdout)
    assert.falsy(r.stdout:find("|", 1, true), "no perfdata for UNKNOWN")
  end)
end)
