-- `diagkit run flash-exit` on real programs from examples/crashers: goconfig
-- (Go, panics when ./config.json is missing from its working directory; its
-- build folder holds one), noperm (C, perror-style message), and a
-- GUI-subsystem .exe built here with mingw -mwindows.
local cli = require "cli_helper"
local U = require "spec_util"

local by_id, evidence, tmpdir = U.finding, U.evidence, U.tmpdir

local function has_strace() return U.have("strace") end

describe("diagkit run flash-exit", function()
  local dirs, reports = {}, {}
  teardown(function()
    for _, d in ipairs(dirs) do U.rmrf(d) end
    for _, p in ipairs(reports) do os.remove(p) end
  end)

  local function keep(text)
    local path = U.tmpfile(text)
    reports[#reports + 1] = path
    return path
  end

  it("names config.json, the panic, exit status 2 and the working directory for goconfig", function()
    local prog = cli.crasher("goconfig")
    local own = prog:match("^(.*)/[^/]+$")
    local elsewhere = tmpdir()
    dirs[#dirs + 1] = elsewhere
    local rep, r = cli.report { "run", "flash-exit", "--format", "json", "-p", "cwd=" .. elsewhere, "--", prog }
    assert.are.equal(2, r.code, r.stdout .. r.stderr)
    assert.are.equal("error", rep.status)

    local ending = assert(by_id(rep, "exit.go.panic"), r.stdout)
    assert.truthy(ending.detail:find("Exit status 2", 1, true), ending.detail)

    local go = assert(by_id(rep, "flash.go-panic"))
    assert.truthy(go.title:find("panic: open config.json: no such file or directory", 1, true)
      or go.title:find("open config.json: no such file or directory", 1, true), go.title)
    assert.truthy(go.detail:find("main.loadConfig", 1, true), go.detail)

    local cwd = assert(by_id(rep, "flash.cwd-dependent"))
    assert.are.equal("error", cwd.severity)
    assert.truthy(cwd.title:find("config.json", 1, true), cwd.title)
    assert.truthy(cwd.title:find(elsewhere, 1, true), cwd.title)
    assert.truthy(cwd.title:find(own, 1, true), cwd.title)
    assert.are.equal(own .. "/config.json", evidence(cwd, "file")[1].value)
    assert.are.equal(elsewhere .. "/config.json", evidence(cwd, "file")[2].value)

    local missing = assert(by_id(rep, "flash.file-not-found"))
    assert.are.equal(elsewhere .. "/config.json", evidence(missing, "file")[1].value)
    assert.are.equal("panic: open config.json: no such file or directory", evidence(missing, "stderr")[1].value)
    if has_strace() and rep.facts.run.traced then
      -- strace saw the very same open fail
      local t = assert(evidence(missing, "trace")[1], "no trace evidence although strace is installed")
      assert.truthy(t.value:find(elsewhere .. "/config.json", 1, true), t.value)
      assert.truthy(t.value:find("ENOENT", 1, true), t.value)
      assert.is_nil(by_id(rep, "flash.trace-unavailable"))
    else
      assert.truthy(by_id(rep, "flash.trace-unavailable"))
    end
    assert.are.equal(2, rep.facts.run.exit_code)
    assert.are.equal(0, rep.facts.run_own_folder.exit_code)
    local ok, out = cli.validate { keep(r.stdout) }
    assert.is_true(ok, out)
  end)

  it("says the same in a text report", function()
    local elsewhere = tmpdir()
    dirs[#dirs + 1] = elsewhere
    local r = cli.run { "run", "flash-exit", "-p", "cwd=" .. elsewhere, "--", cli.crasher("goconfig") }
    assert.are.equal(2, r.code)
    assert.truthy(r.stdout:find("[flash.cwd-dependent]", 1, true), r.stdout)
    assert.truthy(r.stdout:find("next: go-crash", 1, true), r.stdout)
  end)

  it("finds nothing wrong with goconfig run from its own folder", function()
    local prog = cli.crasher("goconfig")
    local rep, r = cli.report { "run", "flash-exit", "--format", "json", "-p", "cwd=" .. prog:match("^(.*)/"), "--", prog }
    assert.are.equal(0, r.code, r.stdout)
    assert.truthy(by_id(rep, "exit.success"))
    assert.is_nil(by_id(rep, "flash.cwd-dependent"))
    assert.is_nil(rep.facts.run_own_folder) -- one folder, one run
  end)

  it("names the file without a trace, and says how to get one, when strace is not on PATH", function()
    local elsewhere = tmpdir()
    dirs[#dirs + 1] = elsewhere
    local r = cli.run({ "run", "flash-exit", "--format", "json", "-p", "cwd=" .. elsewhere, "--", cli.crasher("goconfig") },
      { PATH = "/nonexistent" })
    local rep = assert(require("diagkit.json").decode(r.stdout), r.stdout .. r.stderr)
    assert.are.equal(2, r.code)
    local missing = assert(by_id(rep, "flash.file-not-found"))
    assert.are.equal(0, #evidence(missing, "trace"))
    assert.truthy(by_id(rep, "flash.cwd-dependent"))
    local note = assert(by_id(rep, "flash.trace-unavailable"))
    assert.truthy(note.remedy:find("strace", 1, true))
  end)

  it("reads a C program's perror-style message (noperm)", function()
    local elsewhere = tmpdir()
    dirs[#dirs + 1] = elsewhere
    local rep, r = cli.report { "run", "flash-exit", "--format", "json", "-p", "cwd=" .. elsewhere,
      "--", cli.crasher("noperm"), "data/settings.ini" }
    assert.are.equal(2, r.code, r.stdout)
    local f = assert(by_id(rep, "flash.file-not-found"), r.stdout)
    assert.truthy(f.title:find("data/settings.ini", 1, true), f.title)
    assert.are.equal(elsewhere .. "/data/settings.ini", evidence(f, "file")[1].value)
    assert.truthy(by_id(rep, "exit.nonzero"))
    assert.is_nil(by_id(rep, "flash.cwd-dependent")) -- it fails from both folders
  end)

  it("reports a Go program linked with -H=windowsgui (goconfig's source)", function()
    -- the Windows standard library compiled by the win64 crashers build
    local cache = cli.src .. "/examples/crashers/build-win64/gocache"
    if not U.have("go") or not U.ok("test -d " .. U.q(cache)) then
      pending("go or the win64 crashers' Go cache (examples/crashers/build.sh win64) missing")
      return
    end
    local d = tmpdir()
    dirs[#dirs + 1] = d
    assert(os.execute(string.format("cd '%s/examples/crashers/go/goconfig' && GOFLAGS= GOPROXY=off GOTOOLCHAIN=local"
      .. " GOTELEMETRY=off GOCACHE='%s' GOOS=windows GOARCH=amd64 CGO_ENABLED=0 go build -buildvcs=false -trimpath"
      .. " -ldflags=-H=windowsgui -o '%s/gogui.exe' .", cli.src, cache, d)))
    local rep, r = cli.report { "run", "flash-exit", "--format", "json", "-p", "trace=false", "--", d .. "/gogui.exe" }
    local g = assert(by_id(rep, "flash.gui-subsystem"), r.stdout)
    assert.truthy(g.detail:find("-H=windowsgui", 1, true), g.detail)
    assert.truthy(g.remedy:find("without -H=windowsgui", 1, true), g.remedy)
    assert.are.equal(2, evidence(g, "pe")[1].value.subsystem_code)
  end)

  it("reports a GUI-subsystem .exe (mingw -mwindows)", function()
    if not U.have("x86_64-w64-mingw32-gcc") then return pending("x86_64-w64-mingw32-gcc not installed") end
    local d = tmpdir()
    dirs[#dirs + 1] = d
    U.write(d .. "/main.c", "#include <stdio.h>\nint main(void) { fputs(\"cannot open settings\\n\", stderr); return 1; }\n")
    assert(os.execute(string.format("x86_64-w64-mingw32-gcc -mwindows -o '%s/gui.exe' '%s/main.c'", d, d)))
    local rep, r = cli.report { "run", "flash-exit", "--format", "json", "-p", "timeout=20s", "--", d .. "/gui.exe" }
    local g = assert(by_id(rep, "flash.gui-subsystem"), r.stdout)
    assert.are.equal("warning", g.severity)
    assert.are.equal("gui", evidence(g, "pe")[1].value.subsystem)
    assert.are.equal(2, r.code)
    -- Linux cannot exec it: the exact start failure, not strace's complaint
    if not by_id(rep, "exit.nonzero") then assert.truthy(by_id(rep, "exit.start-failed.enoexec"), r.stdout) end
  end)
end)
