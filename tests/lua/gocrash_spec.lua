-- diagkit.gocrash on real Go outputs: the committed go1.19.8 recordings and a
-- corpus built now with the installed Go (tests/fixtures/go/make_corpus.sh).
require "diagkit"
local gocrash = require "diagkit.gocrash"

local U = require "spec_util"

local src, bin, recorded = U.src, U.bin, U.go_recorded
local read = U.read_if

-- case -> what every Go version must give
local expect = {
  nilptr = { kind = "panic", cause = "nil-pointer", func = "main.load", line = 11,
    message = "runtime error: invalid memory address or nil pointer dereference" },
  index = { kind = "panic", cause = "index-out-of-range", func = "main.pick", line = 10,
    message = "runtime error: index out of range [5] with length 3" },
  custom = { kind = "panic", cause = "custom", func = "main.connect", line = 7,
    message = "cannot connect to db.internal:5432: connection refused" },
  nested = { kind = "panic", cause = "custom", func = "main.cleanup", line = 8,
    message = "cleanup failed after: first failure" },
  nilmap = { kind = "panic", cause = "nil-map", func = "main.(*registry).add", line = 9,
    message = "assignment to entry in nil map" },
  concmap = { kind = "fatal", cause = "concurrent-map-writes", func = "main.writer", line = 9,
    message = "concurrent map writes" },
  deadlock = { kind = "fatal", cause = "deadlock", func = "main.main", line = 18,
    message = "all goroutines are asleep - deadlock!" },
  race = { kind = "race", cause = "data-race", func = "main.bump", line = 13, exit = 66 },
  stackoverflow = { kind = "fatal", cause = "stack-overflow", func = "main.depth", line = 6,
    message = "stack overflow" },
  oom = { kind = "fatal", cause = "out-of-memory", func = "main.grow", line = 10, message = "out of memory" },
  goroutines = { kind = "panic", cause = "custom", func = "main.main", line = 45, message = "dump requested" },
  gctrace = { kind = "trace" },
}

local function check_case(name, text, os_name)
  local e = expect[name]
  local r = gocrash.parse(text)
  assert.are.equal(e.kind, r.kind, name)
  assert.are.equal(e.cause, r.cause, name)
  if e.message then assert.are.equal(e.message, r.message, name) end
  if e.func then
    local fu = assert(r.first_user_frame, name .. ": no first user frame")
    assert.are.equal(e.func, fu.func, name)
    assert.are.equal("dkcrash/" .. name .. "/main.go", fu.file, name)
    assert.are.equal(e.line, fu.line, name)
    assert.are.equal("user", fu.class)
  end
  if e.kind ~= "trace" then assert.are.equal(e.exit or 2, r.exit_code, name) end
  assert.is_false(r.truncated, name .. " " .. os_name)
  return r
end

