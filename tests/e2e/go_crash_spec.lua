-- `diagkit run go-crash` as a user runs it: on saved stderr files, on stdin,
-- and (when diagkit.proc and the Go crashers are built) on a live program.
local cli = require "cli_helper"
local U = require "spec_util"

local recorded = U.go_recorded
local quote = U.q

describe("diagkit run go-crash", function()
  local tmp = {}
  teardown(function()
    for _, p in ipairs(tmp) do os.remove(p) end
  end)

  local function keep(rep_text)
    tmp[#tmp + 1] = U.tmpfile(rep_text)
  end

  it("explains a saved panic (text report)", function()
    local r = cli.run { "run", "go-crash", "-p", "log=" .. recorded .. "/linux/nilptr.txt" }
    assert.are.equal(2, r.code)
    assert.truthy(r.stdout:find("Go panic: nil pointer dereference at main.go:11", 1, true), r.stdout)
    assert.truthy(r.stdout:find("Exit status 2", 1, true))
  end)

  it("writes a JSON report that follows the schema", function()
    local rep, r = cli.report { "run", "go-crash", "--format", "json", "-p", "log=" .. recorded .. "/windows/concmap.txt" }
    keep(r.stdout)
    assert.are.equal("go.fatal.concurrent-map-writes", rep.findings[1].id)
    assert.are.equal("main.writer", rep.facts.go.first_user_frame.func)
    assert.are.equal(9, rep.facts.go.first_user_frame.line)
    local ok, out = cli.validate { tmp[#tmp] }
    assert.is_true(ok, out)
  end)

  it("reads stdin with -p log=-", function()
    local cmd = string.format("%s run go-crash --format json -p log=- < %s", quote(cli.bin), quote(recorded .. "/linux/deadlock.txt"))
    local p = assert(io.popen(cmd, "r"))
    local out = p:read("a")
    p:close()
    local rep = assert(require("diagkit.json").decode(out))
    assert.are.equal("go.fatal.deadlock", rep.findings[1].id)
    assert.are.equal("stdin", rep.findings[1].evidence[1].source)
  end)

  it("rejects a missing file with a could-not-diagnose status", function()
    local r = cli.run { "run", "go-crash", "-p", "log=/nonexistent/crash.txt" }
    assert.are.equal(3, r.code)
    assert.truthy((r.stdout .. r.stderr):find("cannot read", 1, true))
  end)

  it("runs a crashing Go program given after --", function()
    -- the crasher from examples/, else the one tests/lua/gocrash_spec.lua built
    local path
    for _, p in ipairs { cli.crashers .. "/gonilmap", U.bin .. "/go-corpus/bin/linux/nilmap" } do
      local f = io.open(p, "rb")
      if f then
        f:close()
        path = path or p
      end
    end
    if not path then
      pending("no Go nil-map crasher built (examples/crashers or the go-corpus of gocrash_spec)")
      return
    end
    local rep, r = cli.report { "run", "go-crash", "--format", "json", "--", path }
    if rep.status == "unknown" and (r.stdout:find("diagkit.proc is not available", 1, true)) then
      pending("diagkit.proc is not in this build yet")
      return
    end
    assert.are.equal("go.panic.nil-map", rep.findings[1].id)
    assert.are.equal(2, rep.facts.exit.exit_code)
  end)
end)
