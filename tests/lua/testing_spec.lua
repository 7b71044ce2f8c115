-- diagkit.testing and diagkit.recording: the recording format's values,
-- the recorder on real native modules (codes, sys) and on a Lua file handle
-- (a userdata with methods), replay matching, fakes and the assertions.
require "diagkit"
local json = require "diagkit.json"
local playbook = require "diagkit.playbook"
local recording = require "diagkit.recording"
local testing = require "diagkit.testing"

local function def(run, params)
  return playbook.define({ id = "t", title = "t", summary = "t", run = run, params = params }, "test")
end

-- Records run(ctx) with a fresh recorder; returns the report and the
-- recording as it would be saved (through JSON and back).
local function record(run, extra_modules)
  local rec = recording.new()
  local modules
  if extra_modules then
    modules = {}
    for name, mod in pairs(extra_modules) do modules[name] = rec:wrap(name, mod) end
  end
  local rep = assert(playbook.run(def(run), {}, { recorder = rec, modules = modules }))
  local data = rec:data { playbook = "t", params = {}, native = recording.native_modules() }
  return rep, assert(json.decode(json.encode(data)))
end

describe("diagkit.recording values", function()
  local function roundtrip(v) return recording.decode(json.decode(json.encode(recording.encode(v)))) end

  it("keeps integral and special floats floats, and integers integers", function()
    assert.are.equal("float", math.type(roundtrip(60.0)))
    assert.are.equal("60.0", tostring(roundtrip(60.0)))
    assert.are.equal("integer", math.type(roundtrip(60)))
    assert.are.equal(1.5, roundtrip(1.5))
    assert.are.equal(math.huge, roundtrip(math.huge))
    assert.are.equal(-math.huge, roundtrip(-math.huge))
    local nan = roundtrip(0 / 0)
    assert.is_true(nan ~= nan)
  end)

  it("keeps bytes that are not UTF-8, tables with other keys, empty arrays and $ keys", function()
    local bytes = "\xff\xfe\0binary\x80"
    assert.are.equal(bytes, roundtrip(bytes))
    assert.are.equal("plain é", roundtrip("plain é"))
    local mixed = roundtrip({ [1] = "a", [5] = "e", x = true })
    assert.are.same({ [1] = "a", [5] = "e", x = true }, mixed)
    local empty = roundtrip(json.array())
    assert.are.equal("[]", json.encode(empty))
    assert.are.same({ ["$float"] = "x", ["$$y"] = 1 }, roundtrip({ ["$float"] = "x", ["$$y"] = 1 }))
  end)

  it("base64 round-trips every length", function()
    for n = 0, 7 do
      local s = ("\0\1\2\255\254\253\128"):sub(1, n)
      assert.are.equal(s, recording.b64decode(recording.b64encode(s)))
    end
    assert.are.equal("aGVsbG8=", recording.b64encode("hello"))
  end)
end)

