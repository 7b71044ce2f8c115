-- diagkit.trace on real traces: strace output recorded now from programs
-- built now, and Process Monitor's own CSV exports from ../shared/data.
require "diagkit"
local trace = require "diagkit.trace"
local proc = require "diagkit.proc"
local U = require "spec_util"

local src, shared = U.src, U.shared .. "/procmon"

local tmp
local sh, have = U.must, U.have

describe("diagkit.trace", function()
  setup(function()
    tmp = U.tmpdir()
    sh("mkdir -p '" .. tmp .. "/app/conf'")
    U.write(tmp .. "/cfg.c", [[
#include <stdio.h>
#include <unistd.h>
int main(void) {
  if (fork() == 0) { FILE *g = fopen("child-only.txt", "r"); return g ? 0 : 4; }
  FILE *f = fopen("conf/app.ini", "r");
  if (!f) { perror("conf/app.ini"); return 3; }
  return 0;
}
]])
    sh(string.format("cc -o '%s/cfg' '%s/cfg.c'", tmp, tmp))
  end)
  teardown(function() U.rmrf(tmp) end)

  it("runs a program under strace and names the file it could not open", function()
    if not have("strace") then return pending("strace is not installed (apt install strace)") end
    local r = assert(trace.run { argv = { tmp .. "/cfg" }, cwd = tmp })
    assert.are.equal("exited", r.status)
    assert.are.equal(3, r.exit_code)
    assert.are.equal("strace", r.traced_by)
    local fails = trace.failures(r.trace)
    local names = {}
    for _, f in ipairs(fails) do names[f.path] = f end
    assert.is_not_nil(names[tmp .. "/conf/app.ini"], "failures: " .. #fails)
    assert.are.equal("ENOENT", names[tmp .. "/conf/app.ini"].errno)
    -- the forked child's failure is in the trace too, with its own pid
    local child = names[tmp .. "/child-only.txt"]
    assert.is_not_nil(child)
    assert.are_not.equal(names[tmp .. "/conf/app.ini"].pid, child.pid)
    -- loader noise is filtered: nothing from /usr/lib/locale or ld.so.preload
    for _, f in ipairs(fails) do
      assert.falsy(f.path:find("locale", 1, true), f.path)
      assert.falsy(f.path:find("ld.so.preload", 1, true), f.path)
    end
  end)

  it("is reached through proc.run{trace = true}, and keeps how a crash ended", function()
    if not have("strace") then return pending("strace is not installed (apt install strace)") end
    local segv = src .. "/examples/crashers/build/segv"
    if not io.open(segv) then return pending("examples/crashers not built") end
    local r = assert(proc.run { argv = { segv }, trace = true })
    assert.are.equal("signaled", r.status)
    assert.are.equal("SIGSEGV", r.signal_name)
    local last = r.trace[#r.trace]
    assert.are.equal("killed", last.kind)
    assert.are.equal("SIGSEGV", last.signal)
  end)

  it("reports a program that does not exist exactly as proc.run does", function()
    local r = assert(trace.run { argv = { tmp .. "/no-such-program" } })
    assert.are.equal("failed", r.status)
    assert.are.equal("ENOENT", r.error.code)
  end)

  it("parses strace text with interleaved processes", function()
    local ev, st = assert(trace.parse_strace(table.concat({
      '7 10:00:00.1 openat(AT_FDCWD</srv>, "a.cfg", O_RDONLY <unfinished ...>',
      '8 10:00:00.2 execve("/bin/x", ["x"], 0x1 /* 1 var */) = -1 EACCES (Permission denied)',
      '7 10:00:00.3 <... openat resumed>) = -1 ENOENT (No such file or directory)',
      '8 10:00:00.4 +++ exited with 126 +++',
    }, "\n")))
    assert.are.equal(3, #ev)
    assert.are.equal(4, st.lines)
    assert.are.equal("openat", ev[2].syscall)
    assert.are.equal("/srv/a.cfg", ev[2].abs_path)
    assert.are.equal("ENOENT", ev[2].errno)
    assert.are.equal(126, ev[3].exit_code)
    local fails = trace.failures(ev)
    assert.are.equal(2, #fails)
    assert.are.equal("/bin/x", fails[1].path)
    assert.are.equal("EACCES", fails[1].errno)
  end)

  it("refuses what is not a trace, and a missing file, with nil, message, code", function()
    U.fails("DK_BAD_FORMAT", "not strace output", trace.parse_strace, "just some\nprogram output\n")
    U.fails("ENOENT", nil, trace.strace_file, tmp .. "/none.txt")
    U.fails("DK_BAD_FORMAT", "not a Process Monitor CSV", trace.procmon_csv, tmp .. "/cfg.c")
    assert.has_error(function() trace.failures("x") end)
  end)

  describe("on Process Monitor's own exports (../shared/data/procmon)", function()
    local function csv(name)
      local xz = shared .. "/" .. name .. ".csv.xz"
      if not io.open(xz) then return nil end
      local out = tmp .. "/" .. name .. ".csv"
      sh(string.format("xz -dc '%s' > '%s'", xz, out))
      return out
    end

    it("reads every event of the process capture and decodes Exit Status", function()
      local p = csv("UTC64Process")
      if not p then return pending("../shared/data/procmon is absent: Procmon cases skipped") end
      local ev = assert(trace.procmon_csv(p))
      assert.are.equal(3400, #ev) -- the README's count
      local codes = require "diagkit.codes"
      local exits = {}
      for _, e in ipairs(ev) do
        if e.exit_status then exits[#exits + 1] = e end
      end
      assert.is_true(#exits > 0)
      local vm
      for _, e in ipairs(exits) do
        if e.exit_status == -1073740756 then vm = e end
      end
      assert.are.equal("vminstall.exe", vm.process)
      assert.are.equal(0xC000042C, vm.exit_code)
      assert.are.equal("STATUS_ELEVATION_REQUIRED", codes.lookup(vm.exit_status)[1].name)
    end)

    it("keeps the failures that matter in a 32-bit capture", function()
      local p = csv("Tests32bitUTC")
      if not p then return pending("../shared/data/procmon is absent: Procmon cases skipped") end
      local ev = assert(trace.procmon_csv(p))
      local fails = trace.failures(ev)
      local all = trace.failures(ev, { keep_noise = true, keep_searched = true, keep_probes = true })
      assert.is_true(#fails > 0 and #fails < #all)
      local by = {}
      for _, f in ipairs(fails) do by[f.path] = f end
      assert.is_not_nil(by["C:\\ProgramData\\VMware\\VMware Tools\\tools.conf"])
      for _, f in ipairs(fails) do
        assert.falsy(f.path:lower():find("%.exe%.config$"), f.path)
        assert.falsy(f.path:find("^HK"), f.path) -- registry misses are not failures unless denied
      end
    end)
  end)
end)
