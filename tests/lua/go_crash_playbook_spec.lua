-- The go-crash playbook on recorded real Go outputs; the run-a-program path
-- with a fake diagkit.proc that answers with a recorded stderr.
require "diagkit"
require "diagkit.gocrash"
local U = require "spec_util"

local recorded = U.go_recorded
local read, by_id = U.read, U.findings

local function run(raw, modules) return U.run_playbook("go-crash", raw, modules) end

describe("go-crash playbook", function()
  local cases = {
    { "linux/nilptr.txt", "go.panic.nil-pointer", "nil pointer dereference", "main.go:11" },
    { "linux/index.txt", "go.panic.index-out-of-range", "index out of range", "main.go:10" },
    { "linux/custom.txt", "go.panic.custom", "panic raised by the program", "main.go:7" },
    { "linux/nested.txt", "go.panic.custom", "panic raised by the program", "main.go:8" },
    { "windows/nilmap.txt", "go.panic.nil-map", "nil map", "main.go:9" },
    { "linux/concmap.txt", "go.fatal.concurrent-map-writes", "concurrent map writes", "main.go:9" },
    { "linux/deadlock.txt", "go.fatal.deadlock", "deadlock", "main.go:18" },
    { "windows/stackoverflow.txt", "go.fatal.stack-overflow", "recursion", "main.go:6" },
    { "linux/oom.txt", "go.fatal.out-of-memory", "out of memory", "main.go:10" },
  }
  for _, c in ipairs(cases) do
    it("explains " .. c[1], function()
      local rep = run { log = recorded .. "/" .. c[1] }
      assert.are.same({}, rep.errors)
      local f = rep.findings[1]
      assert.are.equal(c[2], f.id)
      assert.are.equal("error", f.severity)
      assert.truthy(f.title:find(c[3], 1, true), f.title)
      assert.truthy(f.title:find(c[4], 1, true), f.title)
      assert.truthy(f.remedy and #f.remedy > 20)
      local exit = by_id(rep, "go.exit-status")[1]
      assert.truthy(exit.title:find("^Exit status 2"))
      assert.are.equal("error", rep.status)
    end)
  end

  it("names the remedy for concurrent map writes and points at -race", function()
    local rep = run { log = recorded .. "/linux/concmap.txt" }
    assert.truthy(rep.findings[1].remedy:find("sync.Mutex", 1, true))
    assert.truthy(rep.findings[1].remedy:find("sync.Map", 1, true))
    assert.are.equal(1, #by_id(rep, "go.hint.race-detector"))
  end)

  it("maps the Windows exception code through diagkit.codes", function()
    local rep = run { log = recorded .. "/windows/nilptr.txt" }
    assert.truthy(rep.findings[1].detail:find("STATUS_ACCESS_VIOLATION", 1, true))
  end)

  it("reports goroutine buckets in plain words", function()
    local rep = run { log = recorded .. "/linux/goroutines.txt" }
    local b = by_id(rep, "go.goroutines.bucket")
    assert.are.equal(3, #b)
    assert.are.equal("38 goroutines blocked in chan receive at main.go:13", b[1].title)
    assert.are.equal(38, b[1].evidence[1].value.count)
    assert.are.equal(45, rep.facts.go.first_user_frame.line)
    assert.are.equal(41, rep.facts.go.goroutine_count)
  end)

  it("reports a race and points at go-race", function()
    local rep = run { log = recorded .. "/linux/race.txt" }
    assert.are.equal("go.race", rep.findings[1].id)
    assert.are.equal("go-race", rep.findings[1].next)
    assert.truthy(by_id(rep, "go.exit-status")[1].title:find("^Exit status 66"))
  end)

  it("warns about a truncated dump and still explains it", function()
    local text = read(recorded .. "/linux/goroutines.txt")
    local path = U.tmpfile(text:sub(1, (text:find("main.worker(0x0?)\n", 2000, true)) + 17))
    local rep = run { log = path }
    os.remove(path)
    assert.are.equal("go.panic.custom", rep.findings[1].id)
    local t = by_id(rep, "go.truncated")[1]
    assert.are.equal("warning", t.severity)
    assert.truthy(t.title:find("cut short at line", 1, true))
  end)

  it("says it could not diagnose text with no Go crash in it", function()
    local path = U.tmpfile("all good\n")
    local rep = run { log = path }
    os.remove(path)
    assert.are.equal(0, #rep.findings)
    assert.are.equal("unknown", rep.status)
  end)

  it("runs a program with GOTRACEBACK=all and uses its real exit status", function()
    local seen
    local fake_proc = {
      run = function(spec)
        seen = spec
        return { status = "exited", exit_code = 2, stderr = read(recorded .. "/linux/deadlock.txt"), stdout = "" }
      end,
    }
    local rep = run({ argv = { "./server", "-v" } }, { proc = fake_proc })
    assert.are.same({ "./server", "-v" }, seen.argv)
    assert.are.equal("all", seen.env.GOTRACEBACK)
    assert.are.equal("go.fatal.deadlock", rep.findings[1].id)
    local exit = by_id(rep, "go.exit-status")[1]
    assert.are.equal("observed", exit.evidence[1].source)
    assert.are.equal(2, rep.facts.exit.exit_code)
  end)

  it("says so when the program cannot be run", function()
    local rep = run({ argv = { "nope" } }, { proc = { run = function() return nil, "not found", "ENOENT" end } })
    assert.are.equal("unknown", rep.status)
  end)
end)
