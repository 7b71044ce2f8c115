-- `diagkit run/check --record DIR` on real programs that really crash
-- (examples/crashers), then the recording replayed through diagkit.testing:
-- the same findings come out, without running anything.
local cli = require "cli_helper"
local json = require "diagkit.json"
local testing = require "diagkit.testing"
local U = require "spec_util"

local tmpdir = U.tmpdir

local function rmrf(d)
  if d then U.rmrf(d) end
end

local function read_json(path)
  return assert(json.decode(assert(U.read_if(path), path .. " was not written")))
end

-- The findings as id, severity and title: what a user reads.
local function summary(findings)
  local out = {}
  for _, f in ipairs(findings) do out[#out + 1] = f.id .. " " .. f.severity .. " " .. f.title end
  table.sort(out)
  return out
end

local function calls_of(rec, module, fn)
  local out = {}
  for _, c in ipairs(rec.calls) do
    if c.module == module and c.fn == fn then out[#out + 1] = c end
  end
  return out
end

describe("diagkit run --record", function()
  local dir
  before_each(function() dir = tmpdir() end)
  after_each(function() rmrf(dir) end)

  it("records exit-code on a real SIGSEGV and the replay gives the same findings", function()
    local segv = cli.crasher("segv")
    local r = cli.run({ "run", "exit-code", "--record", dir, "--format", "json", "--", segv })
    assert.are.equal(2, r.code, r.stderr)
    local real = assert(json.decode(r.stdout))
    local rec = read_json(dir .. "/exit-code.calls.json")
    assert.are.equal("diagkit.recording/1", rec.format)
    assert.are.equal("exit-code", rec.playbook)
    local runs = calls_of(rec, "proc", "run")
    assert.are.equal(1, #runs)
    assert.are.same({ segv }, runs[1].args[1].argv)
    assert.are.equal("signaled", runs[1].results.values[1].status)
    assert.are.equal(11, runs[1].results.values[1].signal)
    -- the report is saved beside it, the same as --format json printed
    assert.are.same(summary(real.findings), summary(read_json(dir .. "/exit-code.report.json").findings))

    local replayed = testing.run("exit-code", nil, testing.replay(dir .. "/exit-code.calls.json"))
    assert.are.same(summary(real.findings), summary(replayed.findings))
    assert.is_true(testing.has_finding(replayed, "exit.signal.sigsegv"))
    assert.are.equal(real.status, replayed.status)
    assert.are.same(real.facts.exit, json.decode(json.encode(replayed.facts.exit)))
  end)

  it("replays what the recording says, not what the program does: an edited result changes the finding", function()
    local segv = cli.crasher("segv")
    assert.are.equal(2, cli.run({ "run", "exit-code", "--record", dir, "--", segv }).code)
    local rec = read_json(dir .. "/exit-code.calls.json")
    local result = calls_of(rec, "proc", "run")[1].results.values[1]
    result.signal, result.signal_name = 6, "SIGABRT"
    local rep = testing.run("exit-code", nil, testing.replay(rec))
    assert.is_true(testing.has_finding(rep, "exit.signal.sigabrt"), table.concat(testing.ids(rep), ","))
    assert.is_false(testing.has_finding(rep, "sigsegv"))
  end)

  it("fails a replayed call whose arguments were never recorded, naming proc.run and them", function()
    assert.are.equal(2, cli.run({ "run", "exit-code", "--record", dir, "--", cli.crasher("exit42") }).code)
    local modules = testing.replay(dir .. "/exit-code.calls.json")
    local ok, err = pcall(testing.run, "exit-code", { argv = { "/bin/true" } }, modules)
    assert.is_false(ok)
    assert.truthy(err:find("proc.run({\"argv\"={\"/bin/true\"}", 1, true), err)
    assert.truthy(err:find("never recorded", 1, true), err)
    assert.truthy(err:find("exit42", 1, true), err) -- the recorded call is listed
  end)

  it("records flash-exit (two runs, strace, a nested exit-code run) and replays it", function()
    local path = cli.crashers .. "/goconfig"
    if not io.open(path, "rb") then
      pending("Go is not installed: examples/crashers/build/goconfig was not built")
      return
    end
    local r = cli.run({ "run", "flash-exit", "--record", dir, "--format", "json", "--", path })
    local real = assert(json.decode(r.stdout), r.stderr)
    assert.is_true(#real.findings >= 2)
    local rec = read_json(dir .. "/flash-exit.calls.json")
    -- the nested exit-code run recorded into the same file
    assert.is_true(#calls_of(rec, "codes", "lookup") >= 1)
    local replayed = testing.run("flash-exit", nil, testing.replay(rec))
    assert.are.same(summary(real.findings), summary(replayed.findings))
    assert.is_true(testing.has_finding(replayed, "^flash%.cwd%-dependent$"))
  end)

  it("records a sandboxed check's handles (proc.spawn), iterators (log.lines) and failures", function()
    local check = dir .. "/spawner.lua"
    local logf = dir .. "/app.log"
    local f = assert(io.open(logf, "wb"))
    f:write("start\nERROR disk full\nstop\n")
    f:close()
    f = assert(io.open(check, "wb"))
    f:write([[
return diagkit.playbook {
  id = "spawner", title = "spawn and read", summary = "a handle, an iterator, a failure",
  params = { log = { type = "path", required = true, help = "log" } },
  run = function(ctx, p)
    local h = assert(ctx.proc.spawn { argv = { "/bin/sh", "-c", "echo out; exit 7" } })
    local r = h:wait(10)
    local errors = {}
    for line, n in ctx.log.lines(p.log) do
      if line:find("ERROR", 1, true) then errors[#errors + 1] = n .. ": " .. line end
    end
    local none, msg, code = ctx.log.tail(p.log .. ".missing")
    ctx:fact("missing", code)
    ctx:finding { id = "spawner.exit", severity = r.exit_code == 0 and "info" or "warning",
      title = "exit " .. r.exit_code .. ", stdout " .. r.stdout:gsub("\n", "") .. ", " .. #errors .. " error line(s): "
        .. table.concat(errors, "; ") }
  end,
}
]])
    f:close()
    local r = cli.run({ "check", check, "--allow-exec", "--allow-read", dir, "--record", dir .. "/rec",
      "-p", "log=" .. logf, "--format", "json" })
    assert.are.equal(1, r.code, r.stderr .. r.stdout)
    local real = assert(json.decode(r.stdout))
    assert.are.equal("exit 7, stdout out, 1 error line(s): 2: ERROR disk full", real.findings[1].title)
    local rec = read_json(dir .. "/rec/spawner.calls.json")
    local methods = {}
    for _, c in ipairs(rec.calls) do
      if c.method then methods[#methods + 1] = c.method end
    end
    assert.are.same({ "wait" }, methods)
    local lines = calls_of(rec, "log", "lines")[1]
    assert.are.equal(4, #lines.results.values[1]["$iterator"]) -- three lines and the end
    local tail = calls_of(rec, "log", "tail")[1]
    assert.are.same({ 3, "ENOENT" }, { tail.results.n, tail.results.values[3] })

    local replayed = testing.run(check, nil, testing.replay(dir .. "/rec/spawner.calls.json"))
    assert.are.same(summary(real.findings), summary(replayed.findings))
    assert.are.equal("ENOENT", replayed.facts.missing)
  end)

  it("says so when DIR cannot be a folder (exit 64)", function()
    local file = dir .. "/a-file"
    assert(io.open(file, "wb")):close()
    local r = cli.run({ "run", "exit-code", "--record", file, "--", cli.crasher("exit42") })
    assert.are.equal(64, r.code)
    assert.truthy(r.stderr:find("not a folder", 1, true), r.stderr)
  end)
end)
