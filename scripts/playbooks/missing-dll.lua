-- missing-dll: a program does not start because a DLL or shared library, an
-- entry point, a symbol version or the right bitness is missing. Walks the
-- binary's dependencies offline, as the Windows loader or glibc's ld.so would
-- (diagkit.deps), and turns each problem into a finding that names the file,
-- the chain that needs it, where the loader looked, and what to ship or build.
-- Works for Windows programs on Linux too, against a System32 stand-in.

local deptree = require "diagkit.deptree"

-- Runtime DLLs and where they come from.
local MINGW = {
  ["libwinpthread-1.dll"] = true, ["libgcc_s_seh-1.dll"] = true, ["libgcc_s_dw2-1.dll"] = true,
  ["libgcc_s_sjlj-1.dll"] = true, ["libstdc++-6.dll"] = true, ["libgomp-1.dll"] = true,
  ["libssp-0.dll"] = true, ["libquadmath-0.dll"] = true, ["libatomic-1.dll"] = true,
}

local function lower(s) return (s or ""):lower() end

local function remedy_missing(p, r, go, program)
  local name = lower(p.name)
  local dir = program:match("^(.*)[/\\][^/\\]*$") or "."
  if MINGW[name] then
    return string.format("%s is part of the mingw-w64 GCC runtime: copy it next to the program (%s) from the"
      .. " toolchain (e.g. /usr/x86_64-w64-mingw32/lib/ or the compiler's bin folder), or link it in: -static"
      .. " (or -static-libgcc -static-libstdc++ and -Wl,-Bstatic -lwinpthread)%s.", p.name, dir,
      go and go.cgo and "; for a cgo Go program: go build -ldflags \"-extldflags=-static\"" or "")
  end
  if name:match("^vcruntime%d+") or name:match("^msvcp%d+") or name:match("^vcomp%d+") or name:match("^concrt%d+") then
    return "Install the Microsoft Visual C++ Redistributable matching the program's compiler (x64 or x86 as the"
      .. " program), or ship " .. p.name .. " next to the program (app-local deployment)."
  end
  if name:match("^api%-ms%-win%-crt%-") or name == "ucrtbase.dll" then
    return "The Universal C Runtime is missing: it ships with Windows 10 and later; on older Windows install"
      .. " the Universal CRT update (KB2999226) or the Visual C++ Redistributable."
  end
  if name:match("^msvc[rp]%d%d%.dll$") then
    return p.name .. " belongs to an old Visual C++ runtime, deployed as a side-by-side (WinSxS) assembly: install"
      .. " that Visual C++ Redistributable, or ship the assembly folder with its .manifest next to the program."
  end
  if r.format == "elf" then
    local s = "Install the package that provides " .. p.name .. " (Debian/Ubuntu: apt-file search " .. p.name
      .. "), or put it in a folder the loader searches (listed above)."
    if p.importer and p.importer ~= r.modules[1].name then
      s = s .. " Note: DT_RUNPATH of " .. r.modules[1].name .. " is not used for the dependencies of "
        .. p.importer .. "; give " .. p.importer .. " its own RUNPATH (-Wl,-rpath,'$ORIGIN') or link the"
        .. " program with DT_RPATH (-Wl,--disable-new-dtags), which is inherited."
    end
    return s
  end
  return string.format("Ship %s next to the program (%s: the application folder is searched first), or install"
    .. " what provides it; it must be built for the same machine type as the program.", p.name, dir)
end

