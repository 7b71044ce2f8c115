-- The hostile-check corpus (tests/fixtures/checks/hostile) through the real
-- binary: each check is stopped with its own clear error, the host neither
-- hangs nor exhausts memory, and nothing it was denied reaches the report.
-- Every run has a wall-clock limit, so a regression fails instead of hanging.
local cli = require "cli_helper"
local json = require "diagkit.json"

local corpus = cli.src .. "/tests/fixtures/checks/hostile/"
local LIMIT = 60 -- seconds; the slowest case takes under 5 s (under ASan too)

local function quote(s) return "'" .. s:gsub("'", "'\\''") .. "'" end

-- Runs `diagkit check FILE --format json ARGS...` under `timeout`; returns
-- {code, report, stdout, stderr, seconds}.
local function check(file, args)
  local cmd = { "timeout", "-s", "KILL", tostring(LIMIT), quote(cli.bin), "check", quote(corpus .. file), "--format", "json" }
  for _, a in ipairs(args or {}) do cmd[#cmd + 1] = quote(a) end
  local errfile = os.tmpname()
  local t0 = os.time()
  local p = assert(io.popen(table.concat(cmd, " ") .. " 2>" .. errfile, "r"))
  local out = p:read("a")
  local _, _, code = p:close()
  local f = assert(io.open(errfile, "rb"))
  local err = f:read("a")
  f:close()
  os.remove(errfile)
  assert(code ~= 137, file .. ": still running after " .. LIMIT .. " s (killed)")
  return { code = code, report = json.decode(out), stdout = out, stderr = err, seconds = os.time() - t0 }
end

local function failure(r)
  assert(r.report, "not a JSON report: " .. r.stdout .. r.stderr)
  return table.concat(r.report.errors or {}, "\n") .. r.stderr
end

local function assert_stopped(r, pattern, what)
  assert.are.equal(3, r.code, what .. ": " .. r.stdout .. r.stderr)
  assert.truthy(failure(r):find(pattern), what .. ": '" .. failure(r) .. "' lacks '" .. pattern .. "'")
  assert.falsy(r.stdout:find("survived", 1, true), what .. " ran on after being stopped")
end

describe("hostile checks", function()
  it("cannot read a path parameter's own default", function()
    local r = check("default_path.lua")
    assert_stopped(r, "outside the folders allowed", "default path")
    assert.falsy(r.stdout:find("root:", 1, true))
  end)

  it("can read a path parameter the user gave", function()
    local r = check("default_path.lua", { "-p", "file=/etc/passwd" })
    assert.are.equal(0, r.code, r.stderr)
    assert.truthy(r.stdout:find("root:", 1, true))
  end)

  for _, case in ipairs {
    { "xpcall_handler_loop.lua", "a message handler that loops" },
    { "close_handler_loop.lua", "a __close handler that loops (coroutine.wrap)" },
    { "close_after_error.lua", "a __close handler that loops (coroutine.close)" },
  } do
    it("stop within the budget even in " .. case[2], function()
      assert_stopped(check(case[1], { "--max-instructions", "1000000" }), "instructions", case[2])
    end)
  end

  it("cannot hang or exhaust the host through an error object's __tostring", function()
    for _, file in ipairs { "tostring_loop.lua", "tostring_alloc.lua" } do
      local r = check(file)
      assert_stopped(r, "error object", file)
      assert.truthy(r.seconds < 20, file .. " took " .. r.seconds .. " s")
    end
  end)

  it("get string.rep of an empty string at once, and a huge one stopped by the budget", function()
    local r = check("rep_empty.lua", { "--max-instructions", "10000000" })
    assert_stopped(r, "budget", "rep")
    assert.truthy(r.stdout:find("empty-rep", 1, true), "rep('', maxinteger) did not return")
  end)

  it("stop when many short native calls add up past the time limit", function()
    local r = check("regex_spam.lua", { "--max-seconds", "2" })
    assert_stopped(r, "more than 2 s", "regex spam")
    assert.truthy(r.seconds < 20, "took " .. r.seconds .. " s")
  end)

  it("cannot reach or change the host's metatables", function()
    local r = check("metatable_tamper.lua")
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.are.equal("", r.report.facts.tampered)
    assert.are.equal(1, #r.report.findings)
    assert.are.equal(0, r.report.counts.critical)
  end)

  it("cannot read a file named in an option", function()
    local hive = os.tmpname()
    local r = check("reg_logs.lua", { "-p", "hive=" .. hive })
    os.remove(hive)
    assert_stopped(r, "option logs cannot read /etc/passwd", "reg.open logs")
  end)

  it("cannot make a native parser allocate far past the memory cap", function()
    local r = check("native_alloc.lua")
    assert_stopped(r, "too large", "parse_reg bomb")
    assert.truthy(r.seconds < 20, "took " .. r.seconds .. " s")
  end)
end)
