-- The missing-dll playbook on the fixtures of tests/fixtures/deps/build.sh:
-- one finding per loader problem, with the chain, the folders searched and a
-- remedy naming the file; Go build info; the run-the-program path with a
-- fake diagkit.proc.
require "diagkit"
require "diagkit.deps"
local U = require "spec_util"

local WINE_DLLS = U.wine_dlls
local exists, fx, by_id = U.exists, U.deps_fixtures, U.finding

local function run(raw, modules) return U.run_playbook("missing-dll", raw, modules) end

local function evidence(f, kind)
  local e = U.evidence(f, kind)[1]
  return e and e.value
end

describe("missing-dll playbook", function()
  before_each(function()
    if not exists(WINE_DLLS .. "/kernel32.dll") then pending("Wine DLLs not installed") end
  end)

  it("names a DLL missing two levels down, its chain and where to put it", function()
    local rep = run { program = fx("pe64/deep/app.exe"), sysroot = WINE_DLLS }
    local f = assert(by_id(rep, "deps.missing-dll"))
    assert.are.equal("error", f.severity)
    assert.truthy(f.title:find("b.dll is missing (needed by a.dll, 0xC0000135)", 1, true), f.title)
    assert.are.equal("app.exe > a.dll > b.dll", evidence(f, "chain"))
    assert.is_table(evidence(f, "searched"))
    assert.truthy(f.remedy:find("Ship b.dll next to the program", 1, true))
    assert.are.equal("error", rep.status)
  end)

  it("tells where the mingw runtime DLLs come from", function()
    local rep = run { program = fx("pe64/winpthread/app.exe"), sysroot = WINE_DLLS }
    local f = assert(by_id(rep, "deps.missing-dll"))
    assert.truthy(f.remedy:find("mingw-w64 GCC runtime", 1, true))
    assert.truthy(f.remedy:find("-static", 1, true))
  end)

  it("reports a missing entry point, a wrong-bitness DLL and a delay-load", function()
    local rep = run { program = fx("pe64/missing_export/app.exe"), sysroot = WINE_DLLS }
    local f = assert(by_id(rep, "deps.missing-entry-point"))
    assert.truthy(f.title:find("foo_new", 1, true))
    assert.truthy(f.title:find("0xC0000139", 1, true))
    rep = run { program = fx("pe64/bitness/app.exe"), sysroot = WINE_DLLS, path = { fx("pe64/bitness/path") } }
    f = assert(by_id(rep, "deps.wrong-bitness"))
    assert.truthy(f.detail:find("bitness/path/foo.dll", 1, true))
    rep = run { program = fx("pe64/delay/app.exe"), sysroot = WINE_DLLS }
    f = assert(by_id(rep, "deps.delay-load-missing"))
    assert.are.equal("warning", f.severity)
    assert.are.equal("warning", rep.status)
  end)

  it("says all is well for a good program", function()
    local rep = run { program = fx("pe64/ok/app.exe"), sysroot = WINE_DLLS }
    assert.is_table(by_id(rep, "deps.ok"))
    assert.are.equal("ok", rep.status)
    assert.is_table(rep.facts.deps.modules)
  end)

  it("reports Go build info and cgo", function()
    if not exists(fx("go/cgo.exe")) then return pending("Go not installed") end
    local rep = run { program = fx("go/cgo.exe"), sysroot = WINE_DLLS }
    local f = assert(by_id(rep, "deps.go-build"))
    assert.truthy(f.title:find("cgo on", 1, true))
    assert.truthy(f.detail:find("libwinpthread-1.dll", 1, true))
    assert.is_true(rep.facts.go.cgo)
    rep = run { program = fx("go/gui.exe"), sysroot = WINE_DLLS }
    assert.is_true(rep.facts.go.windowsgui)
    assert.truthy(by_id(rep, "deps.go-build").title:find("cgo off", 1, true))
  end)
end)

describe("missing-dll playbook on ELF", function()
  it("explains a library that RUNPATH does not reach for a dependency", function()
    local rep = run { program = fx("elf/inherit/app_runpath") }
    local f = assert(by_id(rep, "deps.missing-lib"))
    assert.truthy(f.title:find("libb.so is missing (needed by liba.so)", 1, true), f.title)
    assert.truthy(f.remedy:find("not used for the dependencies of liba.so", 1, true))
  end)

  it("explains a missing GLIBC-style symbol version", function()
    local rep = run { program = fx("elf/version/app") }
    local f = assert(by_id(rep, "deps.missing-symbol-version"))
    assert.truthy(f.title:find("FOO_2", 1, true))
  end)

  it("runs the program after -- and keeps its exit code (fake proc)", function()
    local seen
    local proc = {
      run = function(spec)
        seen = spec.argv
        return { status = "exited", exit_code = 127,
          stderr = "app: error while loading shared libraries: libfoo.so: cannot open shared object file\n" }
      end,
      which = function(n) return n end,
    }
    local rep = run({ argv = { fx("elf/origin_missing/app") } }, { proc = proc })
    assert.are.same({ fx("elf/origin_missing/app") }, seen)
    assert.are.equal(127, rep.facts.run.exit_code)
    assert.is_table(by_id(rep, "deps.missing-lib"))
    assert.is_nil(by_id(rep, "deps.loader-disagrees"))
  end)

  it("says so when the loader's message names a library that resolves", function()
    local rep = run { program = fx("elf/origin_ok/app"),
      message = "app: error while loading shared libraries: libplugin.so: cannot open shared object file" }
    assert.is_table(by_id(rep, "deps.loader-disagrees"))
    assert.is_table(by_id(rep, "deps.ok"))
  end)

  it("cannot diagnose without a program", function()
    local rep = run {}
    assert.are.equal("unknown", rep.status)
  end)
end)
