-- The Lua half of diagkit.trace: trace.failures(events) and trace.run(spec).
-- modules/trace/lua_trace.c requires this file and calls the returned
-- installer with its module table (docs/lua-api/trace.md).

-- Failures that can stop a program, in strace's and in Procmon's words.
local FAILED = {
  ENOENT = true, EACCES = true, EPERM = true, ENOTDIR = true, ELOOP = true, EROFS = true,
  ENAMETOOLONG = true, ENXIO = true, ETXTBSY = true,
  ["NAME NOT FOUND"] = true, ["PATH NOT FOUND"] = true, ["ACCESS DENIED"] = true,
  ["NAME INVALID"] = true, ["BAD NETWORK PATH"] = true, ["SHARING VIOLATION"] = true,
}

-- "Does it exist?" calls: a program asking expects the answer may be no.
local PROBES = {
  access = true, faccessat = true, faccessat2 = true, stat = true, lstat = true, stat64 = true,
  lstat64 = true, newfstatat = true, fstatat64 = true, statx = true, readlink = true, readlinkat = true,
  statfs = true, getxattr = true, lgetxattr = true, QueryOpen = true, QueryDirectory = true,
  QueryAttributeInformationVolume = true, QueryNetworkOpenInformationFile = true,
}

-- Procmon operations whose failure matters; registry ones only when denied
-- (a missing optional key is the registry's normal way of saying "default").
local PROCMON_OPS = { CreateFile = true, ["Load Image"] = true, ["Process Create"] = true,
  CreateFileMapping = true, QueryOpen = true }
local REGISTRY_OPS = { RegOpenKey = true, RegCreateKey = true, RegSetValue = true, RegQueryValue = true,
  RegDeleteKey = true, RegDeleteValue = true }

-- Paths every program touches and whose absence is normal.
local NOISE = {
  "^/usr/lib/locale/", "^/usr/share/locale/", "^/usr/share/locale%-langpack/", "/gconv/",
  "^/etc/ld%.so%.preload$", "^/etc/ld%.so%.nohwcap$", "^/usr/share/zoneinfo/", "^/etc/localtime$",
  "/glibc%-hwcaps/", "^/etc/nsswitch%.conf$", "^/etc/gai%.conf$", "^/proc/self/",
  "^/sys/", "%.mo$", "^/etc/suid%-debug$", "^/etc/selinux/",
  -- Windows (matched lower-cased): the loader's and .NET's side-by-side probes
  -- (app.exe.manifest, app.exe.config, app.exe.local), MUI resources.
  "^c:\\windows\\globalization\\", "%.mui$", "\\en%-us\\", "%.exe%.manifest$", "%.exe%.config$",
  "%.dll%.config$", "%.local$", "%.local\\",
}

-- Windows paths compare without case.
local function path_key(p)
  if p:find("\\", 1, true) or p:match("^%a:") then return p:lower() end
  return p
end

local function basename(p)
  return (p:match("([^/\\]+)[/\\]*$")) or p
end

local function is_noise(path)
  local low = path_key(path)
  for _, pat in ipairs(NOISE) do
    if low:find(pat) then return true end
  end
  return false
end

local function succeeded(e)
  if e.kind ~= "syscall" then return false end
  if e.result ~= nil and type(e.result) == "number" then return e.result >= 0 end
  return e.result == "SUCCESS"
end

-- trace.failures(events [, opts]) -> list of
-- {path, errno, syscall, pid, line, time, count, probe, abs_path}
-- opts.keep_noise / opts.keep_probes / opts.keep_searched switch a rule off.
local function failures(events, opts)
  if type(events) ~= "table" then error("trace.failures: a list of events expected", 2) end
  opts = opts or {}
  -- Every basename that some call opened or found: a candidate path that
  -- failed before another with the same name succeeded was a search
  -- (ld.so's library path, $PATH, the DLL search order), not a failure.
  local found_later = {}
  for i = #events, 1, -1 do
    local e = events[i]
    local p = e.abs_path or e.path
    if p and succeeded(e) then
      local b = basename(p):lower()
      if not found_later[b] then found_later[b] = i end
    end
  end
  -- Paths opened after they were probed: the probe then mattered.
  local opened = {}
  for _, e in ipairs(events) do
    local p = e.abs_path or e.path
    if p and e.syscall and not PROBES[e.syscall] and not PROBES[e.operation or ""] then opened[p] = true end
  end

  local out, seen = {}, {}
  for i, e in ipairs(events) do
    local p = e.abs_path or e.path
    local err = e.errno
    if p and err and FAILED[err] and e.kind == "syscall" then
      local op = e.operation
      local relevant = true
      if op then -- Procmon
        if REGISTRY_OPS[op] then relevant = err == "ACCESS DENIED"
        elseif not PROCMON_OPS[op] then relevant = false end
      end
      local probe = PROBES[e.syscall or ""] or PROBES[op or ""] or false
      local later = found_later[basename(p):lower()]
      if relevant and not opts.keep_noise and is_noise(p) then relevant = false end
      if relevant and not opts.keep_searched and later and later > i and err ~= "EACCES" and err ~= "ACCESS DENIED" then
        relevant = false
      end
      if relevant and probe and not opts.keep_probes and not opened[p] and err ~= "EACCES" and err ~= "ACCESS DENIED" then
        relevant = false
      end
      if relevant then
        local key = path_key(p) .. "\0" .. err
        local f = seen[key]
        if f then
          f.count = f.count + 1
        else
          f = { path = p, errno = err, syscall = e.syscall or op, pid = e.pid, line = e.line, time = e.time,
            count = 1, probe = probe, process = e.process, errmsg = e.errmsg }
          seen[key] = f
          out[#out + 1] = f
        end
      end
    end
  end
  return out
end

local function copy(t)
  local c = {}
  for k, v in pairs(t) do c[k] = v end
  return c
end

-- trace.run(spec) -> proc result with .trace (events) | nil, message, code
local function run(spec)
  if type(spec) ~= "table" or type(spec.argv) ~= "table" or type(spec.argv[1]) ~= "string" then
    error("trace.run: spec.argv must be a non-empty list of strings", 2)
  end
  local proc = require "diagkit.proc"
  local sys = require "diagkit.sys"
  local plain = copy(spec)
  plain.trace = nil
  if sys.platform().os == "windows" then
    if not proc.which("Procmon.exe") and not proc.which("Procmon64.exe") then
      return nil, "Process Monitor (Procmon.exe) is not on PATH: download it from Sysinternals to trace file access", "ENOENT"
    end
    -- Not done: Procmon captures through its kernel driver, which Wine cannot
    -- load, so driving it could not be tested where diagkit is built (issue 3).
    return nil, "diagkit does not drive Process Monitor: capture with Procmon and read its log with " ..
      "trace.pml (or a CSV export with trace.procmon_csv)", "ENOTSUP"
  end
  local strace = proc.which("strace")
  if not strace then return nil, "strace is not installed (apt install strace)", "ENOENT" end
  -- A program that cannot start is reported exactly by proc.run (ENOENT,
  -- EACCES, ENOEXEC from the child); strace would only print a message.
  local target = spec.argv[1]
  if not target:find("/", 1, true) and not proc.which(target, spec.env and spec.env.PATH or nil) then
    return proc.run(plain)
  end
  if target:find("/", 1, true) then
    local f = io.open(target, "rb")
    if not f then return proc.run(plain) end
    f:close()
  end
  local out = os.tmpname()
  local argv = { strace, "-f", "-tt", "-y", "-qq", "-e", "trace=file,process,desc", "-o", out, "--" }
  for _, a in ipairs(spec.argv) do argv[#argv + 1] = a end
  plain.argv = argv
  local r, err, code = proc.run(plain)
  if not r then
    os.remove(out)
    return nil, err, code
  end
  local events, terr = require("diagkit.trace").strace_file(out)
  os.remove(out)
  r.trace = events or {}
  r.trace_error = terr
  r.traced_by = "strace"
  return r
end

return function(M)
  M.failures = failures
  M.run = run
end
