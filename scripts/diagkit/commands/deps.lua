-- diagkit deps: the dependency tree of a PE or ELF binary, resolved as the
-- Windows loader or glibc's ld.so would, with what was found where and why,
-- and the problems that stop the program from starting (issue 4).

local cliargs = require "diagkit.cliargs"
local usage_error = cliargs.usage_error

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
  ["--apiset"] = "apiset", ["--ld-library-path"] = "ld_library_path",
  ["--format"] = "format", ["-f"] = "format",
  ["--symbols"] = true, ["--symbols#"] = "symbols",
  ["--no-exports"] = true, ["--no-exports#"] = "no_exports",
  ["--no-versions"] = true, ["--no-versions#"] = "no_versions",
}

local WINE = "/usr/lib/x86_64-linux-gnu/wine/"

local function isdir(path)
  local ok, lfs = pcall(require, "lfs")
  if ok then return lfs.attributes(path, "mode") == "directory" end
  local f = io.open(path .. "/.", "rb")
  if f then f:close() return true end
  return false
end

-- --path may repeat; cliargs keeps only the last value, so collect them first.
function M.paths(args)
  local paths, rest = {}, {}
  local i = 1
  while i <= #args do
    local a = args[i]
    if a == "--" then
      table.move(args, i, #args, #rest + 1, rest)
      break
    elseif a == "--path" then
      if args[i + 1] == nil then usage_error("option '--path' needs a value") end
      paths[#paths + 1] = args[i + 1]
      i = i + 1
    elseif a:match("^%-%-path=") then
      paths[#paths + 1] = a:sub(8)
    else
      rest[#rest + 1] = a
    end
    i = i + 1
  end
  return paths, rest
end

--- Default walk options for a binary: the live Windows folders, or Wine's
--- DLL folder standing in for System32 on Linux. Returns opts, note.
function M.default_opts(deps, binary, opts)
  opts = opts or {}
  local note
  local head = io.open(binary, "rb")
  local magic = head and head:read(2)
  if head then head:close() end
  if magic == "MZ" and not opts.sysroot then
    local root = os.getenv("SystemRoot") or os.getenv("windir")
    if root and package.config:sub(1, 1) == "\\" then
      opts.sysroot = root .. "\\System32"
      opts.syswow64 = opts.syswow64 or (isdir(root .. "\\SysWOW64") and root .. "\\SysWOW64" or nil)
      opts.windir = opts.windir or root
    else
      local pe = deps.pe(binary)
      local sub = (pe and pe.machine == "x86") and "i386-windows" or "x86_64-windows"
      if isdir(WINE .. sub) then
        opts.sysroot = WINE .. sub
        note = "System32 is Wine's DLL folder " .. opts.sysroot .. " (--sysroot to choose another)"
      else
        note = "no System32 stand-in: system DLLs will show as not found (give --sysroot)"
      end
    end
  end
  if magic ~= "MZ" and opts.ld_library_path == nil then
    opts.ld_library_path = os.getenv("LD_LIBRARY_PATH")
  end
  return opts, note
end

local SEV_MARK = { error = "ERROR", warning = "warning", info = "info" }

local function label(n)
  local parts = {}
  if n.apiset then parts[#parts + 1] = "via " .. n.apiset end
  if n.how and n.how ~= "root" and n.how ~= "not found" then parts[#parts + 1] = n.how end
  if n.delay then parts[#parts + 1] = "delay-load" end
  return #parts > 0 and (" [" .. table.concat(parts, ", ") .. "]") or ""
end

local function render_tree(out, node, prefix, last, depth)
  local line
  if depth == 0 then
    line = node.name .. (node.machine and (" (" .. node.machine .. ")") or "") .. "\n"
  else
    local head = prefix .. (last and "└── " or "├── ")
    if not node.found then
      line = head .. node.name .. "  NOT FOUND" .. label(node) .. "\n"
    else
      line = head .. node.name .. " => " .. (node.path or "?") .. label(node)
        .. (node.problems and ("  <" .. table.concat(node.problems, ", ") .. ">") or "")
        .. (node.seen and " (see above)" or "") .. "\n"
    end
  end
  out[#out + 1] = line
  local kids = node.children or {}
  local sub = depth == 0 and "" or (prefix .. (last and "    " or "│   "))
  for i, c in ipairs(kids) do
    render_tree(out, c, sub, i == #kids, depth + 1)
  end
end

function M.render_text(r, note)
  local out = {}
  render_tree(out, r.root, "", true, 0)
  if note then out[#out + 1] = "note: " .. note .. "\n" end
  if r.apiset_problem then out[#out + 1] = "note: API-set schema not read: " .. r.apiset_problem .. "\n" end
  if #r.problems > 0 then
    out[#out + 1] = "\nproblems:\n"
    for _, p in ipairs(r.problems) do
      out[#out + 1] = string.format("  %s %s%s: %s\n", SEV_MARK[p.severity] or p.severity, p.kind,
        p.code_hex and (" " .. p.code_hex) or "", p.detail or p.name or "")
      if p.chain then out[#out + 1] = "      chain: " .. p.chain .. "\n" end
      if p.tried and p.severity ~= "info" then
        out[#out + 1] = "      searched:\n"
        for i, t in ipairs(p.tried) do out[#out + 1] = string.format("        %d. %s\n", i, t) end
      end
    end
  else
    out[#out + 1] = "\nno problems found\n"
  end
  return table.concat(out)
end

local function status_of(r)
  local s = 0
  for _, p in ipairs(r.problems) do
    if p.severity == "error" then return 2 end
    if p.severity == "warning" then s = 1 end
  end
  return s
end

function M.run(args)
  local deps = require "diagkit.deps"
  local json = require "diagkit.json"
  local paths, rest = M.paths(args)
  local opts, files = cliargs.parse(rest, 2, OPTIONS)
  if #files == 0 then usage_error("deps needs a binary (diagkit deps --help)") end
  local format = opts.format or "text"
  if format ~= "text" and format ~= "json" and format ~= "summary" then
    usage_error("unknown format '%s' (text, json, summary)", format)
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
    o, note = M.default_opts(deps, file, o)
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
      local s = status_of(r)
      if s > status and status ~= 3 then status = s end
      if format == "text" then
        io.stdout:write(M.render_text(r, note), #files > 1 and "\n" or "")
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
