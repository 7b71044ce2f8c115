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
