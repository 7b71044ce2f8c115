-- Small file helpers the playbooks share: does a file exist, its first bytes,
-- its first line, all of it, its lines one by one, its modification time.
--
-- Every helper opens files through one `open` function: io.open for bundled
-- playbooks, and, in the sandbox, the check's own io.open (files.using(open)),
-- so that a check reaches no file through this module that it could not open
-- itself (diagkit/sandbox.lua).

local M = {}

--- The helpers, reading through open(path, mode) (io.open's contract).
function M.using(open)
  local F = { using = M.using }

  --- What f:read(what) returns for the file (what: a byte count, "a", "l";
  --- default "a"), or nil, message when it cannot be opened.
  function F.read(path, what)
    local f, err = open(path, "rb")
    if not f then return nil, err end
    local s = f:read(what or "a")
    f:close()
    return s
  end

  --- True when the file can be opened for reading.
  function F.exists(path)
    local f = open(path, "rb")
    if f then f:close() return true end
    return false
  end

  --- The first n bytes (fewer at the end of the file), or nil.
  function F.head(path, n) return (F.read(path, n)) end

  --- The first line without its end of line, or nil.
  function F.first_line(path) return (F.read(path, "l")) end

  --- Calls fn(line) for each line until fn returns true; false when the file
  --- cannot be opened.
  function F.each_line(path, fn)
    local f = open(path, "rb")
    if not f then return false end
    for line in f:lines() do
      if fn(line) then break end
    end
    f:close()
    return true
  end

  --- The file's modification time (lfs: metadata, as the sandbox allows), or nil.
  function F.mtime(path)
    local ok, lfs = pcall(require, "lfs")
    if not ok then return nil end
    return lfs.attributes(path, "modification")
  end

  --- The current folder (lfs), or nil.
  function F.current_dir()
    local ok, lfs = pcall(require, "lfs")
    return ok and lfs.currentdir() or nil
  end

  return F
end

local default = M.using(io.open)
for k, v in pairs(default) do M[k] = v end

-- Scripts built into the binary (runtime/host.c): when the host found no
-- scripts folder, diagkit.host.bundled lists them ("diagkit/cli.lua",
-- "playbooks/exit-code.lua") and require finds them there.

--- The host's table when it runs on the scripts built into the binary, else nil.
function M.bundle()
  local ok, host = pcall(require, "diagkit.host")
  if ok and type(host) == "table" and host.bundled then return host end
  return nil
end

--- True when the Lua module name ("diagkit.commands.deps", "playbooks.exit-code")
--- can be required: on package.path, or built into the binary.
function M.script(name)
  if package.searchpath(name, package.path) then return true end
  local host = M.bundle()
  if not host then return false end
  local rel = name:gsub("%.", "/")
  for _, p in ipairs(host.bundled) do
    if p == rel .. ".lua" or p == rel .. "/init.lua" then return true end
  end
  return false
end

-- Inputs read whole into memory (a Go log, a report to merge): regular files
-- up to MAX_FILE bytes, streams (a pipe, <(command), a device) up to
-- MAX_STREAM, directories and oversized files refused before reading.
M.MAX_FILE = 2 * 1024 * 1024 * 1024 - 1
M.MAX_STREAM = 256 * 1024 * 1024

--- What kind of input path is, checked before it is opened:
--- "file", size | "stream", nil | nil, message (a directory, too large).
--- A FIFO's open waits for a writer: say so on stderr first.
function M.input_kind(path)
  local ok, lfs = pcall(require, "lfs")
  local attr = ok and lfs.attributes(path) or nil
  if not attr then return "file", nil end -- io.open will name what is wrong
  if attr.mode == "directory" then return nil, path .. ": is a directory, not a file" end
  if attr.mode == "file" then
    if attr.size > M.MAX_FILE then
      return nil, string.format("%s: %d bytes, more than the %d diagkit reads into memory", path, attr.size, M.MAX_FILE)
    end
    return "file", attr.size
  end
  if attr.mode == "named pipe" then
    io.stderr:write("diagkit: waiting for a program to write to the FIFO ", path, "\n")
  end
  return "stream", nil
end

--- Reads a stream to its end in blocks, at most M.MAX_STREAM bytes.
function M.read_stream(f, path, on_block)
  local parts, n = {}, 0
  while true do
    local chunk = f:read(4 * 1024 * 1024)
    if not chunk then break end
    n = n + #chunk
    if n > M.MAX_STREAM then
      return nil, string.format("%s: a stream of more than %d bytes; diagkit reads at most that much", path, M.MAX_STREAM)
    end
    parts[#parts + 1] = chunk
    if on_block then on_block(n) end
  end
  return table.concat(parts)
end

--- The whole of an input file or stream (see input_kind), or nil, message.
function M.read_input(path)
  local kind, size = M.input_kind(path)
  if not kind then return nil, size end
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local text, rerr
  if kind == "stream" then
    text, rerr = M.read_stream(f, path)
  else
    text, rerr = f:read("a")
    if text == nil then rerr = path .. ": " .. tostring(rerr or "read error") end
  end
  f:close()
  return text, rerr
end

-- Names that stand for a file the sandbox opened and judged for a check
-- (/proc/self/fd/N -> the path the check gave), live while the native call
-- that receives them runs: diagkit/recording.lua records the check's own name,
-- so a replay without the sandbox sees the same arguments.
M.aliases = {}

--- The name a check gave for s, when s stands for a file the sandbox opened.
function M.user_name(s)
  return type(s) == "string" and M.aliases[s] or s
end

return M
