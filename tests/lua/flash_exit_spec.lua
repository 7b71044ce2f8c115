-- The flash-exit playbook's logic with fake diagkit.proc / diagkit.trace /
-- diagkit.deps: which folder it runs the program in, how it tells a
-- working-directory cause, which failed opens it names (from a trace and from
-- the program's own words), the GUI-subsystem check, the no-trace note. The
-- real programs are in tests/e2e/flash_exit_spec.lua.
require "diagkit"
local U = require "spec_util"

-- What a Go program prints when os.ReadFile("config.json") fails and it
-- panics with the error (the shape of examples/crashers/go/goconfig).
local GO_PANIC = table.concat({
  "panic: open config.json: no such file or directory",
  "",
  "goroutine 1 [running]:",
  "main.loadConfig({0x4db787, 0xb})",
  "\tdiagkit.example/goconfig/main.go:25 +0x13a",
  "main.main()",
  "\tdiagkit.example/goconfig/main.go:35 +0x25",
  "",
}, "\n")

local write, rmrf, evidence = U.write, U.rmrf, U.evidence

-- A folder holding a "program" (any file: the fakes run it) and config.json.
local function app_dir(with_config, head)
  local dir = U.tmpdir()
  assert(os.execute("mkdir -p '" .. dir .. "/bin' '" .. dir .. "/elsewhere'"))
  write(dir .. "/bin/app", head or "#!/bin/false\n")
  if with_config then write(dir .. "/bin/config.json", "{}\n") end
  return dir
end

-- proc.run answering by working directory: outcomes[cwd] or outcomes.default.
local function fake_proc(outcomes, calls)
  return {
    run = function(spec)
      calls[#calls + 1] = { argv = spec.argv, cwd = spec.cwd, timeout = spec.timeout }
      local o = outcomes[spec.cwd] or outcomes.default
      local r = { status = o.status or "exited", exit_code = o.exit_code, signal = o.signal,
        signal_name = o.signal_name, stderr = o.stderr or "", stdout = o.stdout or "", wall_ms = 3,
        user_ms = 1, sys_ms = 1, max_rss_kb = 1000, error = o.error }
      return r
    end,
    which = function(name) return nil, { name } end,
  }
end

local function run(raw, modules) return U.run_playbook("flash-exit", raw, modules) end
local by_id = U.finding

describe("flash-exit playbook", function()
  local dir
  after_each(function()
    if dir then rmrf(dir) end
    dir = nil
  end)

  it("finds that config.json is only found from the program's own folder", function()
    dir = app_dir(true)
    local calls = {}
    local proc = fake_proc({
      [dir .. "/bin"] = { exit_code = 0, stdout = "ok\n" },
      default = { exit_code = 2, stderr = GO_PANIC },
    }, calls)
    local rep = run({ argv = { dir .. "/bin/app", "-v" }, cwd = dir .. "/elsewhere" },
      { proc = proc, trace = false })
    assert.are.same({}, rep.errors)
    -- two runs: the user's folder first, then the program's own, same argv
    assert.are.equal(2, #calls)
    assert.are.equal(dir .. "/elsewhere", calls[1].cwd)
    assert.are.equal(dir .. "/bin", calls[2].cwd)
    assert.are.same({ dir .. "/bin/app", "-v" }, calls[1].argv)
    assert.are.same(calls[1].argv, calls[2].argv)

    local ending = assert(by_id(rep, "exit.go.panic"))
    assert.truthy(ending.detail:find("Exit status 2", 1, true), ending.detail)
    assert.are.equal(dir .. "/elsewhere", evidence(ending, "cwd")[1].value)

    local go = assert(by_id(rep, "flash.go-panic"))
    assert.truthy(go.title:find("open config.json: no such file or directory", 1, true), go.title)
    assert.truthy(go.detail:find("main.loadConfig", 1, true))
    assert.are.equal("go-crash", go.next)

    local cwd = assert(by_id(rep, "flash.cwd-dependent"))
    assert.are.equal("error", cwd.severity)
    assert.truthy(cwd.title:find("config.json", 1, true), cwd.title)
    assert.truthy(cwd.title:find(dir .. "/bin", 1, true))
    assert.truthy(cwd.title:find(dir .. "/elsewhere", 1, true))
    local files = evidence(cwd, "file")
    assert.are.equal(dir .. "/bin/config.json", files[1].value)
    assert.are.equal("exists", files[1].source)
    assert.are.equal(dir .. "/elsewhere/config.json", files[2].value)
    assert.are.equal("panic: open config.json: no such file or directory", evidence(cwd, "stderr")[1].value)

    local missing = assert(by_id(rep, "flash.file-not-found"))
    assert.are.equal("error", missing.severity)
    assert.truthy(missing.title:find("config.json", 1, true))
    assert.are.equal(dir .. "/elsewhere/config.json", evidence(missing, "file")[1].value)

    local note = assert(by_id(rep, "flash.trace-unavailable"))
    assert.are.equal("info", note.severity)
    assert.truthy(note.remedy:find("strace", 1, true))
    assert.are.equal("error", rep.status)
    assert.are.equal(2, rep.exit_status)
    assert.are.same({ "go-crash" }, rep.facts.next)
    assert.are.equal(2, rep.facts.run.exit_code)
    assert.are.equal(0, rep.facts.run_own_folder.exit_code)
  end)

  it("runs once when the user's folder is the program's own", function()
    dir = app_dir(true)
    local calls = {}
    local rep = run({ argv = { dir .. "/bin/app" }, cwd = dir .. "/bin/./" },
      { proc = fake_proc({ default = { exit_code = 0 } }, calls), trace = false })
    assert.are.equal(1, #calls)
    assert.truthy(by_id(rep, "exit.success"))
    assert.is_nil(by_id(rep, "flash.cwd-dependent"))
    assert.are.equal("ok", rep.status)
    assert.are.equal(0, rep.exit_status)
  end)

  it("warns when it works only from the user's folder, not from its own", function()
    dir = app_dir(false)
    write(dir .. "/elsewhere/settings.ini", "x=1\n")
    local proc = fake_proc({
      [dir .. "/elsewhere"] = { exit_code = 0 },
      default = { exit_code = 1, stderr = "app: settings.ini: No such file or directory\n" },
    }, {})
    local rep = run({ argv = { dir .. "/bin/app" }, cwd = dir .. "/elsewhere" }, { proc = proc, trace = false })
    local cwd = assert(by_id(rep, "flash.cwd-dependent"))
    assert.are.equal("warning", cwd.severity)
    assert.truthy(cwd.title:find("settings.ini", 1, true), cwd.title)
    assert.truthy(cwd.remedy:find("own folder", 1, true))
    -- the failing run (its own folder) is the one explained
    assert.truthy(by_id(rep, "exit.nonzero"))
    local missing = assert(by_id(rep, "flash.file-not-found"))
    assert.are.equal(dir .. "/bin/settings.ini", evidence(missing, "file")[1].value)
  end)

  it("counts a server still running at the timeout as started fine", function()
    dir = app_dir(true)
    local calls = {}
    local proc = fake_proc({
      [dir .. "/bin"] = { status = "timeout", signal = 15, signal_name = "SIGTERM" },
      default = { exit_code = 1, stderr = "server: config.json: No such file or directory\n" },
    }, calls)
    local rep = run({ argv = { dir .. "/bin/app" }, cwd = dir .. "/elsewhere", timeout = "2s" },
      { proc = proc, trace = false })
    assert.are.equal(2, calls[1].timeout)
    local cwd = assert(by_id(rep, "flash.cwd-dependent"))
    assert.truthy(cwd.detail:find("still running at the timeout", 1, true), cwd.detail)
    assert.truthy(cwd.title:find("config.json", 1, true))
    assert.truthy(by_id(rep, "exit.nonzero")) -- the failing run is the one explained
  end)

  it("uses the trace: failed opens with the strace line, and a file the program never named", function()
    dir = app_dir(true)
    local traced = {}
    local trace = {
      run = function(spec)
        traced[#traced + 1] = spec.cwd
        local bad = spec.cwd ~= dir .. "/bin"
        local events = bad and {
          { kind = "syscall", time = "10:00:00.000001", pid = 7, syscall = "openat", path = spec.cwd .. "/config.json",
            result = -1, errno = "ENOENT", line = 3 },
          { kind = "syscall", time = "10:00:00.000002", pid = 7, syscall = "openat", path = "/var/lib/app/cache.db",
            result = -1, errno = "EACCES", line = 4 },
        } or {}
        return { status = "exited", exit_code = bad and 2 or 0, stderr = bad and GO_PANIC or "", stdout = "",
          wall_ms = 5, trace = events, traced_by = "strace" }
      end,
      failures = function(events)
        local out = {}
        for _, e in ipairs(events) do
          out[#out + 1] = { path = e.path, errno = e.errno, syscall = e.syscall, line = e.line, time = e.time, count = 1 }
        end
        return out
      end,
    }
    local rep = run({ argv = { dir .. "/bin/app" }, cwd = dir .. "/elsewhere" },
      { proc = fake_proc({ default = { exit_code = 99 } }, {}), trace = trace })
    assert.are.same({ dir .. "/elsewhere", dir .. "/bin" }, traced)
    assert.is_nil(by_id(rep, "flash.trace-unavailable"))
    local missing = assert(by_id(rep, "flash.file-not-found"))
    -- the trace's absolute path and the program's relative one are the same file
    assert.are.equal("config.json", missing.title:match("open (%S+):"))
    local t = evidence(missing, "trace")[1]
    assert.are.equal("strace", t.source)
    assert.are.equal(3, t.line)
    assert.truthy(t.value:find("openat(\"" .. dir .. "/elsewhere/config.json\") = -1 ENOENT", 1, true), t.value)
    assert.are.equal(1, #evidence(missing, "stderr"))
    local denied = assert(by_id(rep, "flash.file-denied"))
    assert.are.equal("warning", denied.severity) -- seen only in the trace
    assert.are.equal("permissions", denied.next)
    assert.truthy(rep.facts.run.traced)
  end)

  it("falls back to a plain run and says why when tracing is not possible", function()
    dir = app_dir(true)
    local calls = {}
    local trace = { run = function() return nil, "strace is not installed (apt install strace)", "ENOENT" end }
    local rep = run({ argv = { dir .. "/bin/app" }, cwd = dir .. "/bin" },
      { proc = fake_proc({ default = { exit_code = 0 } }, calls), trace = trace })
    assert.are.equal(1, #calls)
    local note = assert(by_id(rep, "flash.trace-unavailable"))
    assert.truthy(note.title:find("strace is not installed", 1, true), note.title)
    assert.are.equal(false, rep.facts.trace.available)
  end)

  it("re-runs plainly when strace itself cannot exec the program, for the exact start error", function()
    dir = app_dir(true)
    local calls = {}
    local trace = { run = function()
      return { status = "exited", exit_code = 1, stderr = "/usr/bin/strace: exec: Exec format error\n", trace = {},
        traced_by = "strace" }
    end, failures = function() return {} end }
    local rep = run({ argv = { dir .. "/bin/app" }, cwd = dir .. "/bin" }, { proc = fake_proc({ default = {
      status = "failed", error = { code = "ENOEXEC", step = "exec", message = "Exec format error" } } }, calls),
      trace = trace })
    assert.are.equal(1, #calls)
    assert.truthy(by_id(rep, "exit.start-failed.enoexec"))
    assert.is_nil(by_id(rep, "exit.nonzero"))
    local note = assert(by_id(rep, "flash.trace-unavailable"))
    assert.truthy(note.title:find("strace could not start the program", 1, true), note.title)
    assert.truthy(note.remedy:find("start failure", 1, true))
  end)

  it("does not mention tracing when it was switched off", function()
    dir = app_dir(true)
    local rep = run({ argv = { dir .. "/bin/app" }, cwd = dir .. "/bin", trace = "false" },
      { proc = fake_proc({ default = { exit_code = 0 } }, {}), trace = { run = function() error("must not trace") end } })
    assert.are.same({}, rep.errors)
    assert.is_nil(by_id(rep, "flash.trace-unavailable"))
  end)

  describe("names the file from the program's own message", function()
    local cases = {
      { "open config.json: The system cannot find the file specified.", "config.json", "ENOENT" },
      { "cat: missing.txt: No such file or directory", "missing.txt", "ENOENT" },
      { "noperm: /etc/shadow: Permission denied", "/etc/shadow", "EACCES" },
      { "FileNotFoundError: [Errno 2] No such file or directory: 'data/input.csv'", "data/input.csv", "ENOENT" },
      { "error: cannot open 'conf/app.yaml': No such file or directory", "conf/app.yaml", "ENOENT" },
      { "2024/01/02 10:00:00 stat ./templates: no such file or directory", "./templates", "ENOENT" },
      { "open C:\\app\\config.json: Access is denied.", "C:\\app\\config.json", "EACCES" },
      { "panic: open config.json: File not found.", "config.json", "ENOENT" }, -- Go under Wine
      { "tool: lib\\plugins.dat: File not found.", "lib\\plugins.dat", "ENOENT" },
    }
    for _, c in ipairs(cases) do
      it(c[1], function()
        dir = app_dir(false)
        local rep = run({ argv = { dir .. "/bin/app" }, cwd = dir .. "/bin" },
          { proc = fake_proc({ default = { exit_code = 1, stderr = "starting\n" .. c[1] .. "\n" } }, {}), trace = false })
        local f = assert(by_id(rep, c[3] == "EACCES" and "flash.file-denied" or "flash.file-not-found"),
          "no file finding for: " .. c[1])
        assert.truthy(f.title:find(c[2], 1, true), f.title)
        assert.truthy(f.title:find(c[3], 1, true), f.title)
        assert.are.equal(c[1], evidence(f, "stderr")[1].value)
        assert.are.equal(2, evidence(f, "stderr")[1].line)
      end)
    end

    it("but not a call name or a message without a path", function()
      dir = app_dir(false)
      local rep = run({ argv = { dir .. "/bin/app" }, cwd = dir .. "/bin" },
        { proc = fake_proc({ default = { exit_code = 1, stderr = "fopen: No such file or directory\n" } }, {}),
          trace = false })
      assert.is_nil(by_id(rep, "flash.file-not-found"))
      assert.truthy(by_id(rep, "exit.nonzero"))
    end)
  end)

  it("explains a program that cannot start, and runs it only once", function()
    dir = app_dir(false)
    local calls = {}
    local rep = run({ argv = { dir .. "/bin/nothere" }, cwd = dir .. "/elsewhere" }, { proc = fake_proc({ default = {
      status = "failed", error = { code = "ENOENT", step = "exec", message = "No such file or directory" } } }, calls),
      trace = false })
    assert.are.equal(1, #calls)
    assert.truthy(by_id(rep, "exit.start-failed.enoent"))
    assert.are.equal("error", rep.status)
  end)

  it("resolves a relative program against the current folder, not the run's", function()
    local calls = {}
    local lfs = require "lfs"
    run({ argv = { "./no/such/prog" }, cwd = "/" }, { proc = fake_proc({ default = { exit_code = 0 } }, calls),
      trace = false })
    assert.are.equal(lfs.currentdir() .. "/no/such/prog", calls[1].argv[1])
  end)

  it("reports a GUI-subsystem Go program (fake PE reader)", function()
    dir = app_dir(true, "MZ fake")
    local deps = {
      pe = function() return { format = "pe", subsystem = "gui", subsystem_code = 2, machine = "x64",
        go = { go_version = "go1.19.8", ldflags = "-H windowsgui", windowsgui = true } } end,
    }
    local rep = run({ argv = { dir .. "/bin/app" }, cwd = dir .. "/bin" },
      { proc = fake_proc({ default = { exit_code = 2, stderr = GO_PANIC } }, {}), trace = false, deps = deps })
    local f = assert(by_id(rep, "flash.gui-subsystem"))
    assert.are.equal("warning", f.severity)
    assert.truthy(f.detail:find("-H=windowsgui", 1, true))
    assert.are.equal("gui", evidence(f, "pe")[1].value.subsystem)
    assert.are.equal("-H windowsgui", evidence(f, "go-buildinfo")[1].value.ldflags)
  end)

  it("reports a real GUI-subsystem PE built with mingw -mwindows, not a console one", function()
    if not U.have("x86_64-w64-mingw32-gcc") then return pending("x86_64-w64-mingw32-gcc not installed") end
    dir = app_dir(false)
    write(dir .. "/main.c", "int main(void) { return 3; }\n")
    assert(os.execute(string.format("x86_64-w64-mingw32-gcc -mwindows -o '%s/bin/gui.exe' '%s/main.c'", dir, dir)))
    assert(os.execute(string.format("x86_64-w64-mingw32-gcc -mconsole -o '%s/bin/con.exe' '%s/main.c'", dir, dir)))
    local proc = fake_proc({ default = { exit_code = 3 } }, {})
    local rep = run({ argv = { dir .. "/bin/gui.exe" }, cwd = dir .. "/bin" }, { proc = proc, trace = false })
    local f = assert(by_id(rep, "flash.gui-subsystem"))
    assert.are.equal(2, evidence(f, "pe")[1].value.subsystem_code)
    assert.truthy(f.remedy:find("-mconsole", 1, true))
    assert.are.equal("gui", rep.facts.pe.subsystem)
    rep = run({ argv = { dir .. "/bin/con.exe" }, cwd = dir .. "/bin" }, { proc = proc, trace = false })
    assert.is_nil(by_id(rep, "flash.gui-subsystem"))
    assert.are.equal("console", rep.facts.pe.subsystem)
  end)
end)
