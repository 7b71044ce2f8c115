-- exit-code's verdict on a status the program chose (issue 12, item 1): a
-- small status is headlined as the program's own choice, never as a Win32
-- error without evidence; the readings are ranked by what is known about the
-- program (Go build info, -p context=, what its stderr names). Fake proc, sys
-- and deps; the codes tables are the real ones. The same verdicts on real
-- programs: tests/e2e/run_exit_code_spec.lua and tests/cli (Wine).
require "diagkit"
local U = require "spec_util"

local GO_BUILD = { go_version = "go1.19.8", path = "example.com/app", main = { path = "example.com/app" },
  deps = {}, settings = {} }

-- Runs exit-code as if `app` on os exited with code and printed stderr.
local function verdict(o)
  local modules = {
    proc = {
      run = function()
        return { status = "exited", exit_code = o.code, stderr = o.stderr or "", stdout = "", wall_ms = 3,
          user_ms = 1, sys_ms = 1, max_rss_kb = 1000, pid = 42 }
      end,
      which = function() return nil end,
    },
    sys = { platform = function() return { os = o.os or "windows", arch = "x86_64" } end },
    deps = { gobuild = function() return o.go and GO_BUILD or false end },
  }
  local raw = { argv = { o.os == "linux" and "/opt/app" or "C:\\app\\app.exe" }, context = o.context }
  local rep = U.run_playbook("exit-code", raw, modules)
  assert.are.same({}, rep.errors)
  return rep, rep.findings[1], rep.facts.readings
end

local function ships(id)
  return U.exists(U.src .. "/scripts/playbooks/" .. id .. ".lua")
end

