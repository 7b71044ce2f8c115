-- The dependency tree of a binary as diagkit.deps walks it: the loader's
-- default options for a binary (the live Windows folders, or Wine's DLL
-- folder standing in for System32 on Linux), the tree as text and the exit
-- status of a walk. Shared by the `diagkit deps` command and the missing-dll
-- playbook.

local files = require "diagkit.files"

local M = {}

local WINE = "/usr/lib/x86_64-linux-gnu/wine/"

local function isdir(path)
  local ok, lfs = pcall(require, "lfs")
  if ok then return lfs.attributes(path, "mode") == "directory" end
  local f = io.open(path .. "/.", "rb")
  if f then f:close() return true end
  return false
end

--- Default walk options for a binary: the live Windows folders, or Wine's
--- DLL folder standing in for System32 on Linux. Returns opts, note.
function M.default_opts(deps, binary, opts)
  opts = opts or {}
  local note
  local magic = files.head(binary, 2)
  if magic == "MZ" and not opts.sysroot then
    local root = os.getenv("SystemRoot") or os.getenv("windir")
    if root and package.config:sub(1, 1) == "\\" then
      opts.sysroot = root .. "\\System32"
      opts.syswow64 = opts.syswow64 or (isdir(root .. "\\SysWOW64") and root .. "\\SysWOW64" or nil)
      opts.windir = opts.windir or root
      opts.system16 = opts.system16 or (root .. "\\System")
      -- the rest of the documented search order on this machine: the current
      -- folder and PATH (a DLL found there is not missing)
      local ok, lfs = pcall(require, "lfs")
      opts.cwd = opts.cwd or (ok and lfs.currentdir() or nil)
      opts.path = opts.path or os.getenv("PATH")
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

--- 2 when a problem is an error, 1 when one is a warning, else 0.
function M.status_of(r)
  local s = 0
  for _, p in ipairs(r.problems) do
    if p.severity == "error" then return 2 end
    if p.severity == "warning" then s = 1 end
  end
  return s
end

return M
