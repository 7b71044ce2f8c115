-- The sandbox of checks that are not bundled: every hostile check is stopped
-- with its own error, and the next check in the same Lua state (the same
-- host) runs normally. The checks are real files, loaded the way `diagkit
-- check` loads them.
require "diagkit"
local playbook = require "diagkit.playbook"
local sandbox = require "diagkit.sandbox"

local dir = os.tmpname()
os.remove(dir)
assert(os.execute("mkdir -p " .. dir))

local function write(name, body)
  local path = dir .. "/" .. name .. ".lua"
  local f = assert(io.open(path, "wb"))
  f:write(body)
  f:close()
  return path
end

-- A check whose run() is `body`.
local function check(name, body, params)
  return write(name, string.format([[
return diagkit.playbook{ id = %q, title = "hostile", summary = "a check that misbehaves",
  params = %s,
  run = function(ctx, params)
%s
  end }
]], name, params or "{}", body))
end

local function policy(extra)
  local opts = { instructions = 20000000, memory = 64 * 1024 * 1024 }
  for k, v in pairs(extra or {}) do opts[k] = v end
  return assert(sandbox.policy(opts))
end

-- Loads and runs; returns the report (or nil, load error).
local function run(path, p, raw, modules)
  local def, err = playbook.load_file(path, { sandbox = sandbox.loader(p or policy()) })
  if not def then return nil, err end
  return assert(playbook.run(def, raw or {}, { modules = modules }))
end

local good = check("good", [[
    ctx:fact("status", ctx.codes.name("ntstatus", 0xC0000005))
    ctx:finding { id = "good.one", severity = "warning", title = "still works" }
]])

-- After each hostile check: the same state runs a good one normally.
local function assert_host_usable()
  local rep = assert(run(good))
  assert.are.same({}, rep.errors)
  assert.are.equal("STATUS_ACCESS_VIOLATION", rep.facts.status)
  assert.are.equal("good.one", rep.findings[1].id)
end

local function assert_stopped(path, pattern, p)
  local rep, err = run(path, p)
  local message = rep and rep.errors[1] or err
  assert.is_string(message, "the check was not stopped")
  assert.truthy(message:find(pattern), "unexpected error: " .. message)
  assert_host_usable()
  return message
end