describe("exit-code verdicts for a status the program chose", function()
  for _, os_name in ipairs { "windows", "linux" } do
    for _, code in ipairs { 1, 2, 3, 5, 42 } do
      it(string.format("headlines exit(%d) from a C program on %s as the program's choice", code, os_name), function()
        local rep, f, readings = verdict { code = code, os = os_name }
        assert.are.equal(1, #rep.findings)
        assert.are.equal("exit.nonzero", f.id)
        assert.are.equal("error", f.severity)
        assert.are.equal(string.format("The program exited with status %d: the program chose this status", code), f.title)
        assert.falsy(f.title:find("Access denied", 1, true))
        assert.falsy(f.title:find("not found", 1, true))
        assert.falsy(f.id:find("win32", 1, true))
        assert.are.equal("flash-exit", f.next)
        assert.is_true(ships(f.next))
        -- no Win32 reading is "likely" without evidence, and no Go one for a C program
        for _, r in ipairs(readings) do
          if r.kind == "win32" or r.kind == "go" then assert.are_not.equal("likely", r.rank, r.name) end
          assert.are_not.equal("ntstatus", r.kind)
          assert.are_not.equal("hresult", r.kind)
        end
      end)
    end
  end

  it("lists the Win32 reading of exit(5) on Windows as a possibility only", function()
    local _, f, readings = verdict { code = 5 }
    local win
    for _, r in ipairs(readings) do if r.name == "ERROR_ACCESS_DENIED" then win = r end end
    assert.truthy(win)
    assert.are.equal("possible", win.rank)
    assert.truthy(U.evidence(f, "possible-readings")[1].value:find("ERROR_ACCESS_DENIED", 1, true))
  end)

  it("ranks a Win32 reading first when the program's stderr names that error", function()
    local _, f, readings = verdict { code = 5, stderr = "app: C:\\data\\db.lock: Access is denied.\n" }
    assert.are.equal("exit.nonzero", f.id)
    assert.truthy(f.title:find("status 5: the program chose", 1, true))
    assert.are.equal("ERROR_ACCESS_DENIED", readings[1].name)
    assert.are.equal("likely", readings[1].rank)
    assert.are.equal("permissions", f.next)
    -- Wine words it differently
    local _, f2, r2 = verdict { code = 3, stderr = "lasterror: C:\\x\\y: Path not found.\n" }
    assert.are.equal("ERROR_PATH_NOT_FOUND", r2[1].name)
    assert.are.equal("likely", r2[1].rank)
    assert.are.equal("flash-exit", f2.next)
  end)

  it("reads exit 1 of a Go binary (build info) as log.Fatal's status", function()
    local rep, f, readings = verdict { code = 1, go = true,
      stderr = "2026/12/06 18:07:36 cannot open config: open C:\\nonexistent\\config.toml: The system cannot find the path specified.\n" }
    assert.are.equal("exit.nonzero", f.id)
    assert.are.equal("The program exited with status 1: the program chose this status", f.title)
    assert.are.equal("go", readings[1].kind)
    assert.are.equal("likely", readings[1].rank)
    assert.truthy(f.detail:find("Go program (go1.19.8", 1, true))
    assert.truthy(f.remedy:find("log.Fatal", 1, true))
    assert.are.equal("go", rep.facts.program.kind)
    assert.are.equal("Go build info", rep.facts.program.how)
    -- the error it names is the failing operation, not the status
    assert.truthy(U.evidence(f, "errors-named")[1].value:find("ERROR_PATH_NOT_FOUND", 1, true))
    assert.are.equal("flash-exit", f.next)
  end)

  it("reads os.Exit(3) of a Go binary as the program's own, not ERROR_PATH_NOT_FOUND", function()
    local _, f, readings = verdict { code = 3, go = true, stderr = "goexit3: giving up with status 3\n" }
    assert.are.equal("exit.nonzero", f.id)
    assert.are.equal("The program exited with status 3: the program chose this status", f.title)
    assert.are.equal("os.Exit(3)", readings[1].name)
    for _, r in ipairs(readings) do
      if r.kind == "win32" then assert.are.equal("unlikely", r.rank) end
    end
    assert.are.equal("flash-exit", f.next)
  end)

  it("does not call exit 2 of a Go binary a panic when there is no panic report", function()
    local _, f, readings = verdict { code = 2, go = true, stderr = "flag provided but not defined: -x\n" }
    assert.are.equal("exit.nonzero", f.id)
    assert.are.equal("go", readings[1].kind)
    assert.truthy(readings[1].why:find("flag package", 1, true))
  end)

  it("headlines a Go panic (exit 2 and the runtime's report) as go-crash's business", function()
    local _, f = verdict { code = 2, stderr = "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n" }
    assert.are.equal("exit.go.panic", f.id)
    assert.are.equal("go-crash", f.next)
  end)

  it("sends exit 66 with a race report to go-race", function()
    for _, os_name in ipairs { "linux", "windows" } do
      local _, f = verdict { code = 66, os = os_name, go = true,
        stderr = "==================\nWARNING: DATA RACE\nWrite at 0x00c000012345 by goroutine 7:\n" }
      assert.are.equal("exit.go.race", f.id)
      assert.are.equal("go-race", f.next)
      assert.is_true(ships("go-race"))
    end
    -- 66 without a race report is a status like any other
    local _, f = verdict { code = 66, os = "linux" }
    assert.are.equal("exit.nonzero", f.id)
  end)

  it("honours -p context=go for a binary without build info", function()
    local rep, f, readings = verdict { code = 1, context = "go" }
    assert.are.equal("exit.nonzero", f.id)
    assert.are.equal("go", readings[1].kind)
    assert.are.equal("-p context=go", rep.facts.program.how)
    local _, _, r3 = verdict { code = 3, context = "go" }
    assert.are.equal("os.Exit(3)", r3[1].name)
  end)

  it("honours -p context=windows without claiming a Win32 meaning", function()
    local _, f, readings = verdict { code = 5, os = "linux", context = "windows" }
    assert.are.equal("exit.nonzero", f.id)
    assert.are.equal("ERROR_ACCESS_DENIED", readings[1].name)
    assert.are.equal("possible", readings[1].rank)
  end)

  it("keeps reading NTSTATUS codes as today", function()
    local _, f = verdict { code = 0xC0000005 }
    assert.are.equal("exit.ntstatus.status_access_violation", f.id)
    local _, g = verdict { code = 0xC0000135 }
    assert.are.equal("exit.ntstatus.status_dll_not_found", g.id)
    assert.are.equal("missing-dll", g.next)
  end)

  it("suggests a Windows dump, not gdb, for a program that hangs on Windows", function()
    local modules = {
      proc = { run = function() return { status = "timeout", wall_ms = 1000, pid = 7 } end },
      sys = { platform = function() return { os = "windows", arch = "x86_64" } end },
    }
    local rep = U.run_playbook("exit-code", { argv = { "C:\\app.exe" }, timeout = "1s" }, modules)
    local f = rep.findings[1]
    assert.are.equal("exit.timeout", f.id)
    assert.falsy(f.remedy:find("gdb", 1, true))
    assert.falsy(f.remedy:find("kill -QUIT", 1, true))
    assert.truthy(f.remedy:find("procdump", 1, true))
  end)
end)

describe("exit-code on Windows: exit status 3", function()
  it("reads 3 with abort() on stderr as the C runtime's abort", function()
    local _, f, readings = verdict { code = 3, stderr = "abort: calling abort()\n" }
    assert.are.equal("exit.nonzero", f.id)
    assert.are.equal("crt", readings[1].kind)
    assert.are.equal("likely", readings[1].rank)
  end)
end)
