-- The sandbox for checks that are not bundled (diagkit check FILE, and user
-- playbooks from DIAGKIT_PATH and the user folders) unless --trust is given.
--
-- A sandboxed check runs in its own environment built here, never in _G:
--   * no os.execute, io.popen, package, debug, string.dump, binary chunks
--     (load/loadfile/dofile are text-only), no require outside the modules
--     listed in SAFE_LUA and the native diagkit modules;
--   * every native function that reads a file's contents checks the path
--     against the folders the user allowed (--allow-read, plus paths given
--     as path-typed params); process launch needs --allow-exec;
--   * what crosses back into the host (findings, facts) is copied as plain
--     data, and modules are read-only proxies, so a check cannot change what
--     the next check (or the report writer) sees;
--   * the whole check runs under diagkit.limits: an instruction budget and a
--     memory cap stop a runaway check with a clear error and leave the host
--     usable.
-- Why an environment and not a separate Lua state: checks call the same
-- framework (ctx, findings, params) and the same native modules as bundled
-- playbooks, and budgets in one state are exact; the cost is that the
-- wrappers here must cover every native function, which a test enforces
-- (tests/lua/sandbox_spec.lua fails when a module gains an unclassified one).

-- Depends on the playbook model (diagkit.playbook), never the other way: the
-- playbook module gets the sandbox as a loader its callers pass in
-- (M.loader; diagkit/cli.lua, diagkit/api.lua, diagkit/init.lua).
local files = require "diagkit.files"
local json = require "diagkit.json"
local limits = require "diagkit.limits"
local params_mod = require "diagkit.params"
local playbook = require "diagkit.playbook"
local sys = require "diagkit.sys"

local M = {}

M.DEFAULTS = { instructions = 500000000, memory = 256 * 1024 * 1024, milliseconds = 300000 }

-- How many bytes a native parser may allocate in C (outside the memory cap)
-- for each byte of input, at worst: reg.parse_reg of "[A]\n" repeated takes
-- ~32x. A check's input to a parser is refused above memory cap / this.
M.PARSE_EXPANSION = 32

local windows = package.config:sub(1, 1) == "\\"

-- Policy ---------------------------------------------------------------------

-- The stack level of the check's code that called into the sandbox, so
-- that errors point at the check's line rather than at this file (or at
-- diagkit/files.lua, whose helpers open files through the check's io.open).
local host_files = { [debug.getinfo(1, "S").source] = true, [debug.getinfo(files.using, "S").source] = true }
local function caller_level()
  local level = 3 -- caller of the function that called caller_level
  while true do
    local info = debug.getinfo(level, "S")
    if not info then return 1 end
    if not host_files[info.source] and info.what ~= "C" then return level - 1 end
    level = level + 1
  end
end

local function deny(what, how)
  error("sandbox: " .. what .. " is not allowed in a check that is not trusted" ..
    (how and ("; " .. how) or "") .. " (run with --trust if you trust the check)", caller_level())
end

local function dirname(p)
  local d = p:match("^(.*)[/\\][^/\\]*$")
  if d == "" then return p:sub(1, 1) end
  return d or "."
end

-- The canonical form of a path, also for one that does not exist yet.
local function canonical(p)
  local real = sys.realpath(p)
  if real then return real end
  local parent = sys.realpath(dirname(p))
  if parent then return parent .. (windows and "\\" or "/") .. (p:match("[^/\\]+$") or "") end
  return nil
end

local function norm(p)
  if windows then p = p:gsub("/", "\\"):lower() end
  return p
end