describe("the sandbox", function()
  teardown(function() os.execute("rm -rf " .. dir) end)

  it("runs a well-behaved check with findings and facts", function()
    assert_host_usable()
  end)

  it("stops an endless loop with the instruction budget", function()
    assert_stopped(check("loop", "while true do end"), "more than 20000000 instructions")
  end)

  it("stops a loop that swallows the budget error with pcall", function()
    assert_stopped(check("pcall-loop", [[
      while true do pcall(function() while true do end end) end]]), "more than 20000000 instructions")
  end)

  it("stops an endless loop inside a coroutine", function()
    assert_stopped(check("co-loop", [[
      coroutine.wrap(function() while true do end end)()]]), "instructions")
  end)

  it("stops a memory bomb with the memory cap", function()
    assert_stopped(check("membomb", [[
      local t = {} ; for i = 1, math.huge do t[i] = { i, i, i } end]]), "more than 64 MiB of memory")
  end)

  it("stops a string.rep bomb", function()
    assert_stopped(check("repbomb", [[ local s = ("x"):rep(1 << 30) ; ctx:fact("n", #s) ]]), "64 MiB")
    assert_stopped(check("repbomb2", [[ local s = string.rep("x", 1 << 30) ]]), "64 MiB")
  end)

  it("stops a pattern that backtracks inside one string.find call", function()
    -- No Lua instruction runs while the C matcher backtracks: the pattern
    -- functions charge their steps to the same budget.
    assert_stopped(check("patbomb", [[ local s = ("a"):rep(3000) ; s:find(".-.-.-.-.-.-b") ]]),
      "more than 20000000 instructions")
    assert_stopped(check("patbomb2", [[ string.match(("a"):rep(3000), "(.-)(.-)(.-)(.-)$b") ]]),
      "more than 20000000 instructions")
    assert_stopped(check("patbomb3", [[ for _ in ("ab"):rep(2000):gmatch(".-.-.-.-c") do end ]]), "instructions")
    assert_stopped(check("patbomb4", [[ ("a"):rep(3000):gsub(".-.-.-.-.-b", "") ]]), "instructions")
  end)

  it("gives checks the same pattern results as the string library", function()
    local same = check("patterns", [[
      local s = "key = value ; (nested (parens)) 42"
      ctx:fact("r", { s:find("(%w+)%s*=%s*(%w+)"), s:match("%b()"), select(2, s:gsub("%d", "#")),
        string.find(s, "value", 1, true), s:match("()%d+()") })
      local words = {}
      for w in s:gmatch("%a+") do words[#words + 1] = w end
      ctx:fact("words", words)]])
    local rep = assert(run(same))
    assert.are.same({}, rep.errors)
    local s = "key = value ; (nested (parens)) 42"
    -- The same expressions in the host, with the real string library.
    assert.are.same({ s:find("(%w+)%s*=%s*(%w+)"), s:match("%b()"), select(2, s:gsub("%d", "#")),
      string.find(s, "value", 1, true), s:match("()%d+()") }, rep.facts.r)
    assert.are.same({ 1, "(nested (parens))", 2, 7, 33, 35 }, rep.facts.r)
    assert.are.same({ "key", "value", "nested", "parens" }, rep.facts.words)
    -- The host's own string metatable is back to the real functions.
    assert.are.equal(string.find, ("").find)
  end)

  it("stops runaway recursion", function()
    assert_stopped(check("recurse", [[
      local function f(n) return 1 + f(n + 1) end ; f(1)]], nil), "stack overflow")
  end)

  it("stops a check whose top level misbehaves, before any run", function()
    local path = write("toplevel", "while true do end")
    local def, err = playbook.load_file(path, { sandbox = sandbox.loader(policy()) })
    assert.is_nil(def)
    assert.truthy(err:find("instructions"), err)
    assert_host_usable()
  end)

  local forbidden = {
    { "os.execute", [[os.execute("true")]], "os.execute is not allowed" },
    { "os.remove", [[os.remove("/tmp/x")]], "os.remove is not allowed" },
    { "os.exit", [[os.exit(1)]], "os.exit is not allowed" },
    { "io.popen", [[io.popen("id")]], "io.popen is not allowed" },
    { "io.write", [[io.write("x")]], "io.write is not allowed" },
    { "io.open for writing", [[io.open("/tmp/x", "w")]], "files can only be read" },
    { "package.loadlib", [[package.loadlib("libc.so.6", "system")]], "package is not allowed" },
    { "debug", [[debug.sethook()]], "debug is not allowed" },
    { "string.dump", [[string.dump(function() end)]], "string.dump is not allowed" },
    { "a bytecode chunk", [[load(string.char(27) .. "LuaT\0")]], "binary chunk" },
    { "load in binary mode", [[load("return 1", "x", "b")]], "binary chunks" },
    { "require of a C module", [[require "socket.core"]], "require 'socket.core' is not allowed" },
    { "lfs.mkdir", [[require("lfs").mkdir("/tmp/pwned")]], "lfs.mkdir is not allowed" },
    { "require of a host module", [[require "diagkit.cli"]], "require 'diagkit.cli' is not allowed" },
    { "the limits module", [[require "diagkit.limits"]], "diagkit.limits" },
    { "a __gc finalizer", [[setmetatable({}, { __gc = function() while true do end end })]], "__gc" },
    { "collectgarbage('stop')", [[collectgarbage("stop")]], "collectgarbage%('stop'%)" },
    { "dofile outside the allowed folders", [[dofile("/etc/passwd")]], "dofile cannot read /etc/passwd" },
    { "reading outside the allowed folders", [[io.open("/etc/passwd")]], "io.open cannot read /etc/passwd" },
    { "a native read outside", [[require("diagkit.log").tail("/etc/passwd", 1)]], "log.tail cannot read" },
    { "a diagkit.files read outside", [[require("diagkit.files").head("/etc/passwd", 4)]], "io.open cannot read /etc/passwd" },
    { "diagkit.files bound to another open", [[require("diagkit.files").using(io.open).exists("/etc/passwd")]],
      "io.open cannot read /etc/passwd" },
    { "starting a process", [[ctx.proc.run { argv = { "true" } }]], "proc.run: starting a process" },
    { "running a bundled playbook", [[ctx:run("exit-code", { argv = { "true" } })]], "ctx:run" },
  }
  for _, case in ipairs(forbidden) do
    it("refuses " .. case[1] .. " with a specific error", function()
      local name = case[1]:gsub("[^%w]+", "-"):lower()
      local message = assert_stopped(check(name, "      " .. case[2]), case[3])
      -- The error points at the check's own line, not into the sandbox.
      assert.truthy(message:find(name .. ".lua:", 1, true) or message:find("binary chunk"), message)
    end)
  end

  it("lets a check read what the user allowed, and path params", function()
    local data = dir .. "/data"
    assert(os.execute("mkdir -p " .. data))
    local f = assert(io.open(data .. "/app.log", "wb"))
    f:write("line one\nline two\n")
    f:close()
    local reader = check("reader", [[
      local fh = assert(io.open(params.file))
      ctx:fact("first", fh:read("l"))
      fh:close()
      ctx:fact("tail", require("diagkit.log").tail(params.file, 1)[1])
      ctx:fact("head", require("diagkit.files").first_line(params.file))]],
      [[{ file = { type = "path", help = "a log" } }]])
    -- Not allowed: the path param alone is enough.
    local rep = assert(run(reader, policy(), { file = data .. "/app.log" }))
    assert.are.same({}, rep.errors)
    assert.are.equal("line one", rep.facts.first)
    assert.are.equal("line two", rep.facts.tail)
    assert.are.equal("line one", rep.facts.head)
    -- A folder given with --allow-read covers what is under it, and no more.
    local other = check("other", [[ctx:fact("n", #require("diagkit.log").tail("]] .. data .. [[/app.log", 5))]])
    assert.truthy(run(other, policy()).errors[1]:find("cannot read"))
    assert.are.same({}, run(other, policy { allow_read = { data } }).errors)
    local escape = check("escape", [[io.open("]] .. data .. [[/../reader.lua")]])
    assert.truthy(run(escape, policy { allow_read = { data } }).errors[1]:find("cannot read"))
    -- The root folder allows everything (its path already ends in the separator).
    assert.are.same({}, run(other, policy { allow_read = { "/" } }).errors)
  end)

  it("depends on the playbook model, which does not require the sandbox", function()
    local src = assert(package.searchpath("diagkit.playbook", package.path))
    local fh = assert(io.open(src, "rb"))
    local text = fh:read("a")
    fh:close()
    assert.is_nil(text:find([[require%s*%(?%s*["']diagkit%.sandbox]]))
  end)

  it("starts processes only with allow_exec", function()
    local runner = check("runner", [[ctx:fact("code", ctx.proc.run { argv = { "sh", "-c", "exit 7" } }.exit_code)]])
    assert.truthy(run(runner, policy()).errors[1]:find("starting a process"))
    local rep = run(runner, policy { allow_exec = true })
    assert.are.same({}, rep.errors)
    assert.are.equal(7, rep.facts.code)
  end)

  it("keeps the host's modules and string library out of reach", function()
    local tamper = check("tamper", [[
      local json = require "diagkit.json"
      local ok1 = pcall(function() json.encode = function() return "pwned" end end)
      local ok2 = pcall(function() ctx.codes.lookup = nil end)
      local ok3 = pcall(function() diagkit.proc = {} end)
      string.format = function() return "pwned" end
      ctx:fact("results", { ok1, ok2, ok3, getmetatable("") == nil })]])
    local rep = assert(run(tamper))
    assert.are.same({}, rep.errors)
    assert.are.same({ false, false, false, true }, rep.facts.results)
    assert.are.equal("x=1", string.format("x=%d", 1))
    assert.are.equal('{"a":1}', require("diagkit.json").encode({ a = 1 }))
    assert_host_usable()
  end)

  it("copies what a check reports, so it cannot change it afterwards", function()
    local sneaky = check("sneaky", [[
      local f = { id = "sneaky.one", severity = "info", title = "before" }
      ctx:finding(f)
      f.title = "after" ; f.severity = {}
      local fact = { n = 1 }
      ctx:fact("t", fact)
      fact.n = setmetatable({}, {})]])
    local rep = assert(run(sneaky))
    assert.are.same({}, rep.errors)
    assert.are.equal("before", rep.findings[1].title)
    assert.are.equal(1, rep.facts.t.n)
  end)

  it("refuses facts that are not plain data", function()
    local bad = check("badfact", [[ctx:fact("f", { print })]])
    assert.truthy(run(bad).errors[1]:find("only plain data"))
    local cyclic = check("cyclic", [[local t = {} ; t.self = t ; ctx:fact("t", t)]])
    assert.truthy(run(cyclic).errors[1]:find("refers back to itself"))
  end)

  it("lets a check stat and list folders through lfs", function()
    local lister = check("lister", [[
      local lfs = require "lfs"
      local n = 0
      for name in lfs.dir("/") do n = n + 1 end
      ctx:fact("mode", lfs.attributes("/", "mode"))
      ctx:fact("some", n > 2)]])
    local rep = assert(run(lister))
    assert.are.same({}, rep.errors)
    assert.are.same({ mode = "directory", some = true }, rep.facts)
  end)

  it("classifies every function of every native module and of lfs", function()
    for k, v in pairs(require "lfs") do
      if type(v) == "function" then assert.is_not_nil(sandbox.LFS[k], "lfs." .. k .. " is not classified") end
    end
    local core = require "diagkit.core"
    for _, name in ipairs(core.modules) do
      local short = name:sub(9)
      local rules = sandbox.NATIVE[short]
      assert.is_not_nil(rules, name .. " is not classified in diagkit/sandbox.lua")
      if rules then
        for k, v in pairs(require(name)) do
          if type(v) == "function" then
            assert.is_not_nil(rules[k], name .. "." .. k .. " is not classified in diagkit/sandbox.lua")
          end
        end
      end
    end
  end)
end)
