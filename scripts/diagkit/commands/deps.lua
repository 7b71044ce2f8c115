-- diagkit deps: the dependency tree of a PE or ELF binary, resolved as the
-- Windows loader or glibc's ld.so would, with what was found where and why,
-- and the problems that stop the program from starting (issue 4).

local cliargs = require "diagkit.cliargs"
local deptree = require "diagkit.deptree"

local M = {}

M.summary = "the dependency tree of a PE or ELF binary, resolved as the loader does"
M.help = [[
Usage: diagkit deps <binary>... [--sysroot DIR] [--syswow64 DIR] [--windir DIR] [--path DIR]...
                   [--cwd DIR] [--apiset FILE] [--ld-library-path DIRS] [--symbols]
                   [--no-exports] [--no-versions] [--format text|json|summary]
Walks the dependencies of a Windows .exe/.dll or an ELF program or library, as
the loader would, and shows a tree: each module, the file found and the rule
that found it ([KnownDLLs], [application folder], [System32], [PATH]; [rpath],
[runpath], [LD_LIBRARY_PATH], [ld.so.cache], [default path]), then the problems.
Windows (also analysed on Linux, offline):
  --sysroot DIR       folder standing in for C:\Windows\System32 (default: the live one on
                      Windows; Wine's DLL folder on Linux when installed)
  --syswow64 DIR      SysWOW64 stand-in, used for 32-bit programs
  --windir DIR        the Windows folder;  --cwd DIR  the current folder
  --path DIR          a PATH folder; repeat it for several (searched in order)
  --apiset FILE       apisetschema.dll to map api-ms-*/ext-ms-* names (default: the sysroot's)
  --no-exports        do not check imported functions against exports
ELF:
  --ld-library-path DIRS   LD_LIBRARY_PATH to assume (default: the environment's)
  --no-versions       skip the symbol-version check;  --symbols  also check undefined symbols
Output:
  -f, --format FORMAT text (default), json (the walk as data) or summary (one line per binary)
Exit status: 0 no problem, 1 warnings only, 2 errors (the program cannot start),
3 a binary could not be read, 64 usage error.
]]

local OPTIONS = {
  ["--sysroot"] = "sysroot", ["--syswow64"] = "syswow64", ["--windir"] = "windir", ["--cwd"] = "cwd",
  ["--apiset"] = "apiset", ["--ld-library-path"] = "ld_library_path", ["--path"] = "path*",
  ["--format"] = "format", ["-f"] = "format",
  ["--symbols"] = true, ["--symbols#"] = "symbols",
  ["--no-exports"] = true, ["--no-exports#"] = "no_exports",
  ["--no-versions"] = true, ["--no-versions#"] = "no_versions",
}

function M.run(args)
  local deps = require "diagkit.deps"
  local json = require "diagkit.json"
  local opts, files = cliargs.parse(args, 2, OPTIONS)
  local paths = opts.path or {}
  if #files == 0 then cliargs.usage_error("deps needs a binary (diagkit deps --help)") end
  local format = opts.format or "text"
  if format ~= "text" and format ~= "json" and format ~= "summary" then
    cliargs.usage_error("unknown format '%s' (text, json, summary)", format)
  end
  local base = {
    sysroot = opts.sysroot, syswow64 = opts.syswow64, windir = opts.windir, cwd = opts.cwd,
    apiset = opts.apiset, ld_library_path = opts.ld_library_path,
    path = #paths > 0 and paths or nil,
    exports = not opts.no_exports, versions = not opts.no_versions, symbols = opts.symbols or nil,
  }
  local status = 0
  local walkers = {}
  local results = {}
  -- progress on a TTY, per binary (never with --format json)
  local progress = require "diagkit.progress"
  progress.configure { format = format }
  local bar = progress.new { label = "deps", total = #files }
  for i, file in ipairs(files) do
    bar:update(i - 1, file)
    local o = {}
    for k, v in pairs(base) do o[k] = v end
    local note
    o, note = deptree.default_opts(deps, file, o)
    -- One walker per set of options: the caches are shared across binaries.
    local key = json.encode(o)
    local w = walkers[key]
    if not w then
      w = deps.walker(o)
      walkers[key] = w
    end
    local r, err, code = w:walk(file, { tree = format == "text", modules = format ~= "summary" })
    bar:clear()
    if not r then
      io.stderr:write("diagkit deps: ", err, " (", tostring(code), ")\n")
      status = math.max(status, 3)
    else
      local s = deptree.status_of(r)
      if s > status and status ~= 3 then status = s end
      if format == "text" then
        io.stdout:write(deptree.render_text(r, note), #files > 1 and "\n" or "")
      elseif format == "summary" then
        local nerr, nwarn, first = 0, 0, nil
        for _, p in ipairs(r.problems) do
          if p.severity == "error" then nerr = nerr + 1; first = first or p end
          if p.severity == "warning" then nwarn = nwarn + 1 end
        end
        io.stdout:write(string.format("%s: %d modules, %d errors, %d warnings%s\n", file, r.nmodules, nerr, nwarn,
          first and (" (first: " .. first.kind .. " " .. (first.name or "") .. (first.symbol and ("!" .. first.symbol) or "") .. ")") or ""))
      else
        r.file = file
        r.note = note
        results[#results + 1] = r
      end
    end
  end
  bar:done()
  for _, w in pairs(walkers) do w:close() end
  if format == "json" then
    io.stdout:write(json.encode(#files == 1 and results[1] or results, { indent = "  " }), "\n")
  end
  return status
end

return M
