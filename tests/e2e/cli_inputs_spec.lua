-- Inputs chosen to hurt and outputs that cannot be written, through the real
-- binary: every case ends quickly with a clear message and the documented
-- status (3 could not diagnose, 74 output not written), never a hang, a
-- machine out of memory, or exit 0 with the report lost.
local cli = require "cli_helper"
local util = require "spec_util"

local function run(args, redirect)
  local cmd = { "timeout", "-s", "KILL", "60", util.q(cli.bin) }
  for _, a in ipairs(args) do cmd[#cmd + 1] = util.q(a) end
  local errfile = os.tmpname()
  local p = assert(io.popen(table.concat(cmd, " ") .. " 2>" .. errfile .. (redirect or ""), "r"))
  local out = p:read("a")
  local _, _, code = p:close()
  local err = util.read(errfile)
  os.remove(errfile)
  assert(code ~= 137, table.concat(args, " ") .. ": still running after 60 s")
  return { code = code, stdout = out, stderr = err }
end

describe("inputs with no end", function()
  it("are read up to a cap and refused with the cap named (go-crash, merge)", function()
    local r = run { "run", "go-crash", "-p", "log=/dev/zero" }
    assert.are.equal(3, r.code, r.stderr)
    assert.matches("a stream of more than 268435456 bytes", r.stdout)
    r = run { "merge", "/dev/zero" }
    assert.are.equal(64, r.code)
    assert.matches("a stream of more than 268435456 bytes", r.stderr)
  end)

  it("are refused at once where a file is needed (reg, evtx)", function()
    for _, cmd in ipairs { "reg", "evtx" } do
      local r = run { cmd, "/dev/zero" }
      assert.are_not.equal(0, r.code)
      assert.matches("not a regular file", r.stderr)
    end
  end)
end)

describe("a folder given as a file", function()
  it("is named as a folder", function()
    local r = run { "run", "go-crash", "-p", "log=/tmp" }
    assert.are.equal(3, r.code)
    assert.matches("/tmp: is a directory", r.stdout)
    r = run { "merge", "/tmp" }
    assert.matches("/tmp: is a directory", r.stderr)
  end)
end)

describe("a FIFO", function()
  it("says what it waits for, and reads what the writer sends", function()
    local dir = util.tmpdir()
    local fifo = dir .. "/panic.log"
    assert(os.execute("mkfifo " .. util.q(fifo)))
    local text = "panic: boom\n\ngoroutine 1 [running]:\nmain.main()\n\t/app/main.go:5 +0x1d\nexit status 2\n"
    util.write(dir .. "/text", text)
    os.execute("(sleep 1; cat " .. util.q(dir .. "/text") .. " > " .. util.q(fifo) .. ") &")
    local r = run { "run", "go-crash", "-p", "log=" .. fifo, "--format", "json" }
    util.rmrf(dir)
    assert.matches("waiting for a program to write to the FIFO", r.stderr)
    assert.matches("boom", r.stdout)
  end)
end)

describe("output that cannot be written", function()
  it("is an error: 3 for a run, 74 for a command, never 0", function()
    local r = run({ "run", "exit-code", "--", "true" }, " >/dev/full")
    assert.are.equal(3, r.code)
    assert.matches("cannot write the output: No space left on device", r.stderr)
    r = run({ "explain", "0x5" }, " >/dev/full")
    assert.are.equal(74, r.code)
    r = run { "run", "exit-code", "-o", "/dev/full", "--", "true" }
    assert.are.equal(3, r.code)
    assert.matches("cannot write the report to /dev/full", r.stderr)
  end)

  it("is an error for evtx -o", function()
    local sample = cli.src .. "/tests/fixtures/evtx/system.evtx"
    if not util.exists(sample) then pending("no " .. sample) return end
    local r = run { "evtx", sample, "-o", "/dev/full" }
    assert.are.equal(74, r.code)
    assert.matches("cannot write /dev/full", r.stderr)
  end)
end)

describe("event-log", function()
  it("could not diagnose when the only log given cannot be read", function()
    local r = run { "run", "event-log", "-p", "log=/nonexistent/System.evtx" }
    assert.are.equal(3, r.code)
    assert.matches("could not read any of the event logs given", r.stdout)
  end)
end)

describe("names from the command line", function()
  it("are escaped on stderr (control characters, bytes that are not UTF-8)", function()
    local r = run { "run", "no\nsuch\27[31m\255" }
    assert.are.equal(64, r.code)
    assert.truthy(r.stderr:find("'no\\nsuch\\x1b[31m\\xff'", 1, true), r.stderr)
  end)
end)

describe("a user playbook whose file name is not its id", function()
  it("is reported, not listed as a playbook that cannot be run", function()
    local dir = util.tmpdir()
    util.write(dir .. "/other-name.lua", [[
return diagkit.playbook{ id = "real-id", title = "t", summary = "s", run = function() end }
]])
    local r = cli.run({ "list" }, { DIAGKIT_PATH = dir })
    util.rmrf(dir)
    assert.falsy(r.stdout:find("real-id", 1, true))
    assert.falsy(r.stdout:find("other-name", 1, true))
    assert.matches("declares the id 'real%-id': a playbook file is named after its id", r.stderr)
  end)
end)

describe("a program that writes 16 MiB of stderr", function()
  it("is explained in seconds, with its output bounded in the report and the cut said", function()
    local dir = util.tmpdir()
    local prog = dir .. "/loud.sh"
    -- 16 MiB on one line, then 16,000 lines of 1,000 bytes
    util.write(prog, "#!/bin/sh\nhead -c 16777216 /dev/zero | tr '\\0' x >&2\necho >&2\n"
      .. "head -c 16000000 /dev/zero | tr '\\0' y | fold -w 1000 >&2\nexit 3\n")
    assert(os.execute("chmod +x " .. util.q(prog)))
    for _, pb in ipairs { "exit-code", "flash-exit" } do
      local t0 = os.time()
      local r = run { "run", pb, "--format", "json", "--", prog }
      assert.truthy(os.time() - t0 < 30, pb .. " took " .. (os.time() - t0) .. " s")
      assert.truthy(#r.stdout < 200000, pb .. ": a report of " .. #r.stdout .. " bytes")
      assert.matches("status 3", r.stdout)
    end
    util.rmrf(dir)
  end)
end)
