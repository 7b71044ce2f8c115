-- Users' own checks through the real binary: the folders `list` and `run`
-- search, a user playbook overriding a bundled one, the sandbox options, and
-- `diagkit new-check`.
local cli = require "cli_helper"
local json = require "diagkit.json"
local U = require "spec_util"

local function facts(r)
  local rep = json.decode(r.stdout)
  assert(rep, "not JSON: " .. r.stdout .. r.stderr)
  return rep.facts
end

local tmpdir, write = U.tmpdir, U.write

local function playbook_file(dir, id, body)
  assert(os.execute("mkdir -p " .. dir))
  write(dir .. "/" .. id .. ".lua", string.format([[
return diagkit.playbook{ id = %q, title = "user playbook %s", summary = "from a user folder",
  params = { argv = { type = "argv", help = "program" } },
  run = function(ctx, params)
%s
  end }
]], id, id, body or [[ctx:finding{ id = "user.hello", severity = "info", title = "hello from " .. ctx.playbook.id }]]))
end

describe("user playbook folders", function()
  local root = tmpdir()
  local env = {
    DIAGKIT_PATH = root .. "/path1:" .. root .. "/path2",
    XDG_CONFIG_HOME = root .. "/config",
    DIAGKIT_SYSTEM_PLAYBOOKS = root .. "/etc",
  }
  playbook_file(root .. "/path2", "from-path")
  playbook_file(root .. "/config/diagkit/playbooks", "from-config")
  playbook_file(root .. "/etc", "from-etc")
  -- Same id in two user folders: the earlier folder wins.
  playbook_file(root .. "/path1", "twice", [[ctx:fact("which", "path1")]])
  playbook_file(root .. "/etc", "twice", [[ctx:fact("which", "etc")]])
  -- A user exit-code replaces the bundled one, with a note.
  playbook_file(root .. "/config/diagkit/playbooks", "exit-code",
    [[ctx:finding{ id = "user.override", severity = "warning", title = "the user's exit-code" }]])
  teardown(function() U.rmrf(root) end)

  it("are listed beside the bundled playbooks, with where they come from", function()
    local r = cli.run({ "list" }, env)
    assert.are.equal(0, r.code, r.stderr)
    for _, id in ipairs { "from-path", "from-config", "from-etc", "twice", "flash-exit", "missing-dll" } do
      assert.truthy(r.stdout:find("\n" .. id .. " ", 1, true) or r.stdout:find("^" .. id .. " "), id)
    end
    assert.truthy(r.stdout:find(root .. "/config/diagkit/playbooks/exit-code.lua, overrides the bundled one", 1, true))
    local j = require("diagkit.json").decode(cli.run({ "list", "--format", "json" }, env).stdout)
    local by_id = {}
    for _, p in ipairs(j.playbooks) do by_id[p.id] = p end
    assert.is_true(by_id["missing-dll"].bundled)
    assert.is_false(by_id["from-etc"].bundled)
    assert.are.equal(root .. "/path1/twice.lua", by_id.twice.file)
  end)

  it("run finds each of them; the first folder wins a clash", function()
    for _, id in ipairs { "from-path", "from-config", "from-etc" } do
      local r = cli.run({ "run", id, "--format", "json", "--", "true" }, env)
      assert.are.equal(0, r.code, r.stderr)
      assert.truthy(r.stdout:find("hello from " .. id, 1, true))
    end
    local r = cli.run({ "run", "twice", "--format", "json", "--", "true" }, env)
    assert.are.equal("path1", facts(r).which)
  end)

  it("a user playbook overrides a bundled one and says so on stderr", function()
    local r = cli.run({ "run", "exit-code", "--", "true" }, env)
    assert.are.equal(1, r.code, r.stderr)
    assert.truthy(r.stdout:find("the user's exit-code", 1, true))
    assert.truthy(r.stderr:find("note: .*exit%-code%.lua overrides the bundled playbook 'exit%-code'"), r.stderr)
    local info = cli.run({ "info", "exit-code" }, env)
    assert.truthy(info.stdout:find("runs in the sandbox unless --trust", 1, true))
  end)

  it("user playbooks run in the sandbox unless --trust", function()
    playbook_file(root .. "/path1", "runner", [[ctx:fact("code", ctx.proc.run{ argv = params.argv }.exit_code)]])
    local r = cli.run({ "run", "runner", "--", "sh", "-c", "exit 5" }, env)
    assert.are.equal(3, r.code)
    assert.truthy(r.stdout:find("proc.run: starting a process is not allowed", 1, true), r.stdout)
    r = cli.run({ "run", "runner", "--allow-exec", "--format", "json", "--", "sh", "-c", "exit 5" }, env)
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.are.equal(5, facts(r).code)
    r = cli.run({ "run", "runner", "--trust", "--format", "json", "--", "sh", "-c", "exit 6" }, env)
    assert.are.equal(6, facts(r).code)
  end)
end)

