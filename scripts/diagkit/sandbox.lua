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
local playbook = require "diagkit.playbook"
local sys = require "diagkit.sys"

local M = {}

M.DEFAULTS = { instructions = 500000000, memory = 256 * 1024 * 1024 }

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
               memory = opts.memory or M.DEFAULTS.memory },
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

--- True when the policy lets a check read path (a file, or under a folder allowed).
function M.readable(policy, path)
  if type(path) ~= "string" then return false end
  local real = canonical(path)
  if not real then return false end
  real = norm(real)
  local sep = windows and "\\" or "/"
  for _, dir in ipairs(policy.read) do
    local prefix = dir:sub(-1) == sep and dir or dir .. sep -- "/" and "C:\" end in one already
    if real == dir or real:sub(1, #prefix) == prefix then return true end
  end
  return false
end

local function check_read(policy, path, fn)
  if not M.readable(policy, path) then
    error(string.format("sandbox: %s cannot read %s: it is outside the folders allowed with " ..
      "--allow-read (run with --trust if you trust the check)", fn, tostring(path)), caller_level())
  end
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
    pe = { read = 1 }, walk = { read = 1, opts = 2, opt_files = { "apiset", "ldcache" } }, walker = "deny" },
  evtx = { cpu_count = "pure", from_xml = "pure", open = { read = 1 }, parse_time = "pure", query = "meta",
    time = "pure" },
  gocrash = { classify = "pure", parse = "pure" },
  log = { compile = "pure", find = "pure", gmatch = "pure", gsub = "pure", match = "pure", scan_text = "pure",
    limits = "pure", lines = { read = 1 }, scan = { read = 1 }, tail = { read = 1 } },
  proc = { run = "exec", spawn = "exec", which = "meta" },
  reg = { failure_actions = "pure", parse_reg = "pure", load_reg = { read = 1 }, open = { read = 1 },
    live = "meta" },
  svc = { query = "meta" },
  sys = { clock_ms = "pure", isatty = "pure", pid = "pure", platform = "pure", realpath = "meta" },
  trace = { parse_procmon_csv = "pure", parse_strace = "pure", parse_pml = "pure", procmon_csv = { read = 1 },
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

local function guard(policy, mod, name, fn, rule)
  local qualified = mod .. "." .. name
  if rule == "pure" or rule == "meta" then return fn end
  if rule == "exec" then
    return function(...)
      check_exec(policy, qualified)
      return fn(...)
    end
  end
  if type(rule) == "table" then
    return function(...)
      local path = select(rule.read, ...)
      if not (rule.optional and path == nil) then check_read(policy, path, qualified) end
      if rule.opts then
        local o = select(rule.opts, ...)
        if type(o) == "table" then
          for _, k in ipairs(rule.opt_files or {}) do
            if o[k] ~= nil and o[k] ~= "" then check_read(policy, o[k], qualified .. " option " .. k) end
          end
        end
      end
      return fn(...)
    end
  end
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
for _, k in ipairs { "find", "match", "gmatch", "gsub" } do guarded_string[k] = limits[k] end

--- limits.call with the string metatable pointing at the guarded functions
--- for the length of the call (method calls on strings do not go through
--- the check's environment).
function M.call(policy, f, ...)
  local smt = getmetatable("")
  local saved = smt.__index
  smt.__index = guarded_string
  local r = table.pack(pcall(limits.call, f, policy.limits, ...))
  smt.__index = saved
  if not r[1] then error(r[2], 0) end
  return table.unpack(r, 2, r.n)
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
  env.coroutine = copy_lib(coroutine)
  env.os = forbidding({ clock = os.clock, date = os.date, difftime = os.difftime, time = os.time,
    getenv = os.getenv }, "os", { "execute", "exit", "remove", "rename", "tmpname", "setlocale" },
    { execute = "start programs with diagkit.proc (needs --allow-exec)" })
  local function open(path, mode)
    if mode ~= nil and not tostring(mode):match("^rb?$") then deny("io.open(" .. tostring(path) .. ", '" .. tostring(mode) .. "')", "files can only be read") end
    check_read(policy, path, "io.open")
    return io.open(path, mode)
  end
  env.io = forbidding({ open = open, type = io.type, lines = function(path, ...)
    if path == nil then deny("io.lines() on standard input") end
    check_read(policy, path, "io.lines")
    return io.lines(path, ...)
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
  env.setmetatable = function(t, mt)
    if type(mt) == "table" and rawget(mt, "__gc") ~= nil then
      deny("setmetatable with __gc", "finalizers run outside the instruction budget")
    end
    return setmetatable(t, mt)
  end
  env.getmetatable = function(v)
    if type(v) ~= "table" then return nil end -- the string metatable is the host's
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
  env.loadfile = function(path, mode, e)
    if path == nil then deny("loadfile() on standard input") end
    check_read(policy, path, "loadfile")
    return loadfile(path, text_only(mode, "loadfile"), e == nil and env or e)
  end
  env.dofile = function(path)
    if path == nil then deny("dofile() on standard input") end
    check_read(policy, path, "dofile")
    local f = assert(loadfile(path, "t", env))
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
  function view.finding(self, f)
    if self ~= view then error("use ctx:finding{...}", 2) end
    return ctx:finding(M.plain(f, "finding"))
  end
  function view.fact(self, key, value)
    if self ~= view then error("use ctx:fact(key, value)", 2) end
    if type(key) ~= "string" then error("ctx:fact: the key must be a string", 2) end
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
  elseif kind == "stack" then
    return "stopped: stack overflow (runaway recursion): " .. tostring(err)
  elseif kind == "cancelled" then
    return "cancelled"
  end
  return tostring(err)
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
    for name, spec in pairs(safe.params) do
      if spec.type == "path" and type(params[name]) == "string" then M.allow(policy, params[name]) end
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
