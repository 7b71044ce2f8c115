-- `diagkit deps` and `diagkit run missing-dll` as a user runs them, on the
-- fixtures of tests/fixtures/deps/build.sh.
local cli = require "cli_helper"
local U = require "spec_util"

local WINE_DLLS = U.wine_dlls
local exists, fx = U.exists, U.deps_fixtures

describe("diagkit deps", function()
  it("prints a tree with the rule that found each library, and the problem", function()
    local r = cli.run { "deps", fx("elf/inherit/app_runpath") }
    assert.are.equal(2, r.code)
    assert.truthy(r.stdout:find("liba.so => " .. fx("elf/inherit/lib/liba.so") .. " [runpath]", 1, true), r.stdout)
    assert.truthy(r.stdout:find("libb.so  NOT FOUND", 1, true), r.stdout)
    assert.truthy(r.stdout:find("chain: app_runpath > liba.so > libb.so", 1, true), r.stdout)
  end)

  it("exits 0 for a program whose libraries all resolve", function()
    local r = cli.run { "deps", fx("elf/origin_ok/app") }
    assert.are.equal(0, r.code, r.stdout .. r.stderr)
    assert.truthy(r.stdout:find("no problems found", 1, true))
  end)

  it("analyses a Windows program against a System32 stand-in, with repeated --path", function()
    if not exists(WINE_DLLS .. "/kernel32.dll") then return pending("Wine DLLs not installed") end
    local r = cli.run { "deps", fx("pe64/missing/app.exe"), "--sysroot", WINE_DLLS, "--path", "/nonexistent-a",
      "--path=/nonexistent-b" }
    assert.are.equal(2, r.code)
    assert.truthy(r.stdout:find("foo.dll  NOT FOUND", 1, true), r.stdout)
    assert.truthy(r.stdout:find("ERROR dll-not-found 0xC0000135", 1, true), r.stdout)
    assert.truthy(r.stdout:find("/nonexistent-a (PATH)", 1, true), r.stdout)
    assert.truthy(r.stdout:find("/nonexistent-b (PATH)", 1, true), r.stdout)
    r = cli.run { "deps", fx("pe64/missing/app.exe"), "--sysroot", WINE_DLLS, "--path", fx("pe64/ok"), "-f", "json" }
    assert.are.equal(0, r.code)
    local rep = assert(require("diagkit.json").decode(r.stdout))
    assert.are.equal("pe", rep.format)
    assert.is_true(rep.ok)
    local found
    for _, m in ipairs(rep.modules) do if m.name == "foo.dll" then found = m end end
    assert.are.equal("PATH", found.how)
  end)

  it("summarises many binaries, exit 1 for warnings only", function()
    if not exists(WINE_DLLS .. "/kernel32.dll") then return pending("Wine DLLs not installed") end
    local r = cli.run { "deps", "-f", "summary", "--sysroot", WINE_DLLS, fx("pe64/delay/app.exe"), fx("pe64/ok/app.exe") }
    assert.are.equal(1, r.code, r.stdout)
    assert.truthy(r.stdout:find("delay/app.exe: %d+ modules, 0 errors, 1 warnings"), r.stdout)
  end)

  it("fails cleanly on unreadable and malformed input, and on usage errors", function()
    local r = cli.run { "deps", "/nonexistent/app.exe" }
    assert.are.equal(3, r.code)
    assert.truthy(r.stderr:find("ENOENT", 1, true))
    r = cli.run { "deps", cli.src .. "/tests/fixtures/deps/build.sh" }
    assert.are.equal(3, r.code)
    assert.truthy(r.stderr:find("DK_BAD_FORMAT", 1, true))
    r = cli.run { "deps" }
    assert.are.equal(64, r.code)
    r = cli.run { "deps", "-f", "xml", "/bin/sh" }
    assert.are.equal(64, r.code)
    r = cli.run { "deps", "--help" }
    assert.truthy((r.stdout .. r.stderr):find("Usage: diagkit deps", 1, true))
  end)
end)

describe("diagkit run missing-dll", function()
  it("runs the program after -- and explains the missing library", function()
    local r = cli.run { "run", "missing-dll", "--", fx("elf/origin_missing/app") }
    assert.are.equal(2, r.code)
    assert.truthy(r.stdout:find("libfoo.so is missing (needed by app)", 1, true), r.stdout)
  end)

  it("writes a schema-valid JSON report", function()
    if not exists(WINE_DLLS .. "/kernel32.dll") then return pending("Wine DLLs not installed") end
    local out = os.tmpname()
    local r = cli.run { "run", "missing-dll", "-p", "program=" .. fx("pe64/deep/app.exe"), "-p", "sysroot=" .. WINE_DLLS,
      "--format", "json", "-o", out }
    assert.are.equal(2, r.code, r.stderr)
    local ok, msg = cli.validate { out }
    os.remove(out)
    assert.is_true(ok, msg)
  end)
end)