--- Builds a policy from the CLI's options: {trust, allow_read = {dirs},
--- allow_exec, instructions, memory}. Raises (a usage error for the CLI)
--- naming a folder that does not exist.
function M.policy(opts)
  opts = opts or {}
  local p = {
    trust = opts.trust or false,
    allow_exec = opts.allow_exec or false,
    read = {},
    limits = { instructions = opts.instructions or M.DEFAULTS.instructions,
               memory = opts.memory or M.DEFAULTS.memory,
               milliseconds = opts.milliseconds or M.DEFAULTS.milliseconds },
  }
  for _, d in ipairs(opts.allow_read or {}) do
    local real = sys.realpath(d)
    if not real then return nil, "--allow-read " .. d .. ": no such file or folder" end
    p.read[#p.read + 1] = norm(real)
  end
  return p
end

--- Allows reading one more path (a path-typed param the user gave).
function M.allow(policy, path)
  local real = canonical(path)
  if real then policy.read[#policy.read + 1] = norm(real) end
end

-- True when the canonical path real is an allowed file or under an allowed folder.
local function allowed(policy, real)
  real = norm(real)
  local sep = windows and "\\" or "/"
  for _, dir in ipairs(policy.read) do
    local prefix = dir:sub(-1) == sep and dir or dir .. sep -- "/" and "C:\" end in one already
    if real == dir or real:sub(1, #prefix) == prefix then return true end
  end
  return false
end

--- True when the policy lets a check read path (a file, or under a folder allowed).
function M.readable(policy, path)
  if type(path) ~= "string" then return false end
  local real = canonical(path)
  return real ~= nil and allowed(policy, real)
end

local function refuse(fn, path)
  error(string.format("sandbox: %s cannot read %s: it is outside the folders allowed with " ..
    "--allow-read (run with --trust if you trust the check)", fn, tostring(path)), caller_level())
end

-- Opens path for a check and judges the file actually opened, not the name:
-- a symbolic link swapped in between a check of the name and its use would
-- otherwise escape (limits.open reads the opened descriptor's own path).
-- Returns the open file and the name native code should be given (one that
-- reopens this very file, /proc/self/fd/N, where the OS has such a name), or
-- nil, message, code for a file inside the allowed folders that cannot be
-- opened; raises for anything outside them.
local function open_checked(policy, path, fn)
  if type(path) ~= "string" then refuse(fn, path) end
  local f, real, alias = limits.open(path)
  if not f then
    -- Outside: the usual refusal, which tells nothing about the file.
    if not M.readable(policy, path) then refuse(fn, path) end
    return nil, real, alias
  end
  if not allowed(policy, real) then
    f:close()
    refuse(fn, path)
  end
  return f, alias or path, real
end

local function check_exec(policy, fn)
  if not policy.allow_exec then deny(fn .. ": starting a process", "allow it with --allow-exec") end
end

-- Native modules ---------------------------------------------------------------
-- Every function of every native module is classified:
--   "pure"  computes from its arguments only
--   "meta"  reads metadata or live system state (stat, ACLs, PATH lookup,
--           the service manager, live event log and registry) but no file contents
--   {read = i}  argument i is a file whose contents are read
--   "exec"  starts a process
--   "deny"  not available in the sandbox
-- deps.walk reads the headers of the libraries the loader would find, like
-- ldd does, wherever they are: only the root file needs --allow-read.
M.NATIVE = {
  access = { check = "meta", credentials = "meta", evaluate = "pure", mask = "pure", parse_sd = "pure",
    parse_sddl = "pure", rights = "pure", sddl = "pure", to_binary = "pure", token = "pure",
    file_security = "meta", key_security = "meta", current_token = "meta" },
  codes = { counts = "pure", lookup = "pure", name = "pure", search = "pure", value = "pure" },
  deps = { apiset = { read = 1 }, elf = { read = 1 }, gobuild = { read = 1 }, ldcache = { read = 1, optional = true },
    pe = { read = 1 }, walk = { read = 1, by_name = true, opts = 2, opt_files = { "apiset", "ldcache" } },
    walker = "deny" },
  evtx = { cpu_count = "pure", from_xml = { bytes = 1 }, open = { read = 1 }, parse_time = "pure", query = "meta",
    time = "pure" },
  gocrash = { classify = "pure", parse = { bytes = 1 } },
  log = { compile = "pure", find = "pure", gmatch = "pure", gsub = "pure", match = "pure", scan_text = "pure",
    limits = "lower", lines = { read = 1 }, scan = { read = 1 }, tail = { read = 1 } },
  proc = { run = "exec", spawn = "exec", which = "meta" },
  reg = { failure_actions = "pure", parse_reg = { bytes = 1 }, load_reg = { read = 1 },
    open = { read = 1, by_name = true, opts = 2, opt_files = { "logs" } }, live = "meta" },
  svc = { query = "meta" },
  sys = { clock_ms = "pure", isatty = "pure", pid = "pure", platform = "pure", realpath = "meta" },
  trace = { parse_procmon_csv = { bytes = 1 }, parse_strace = { bytes = 1 }, parse_pml = { bytes = 1 },
    procmon_csv = { read = 1 },
    strace_file = { read = 1 }, pml = { read = 1 },
    -- added by diagkit/tracing.lua
    failures = "pure", run = "exec" },
  limits = false, -- the sandbox's own budgets: never reachable from a check
}

-- LuaFileSystem: its metadata half (stat, listing a folder); everything
-- that changes the file system or the process is denied.
M.LFS = { attributes = "meta", symlinkattributes = "meta", dir = "meta", currentdir = "meta",
  chdir = "deny", link = "deny", lock = "deny", lock_dir = "deny", mkdir = "deny", rmdir = "deny",
  setmode = "deny", touch = "deny", unlock = "deny" }

local function close_all(held)
  for _, f in ipairs(held) do f:close() end
end

-- Replaces the alias of an opened file by the name the check used, in a message.
local function unalias(msg, alias, path)
  if type(msg) ~= "string" or alias == path then return msg end
  return (msg:gsub(alias:gsub("%p", "%%%0"), (path:gsub("%%", "%%%%"))))
end

-- A native function whose file arguments (and file options) are opened and
-- judged first, then handed over by a name that reopens the judged file.
local function reading(policy, qualified, fn, rule)
  return function(...)
    local args = table.pack(...)
    local held, renamed = {}, {}
    local function take(path, what)
      local f, name, code = open_checked(policy, path, what)
      -- Inside the allowed folders but not openable (missing, a folder):
      -- the native function says so in its own words.
      if not f then return path end
      -- by_name: the native function also looks beside the file (a hive's
      -- .LOG1, a program's own folder), so it gets the judged real path.
      if rule.by_name then name = code end
      held[#held + 1] = f
      renamed[#renamed + 1] = { name, path }
      files.aliases[name] = path
      return name
    end
    local path = args[rule.read]
    if not (rule.optional and path == nil) then
      local name, msg, code = take(path, qualified)
      if not name then
        close_all(held)
        return nil, msg, code
      end
      args[rule.read] = name
    end
    local o = rule.opts and args[rule.opts]
    if type(o) == "table" then
      local copy = {}
      for k, v in next, o do copy[k] = v end
      for _, k in ipairs(rule.opt_files or {}) do
        local v = copy[k]
        local list = type(v) == "table" and v or (v ~= nil and v ~= "" and { v }) or {}
        local names = {}
        for i, p in ipairs(list) do
          local name, msg, code = take(p, qualified .. " option " .. k)
          if not name then
            close_all(held)
            return nil, msg, code
          end
          names[i] = name
        end
        if type(v) == "table" then copy[k] = names elseif #names > 0 then copy[k] = names[1] end
      end
      args[rule.opts] = copy
    end
    local r = table.pack(pcall(fn, table.unpack(args, 1, args.n)))
    close_all(held)
    for _, pair in ipairs(renamed) do files.aliases[pair[1]] = nil end
    for _, pair in ipairs(renamed) do
      r[2] = unalias(r[2], pair[1], pair[2])
      r[3] = unalias(r[3], pair[1], pair[2])
    end
    if not r[1] then error(r[2], 0) end
    return table.unpack(r, 2, r.n)
  end
end

-- A native parser's input string is bounded by the memory cap: what it
-- allocates in C is outside Lua's allocator (see M.PARSE_EXPANSION).
local function bounded(policy, qualified, fn, arg)
  return function(...)
    local s = select(arg, ...)
    local most = policy.limits.memory // M.PARSE_EXPANSION
    if type(s) == "string" and #s > most then
      error(string.format("sandbox: %s: input too large for the sandbox's memory cap (%d bytes, at most %d; " ..
        "raise the cap with --max-memory)", qualified, #s, most), caller_level())
    end
    return fn(...)
  end
end

-- log.limits: a host-wide setting, so a check may lower the limits for its
-- own run (M.call restores them) but never raise them.
local function lowering_only(fn)
  return function(t)
    if type(t) ~= "table" then return fn(t) end
    local now, copy = fn(), {}
    for _, k in ipairs { "match", "depth", "heap" } do
      local v = rawget(t, k)
      if type(v) == "number" and type(now[k]) == "number" and v > now[k] then v = now[k] end
      copy[k] = v
    end
    return fn(copy)
  end
end

local function guard(policy, mod, name, fn, rule)
  local qualified = mod .. "." .. name
  if rule == "pure" or rule == "meta" then return fn end
  if rule == "lower" then return lowering_only(fn) end
  if type(rule) == "table" and rule.bytes then return bounded(policy, qualified, fn, rule.bytes) end
  if rule == "exec" then
    return function(...)
      check_exec(policy, qualified)
      return fn(...)
    end
  end
  if type(rule) == "table" then return reading(policy, qualified, fn, rule) end
  return function() deny(qualified, rule == "deny" and nil or "it is not classified for the sandbox") end
end

-- A read-only view of a module table; nested plain tables are viewed too.
local function readonly(t, name, wrap)
  local cache = {}
  return setmetatable({}, {
    __index = function(_, k)
      local v = cache[k]
      if v ~= nil then return v end
      v = t[k]
      if wrap then v = wrap(k, v) end
      if type(v) == "table" and getmetatable(v) == nil then v = readonly(v, name .. "." .. tostring(k)) end
      cache[k] = v
      return v
    end,
    __newindex = function(_, k) error("sandbox: " .. name .. "." .. tostring(k) .. " is read-only", 2) end,
    __pairs = function(p)
      local k
      return function()
        k = next(t, k)
        if k ~= nil then return k, p[k] end
      end, p, nil
    end,
    __len = function() return #t end,
    __metatable = false,
  })
end

local function native(policy, short)
  local rules = M.NATIVE[short]
  if not rules then
    if rules == false then deny("require 'diagkit." .. short .. "'") end
    return nil
  end
  local ok, mod = pcall(require, "diagkit." .. short)
  if not ok then return nil end
  return readonly(mod, "diagkit." .. short, function(k, v)
    if type(v) ~= "function" then return v end
    return guard(policy, short, k, v, rules[k])
  end)
end

-- Pure-Lua framework modules a check may require, as read-only views.
M.SAFE_LUA = { ["diagkit.json"] = true, ["diagkit.service"] = true, ["diagkit.explain"] = true }
-- Lua modules a check gets bound to its own io.open: name -> function(open)
-- returning the module. diagkit.files reads through the check's io.open, so it
-- reaches no file the check could not open itself.
M.BOUND_LUA = { ["diagkit.files"] = files.using }

-- Plain data -------------------------------------------------------------------

local array_mt = getmetatable(json.array())

--- A deep copy of v that holds only plain data (what findings, facts and
--- params may hold); raises naming the first thing that is not.
function M.plain(v, where, seen, depth)
  local t = type(v)
  if t == "string" or t == "number" or t == "boolean" or t == "nil" then return v end
  if v == json.null then return v end
  if t ~= "table" then error(string.format("%s is a %s; only plain data can leave a check", where, t), 0) end
  seen = seen or {}
  depth = (depth or 0) + 1
  if seen[v] then error(where .. " refers back to itself; only plain data can leave a check", 0) end
  if depth > 100 then error(where .. " is nested more than 100 deep", 0) end
  local mt = getmetatable(v)
  if mt ~= nil and mt ~= array_mt then
    error(where .. " has a metatable; only plain data can leave a check", 0)
  end
  seen[v] = true
  local out = mt == array_mt and json.array() or {}
  for k, x in next, v do
    local kt = type(k)
    if kt ~= "string" and kt ~= "number" then
      error(string.format("%s has a %s key; only plain data can leave a check", where, kt), 0)
    end
    out[k] = M.plain(x, where .. "." .. tostring(k), seen, depth)
  end
  seen[v] = nil
  return out
end

-- The environment --------------------------------------------------------------

local function copy_lib(lib, drop)
  local t = {}
  for k, v in pairs(lib) do t[k] = v end
  for _, k in ipairs(drop or {}) do t[k] = nil end
  return t
end

-- Makes reading one of `denied` raise a clear error (instead of a later
-- "attempt to call a nil value").
local function forbidding(t, name, denied, hints)
  local set = {}
  for _, k in ipairs(denied) do set[k] = true end
  return setmetatable(t, {
    __index = function(_, k)
      if set[k] then deny(name and (name .. "." .. k) or k, hints and hints[k]) end
    end,
  })
end

local function text_only(mode, fn)
  if mode ~= nil and mode ~= "t" then deny(fn .. " with mode '" .. tostring(mode) .. "' (binary chunks)") end
  return "t"
end

-- The string functions a check sees, for string.find(...) and for s:find(...)
-- alike: the pattern functions count their steps against the instruction
-- budget (modules/limits/pattern.c), so a pattern that backtracks for
-- minutes inside one call stops like an endless loop.
local guarded_string = copy_lib(string, { "dump" })
-- rep too: Lua 5.4's loops n times even for an empty result, inside one C call.
for _, k in ipairs { "find", "match", "gmatch", "gsub", "rep" } do guarded_string[k] = limits[k] end

--- limits.call with the string metatable pointing at the guarded functions
--- for the length of the call (method calls on strings do not go through
--- the check's environment), and the host-wide regular-expression limits
--- restored afterwards (a check may lower them for itself, see lowering_only).
function M.call(policy, f, ...)
  local smt = getmetatable("")
  local saved = smt.__index
  local has_log, log = pcall(require, "diagkit.log")
  local log_limits = has_log and log.limits() or nil
  smt.__index = guarded_string
  local r = table.pack(pcall(limits.call, f, policy.limits, ...))
  smt.__index = saved
  if log_limits then log.limits(log_limits) end
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
end

-- Lua runs an xpcall message handler, and the __close handlers a coroutine's
-- cleanup closes, with hooks off when the error came from a hook: a handler
-- that loops would never be stopped. So once a limit has tripped (or a cancel
-- is pending) none of the check's handlers runs; before that they run under
-- the budget like any code.
local function guarded_xpcall(f, handler, ...)
  if type(handler) ~= "function" then return xpcall(f, handler, ...) end
  return xpcall(f, function(e)
    if limits.tripped() then return e end
    return handler(e)
  end, ...)
end

local function guarded_coroutines()
  local co = copy_lib(coroutine)
  co.close = function(c)
    if limits.tripped() then return false, "stopped: not closing a coroutine after a limit tripped" end
    return coroutine.close(c)
  end
  -- coroutine.wrap closes a coroutine that failed (and so runs its __close
  -- handlers) from C: rebuilt on create/resume to ask first.
  co.wrap = function(f)
    local c = coroutine.create(f)
    return function(...)
      local r = table.pack(coroutine.resume(c, ...))
      if r[1] then return table.unpack(r, 2, r.n) end
      local e = r[2]
      if coroutine.status(c) == "dead" and not limits.tripped() then
        local ok, cerr = coroutine.close(c)
        if not ok then e = cerr end
      end
      error(e, type(e) == "string" and 2 or 0)
    end
  end
  return co
end

-- What a check's error says, without calling any of the check's code: the
-- host reads it after the limits are off, so an error object's __tostring
-- (which could loop or allocate) is never called.
local function error_text(err)
  local t = type(err)
  if t == "string" then return err end
  if t == "number" or t == "boolean" or t == "nil" then return tostring(err) end
  local m = t == "table" and rawget(err, "message")
  if type(m) == "string" then return m end
  return "the check raised an error object (a " .. t .. "), not a message; error objects are not shown"
end

function M.env(policy, dk)
  local env = {}
  for _, k in ipairs { "assert", "error", "ipairs", "next", "pairs", "pcall", "rawequal", "rawget", "rawlen",
    "rawset", "select", "tonumber", "tostring", "type", "xpcall", "_VERSION" } do
    env[k] = _G[k]
  end
  env.string = forbidding(copy_lib(guarded_string), "string", { "dump" })
  env.table = copy_lib(table)
  env.math = copy_lib(math)
  env.utf8 = copy_lib(utf8)
  env.coroutine = guarded_coroutines()
  env.xpcall = guarded_xpcall
  env.os = forbidding({ clock = os.clock, date = os.date, difftime = os.difftime, time = os.time,
    getenv = os.getenv }, "os", { "execute", "exit", "remove", "rename", "tmpname", "setlocale" },
    { execute = "start programs with diagkit.proc (needs --allow-exec)" })
  local function open(path, mode)
    if mode ~= nil and not tostring(mode):match("^rb?$") then deny("io.open(" .. tostring(path) .. ", '" .. tostring(mode) .. "')", "files can only be read") end
    return open_checked(policy, path, "io.open")
  end
  -- The whole text of a file the check may read (loadfile, dofile).
  local function slurp(path, fn)
    local f, err = open_checked(policy, path, fn)
    if not f then return nil, err end
    local text = f:read("a")
    f:close()
    return text
  end
  env.io = forbidding({ open = open, type = io.type, lines = function(path, ...)
    if path == nil then deny("io.lines() on standard input") end
    local f, err = open_checked(policy, path, "io.lines")
    if not f then error(err, 2) end
    -- as io.lines: the file is closed by the generic for (4th value) or at its end
    local it = f:lines(...)
    return function()
      local line = it()
      if line == nil then f:close() end
      return line
    end, nil, nil, f
  end }, "io", { "popen", "write", "read", "input", "output", "stdout", "stdin", "stderr", "tmpfile", "close" },
    { popen = "start programs with diagkit.proc (needs --allow-exec)",
      write = "report through ctx:finding and ctx:fact" })
  -- print goes to stderr: stdout carries the report (JSON for machines).
  env.print = function(...)
    local n = select("#", ...)
    local parts = {}
    for i = 1, n do parts[i] = tostring((select(i, ...))) end
    io.stderr:write(table.concat(parts, "\t"), "\n")
  end
  -- Metatables: a check sees and changes only those it set itself. The
  -- host's (json arrays, json.null, ...) stay out of reach, so a check can
  -- neither forge what the report writer sees nor hang it in a metamethod.
  local own = setmetatable({}, { __mode = "k" })
  env.setmetatable = function(t, mt)
    if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
      deny("setmetatable with __gc", "finalizers run outside the instruction budget")
    end
    local cur = type(t) == "table" and debug.getmetatable(t) or nil
    if cur ~= nil and not own[cur] then deny("setmetatable on a value the host made") end
    if type(mt) == "table" then own[mt] = true end
    return setmetatable(t, mt)
  end
  env.getmetatable = function(v)
    if type(v) ~= "table" then return nil end -- the string metatable is the host's
    local mt = debug.getmetatable(v)
    if mt == nil or not own[mt] then return nil end
    return getmetatable(v)
  end
  env.collectgarbage = function(opt, ...)
    opt = opt or "collect"
    if opt ~= "collect" and opt ~= "count" and opt ~= "step" then
      deny("collectgarbage('" .. tostring(opt) .. "')")
    end
    return collectgarbage(opt, ...)
  end
  env.load = function(chunk, name, mode, e)
    if type(chunk) == "string" and chunk:byte(1) == 27 then deny("load of a binary chunk (bytecode)") end
    return load(chunk, name, text_only(mode, "load"), e == nil and env or e)
  end
  -- loadfile and dofile read through a checked handle (open_checked), then load text.
  local function load_checked(path, mode, e, fn)
    if path == nil then deny(fn .. "() on standard input") end
    mode = text_only(mode, fn)
    local text, err = slurp(path, fn)
    if not text then return nil, err end
    if text:byte(1) == 27 then deny(fn .. " of a binary chunk (bytecode)") end
    return load(text, "@" .. path, mode, e == nil and env or e)
  end
  env.loadfile = function(path, mode, e) return load_checked(path, mode, e, "loadfile") end
  env.dofile = function(path)
    local f = assert(load_checked(path, "t", nil, "dofile"))
    return f()
  end
  local loaded = {}
  env.require = function(name)
    if type(name) ~= "string" then error("bad argument #1 to 'require' (string expected)", 2) end
    if loaded[name] ~= nil then return loaded[name] end
    local mod
    if name == "diagkit" then
      mod = dk
    elseif M.SAFE_LUA[name] then
      mod = readonly(require(name), name)
    elseif M.BOUND_LUA[name] then
      mod = readonly(M.BOUND_LUA[name](open), name)
    elseif name:match("^diagkit%.") then
      mod = native(policy, name:sub(9))
    elseif name == "lfs" then
      mod = readonly(require "lfs", "lfs", function(k, v)
        if type(v) ~= "function" then return v end
        return guard(policy, "lfs", k, v, M.LFS[k])
      end)
    end
    if mod == nil then
      deny("require '" .. name .. "'", "a check may require diagkit, its native modules, " ..
        "diagkit.json/service/explain/files and lfs (metadata only)")
    end
    loaded[name] = mod
    return mod
  end
  env.diagkit = dk
  env._G = env
  return forbidding(env, nil, { "debug", "package" }, {
    debug = "the debug library reaches into the host",
    package = "package.loadlib and package.path reach native code",
  })
end

-- The `diagkit` table a sandboxed check sees: the playbook constructor, the
-- helpers of diagkit/init.lua, and the native modules through the policy.
function M.dk(policy)
  local real = require "diagkit"
  local own = { playbook = real.playbook, API = real.API, platform = real.platform, try = real.try }
  local cache = {}
  return setmetatable({}, {
    __index = function(_, k)
      if own[k] ~= nil then return own[k] end
      if cache[k] == nil and type(k) == "string" and M.NATIVE[k] then cache[k] = native(policy, k) end
      return cache[k]
    end,
    __newindex = function(_, k) error("sandbox: diagkit." .. tostring(k) .. " is read-only", 2) end,
    __metatable = false,
  })
end

-- The ctx a sandboxed run(ctx, params) sees: the real ctx's methods, with
-- what goes in copied as plain data and the modules through the policy.
local function sandbox_ctx(ctx, policy, params)
  local modules = {}
  local def = ctx.playbook
  local view = {
    params = params,
    playbook = { id = def.id, title = def.title, version = def.version },
  }
  -- After a limit tripped (caught inside a coroutine or pcall, before the
  -- check's next hook tick) nothing the check reports is kept.
  local function live()
    if limits.tripped() then error("stopped after a limit tripped", 0) end
  end
  function view.finding(self, f)
    if self ~= view then error("use ctx:finding{...}", 2) end
    live()
    return ctx:finding(M.plain(f, "finding"))
  end
  function view.fact(self, key, value)
    if self ~= view then error("use ctx:fact(key, value)", 2) end
    if type(key) ~= "string" then error("ctx:fact: the key must be a string", 2) end
    live()
    ctx:fact(key, M.plain(value, "fact " .. key))
    return value
  end
  function view.unknown(_, reason) ctx:unknown(tostring(reason)) end
  function view.say(_, fmt, ...) ctx:say(fmt, ...) end
  function view.run(_, id)
    deny("ctx:run('" .. tostring(id) .. "')", "bundled playbooks use the native modules without the sandbox's rules")
  end
  return setmetatable(view, {
    __index = function(_, k)
      if type(k) ~= "string" then return nil end
      if modules[k] == nil then
        local rules = M.NATIVE[k]
        if rules == false then deny("ctx." .. k) end
        if rules then
          local mod = ctx[k] -- through the real ctx: test fakes and --record see the calls
          modules[k] = mod and readonly(mod, "ctx." .. k, function(name, v)
            if type(v) ~= "function" then return v end
            return guard(policy, k, name, v, rules[name])
          end) or false
        end
      end
      return modules[k] or nil
    end,
    __newindex = function(_, k) error("sandbox: ctx." .. tostring(k) .. " is read-only", 2) end,
    __metatable = false,
  })
end

--- Turns an error from limits.call into the message a user reads.
function M.describe(err, kind, policy)
  if kind == "instructions" then
    return string.format("stopped: the check ran more than %d instructions (an endless loop?); " ..
      "raise the budget with --max-instructions", policy.limits.instructions)
  elseif kind == "memory" then
    return string.format("stopped: the check needed more than %d MiB of memory (a memory bomb?); " ..
      "raise the cap with --max-memory", policy.limits.memory // (1024 * 1024))
  elseif kind == "time" then
    return string.format("stopped: the check ran for more than %g s (many or long native calls?); " ..
      "raise the limit with --max-seconds", policy.limits.milliseconds / 1000)
  elseif kind == "stack" then
    return "stopped: stack overflow (runaway recursion): " .. error_text(err)
  elseif kind == "cancelled" then
    return "cancelled"
  end
  return error_text(err)
end

local stopped_mt = { __tostring = function(e) return e.message end }

local function plain_def(def)
  local out = {}
  for k, v in next, def do
    if k ~= "run" then out[k] = M.plain(v, "playbook field " .. tostring(k)) end
  end
  return out
end

--- Loads a check file in the sandbox. Returns a playbook definition whose
--- run goes through the sandbox, or nil, message.
function M.load(path, policy)
  local env = M.env(policy, M.dk(policy))
  local chunk, err = loadfile(path, "t", env)
  if not chunk then return nil, err end
  local ok, def, kind = M.call(policy, chunk)
  if not ok then return nil, path .. ": " .. M.describe(def, kind, policy) end
  if type(def) ~= "table" or getmetatable(def) ~= playbook.definition_mt then
    return nil, path .. ": must return diagkit.playbook{...}"
  end
  local user_run = def.run
  local safe = setmetatable(plain_def(def), playbook.definition_mt)
  safe.file = path
  safe.sandboxed = true
  safe.run = function(ctx, params)
    -- Only paths the user gave: a default is a value the check chose itself.
    local from_default = params_mod.defaulted[params] or {}
    for name, spec in pairs(safe.params) do
      if spec.type == "path" and type(params[name]) == "string" and not from_default[name] then
        M.allow(policy, params[name])
      end
    end
    local copy = M.plain(params, "params")
    local ran, rerr, rkind = M.call(policy, user_run, sandbox_ctx(ctx, policy, copy), copy)
    -- A table error: the report shows the message without a traceback of
    -- the host's own frames, which would say nothing about the check.
    if not ran then error(setmetatable({ message = M.describe(rerr, rkind, policy) }, stopped_mt), 0) end
  end
  return safe
end

--- The loader playbook.load_file/find/catalog take as opts.sandbox: loads a
--- file that is not trusted under policy (default: M.policy()).
function M.loader(policy)
  return function(path) return M.load(path, policy or M.policy()) end
end

return M