describe("recording through ctx", function()
  it("records calls of real native modules and replays them into the same report", function()
    local function run(ctx)
      local p = ctx.sys.platform()
      local list = ctx.codes.lookup("0xC0000005")
      ctx:finding { id = "t.code", severity = "info", title = p.os .. " " .. list[1].name }
      local none, msg = ctx.codes.value("NOT_A_NAME_AT_ALL")
      ctx:fact("value", { none == nil, msg ~= nil })
    end
    local rep, data = record(run)
    assert.are.equal("t.code", rep.findings[1].id)
    local names = {}
    for _, c in ipairs(data.calls) do names[#names + 1] = c.module .. "." .. c.fn end
    assert.are.same({ "sys.platform", "codes.lookup", "codes.value" }, names)
    local replayed = testing.run(def(run), {}, testing.replay(data))
    assert.are.equal(rep.findings[1].title, replayed.findings[1].title)
    assert.are.same(rep.facts, replayed.facts)
  end)

  it("records errors a native function raises and raises them again on replay", function()
    local function run(ctx)
      local ok, err = pcall(ctx.codes.lookup)
      ctx:fact("err", { ok, err })
    end
    local rep, data = record(run)
    assert.is_false(rep.facts.err[1])
    assert.truthy(data.calls[1].error:find("bad argument", 1, true))
    local replayed = testing.run(def(run), {}, testing.replay(data))
    assert.are.same(rep.facts.err, replayed.facts.err)
  end)

  it("records a handle's method calls through a proxy (a Lua file: userdata with methods)", function()
    local path = require("spec_util").tmpfile("first\nsecond\n")
    local fio = { open = function(p) return io.open(p, "rb") end }
    local function run(ctx)
      local h = assert(ctx.fio.open(path))
      local a = h:read("l")
      local b = h:read("l")
      local c = h:read("l")
      h:close()
      ctx:fact("read", { a, b, c == nil })
    end
    local rep, data = record(run, { fio = fio })
    os.remove(path)
    assert.are.same({ "first", "second", true }, rep.facts.read)
    local methods = {}
    for _, c in ipairs(data.calls) do
      if c.handle then methods[#methods + 1] = c.method end
    end
    assert.are.same({ "read", "read", "read", "close" }, methods)
    assert.are.equal("FILE*", data.calls[1].results.values[1].type)
    -- the same call h:read("l") gives the recorded answers in order; the
    -- file is gone, so nothing but the recording can answer
    local modules = testing.replay(data)
    local replayed = testing.run(def(run), {}, { fio = modules.fio })
    assert.are.same(rep.facts.read, replayed.facts.read)
  end)

  it("records iterators as lists and callbacks with what they were given", function()
    local mod = {
      each = function(list, cb)
        for _, x in ipairs(list) do cb(x * 10) end
        return #list
      end,
      range = function(n)
        local i = 0
        return function()
          i = i + 1
          if i <= n then return i, i * i end
        end
      end,
    }
    local function run(ctx)
      local seen = {}
      local n = ctx.m.each({ 1, 2, 3 }, function(v) seen[#seen + 1] = v end)
      local squares = {}
      for i, sq in ctx.m.range(3) do squares[i] = sq end
      ctx:fact("out", { n = n, seen = seen, squares = squares })
    end
    local rep, data = record(run, { m = mod })
    assert.are.same({ n = 3, seen = { 10, 20, 30 }, squares = { 1, 4, 9 } }, rep.facts.out)
    assert.are.equal(4, #data.calls[2].results.values[1]["$iterator"])
    assert.are.equal(3, #data.calls[1].callbacks)
    local modules = testing.replay(data)
    local replayed = testing.run(def(run), {}, { m = modules.m })
    assert.are.same(rep.facts.out, replayed.facts.out)
  end)

  it("records nested playbook runs into the same recording", function()
    local inner = def(function(ctx) ctx:fact("p", ctx.sys.platform().os) end)
    local function run(ctx)
      local sub = playbook.run(inner, {}, {})
      ctx:fact("inner", sub.facts.p)
    end
    local _, data = record(run)
    assert.are.equal(1, #data.calls)
    assert.are.equal("sys", data.calls[1].module)
  end)
end)

describe("testing.replay", function()
  local data
  before_each(function()
    data = {
      format = "diagkit.recording/1", native = { "proc", "sys" }, params = {},
      modules = { proc = { functions = { "run", "which" }, fields = {} } },
      calls = {
        { module = "proc", fn = "run", args = { { argv = { "a" }, timeout = 5 } },
          results = { n = 1, values = { { status = "exited", exit_code = 1 } } } },
        { module = "proc", fn = "run", args = { { argv = { "a" }, timeout = 5 } },
          results = { n = 1, values = { { status = "exited", exit_code = 2 } } } },
        { module = "proc", fn = "run", args = { { argv = { "b" }, timeout = 5.0 } },
          results = { n = 3, values = { json.null, "cannot start", "ENOENT" } } },
      },
    }
  end)

  it("answers by arguments, in recorded order, then repeats the last answer", function()
    local proc = testing.replay(data).proc
    assert.are.equal(1, proc.run({ timeout = 5, argv = { "a" } }).exit_code)
    assert.are.equal(2, proc.run({ timeout = 5.0, argv = { "a" } }).exit_code)
    assert.are.equal(2, proc.run({ timeout = 5, argv = { "a" } }).exit_code)
    local r, msg, code = proc.run({ argv = { "b" }, timeout = 5 })
    assert.are.same({ nil, "cannot start", "ENOENT" }, { r, msg, code })
  end)

  it("raises naming module.function and the arguments for a call never recorded", function()
    local proc = testing.replay(data).proc
    local ok, err = pcall(proc.run, { argv = { "c" } })
    assert.is_false(ok)
    assert.truthy(err:find('proc.run({"argv"={"c"}})', 1, true), err)
    assert.truthy(err:find("never recorded", 1, true), err)
    ok, err = pcall(proc.which, "sh")
    assert.is_false(ok)
    assert.truthy(err:find('proc.which("sh")', 1, true), err)
    ok, err = pcall(testing.replay(data).sys.platform)
    assert.is_false(ok)
    assert.truthy(err:find("sys.platform() was called, but the recorded run never used ctx.sys", 1, true), err)
  end)

  it("rejects what is not a recording", function()
    assert.has_error(function() testing.replay({ format = "other" }) end)
    local ok, err = pcall(testing.replay, "/nonexistent/x.calls.json")
    assert.is_false(ok)
    assert.truthy(err:find("cannot read the recording", 1, true), err)
  end)

  it("lists the same native modules as the host has", function()
    assert.are.same(recording.native_modules(), testing.NATIVE)
  end)
end)

describe("testing.fake", function()
  it("returns a fresh copy of a given result, and returns/raises as told", function()
    local m = testing.fake {
      proc = { run = { status = "exited", exit_code = 3 }, which = testing.returns(nil, { "/a/x" }) },
      sys = { platform = testing.raises("no platform here") },
    }
    local a = m.proc.run({})
    a.exit_code = 99
    assert.are.equal(3, m.proc.run({}).exit_code)
    local p, tried = m.proc.which("x")
    assert.are.same({ nil, { "/a/x" } }, { p, tried })
    assert.has_error(function() m.sys.platform() end, "no platform here")
  end)

  it("turns a record list into evtx files and the live log, and a tree into deps.walk", function()
    local m = testing.fake {
      evtx = { { event_id = 1000, provider = "Application Error" }, { event_id = 1026, provider = ".NET Runtime" } },
      deps = { format = "elf", ok = false, problems = { { kind = "not-found", name = "libx.so.1" } } },
    }
    local ids = {}
    local f = m.evtx.open("app.evtx")
    assert.are.equal(2, f:info().records)
    for r in f:records() do ids[#ids + 1] = r.event_id end
    for r in m.evtx.query("Application") do ids[#ids + 1] = r.event_id end
    assert.are.same({ 1000, 1026, 1000, 1026 }, ids)
    assert.are.equal("libx.so.1", m.deps.walk("/bin/x").problems[1].name)
  end)
end)

describe("testing.run and the assertions", function()
  local check = def(function(ctx)
    local r = ctx.proc.run { argv = { "x" } }
    if r.exit_code ~= 0 then
      ctx:finding { id = "t.failed", severity = "error", title = "exit " .. r.exit_code }
    end
    ctx:finding { id = "t.note", severity = "info", title = "ran" }
  end)

  it("runs with fakes and finds findings by id and by pattern", function()
    local rep = testing.run(check, {}, testing.fake { proc = { run = { exit_code = 4 } } })
    assert.are.equal("exit 4", testing.finding(rep, "t.failed").title)
    assert.is_nil(testing.finding(rep, "t.fail"))
    assert.is_true(testing.has_finding(rep, "t.failed"))
    assert.is_true(testing.has_finding(rep, "^t%.f"))
    assert.is_false(testing.has_finding(rep, "t%.missing"))
    assert.are.equal(2, #testing.findings(rep, "^t%."))
    assert.are.same({ "t.failed", "t.note" }, testing.ids(rep))
  end)

  it("raises a playbook's error unless told to keep it", function()
    local modules = testing.fake { proc = { run = testing.raises("boom") } }
    local ok, err = pcall(testing.run, check, {}, modules)
    assert.is_false(ok)
    assert.truthy(err:find("boom", 1, true), err)
    local rep = testing.run(check, {}, modules, { errors = "keep" })
    assert.are.equal("unknown", rep.status)
  end)

  it("loads bundled playbooks by id and check files by path", function()
    local rep = testing.run("exit-code", { argv = { "prog" } }, testing.fake {
      proc = { run = { status = "signaled", signal = 11, signal_name = "SIGSEGV", stderr = "" } },
    })
    assert.is_true(testing.has_finding(rep, "exit.signal.sigsegv"))
    assert.has_error(function() testing.run("no-such-playbook") end)
    local path = require("spec_util").write(os.tmpname() .. ".lua", 'return diagkit.playbook { id = "file-check", title = "t", summary = "s", run = function(ctx)'
      .. ' ctx:finding { id = "file-check.ran", severity = "info", title = ctx.sys.platform().os } end }\n')
    rep = testing.run(path, {}, testing.fake { sys = { platform = { os = "windows" } } })
    os.remove(path)
    assert.are.equal("windows", testing.finding(rep, "file-check.ran").title)
  end)
end)
