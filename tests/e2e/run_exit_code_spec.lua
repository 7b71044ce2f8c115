-- `diagkit run exit-code` on real programs that really crash (examples/crashers).
local cli = require "cli_helper"
local U = require "spec_util"

local function finding_ids(rep)
  local ids = {}
  for _, f in ipairs(rep.findings) do ids[#ids + 1] = f.id end
  return table.concat(ids, " ")
end

describe("diagkit run exit-code", function()
  local reports = {}
  local function report(argv)
    local rep, r = cli.run_report("exit-code", { "--", table.unpack(argv) })
    assert.are.equal(rep.exit_status, r.code, "exit status differs from the report's")
    reports[#reports + 1] = U.tmpfile(r.stdout)
    return rep, r
  end

  teardown(function()
    for _, p in ipairs(reports) do os.remove(p) end
  end)

  it("explains a segmentation fault", function()
    local rep = report({ cli.crasher("segv") })
    assert.are.equal("error", rep.status)
    assert.are.equal(2, rep.exit_status)
    local f = rep.findings[1]
    assert.are.equal("exit.signal.sigsegv", f.id)
    assert.truthy(f.title:find("segmentation fault", 1, true))
    -- causes.lua suggests a `crash` playbook; it is only named once it ships
    if f.next then assert.truthy(io.open(cli.src .. "/scripts/playbooks/" .. f.next .. ".lua"), f.next) end
    assert.are.equal("signaled", rep.facts.exit.status)
    assert.are.equal(11, rep.facts.exit.signal)
  end)

  it("explains abort() with what the program printed", function()
    local rep = report({ cli.crasher("abort") })
    assert.are.equal("exit.signal.sigabrt", rep.findings[1].id)
    assert.are.equal(6, rep.facts.exit.signal)
  end)

  it("reports a plain non-zero exit with the status and readings", function()
    local rep = report({ cli.crasher("exit42") })
    local f = rep.findings[1]
    assert.are.equal("exit.nonzero", f.id)
    assert.are.equal("The program exited with status 42: the program chose this status", f.title)
    assert.are.equal(42, rep.facts.exit.exit_code)
  end)

  it("reports `false` as a failure and `true` as fine", function()
    assert.are.equal("exit.nonzero", report({ "false" }).findings[1].id)
    local ok = report({ "true" })
    assert.are.equal("ok", ok.status)
    assert.are.equal(0, ok.exit_status)
    assert.are.equal("exit.success", ok.findings[1].id)
  end)

  it("tells a missing program from one that cannot be executed", function()
    local missing = report({ "/nonexistent/program" })
    assert.are.equal("exit.start-failed.enoent", missing.findings[1].id)
    local path = os.tmpname() -- exists, mode 0600: not executable
    local eacces = report({ path })
    os.remove(path)
    assert.are.equal("exit.start-failed.eacces", eacces.findings[1].id)
    assert.are.equal("permissions", eacces.findings[1].next)
  end)

  it("explains ENOENT for a script whose interpreter is missing", function()
    local path = U.tmpfile("#!/nonexistent/interpreter\necho hi\n", "+x")
    local rep = report({ path })
    os.remove(path)
    assert.are.equal("exit.start-failed.enoent", rep.findings[1].id)
    assert.truthy(rep.findings[1].detail:find("/nonexistent/interpreter", 1, true))
  end)

  it("kills a program that hangs and says so", function()
    local rep, r = cli.report({ "run", "exit-code", "-p", "timeout=300ms", "--format", "json", "--",
      cli.crasher("hang") })
    assert.are.equal(1, r.code)
    assert.are.equal("warning", rep.status)
    assert.are.equal("exit.timeout", rep.findings[1].id)
    assert.are.equal("timeout", rep.facts.exit.status)
    assert.is_true(rep.facts.exit.wall_ms < 5000)
  end)

  it("reads a shell's 128+N as the signal its command died of", function()
    local rep = report({ "/bin/sh", "-c", "exit 139" })
    local f = rep.findings[1]
    assert.are.equal("exit.shell.139", f.id)
    assert.truthy(f.title:find("segmentation fault", 1, true))
  end)

  it("recognises a Go panic from its output and exit status 2", function()
    local path = cli.crashers .. "/gopanic"
    local f = io.open(path, "rb")
    if not f then
      pending("Go is not installed: examples/crashers/build/gopanic was not built")
      return
    end
    f:close()
    local rep = report({ path })
    local finding = rep.findings[1]
    assert.are.equal("exit.go.panic", finding.id)
    assert.truthy(finding.detail:find("panic: ", 1, true))
    assert.are.equal("go-crash", finding.next)
  end)

  -- Issue 12 item 1: a status the program chose is headlined as that; the
  -- readings are ranked by what is known about the program.
  local function reading(rep, name)
    for _, r in ipairs(rep.facts.readings or {}) do
      if r.name == name then return r end
    end
  end
  local function go_crasher(name)
    local path = cli.crashers .. "/" .. name
    if U.exists(path) then return path end
    pending("Go is not installed: " .. path .. " was not built")
  end

  for _, code in ipairs { 1, 2, 5 } do
    it(string.format("headlines a C program's exit(%d) as the status it chose", code), function()
      local rep = report({ cli.crasher("exitcode"), tostring(code) })
      local f = rep.findings[1]
      assert.are.equal(1, #rep.findings)
      assert.are.equal("exit.nonzero", f.id)
      assert.are.equal("error", f.severity)
      assert.are.equal(string.format("The program exited with status %d: the program chose this status", code), f.title)
      assert.are.equal("flash-exit", f.next)
      assert.are.equal("linux", rep.facts.program.kind)
      for _, r in ipairs(rep.facts.readings) do
        if r.kind == "win32" or r.kind == "go" then assert.are.equal("unlikely", r.rank, r.name) end
      end
    end)
  end

  it("ranks the errno first when the program's stderr names it (lasterror)", function()
    local rep = report({ cli.crasher("lasterror"), "/nonexistent/diagkit/x" })
    local f = rep.findings[1]
    assert.are.equal("exit.nonzero", f.id)
    assert.are.equal("The program exited with status 2: the program chose this status", f.title)
    assert.are.equal("ENOENT", rep.facts.readings[1].name)
    assert.are.equal("likely", rep.facts.readings[1].rank)
    assert.are.equal("flash-exit", f.next)
  end)

  -- The report of a Go crasher whose status the program chose, or nil when Go is absent.
  local function go_chosen(name, status)
    local path = go_crasher(name)
    if not path then return nil end
    local rep = report({ path })
    local f = rep.findings[1]
    assert.are.equal("exit.nonzero", f.id)
    assert.are.equal("The program exited with status " .. status .. ": the program chose this status", f.title)
    assert.are.equal("flash-exit", f.next)
    return rep, f
  end

  it("reads a Go program's os.Exit(3) as its own choice (Go build info)", function()
    local rep = go_chosen("goexit3", 3)
    if not rep then return end
    assert.are.equal("Go build info", rep.facts.program.how)
    assert.are.equal("os.Exit(3)", rep.facts.readings[1].name)
  end)

  it("reads a Go program's log.Fatal exit 1 as Go's convention", function()
    local rep, f = go_chosen("gologfatal", 1)
    if not rep then return end
    assert.are.equal("go", rep.facts.readings[1].kind)
    assert.are.equal("likely", rep.facts.readings[1].rank)
    assert.truthy(f.remedy:find("log.Fatal", 1, true))
    assert.truthy(U.evidence(f, "errors-named")[1].value:find("ENOENT", 1, true))
  end)

  it("honours -p context=go for a C program", function()
    local rep = cli.run_report("exit-code", { "-p", "context=go", "--", cli.crasher("exitcode"), "1" })
    assert.are.equal("exit.nonzero", rep.findings[1].id)
    assert.are.equal("-p context=go", rep.facts.program.how)
    assert.are.equal("go", rep.facts.readings[1].kind)
  end)

  it("sends exit 66 with a race report to go-race", function()
    local path = go_crasher("gorace")
    if not path then return end
    local rep = report({ path })
    local f = rep.findings[1]
    assert.are.equal(66, rep.facts.exit.exit_code)
    assert.are.equal("exit.go.race", f.id)
    assert.are.equal("go-race", f.next)
    assert.truthy(io.open(cli.src .. "/scripts/playbooks/go-race.lua"))
  end)

  it("writes reports that validate against docs/report.schema.json", function()
    local ok, out = cli.validate(reports)
    assert.is_true(ok, out)
  end)

  it("prints a Nagios status line with perfdata and exits 2", function()
    local r = cli.run({ "run", "exit-code", "--format", "nagios", "--", cli.crasher("segv") })
    assert.are.equal(2, r.code)
    assert.truthy(r.stdout:match("^DIAGKIT EXIT%-CODE CRITICAL %- 1 error%(s%), 0 warning%(s%): [^|\n]+ | errors=1;;;0 warnings=0;;;0 duration=[%d.]+s;;;0\n"),
      r.stdout)
  end)

  it("prints readable text without colour when not on a TTY", function()
    local r = cli.run({ "run", "exit-code", "--", cli.crasher("segv") })
    assert.are.equal(2, r.code)
    assert.truthy(r.stdout:find("ERROR", 1, true))
    assert.truthy(r.stdout:find("remedy:", 1, true))
    assert.falsy(r.stdout:find("\27[", 1, true))
  end)
end)