describe("diagkit check in the sandbox", function()
  local dir = tmpdir()
  teardown(function() U.rmrf(dir) end)

  it("stops an endless loop with the budget given on the command line", function()
    write(dir .. "/loop.lua", [[return diagkit.playbook{ id = "loop", title = "t", summary = "s",
      run = function() while true do end end }]])
    local r = cli.run({ "check", dir .. "/loop.lua", "--max-instructions", "5000000" })
    assert.are.equal(3, r.code)
    assert.truthy(r.stdout:find("more than 5000000 instructions", 1, true), r.stdout)
  end)

  it("stops a memory bomb at --max-memory", function()
    write(dir .. "/bomb.lua", [[return diagkit.playbook{ id = "bomb", title = "t", summary = "s",
      run = function() local t = {} for i = 1, math.huge do t[i] = ("x"):rep(1000) .. i end end }]])
    local r = cli.run({ "check", dir .. "/bomb.lua", "--max-memory", "32", "--format", "json" })
    assert.are.equal(3, r.code)
    assert.truthy(r.stdout:find("more than 32 MiB", 1, true), r.stdout)
  end)

  it("reads files only under --allow-read", function()
    local data = dir .. "/data"
    assert(os.execute("mkdir -p " .. data))
    write(data .. "/conf.txt", "secret=1\n")
    write(dir .. "/reader.lua", string.format([[return diagkit.playbook{ id = "reader", title = "t", summary = "s",
      run = function(ctx) ctx:fact("line", io.lines(%q)()) end }]], data .. "/conf.txt"))
    local r = cli.run({ "check", dir .. "/reader.lua" })
    assert.are.equal(3, r.code)
    assert.truthy(r.stdout:find("io.lines cannot read", 1, true), r.stdout)
    r = cli.run({ "check", dir .. "/reader.lua", "--allow-read", data, "--format", "json" })
    assert.are.equal(0, r.code, r.stdout)
    assert.are.equal("secret=1", facts(r).line)
    r = cli.run({ "check", dir .. "/reader.lua", "--allow-read", dir .. "/nowhere" })
    assert.are.equal(64, r.code)
    assert.truthy(r.stderr:find("--allow-read", 1, true))
  end)

  it("rejects bad budget options as usage errors", function()
    assert.are.equal(64, cli.run({ "check", dir .. "/loop.lua", "--max-instructions", "lots" }).code)
    assert.are.equal(64, cli.run({ "check", dir .. "/loop.lua", "--max-memory", "-1" }).code)
  end)
end)

describe("diagkit new-check", function()
  local dir = tmpdir()
  teardown(function() U.rmrf(dir) end)

  it("writes a check that runs and a spec that passes", function()
    local r = cli.run({ "new-check", "app-errors", "--dir", dir })
    assert.are.equal(0, r.code, r.stderr)
    write(dir .. "/app.log", "start\n10:01 ERROR cannot bind :8080\nstop\n")
    r = cli.run({ "check", dir .. "/app-errors.lua", "-p", "log=" .. dir .. "/app.log", "--format", "json" })
    assert.are.equal(1, r.code, r.stdout .. r.stderr)
    assert.truthy(r.stdout:find("10:01 ERROR cannot bind :8080", 1, true))
    -- The spec, with busted, as the user would run it.
    local busted = string.format("cd %s && %s /usr/bin/busted --lpath='%s/scripts/?.lua;%s/scripts/?/init.lua' " ..
      "--cpath='%s/lua/?.so' app-errors_spec.lua 2>&1", dir, arg and arg[-1] or "lua5.4", cli.src, cli.src,
      os.getenv("DK_BINARY_DIR") or "build")
    local p = assert(io.popen(busted))
    local out = p:read("a")
    local ok = p:close()
    assert.is_true(ok, out)
    assert.truthy(out:find("2 successes / 0 failures", 1, true), out)
  end)

  it("refuses to overwrite, and bad names", function()
    assert.are.equal(64, cli.run({ "new-check", "app-errors", "--dir", dir }).code)
    assert.are.equal(0, cli.run({ "new-check", "app-errors", "--dir", dir, "--force" }).code)
    assert.are.equal(64, cli.run({ "new-check", "Bad Name", "--dir", dir }).code)
  end)
end)
