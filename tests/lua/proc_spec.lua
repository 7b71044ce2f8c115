-- diagkit.proc from Lua (POSIX): run() results for exits, signals, start
-- failures, timeouts; env merge/replace/unset; stdin; output modes and caps;
-- argument checking; which().
require "diagkit"
local proc = require "diagkit.proc"

local U = require "spec_util"

local tmpdir, write = U.tmpdir, U.write

describe("diagkit.proc.run", function()
  it("reports exit codes, argv, pid, path and usage", function()
    for _, code in ipairs { 0, 1, 42, 255 } do
      local r = assert(proc.run { "sh", "-c", "exit " .. code })
      assert.are.equal("exited", r.status)
      assert.are.equal(code, r.exit_code)
      assert.is_nil(r.signal)
      assert.is_false(r.core_dumped)
      assert.are.same({ "sh", "-c", "exit " .. code }, r.argv)
      assert.is_true(r.pid > 0)
      assert.truthy(r.path:match("/sh$"))
      assert.is_number(r.wall_ms)
      assert.is_number(r.user_ms)
      assert.is_number(r.sys_ms)
      assert.is_number(r.max_rss_kb)
    end
  end)

  it("accepts argv in spec.argv", function()
    local r = assert(proc.run { argv = { "sh", "-c", "echo $0 $1", "zero", "one" } })
    assert.are.equal("zero one\n", r.stdout)
    assert.are.equal("", r.stderr)
  end)

  it("reports signals by number and name", function()
    for sig, num in pairs { SEGV = 11, ABRT = 6, KILL = 9 } do
      -- LD_PRELOAD unset: under the ASan build the sanitizer would catch the signal in sh
      local r = assert(proc.run { "sh", "-c", "ulimit -c 0; kill -" .. sig .. " $$", env = { LD_PRELOAD = false } })
      assert.are.equal("signaled", r.status)
      assert.are.equal(num, r.signal)
      assert.are.equal("SIG" .. sig, r.signal_name)
      assert.is_nil(r.exit_code)
    end
  end)

  it("returns a result, not nil, for a program that cannot start", function()
    local r = proc.run { "/nonexistent/dk-program" }
    assert.are.equal("failed", r.status)
    assert.are.equal("ENOENT", r.error.code)
    assert.are.equal("exec", r.error.step)
    assert.is_string(r.error.message)
    assert.is_number(r.error.number)

    local dir = tmpdir()
    write(dir .. "/plain", "text\n", "644")
    r = proc.run { dir .. "/plain" }
    assert.are.equal("EACCES", r.error.code)
    write(dir .. "/garbage", "\1\2\3\4 not a program", "755")
    r = proc.run { dir .. "/garbage" }
    assert.are.equal("ENOEXEC", r.error.code)
    r = proc.run { "true", cwd = dir .. "/nope" }
    assert.are.equal("ENOENT", r.error.code)
    assert.are.equal("chdir", r.error.step)
    r = proc.run { "dk-no-such-program-in-path" }
    assert.are.equal("ENOENT", r.error.code)
    os.execute("rm -rf '" .. dir .. "'")
  end)

  it("runs in cwd", function()
    local r = assert(proc.run { "pwd", cwd = "/" })
    assert.are.equal("/\n", r.stdout)
  end)

  it("kills the program on timeout", function()
    local t0 = os.clock()
    local r = assert(proc.run { "sleep", "10", timeout = 0.2 })
    assert.are.equal("timeout", r.status)
    assert.are.equal("SIGTERM", r.signal_name)
    assert.is_true(r.wall_ms < 700)
    assert.is_true(os.clock() - t0 < 1)
    -- SIGTERM ignored: SIGKILL after kill_grace
    r = assert(proc.run { "sh", "-c", "trap '' TERM; sleep 10; :", timeout = 0.1, kill_grace = 0.1 })
    assert.are.equal("timeout", r.status)
    assert.are.equal("SIGKILL", r.signal_name)
  end)

  it("merges, replaces and unsets environment variables", function()
    local r = assert(proc.run { "sh", "-c", "printf '%s|%s|%s' \"$DK_A\" \"${HOME-unset}\" \"${PATH:+path}\"",
      env = { DK_A = "a", HOME = false } })
    assert.are.equal("a|unset|path", r.stdout)
    r = assert(proc.run { "/usr/bin/env", env = { ONLY = "1", N = 42 }, env_mode = "replace" })
    local lines = {}
    for l in r.stdout:gmatch("[^\n]+") do lines[#lines + 1] = l end
    table.sort(lines)
    assert.are.same({ "N=42", "ONLY=1" }, lines)
    r = assert(proc.run { "/usr/bin/env", env_mode = "replace" })
    assert.are.equal("", r.stdout)
  end)

  it("feeds stdin and closes it by default", function()
    local big = string.rep("0123456789abcdef", 1 << 16) -- 1 MiB: more than a pipe
    local r = assert(proc.run { "cat", stdin = big })
    assert.are.equal(#big, #r.stdout)
    assert.are.equal(big, r.stdout)
    r = assert(proc.run { "cat" })
    assert.are.equal("", r.stdout)
    r = assert(proc.run { "cat", stdin = false })
    assert.are.equal("exited", r.status)
    r = assert(proc.run { "true", stdin = big }) -- never read: no SIGPIPE for us
    assert.are.equal(0, r.exit_code)
  end)

  it("captures, discards and merges output", function()
    local r = assert(proc.run { "sh", "-c", "echo out; echo err >&2", stderr = "stdout" })
    assert.are.equal("out\nerr\n", r.stdout)
    assert.is_nil(r.stderr)
    r = assert(proc.run { "sh", "-c", "echo out; echo err >&2", stdout = "discard" })
    assert.is_nil(r.stdout)
    assert.are.equal("err\n", r.stderr)
  end)

  it("keeps the head and tail beyond max_output", function()
    local r = assert(proc.run { "sh", "-c", "printf abcdefghijklmnopqrstuvwxyz", max_output = 10 })
    assert.are.equal("abcdevwxyz", r.stdout)
    assert.is_true(r.truncated)
    assert.is_true(r.stdout_truncated)
    assert.is_false(r.stderr_truncated)
    assert.are.equal(26, r.stdout_bytes)
    r = assert(proc.run { "sh", "-c", "head -c 3000000 /dev/zero; head -c 3000000 /dev/zero >&2", max_output = 1000 })
    assert.are.equal(1000, #r.stdout)
    assert.are.equal(1000, #r.stderr)
    assert.are.equal(3000000, r.stderr_bytes)
  end)

  it("raises on programmer errors", function()
    assert.has_error(function() proc.run {} end)
    assert.has_error(function() proc.run { argv = "ls" } end)
    assert.has_error(function() proc.run { argv = { "ls", nil, "x" } } end)
    assert.has_error(function() proc.run { argv = { "ls", x = 1 } } end)
    assert.has_error(function() proc.run { "ls", {} } end)
    assert.has_error(function() proc.run { "ls", "a\0b" } end)
    assert.has_error(function() proc.run { "ls", stdout = "stdout" } end)
    assert.has_error(function() proc.run { "ls", stderr = "file" } end)
    assert.has_error(function() proc.run { "ls", timeout = -1 } end)
    assert.has_error(function() proc.run { "ls", timeout = "1" } end)
    assert.has_error(function() proc.run { "ls", env = { ["A=B"] = "x" } } end)
    assert.has_error(function() proc.run { "ls", env = { A = true } } end)
    assert.has_error(function() proc.run { "ls", env_mode = "add" } end)
    assert.has_error(function() proc.run { "ls", max_output = -5 } end)
  end)
end)

describe("diagkit.proc.which", function()
  it("finds a program and lists the candidates", function()
    local path, tried = proc.which("sh", "/nonexistent:/bin:/usr/bin")
    assert.are.equal("/bin/sh", path)
    assert.are.same({ "/nonexistent/sh", "/bin/sh" }, tried)
  end)

  it("returns nil and every candidate when nothing is found", function()
    local path, tried = proc.which("dk-no-such-program", "/a:/b")
    assert.is_nil(path)
    assert.are.same({ "/a/dk-no-such-program", "/b/dk-no-such-program" }, tried)
  end)

  it("takes a name with a slash as a path", function()
    local path, tried = proc.which("/bin/sh")
    assert.are.equal("/bin/sh", path)
    assert.are.same({ "/bin/sh" }, tried)
  end)
end)

describe("proc.spawn", function()
  local proc = require "diagkit.proc"

  local function zombies()
    local p = io.popen("ps -o stat= --ppid " .. require("diagkit.sys").pid() .. " 2>/dev/null")
    local out = p:read("a")
    p:close()
    local n = 0
    for stat in out:gmatch("%S+") do if stat:sub(1, 1) == "Z" then n = n + 1 end end
    return n
  end

  it("returns a handle: pid, then wait gives proc.run's result", function()
    local h = assert(proc.spawn { argv = { "sh", "-c", "echo out; echo err >&2; exit 7" } })
    assert.is_true(h:pid() > 0)
    assert.truthy(tostring(h):find("running", 1, true))
    local r = assert(h:wait())
    assert.are.equal("exited", r.status)
    assert.are.equal(7, r.exit_code)
    assert.are.equal("out\n", r.stdout)
    assert.are.equal("err\n", r.stderr)
    assert.are.equal(h:pid(), r.pid)
    assert.has_error(function() h:wait() end, "proc handle: wait() was already called")
  end)

  it("kills the tree with a signal by name or number", function()
    local h = assert(proc.spawn { argv = { "sleep", "30" } })
    assert.is_true(h:kill("SIGTERM"))
    local r = h:wait()
    assert.are.equal("signaled", r.status)
    assert.are.equal("SIGTERM", r.signal_name)
    h = assert(proc.spawn { argv = { "sleep", "30" } })
    h:kill(9)
    assert.are.equal("SIGKILL", h:wait().signal_name)
    assert.has_error(function() proc.spawn { argv = { "sleep", "1" } }:kill("SIGNOPE") end)
  end)

  it("wait(timeout) stops the program that long after the call", function()
    local h = assert(proc.spawn { argv = { "sleep", "30" } })
    local r = h:wait(0.2)
    assert.are.equal("timeout", r.status)
    assert.is_true(r.wall_ms < 5000)
  end)

  it("gives proc.run's failed result when the program cannot start", function()
    local r = proc.spawn { argv = { "/nonexistent/program" } }
    assert.are.equal("failed", r.status)
    assert.are.equal("ENOENT", r.error.code)
  end)

  it("kills and reaps on close, on <close> and when collected: no zombies", function()
    local pids = {}
    do
      local h <close> = assert(proc.spawn { argv = { "sleep", "30" } })
      pids[#pids + 1] = h:pid()
    end
    local h2 = assert(proc.spawn { argv = { "sleep", "30" } })
    pids[#pids + 1] = h2:pid()
    h2:close()
    h2:close() -- twice is fine
    local h3 = assert(proc.spawn { argv = { "sleep", "30" } })
    pids[#pids + 1] = h3:pid()
    h3 = nil
    collectgarbage()
    collectgarbage()
    for _, pid in ipairs(pids) do
      assert.is_false(os.execute("kill -0 " .. pid .. " 2>/dev/null") == true, "pid " .. pid .. " still alive")
    end
    assert.are.equal(0, zombies())
  end)

  it("keeps the spec's strings alive until wait", function()
    local h = assert(proc.spawn { argv = { "sh", "-c", "cat; echo \"$DK_X\"" }, stdin = string.rep("x", 10) .. "\n",
      env = { DK_X = "value-" .. tostring(math.random(1000)) } })
    collectgarbage()
    collectgarbage()
    local r = h:wait()
    assert.truthy(r.stdout:find("^xxxxxxxxxx\nvalue%-%d+\n$"), r.stdout)
  end)
end)
