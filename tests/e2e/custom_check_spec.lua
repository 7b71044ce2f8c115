-- The tutorial of docs/writing-playbooks.md, for real: its check
-- (examples/custom-check/app-starts.lua) under `diagkit check` on real
-- crashers, a fresh --record replayed, its busted spec run in a stock
-- lua5.4 without diagkit/core.so, and the tutorial's snippets equal to the files.
local cli = require "cli_helper"
local json = require "diagkit.json"
local testing = require "diagkit.testing"
local U = require "spec_util"

local EX = cli.src .. "/examples/custom-check"
local CHECK = EX .. "/app-starts.lua"
local read = U.read

local function sh(cmd)
  local out, code = U.output(cmd)
  return code, out
end

describe("the tutorial's check (examples/custom-check)", function()
  it("diagkit check reports a real crash, a real exit status and a program that stays up", function()
    local rep, r = cli.report({ "check", CHECK, "--allow-exec", "--format", "json", "--", cli.crasher("segv") })
    assert.are.equal(2, r.code, r.stderr)
    assert.are.equal("It crashed at once with SIGSEGV", testing.finding(rep, "app-starts.crashed").title)

    rep, r = cli.report({ "check", CHECK, "--allow-exec", "--format", "json", "--", cli.crasher("exit42") })
    assert.are.equal(2, r.code, r.stderr)
    assert.truthy(testing.finding(rep, "app-starts.exited").title:find("status 42", 1, true))

    rep, r = cli.report({ "check", CHECK, "--allow-exec", "-p", "within=0.3", "--format", "json", "--", cli.crasher("hang") })
    assert.are.equal(0, r.code, r.stderr)
    assert.are.equal(0, #rep.findings)
  end)

  it("needs --allow-exec in the sandbox, and says so", function()
    local r = cli.run({ "check", CHECK, "--", cli.crasher("segv") })
    assert.are.equal(3, r.code)
    assert.truthy(r.stdout:find("allow-exec", 1, true), r.stdout)
  end)

  it("records a real run that the replay turns into the same findings", function()
    local dir = os.tmpname()
    os.remove(dir)
    local r = cli.run({ "check", CHECK, "--allow-exec", "--record", dir, "--", cli.crasher("abort") })
    assert.are.equal(2, r.code, r.stderr)
    local real = json.decode(read(dir .. "/app-starts.report.json"))
    local replayed = testing.run(CHECK, nil, testing.replay(dir .. "/app-starts.calls.json"))
    os.execute("rm -rf '" .. dir .. "'")
    assert.are.equal("It crashed at once with SIGABRT", testing.finding(replayed, "app-starts.crashed").title)
    assert.are.same(testing.ids(real), testing.ids(replayed))
    assert.are.equal(real.findings[1].title, replayed.findings[1].title)
  end)

  it("its busted spec passes in a stock lua5.4 without diagkit/core.so", function()
    local env = "LUA_CPATH_5_4=';;' LUA_PATH_5_4=';;' "
    local code, out = sh(env .. "lua5.4 -e 'print(package.searchpath(\"diagkit.core\", package.cpath) == nil)'")
    assert.are.equal(0, code)
    assert.are.equal("true\n", out) -- no core.so anywhere on the path
    code, out = sh(string.format("cd %s && %slua5.4 /usr/bin/busted --lpath='%s/scripts/?.lua;%s/scripts/?/init.lua' -o plainTerminal app-starts_spec.lua",
      EX, env, cli.src, cli.src))
    assert.are.equal(0, code, out)
    assert.truthy(out:find("5 successes / 0 failures / 0 errors", 1, true), out)
  end)

  it("the tutorial shows the check and the spec exactly as they are in examples/custom-check", function()
    local doc = read(cli.src .. "/docs/writing-playbooks.md")
    local shown = {}
    for block in doc:gmatch("```lua\n(.-)```") do
      local file = block:match("^%-%- (examples/custom%-check/[%w_%-%.]+)\n")
      if file then shown[file] = block end
    end
    for _, file in ipairs { "examples/custom-check/app-starts.lua", "examples/custom-check/app-starts_spec.lua" } do
      assert.is_not_nil(shown[file], file .. " is not shown in docs/writing-playbooks.md")
      assert.are.equal(read(cli.src .. "/" .. file), shown[file])
    end
  end)
end)
