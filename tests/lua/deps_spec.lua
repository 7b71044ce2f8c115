-- diagkit.deps from Lua: parsers on real files, and the Windows and glibc
-- resolvers on the fixtures of tests/fixtures/deps/build.sh (gcc, mingw-w64).
-- ELF cases also run the program: the real loader must agree. PE cases whose
-- outcome Wine reproduces run under Wine when it is installed.
require "diagkit"
local deps = require "diagkit.deps"

local U = require "spec_util"

local SRC, WINE_DLLS = U.src, U.wine_dlls
local exists, fixtures = U.exists, U.deps_fixtures

-- not the sanitizer runtime the ASan test run preloads into lua5.4
local function sh(cmd) return U.output("env -u LD_PRELOAD " .. cmd) end

local function problem(r, kind, name)
  for _, p in ipairs(r.problems) do
    if p.kind == kind and (not name or p.name == name) then return p end
  end
end

local function module(r, name)
  for _, m in ipairs(r.modules) do
    if m.name:lower() == name:lower() then return m end
  end
end

local function errors(r)
  local n = 0
  for _, p in ipairs(r.problems) do if p.severity == "error" then n = n + 1 end end
  return n
end

describe("diagkit.deps parsers", function()
  it("reads a PE: headers, imports, exports with forwarders", function()
    if not exists(WINE_DLLS .. "/kernel32.dll") then return pending("Wine DLLs not installed") end
    local k = assert(deps.pe(WINE_DLLS .. "/kernel32.dll"))
    assert.are.equal("pe", k.format)
    assert.are.equal("x64", k.machine)
    assert.is_true(k.dll)
    assert.is_true(#k.imports > 0)
    local fwd
    for _, f in ipairs(k.exports.functions) do
      if f.name == "AcquireSRWLockExclusive" then fwd = f.forwarder end
    end
    assert.are.equal("NTDLL.RtlAcquireSRWLockExclusive", fwd)
  end)

  it("reads the API-set schema of Wine's apisetschema.dll", function()
    local path = WINE_DLLS .. "/apisetschema.dll"
    if not exists(path) then return pending("Wine DLLs not installed") end
    local s = assert(deps.apiset(path))
    assert.are.equal(6, s.version)
    assert.is_true(s.count > 100)
    local r = deps.apiset(path, "api-ms-win-crt-runtime-l1-1-0.dll")
    assert.are.same({ status = "host", host = "ucrtbase.dll", contract = "api-ms-win-crt-runtime-l1-1-0" }, r)
    -- the trailing number is ignored, case too
    assert.are.equal("ucrtbase.dll", deps.apiset(path, "API-MS-WIN-CRT-RUNTIME-L1-1-9.DLL").host)
    assert.are.equal("not-present", deps.apiset(path, "kernel32.dll").status)
  end)

  it("reads an ELF: interpreter, needed, versions, symbols", function()
    local e = assert(deps.elf("/bin/sh", { symbols = true }))
    assert.are.equal("elf", e.format)
    assert.is_string(e.interp)
    assert.is_true(#e.needed > 0)
    local libc
    for _, v in ipairs(e.verneed) do if v.file == "libc.so.6" then libc = v end end
    assert.is_table(libc)
    assert.is_true(#e.symbols > 0)
  end)

  it("reads /etc/ld.so.cache", function()
    if not exists("/etc/ld.so.cache") then return pending("no ld.so.cache") end
    local c = assert(deps.ldcache())
    assert.is_true(#c.entries > 0)
    assert.is_string(c.entries[1].name)
  end)

  it("returns nil, message, code for expected failures and raises on bad arguments", function()
    U.fails("ENOENT", "x.dll", deps.pe, "/nonexistent/x.dll")
    U.fails("DK_BAD_FORMAT", "MZ", deps.pe, "/bin/sh")
    U.fails("DK_BAD_FORMAT", nil, deps.elf, SRC .. "/tests/fixtures/deps/build.sh")
    U.fails("ENOENT", nil, deps.walk, "/nonexistent/app")
    assert.has_error(function() deps.pe({}) end)
    assert.has_error(function() deps.walk("/bin/sh", { path = true }) end)
    assert.has_error(function() deps.walk("/bin/sh", { hwcaps = { "x86-64-v9" } }) end)
    assert.is_false(deps.gobuild("/bin/sh"))
  end)
end)

describe("diagkit.deps.walk on PE fixtures", function()
  local function walk(case, opts)
    opts = opts or {}
    opts.sysroot = opts.sysroot or WINE_DLLS
    return assert(deps.walk(fixtures() .. "/" .. case, opts))
  end

  before_each(function()
    if not exists(WINE_DLLS .. "/kernel32.dll") then pending("Wine DLLs not installed") end
  end)

  it("resolves a good program against Wine's DLL folder", function()
    local r = walk("pe64/ok/app.exe")
    assert.are.equal(0, errors(r))
    assert.is_true(r.ok)
    assert.are.equal("application folder", module(r, "foo.dll").how)
    assert.are.equal("KnownDLLs", module(r, "kernel32.dll").how)
    assert.are.equal("app.exe", r.root.name)
    assert.is_table(r.root.children)
  end)

  it("finds a missing DLL (0xC0000135) and lists the folders searched", function()
    local r = walk("pe64/missing/app.exe", { path = { "/nonexistent-path-dir" } })
    local p = assert(problem(r, "dll-not-found", "foo.dll"))
    assert.are.equal("0xC0000135", p.code_hex)
    assert.are.equal("app.exe", p.importer)
    assert.is_true(#p.tried >= 3)
    assert.truthy(table.concat(p.tried, "\n"):find("/nonexistent-path-dir (PATH)", 1, true))
    assert.is_false(r.ok)
  end)

  it("finds a missing export (0xC0000139)", function()
    local r = walk("pe64/missing_export/app.exe")
    local p = assert(problem(r, "entry-point-not-found", "foo.dll"))
    assert.are.equal("foo_new", p.symbol)
    assert.are.equal(0xC0000139, p.code)
  end)

  it("reports the wrong-bitness DLL that Windows stops at (0xC000007B)", function()
    local r = walk("pe64/bitness/app.exe", { path = { fixtures() .. "/pe64/bitness/path" } })
    local p = assert(problem(r, "wrong-machine", "foo.dll"))
    assert.are.equal("0xC000007B", p.code_hex)
    assert.truthy(p.detail:find("x86", 1, true))
    assert.truthy(p.detail:find("bitness/path/foo.dll", 1, true), p.detail)
    local r32 = walk("pe32/bitness/app.exe", { sysroot = fixtures() .. "/pe32/lib" })
    local p32 = assert(problem(r32, "wrong-machine", "foo.dll"))
    assert.truthy(p32.detail:find("x64 DLL but the program is x86", 1, true), p32.detail)
  end)

  it("finds a DLL missing two levels down, with its chain", function()
    local r = walk("pe64/deep/app.exe")
    local p = assert(problem(r, "dll-not-found", "b.dll"))
    assert.are.equal("a.dll", p.importer)
    assert.are.equal("app.exe > a.dll > b.dll", p.chain)
  end)

  it("reports a missing delay-loaded DLL as a warning (0xC06D007E at first use)", function()
    local r = walk("pe64/delay/app.exe")
    local p = assert(problem(r, "delay-dll-not-found", "foo.dll"))
    assert.are.equal("warning", p.severity)
    assert.are.equal(0xC06D007E, p.code)
    assert.is_true(r.ok)
    assert.is_true(module(r, "foo.dll").delay)
    local r32 = walk("pe32/delay/app.exe", { sysroot = fixtures() .. "/pe32/delay" })
    assert.is_table(problem(r32, "delay-dll-not-found", "foo.dll"))
  end)

  it("attributes a broken forwarder to the intermediate DLL", function()
    local r = walk("pe64/forward/app.exe")
    local p = assert(problem(r, "forwarder-broken", "fwd.dll"))
    assert.are.equal("bar", p.symbol)
    assert.truthy(p.detail:find("intermediate DLL fwd.dll", 1, true))
    assert.is_table(problem(r, "dll-not-found", "nothere.dll"))
    assert.are.equal("fwd.dll", problem(r, "dll-not-found", "nothere.dll").importer)
  end)

  it("reads the manifest and says when a missing DLL is a side-by-side assembly", function()
    local pe = assert(deps.pe(fixtures() .. "/pe64/sxs/app.exe"))
    assert.are.equal("asInvoker", pe.manifest.execution_level)
    assert.are.equal("Microsoft.VC90.CRT", pe.manifest.dependent_assemblies[1].name)
    assert.are.equal("9.0.21022.8", pe.manifest.dependent_assemblies[1].version)
    local r = walk("pe64/sxs/app.exe", { sysroot = fixtures() .. "/pe64/sxs" })
    local p = assert(problem(r, "dll-not-found", "msvcr90.dll"))
    assert.truthy(p.detail:find("side-by-side assembly Microsoft.VC90.CRT 9.0.21022.8", 1, true), p.detail)
    assert.is_true(module(r, "msvcr90.dll").sxs)
  end)

  it("names libwinpthread-1.dll for a mingw program built with threads", function()
    local r = walk("pe64/winpthread/app.exe")
    assert.is_table(problem(r, "dll-not-found", "libwinpthread-1.dll"))
    -- found when the mingw runtime folder is on PATH
    local r2 = walk("pe64/winpthread/app.exe", { path = "/usr/x86_64-w64-mingw32/lib" })
    assert.is_nil(problem(r2, "dll-not-found", "libwinpthread-1.dll"))
    assert.are.equal("PATH", module(r2, "libwinpthread-1.dll").how)
  end)

  it("maps API sets to their host DLL, and reports a contract with no host", function()
    local r = walk("pe64/apiset/app.exe")
    local m = assert(module(r, "ucrtbase.dll"))
    assert.are.equal("api-ms-win-crt-stdio-l1-1-0.dll", m.apiset)
    assert.are.equal("System32", m.how)
    assert.is_nil(problem(r, "entry-point-not-found")) -- __stdio_common_vfprintf is in ucrtbase
    local p = assert(problem(r, "apiset-not-hosted", "api-ms-win-deprecated-apis-legacy-l1-1-0.dll"))
    assert.are.equal("0xC0000135", p.code_hex)
    -- without a schema the contract is searched as a file, and not found
    local r2 = walk("pe64/apiset/app.exe", { apiset = fixtures() .. "/pe64/lib/foo.dll" })
    assert.is_table(problem(r2, "dll-not-found", "api-ms-win-crt-stdio-l1-1-0.dll"))
    assert.truthy(r2.apiset_problem:find("no .apiset section", 1, true))
  end)

  it("walks every Wine DLL without errors in the walker itself", function()
    local w = deps.walker { sysroot = WINE_DLLS }
    local n = 0
    for name in sh("ls " .. WINE_DLLS):gmatch("[^\n]+") do
      if name:match("%.dll$") then
        local r, err, code = w:walk(WINE_DLLS .. "/" .. name, { tree = false })
        assert(r or code == "DK_BAD_FORMAT", tostring(err))
        n = n + 1
      end
    end
    w:close()
    assert.is_true(n > 100)
  end)
end)

describe("diagkit.deps.walk on ELF fixtures (the real loader agrees)", function()
  local function run(path, env)
    return sh((env or "") .. " " .. path)
  end

  it("RUNPATH $ORIGIN/lib: found, and missing", function()
    local ok = assert(deps.walk(fixtures() .. "/elf/origin_ok/app"))
    assert.is_true(ok.ok)
    assert.are.equal("runpath", module(ok, "libfoo.so").how)
    assert.truthy(module(ok, "libfoo.so").path:find("origin_ok/lib/libfoo.so", 1, true))
    local out = run(fixtures() .. "/elf/origin_ok/app")
    assert.truthy(out:find("foo=7", 1, true), out)

    local bad = assert(deps.walk(fixtures() .. "/elf/origin_missing/app"))
    local p = assert(problem(bad, "lib-not-found", "libfoo.so"))
    assert.truthy(table.concat(p.tried, "\n"):find("origin_missing/lib (runpath)", 1, true))
    out = run(fixtures() .. "/elf/origin_missing/app")
    assert.truthy(out:find("libfoo.so: cannot open shared object file", 1, true), out)
  end)

  it("a missing symbol version", function()
    local r = assert(deps.walk(fixtures() .. "/elf/version/app"))
    local p = assert(problem(r, "version-not-found", "libfoo.so"))
    assert.are.equal("FOO_2", p.symbol)
    assert.truthy(p.detail:find("version `FOO_2' not found", 1, true))
    local out = run(fixtures() .. "/elf/version/app")
    assert.truthy(out:find("version `FOO_2' not found", 1, true), out)
  end)

  it("with symbols=true, finds an undefined symbol (lazily bound: a warning)", function()
    local r = assert(deps.walk(fixtures() .. "/elf/version/app", { symbols = true }))
    local p = assert(problem(r, "undefined-symbol"))
    assert.are.equal("foo_new", p.symbol)
    assert.are.equal("warning", p.severity)
    local ok = assert(deps.walk("/bin/ls", { symbols = true }))
    assert.is_nil(problem(ok, "undefined-symbol"))
  end)

  it("RPATH beats LD_LIBRARY_PATH, which beats RUNPATH", function()
    local order = fixtures() .. "/elf/order"
    local llp = order .. "/b"
    local r = assert(deps.walk(order .. "/app_rpath", { ld_library_path = llp }))
    assert.are.equal("rpath", module(r, "libfoo.so").how)
    assert.truthy(run(order .. "/app_rpath", "LD_LIBRARY_PATH=" .. llp):find("foo=1", 1, true))
    r = assert(deps.walk(order .. "/app_runpath", { ld_library_path = llp }))
    assert.are.equal("LD_LIBRARY_PATH", module(r, "libfoo.so").how)
    assert.truthy(run(order .. "/app_runpath", "LD_LIBRARY_PATH=" .. llp):find("foo=2", 1, true))
    r = assert(deps.walk(order .. "/app_runpath"))
    assert.are.equal("runpath", module(r, "libfoo.so").how)
    assert.truthy(run(order .. "/app_runpath"):find("foo=1", 1, true))
  end)

  it("RUNPATH is not inherited by a dependency; RPATH is", function()
    local dir = fixtures() .. "/elf/inherit"
    local r = assert(deps.walk(dir .. "/app_runpath"))
    local p = assert(problem(r, "lib-not-found", "libb.so"))
    assert.are.equal("liba.so", p.importer)
    assert.truthy(run(dir .. "/app_runpath"):find("libb.so: cannot open shared object file", 1, true))
    r = assert(deps.walk(dir .. "/app_rpath"))
    assert.is_true(r.ok)
    assert.are.equal("rpath of app_rpath", module(r, "libb.so").how)
    assert.truthy(run(dir .. "/app_rpath"):find("a=42", 1, true))
  end)

  it("skips a library of the wrong machine, as ld.so does", function()
    local r = assert(deps.walk(fixtures() .. "/elf/class/app"))
    assert.is_true(r.ok)
    assert.truthy(module(r, "libfoo.so").path:find("class/lib/libfoo.so", 1, true))
    local p = assert(problem(r, "incompatible-skipped", "libfoo.so"))
    assert.truthy(p.tried[1]:find("class/other/libfoo.so", 1, true))
    assert.truthy(run(fixtures() .. "/elf/class/app"):find("foo=4", 1, true))
  end)

  it("explains a missing interpreter", function()
    local r = assert(deps.walk(fixtures() .. "/elf/interp_missing"))
    local p = assert(problem(r, "interp-missing"))
    assert.are.equal("/lib/ld-nowhere.so.1", p.path)
    local out, code = run(fixtures() .. "/elf/interp_missing")
    assert.are_not.equal(0, code)
  end)

  it("agrees with ldd on system programs", function()
    for _, prog in ipairs { "/bin/ls", "/bin/sh", "/usr/bin/lua5.4" } do
      if exists(prog) then
        local r = assert(deps.walk(prog, { ld_library_path = os.getenv("LD_LIBRARY_PATH") }))
        local ldd = sh("ldd " .. prog)
        for name, path in ldd:gmatch("\n?%s*(%S+) => (%S+) %(") do
          local m = assert(module(r, name), name .. " missing from the walk of " .. prog)
          assert.are.equal(path, m.path)
        end
      end
    end
  end)
end)

describe("PE fixtures under Wine", function()
  local wine = SRC .. "/tools/wine-run.sh"
  it("a missing DLL fails with 0xC0000135 (53 in the low byte), a missing delay-load does not", function()
    if not exists(wine) or sh("sh -c 'command -v wine64 || command -v wine'") == "" then
      return pending("Wine not installed")
    end
    local _, code = sh("timeout 120 " .. wine .. " " .. fixtures() .. "/pe64/missing/app.exe")
    assert.are.equal(0x35, code)
    _, code = sh("timeout 120 " .. wine .. " " .. fixtures() .. "/pe64/delay/app.exe")
    assert.are.equal(0, code)
    -- Wine, like Windows, refuses the wrong-bitness DLL found first (it then
    -- reports it as not found rather than 0xC000007B: see docs/deps.md)
    _, code = sh("timeout 120 " .. wine .. " " .. fixtures() .. "/pe64/ok/app.exe")
    assert.are.equal(0, code)
  end)
end)