local function finding_for(ctx, p, r, go, program)
  local ev = {}
  if p.code_hex then ev[#ev + 1] = { kind = "ntstatus", value = p.code_hex, source = "Windows loader rule" } end
  if p.chain then ev[#ev + 1] = { kind = "chain", value = p.chain } end
  if p.path then ev[#ev + 1] = { kind = "file", value = p.path } end
  if p.tried and #p.tried > 0 then ev[#ev + 1] = { kind = "searched", value = p.tried } end
  local k = p.kind
  local f = { evidence = ev, detail = p.detail, severity = p.severity == "info" and "info" or p.severity }
  if k == "dll-not-found" or k == "lib-not-found" then
    f.id = k == "dll-not-found" and "deps.missing-dll" or "deps.missing-lib"
    f.title = string.format("%s is missing%s", p.name,
      p.importer and (" (needed by " .. p.importer .. (p.code_hex and (", " .. p.code_hex) or "") .. ")") or "")
    f.remedy = remedy_missing(p, r, go, program)
  elseif k == "delay-dll-not-found" then
    f.id = "deps.delay-load-missing"
    f.title = string.format("%s is missing but only delay-loaded by %s: the program starts, and fails with"
      .. " 0xC06D007E when it first uses it", p.name, p.importer or "?")
    f.remedy = remedy_missing(p, r, go, program)
  elseif k == "entry-point-not-found" or k == "ordinal-not-found" or k == "delay-entry-point-not-found" then
    f.id = "deps.missing-entry-point"
    f.title = string.format("%s has no %s %s (needed by %s, %s)", p.name,
      k == "ordinal-not-found" and "ordinal" or "entry point", p.symbol or "?", p.importer or "?", p.code_hex or "")
    f.remedy = string.format("The %s found at %s is a different (usually older) build than the one %s was linked"
      .. " against: ship the matching %s next to the program, or remove the stale copy from the folder it was"
      .. " found in.", p.name, p.path or "?", p.importer or "the program", p.name)
  elseif k == "forwarder-broken" or k == "forwarder-loop" then
    f.id = "deps.broken-forwarder"
    f.title = string.format("%s forwards %s to a module or export that is missing", p.name, p.symbol or "?")
    f.remedy = "The failure is inside " .. p.name .. ": its forwarder target must exist (install or ship the"
      .. " target DLL of the matching version)."
  elseif k == "wrong-machine" then
    f.id = "deps.wrong-bitness"
    f.title = string.format("%s is for another machine type than the program (0xC000007B)", p.name)
    f.remedy = string.format("Windows uses the first %s it finds even when it has the wrong bitness: replace %s"
      .. " with the build for the program's machine, or remove it so that the right one is found.", p.name, p.path or p.name)
  elseif k == "bad-image" or k == "not-pe" then
    f.id = "deps.bad-image"
    f.title = string.format("%s is not a valid image (%s)", p.name, p.code_hex or "")
    f.remedy = "Replace the damaged or foreign file " .. (p.path or p.name) .. " with a proper DLL."
  elseif k == "apiset-not-hosted" or k == "delay-apiset-not-hosted" then
    f.id = "deps.apiset-not-hosted"
    f.title = string.format("API set %s has no host DLL on this system", p.name)
    f.remedy = "This Windows version (or Wine) does not implement that API-set contract: the program needs a"
      .. " newer Windows, or must load it dynamically and check IsApiSetImplemented."
  elseif k == "version-not-found" or k == "version-weak-missing" then
    f.id = "deps.missing-symbol-version"
    f.title = string.format("%s lacks symbol version %s (needed by %s)", p.path or p.name, p.symbol or "?",
      p.importer or "?")
    if (p.symbol or ""):match("^GLIBC_") then
      f.remedy = string.format("The program was built against a newer glibc than this system has (it needs %s):"
        .. " build it on (or for) the oldest distribution you support, e.g. in a container with that glibc, or"
        .. " upgrade the system.", p.symbol)
    else
      f.remedy = string.format("Install the version of %s that defines %s (the one the program was linked"
        .. " against), or rebuild the program against the installed one.", p.name, p.symbol or "?")
    end
  elseif k == "no-version-info" then
    f.id = "deps.no-version-info"
    f.title = string.format("%s has no symbol versions, but %s expects them", p.name, p.importer or "?")
    f.remedy = "A different build of " .. p.name .. " than the one linked against is found first: check the order above."
  elseif k == "interp-missing" or k == "interp-foreign" then
    f.id = "deps.missing-interpreter"
    f.title = string.format("The program's loader %s %s", p.name,
      k == "interp-missing" and "does not exist (exec says \"No such file or directory\")" or "is for another machine")
    f.remedy = "Run it on a system of its kind (libc and architecture), install that loader (e.g. a musl or"
      .. " 32-bit compatibility package), or rebuild the program for this system."
  elseif k == "undefined-symbol" then
    f.id = "deps.undefined-symbol"
    f.title = string.format("%s needs %s, which no loaded library defines", p.name, p.symbol or "?")
    f.remedy = "A library of a different version than the one linked against is loaded; install the matching one."
  else
    f.id = "deps." .. k
    f.title = p.detail or k
  end
  return ctx:finding(f)
end

local function interpret_message(msg)
  if not msg or msg == "" then return nil end
  local lib = msg:match("error while loading shared libraries: ([^:]+):")
    or msg:match("because ([%w%._%-]+%.dll) was not found")
    or msg:match("([%w%._%-]+%.[dD][lL][lL]) was not found")
  local ver = msg:match("version `([^']+)' not found")
  return { library = lib, version = ver, text = msg }
end

return diagkit.playbook {
  id = "missing-dll",
  title = "A program does not start: a DLL, shared library, entry point or symbol version is missing",
  summary = "Walks the program's dependencies as the Windows loader or glibc's ld.so would (offline; Windows"
    .. " programs can be analysed on Linux against a System32 stand-in) and reports each missing DLL or .so and"
    .. " the chain that needs it, missing entry points and symbol versions, wrong-bitness DLLs, and what to ship"
    .. " or how to build. With `-- program args` it also runs the program.",
  symptoms = { "does-not-start", "dll-not-found", "0xC0000135", "0xC0000139", "0xC000007B", "shared-library" },
  tags = { "windows", "linux", "offline", "deps" },
  params = {
    program = { type = "path", help = "the .exe, .dll or ELF binary (default: the program after --)" },
    sysroot = { type = "path", help = "folder standing in for C:\\Windows\\System32 (default: the live one, or Wine's DLL folder on Linux)" },
    syswow64 = { type = "path", help = "SysWOW64 stand-in for 32-bit programs" },
    windir = { type = "path", help = "the Windows folder" },
    path = { type = "list", help = "PATH folders, comma-separated, searched in order" },
    ld_library_path = { type = "string", help = "LD_LIBRARY_PATH to assume (default: the environment's)" },
    code = { type = "string", help = "the exit code or status seen, e.g. 0xC0000135 or -1073741515" },
    message = { type = "string", help = "the loader's error message, e.g. \"... error while loading shared libraries: libfoo.so.1 ...\"" },
    timeout = { type = "duration", default = 30, min = 0.001, help = "when running the program: kill it after this long" },
    argv = { type = "argv", help = "run this program too (its exit code and stderr join the evidence)" },
  },
  examples = {
    "diagkit run missing-dll -p program=app.exe -p sysroot=/usr/lib/x86_64-linux-gnu/wine/x86_64-windows",
    "diagkit run missing-dll -p program=./server",
    "diagkit run missing-dll -- ./server --port 80",
  },

  run = function(ctx, p)
    local program = p.program or (p.argv and p.argv[1])
    if not program then
      ctx:unknown("no program given: -p program=FILE, or the program after --")
      return
    end
    if not program:find("[/\\]") and p.argv and ctx.proc and ctx.proc.which then
      program = ctx.proc.which(program) or program
    end
    local code, message = p.code, p.message
    if p.argv then
      local r = ctx.proc.run { argv = p.argv, timeout = p.timeout, stdin = false }
      if r then
        ctx:fact("run", { status = r.status, exit_code = r.exit_code, error = r.error })
        if r.status == "exited" and r.exit_code ~= 0 and not code then code = tostring(r.exit_code) end
        if (r.stderr or "") ~= "" and not message then message = r.stderr end
        if r.status == "failed" and r.error and not message then message = r.error.message end
      end
    end
    local hint = interpret_message(message)
    local codeinfo
    if code and ctx.codes then
      local list = ctx.codes.lookup(code, { context = "windows" })
      codeinfo = list and list[1]
      if codeinfo then ctx:fact("code", { value = code, name = codeinfo.name, hex = codeinfo.hex }) end
    end

    local deps = ctx.deps
    local opts = deptree.default_opts(deps, program, {
      sysroot = p.sysroot, syswow64 = p.syswow64, windir = p.windir, path = p.path,
      ld_library_path = p.ld_library_path,
    })
    local r, err, ecode = require("diagkit.progress").busy("missing-dll: walking the dependencies of " .. program,
      deps.walk, program, opts)
    if not r then
      ctx:unknown(string.format("cannot analyse %s: %s (%s)", program, tostring(err), tostring(ecode)))
      return
    end
    local go = deps.gobuild(program) or nil
    ctx:fact("deps", {
      format = r.format, sysroot = opts.sysroot, apiset_schema = r.apiset_schema,
      modules = (function()
        local l = {}
        for _, m in ipairs(r.modules) do
          l[#l + 1] = { name = m.name, path = m.path, how = m.how, found = m.found, delay = m.delay, apiset = m.apiset,
            depth = m.depth, parent = m.parent } -- parent: the first importer's name (the HTML report's tree)
        end
        return l
      end)(),
      problems = r.problems,
    })
    if go then
      ctx:fact("go", { version = go.go_version, path = go.path, cgo = go.cgo, goos = go.goos, goarch = go.goarch,
        windowsgui = go.windowsgui, race = go.race })
    end

    local n = 0
    for _, prob in ipairs(r.problems) do
      if prob.severity ~= "info" then
        finding_for(ctx, prob, r, go, program)
        n = n + 1
      end
    end

    if go then
      local mingw_missing = false
      for _, prob in ipairs(r.problems) do
        if MINGW[lower(prob.name)] then mingw_missing = true end
      end
      ctx:finding {
        id = "deps.go-build", severity = "info",
        title = string.format("A Go program (%s, cgo %s)", go.go_version or "?", go.cgo and "on" or "off"),
        detail = go.cgo and r.format == "pe" and ("cgo is on: the program needs the C toolchain's runtime DLLs"
          .. " (mingw-w64: libgcc_s_seh-1.dll, libwinpthread-1.dll, ...) next to the .exe unless they were"
          .. " linked statically" .. (mingw_missing and "; some are missing (see above)." or ".")) or
          (go.cgo and "cgo is on: the program links the system's C libraries dynamically." or
            "cgo is off: a pure-Go binary needs only the system's own DLLs or none."),
        evidence = { { kind = "go-buildinfo", value = { version = go.go_version, cgo = go.cgo, goos = go.goos,
          goarch = go.goarch, ldflags = go.ldflags } } },
        remedy = go.cgo and "To drop the runtime DLLs: CGO_ENABLED=0 if the program does not need C, or"
          .. " go build -ldflags \"-extldflags=-static\"." or nil,
      }
    end

    if hint and hint.library then
      local seen = false
      for _, prob in ipairs(r.problems) do
        if lower(prob.name) == lower(hint.library) then seen = true end
      end
      if not seen then
        ctx:finding {
          id = "deps.loader-disagrees", severity = "warning",
          title = string.format("The loader's message names %s, but it resolves here", hint.library),
          detail = "The static walk finds every dependency: the library may be loaded at run time (dlopen,"
            .. " LoadLibrary), or the environment differs (LD_LIBRARY_PATH, PATH, the current folder).",
          evidence = { { kind = "message", value = hint.text } },
        }
      end
    end

    if n == 0 then
      ctx:finding {
        id = "deps.ok", severity = "info",
        title = string.format("All %d dependencies of %s resolve", #r.modules - 1, program),
        detail = (codeinfo and ("The reported " .. (codeinfo.name or code) .. " does not come from a static"
          .. " dependency: look at DLLs loaded at run time (LoadLibrary/dlopen) and their own dependencies.")) or
          "Every DLL/library, entry point and symbol version the loader needs at start-up was found.",
        evidence = { { kind = "modules", value = #r.modules } },
      }
    end
  end,
}