describe("gocrash.parse on recorded go1.19.8 outputs", function()
  for _, os_name in ipairs { "linux", "windows" } do
    for name in pairs(expect) do
      local text = read(recorded .. "/" .. os_name .. "/" .. name .. ".txt")
      if text then
        it(os_name .. "/" .. name, function()
          local r = check_case(name, text, os_name)
          local code = tonumber(read(recorded .. "/" .. os_name .. "/" .. name .. ".exit"))
          if r.exit_code then assert.are.equal(code, r.exit_code) end
        end)
      end
    end
  end

  it("reads the Windows signal line as an exception code", function()
    local r = gocrash.parse(read(recorded .. "/windows/nilptr.txt"))
    assert.are.same({ name = "0xc0000005", code = "0x0", addr = "0x0", pc = r.signal.pc }, r.signal)
    assert.truthy(r.signal.pc:match("^0x%x+$"))
  end)

  it("buckets the 40-goroutine dump and lists the ids", function()
    local r = gocrash.parse(read(recorded .. "/linux/goroutines.txt"))
    assert.are.equal(41, r.goroutine_count)
    assert.are.equal(41, #r.goroutines)
    local counts = {}
    for _, b in ipairs(r.buckets) do counts[#counts + 1] = b.count .. " " .. b.state end
    assert.are.same({ "38 chan receive", "1 running", "1 semacquire", "1 sleep" }, counts)
    local top = r.buckets[1]
    assert.are.equal(38, #top.ids)
    assert.are.equal("main.worker", top.first_user_frame.func)
    assert.are.equal(13, top.first_user_frame.line)
    assert.are.equal("main.main", top.created_by.func)
    assert.are.equal(41, top.created_by.line)
    assert.are.equal(1, r.crashed.id)
    assert.are.equal(r.crashed, r.goroutines[1])
  end)

  it("keeps the nested panic chain", function()
    local r = gocrash.parse(read(recorded .. "/linux/nested.txt"))
    assert.are.equal(2, #r.panics)
    assert.are.same({ message = "first failure", recovered = true, line = 1 }, r.panics[1])
    assert.are.equal("cleanup failed after: first failure", r.panics[2].message)
  end)

  it("summarises the race report", function()
    local r = gocrash.parse(read(recorded .. "/linux/race.txt"))
    assert.are.equal(1, #r.races)
    local race = r.races[1]
    assert.is_true(race.complete)
    assert.are.equal("read", race.accesses[1].op)
    assert.are.equal("write", race.accesses[2].op)
    assert.is_true(race.accesses[2].previous)
    assert.are.equal(2, #race.goroutines)
    assert.are.equal("main.main", race.goroutines[1].first_user_frame.func)
    assert.are.equal(20, race.goroutines[1].first_user_frame.line)
    assert.are.equal(1, r.races_found)
  end)

  it("parses gctrace lines into numbers", function()
    local r = gocrash.parse(read(recorded .. "/linux/gctrace.txt"))
    assert.is_true(#r.gc >= 5)
    local g = r.gc[1]
    assert.are.equal(1, g.n)
    assert.are.equal(3, #g.clock_ms)
    assert.is_true(g.goal_mb >= 1)
    assert.is_true(g.heap_end_mb >= g.heap_live_mb)
    assert.is_true(r.gc[#r.gc].forced)
  end)

  it("reads CRLF line ends exactly like LF", function()
    local text = read(recorded .. "/linux/concmap.txt")
    local a = gocrash.parse(text)
    local b = gocrash.parse((text:gsub("\n", "\r\n")))
    assert.are.equal(a.message, b.message)
    assert.are.same(a.first_user_frame, b.first_user_frame)
    assert.are.equal(#a.buckets, #b.buckets)
  end)

  it("says where a truncated dump stopped", function()
    local text = read(recorded .. "/linux/goroutines.txt")
    local cut = text:sub(1, (text:find("main.worker(0x0?)\n", 2000, true)) + 17)
    local r = gocrash.parse(cut)
    assert.is_true(r.truncated)
    assert.truthy(r.stopped.reason:find("truncated goroutine", 1, true))
    assert.are.equal("main.worker(", cut:sub(r.stopped.offset + 1, r.stopped.offset + 12))
    assert.are.equal("dump requested", r.message)
  end)

  it("leaves the goroutine list out on request", function()
    local r = gocrash.parse(read(recorded .. "/linux/goroutines.txt"), { goroutines = false })
    assert.is_nil(r.goroutines)
    assert.are.equal(41, r.goroutine_count)
    assert.are.equal(1, r.crashed.id)
    assert.are.equal(4, #r.buckets)
  end)

  it("classifies frames", function()
    assert.are.equal("std", gocrash.classify("net/http.(*conn).serve", "/usr/lib/go/src/net/http/server.go", "/usr/lib/go"))
    assert.are.equal("runtime", gocrash.classify("runtime.gopark", "runtime/proc.go"))
    assert.are.equal("dependency", gocrash.classify("github.com/a/b.F", "/home/u/go/pkg/mod/github.com/a/b@v1.0.0/f.go"))
    assert.are.equal("user", gocrash.classify("github.com/me/app.F", "/src/app/f.go"))
    assert.are.equal("user", gocrash.classify("tool/x.F", "tool/x/f.go", nil, "tool"))
  end)

  it("raises on a bad argument", function()
    assert.has_error(function() gocrash.parse() end)
    assert.has_error(function() gocrash.parse("x", { goroutines = 1 }) end)
  end)

  it("returns kind none for text with nothing from Go", function()
    local r = gocrash.parse("hello\nworld\n")
    assert.are.equal("none", r.kind)
    assert.are.equal(2, r.other_lines)
    assert.is_nil(r.first_user_frame)
  end)
end)

describe("gocrash.parse on a corpus built with the installed Go", function()
  local out = bin .. "/go-corpus"
  local ok, _, code = os.execute(string.format("'%s/tests/fixtures/go/make_corpus.sh' '%s' all >'%s.log' 2>&1", src, out, out))
  if not ok and code == 77 then
    pending("Go is not installed: tests/fixtures/go/make_corpus.sh skipped")
    return
  end
  assert(ok, "make_corpus.sh failed, see " .. out .. ".log")

  for _, os_name in ipairs { "linux", "windows" } do
    for name in pairs(expect) do
      local path = out .. "/" .. os_name .. "/" .. name .. ".txt"
      local text = read(path)
      if text then
        it(os_name .. "/" .. name, function()
          check_case(name, text, os_name)
        end)
      end
    end
  end

  it("buckets the 10,000-goroutine dump", function()
    local text = assert(read(out .. "/linux/goroutines.txt"))
    local r = gocrash.parse(text)
    assert.are.equal(10001, r.goroutine_count)
    local counts = {}
    for _, b in ipairs(r.buckets) do counts[#counts + 1] = b.count .. " " .. b.state end
    assert.are.same({ "9880 chan receive", "100 semacquire", "20 sleep", "1 running" }, counts)
    assert.are.equal(19, r.buckets[2].first_user_frame.line)
    assert.are.equal("main.locker", r.buckets[2].first_user_frame.func)
    assert.are.equal(9880, #r.buckets[1].ids)
  end)
end)
