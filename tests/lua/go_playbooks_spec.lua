-- go-race, goroutine-leak and go-memory on recorded real Go outputs
-- (tests/fixtures/go/recorded/go1.19.8; see its README).
require "diagkit"
require "diagkit.gocrash"
local U = require "spec_util"

local recorded = U.go_recorded .. "/linux"
local read, tmpfile, run, by_id = U.read, U.tmpfile, U.run_playbook, U.findings

describe("go-race playbook", function()
  it("reports each distinct pair once with its repeat count", function()
    local text = read(recorded .. "/races.txt")
    local path = tmpfile(text .. "some test output\n" .. text)
    local rep = assert(run("go-race", { log = path }))
    os.remove(path)
    assert.are.same({}, rep.errors)
    local pairs_ = by_id(rep, "go.race.pair")
    assert.are.equal(2, #pairs_)
    local lines = {}
    for _, f in ipairs(pairs_) do
      assert.truthy(f.title:find("(reported 2 times)", 1, true), f.title)
      lines[#lines + 1] = f.title:match("read at main%.go:(%d+)")
      assert.truthy(f.detail:find("created at dkcrash/races/main.go:25", 1, true), f.detail)
      assert.truthy(f.detail:find("(finished)", 1, true) or f.detail:find("(running)", 1, true))
    end
    table.sort(lines)
    assert.are.same({ "16", "17" }, lines)
    local sum = by_id(rep, "go.race.summary")[1]
    assert.truthy(sum.title:find("^4 race report%(s%), 2 distinct pair%(s%)"))
    assert.are.equal("error", rep.status)
  end)

  it("says it could not diagnose a log without races", function()
    local rep = assert(run("go-race", { log = recorded .. "/nilptr.txt" }))
    assert.are.equal("unknown", rep.status)
    assert.are.equal(0, #rep.findings)
  end)
end)

describe("goroutine-leak playbook", function()
  local d1, d2 = recorded .. "/leak-1.txt", recorded .. "/leak-2.txt"

  it("finds the stack that grows between two dumps", function()
    local rep = assert(run("goroutine-leak", { dump = { d1, d2 } }))
    assert.are.same({}, rep.errors)
    local g = by_id(rep, "goroutine-leak.growing")
    assert.are.equal(1, #g)
    assert.are.equal("warning", g[1].severity)
    assert.truthy(g[1].title:find("^Goroutines blocked in chan send at main%.go:13 grew from 20 to 200"), g[1].title)
    assert.truthy(g[1].detail:find("created by main.handle", 1, true))
    assert.are.same({ 22, 202 }, rep.facts.goroutine_totals)
  end)

  it("reports no growth when the dumps shrink", function()
    local rep = assert(run("goroutine-leak", { dump = { d2, d1 } }))
    assert.are.equal(0, #by_id(rep, "goroutine-leak.growing"))
    assert.are.equal(1, #by_id(rep, "goroutine-leak.none"))
  end)

  it("needs two dumps and readable files", function()
    local rep = run("goroutine-leak", { dump = { d1 } })
    assert.truthy(rep.errors[1]:find("at least two dumps", 1, true))
    rep = run("goroutine-leak", { dump = { d1, "/nonexistent.txt" } })
    assert.are.equal("unknown", rep.status)
    rep = run("goroutine-leak", { dump = { d1, recorded .. "/gctrace.txt" } })
    assert.are.equal("unknown", rep.status)
  end)
end)

describe("go-memory playbook", function()
  it("reads the heap trend and the GC CPU share from gctrace", function()
    local rep = assert(run("go-memory", { log = recorded .. "/gctrace.txt" }))
    assert.are.same({}, rep.errors)
    local h = by_id(rep, "go.memory.heap-growing")[1]
    assert.truthy(h, "no heap-growing finding")
    assert.truthy(h.title:find("1 MB -> 60 MB over 11 GC cycles", 1, true), h.title)
    local cpu = by_id(rep, "go.memory.gc-cpu")[1]
    assert.truthy(cpu.title:find("4%", 1, true))
    assert.are.equal(11, rep.facts.gc.cycles)
    assert.are.equal(60, rep.facts.gc.live_last_mb)
  end)

  it("warns when the heap goal approaches a limit", function()
    local rep = assert(run("go-memory", { log = recorded .. "/gctrace.txt", limit_mb = 100 }))
    local found
    for _, f in ipairs(by_id(rep, "go.memory.limit")) do
      if f.title:find("given limit", 1, true) then found = f end
    end
    assert.truthy(found)
    assert.are.equal("warning", found.severity)
    rep = assert(run("go-memory", { log = recorded .. "/gctrace.txt", limit_mb = 100000 }))
    for _, f in ipairs(by_id(rep, "go.memory.limit")) do
      if f.title:find("given limit", 1, true) then assert.are.equal("info", f.severity) end
    end
  end)

  it("reads GOMEMLIMIT as a soft limit", function()
    local rep = assert(run("go-memory", { log = recorded .. "/gctrace.txt", gomemlimit = "128MiB" }))
    local f
    for _, x in ipairs(by_id(rep, "go.memory.limit")) do
      if x.title:find("GOMEMLIMIT", 1, true) then f = x end
    end
    assert.truthy(f.title:find("of 128 MB", 1, true), f.title)
    assert.are.equal("warning", f.severity)
  end)

  it("runs a program with GODEBUG=gctrace=1", function()
    local seen
    local rep = assert(run("go-memory", { argv = { "./job" } }, { proc = { run = function(spec)
      seen = spec
      return { status = "exited", exit_code = 0, stderr = read(recorded .. "/gctrace.txt") }
    end } }))
    assert.are.equal("gctrace=1", seen.env.GODEBUG)
    assert.are.equal(11, rep.facts.gc.cycles)
  end)

  it("says it could not diagnose output without gctrace", function()
    local rep = assert(run("go-memory", { log = recorded .. "/nilptr.txt" }))
    assert.are.equal("unknown", rep.status)
  end)
end)
