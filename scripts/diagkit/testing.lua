-- Test helpers for people who write their own checks (docs/lua-api/testing.md).
--
--   local testing = require "diagkit.testing"
--   local modules = testing.replay("recordings/my-check.calls.json")   -- diagkit run --record DIR
--   local report = testing.run("my-check.lua", { argv = { "./app" } }, modules)
--   assert.is_true(testing.has_finding(report, "my-check.crashed"))
--
-- The fakes are module tables passed as playbook.run's opts.modules, so the
-- playbook reaches them as ctx.proc, ctx.deps, ... exactly like the real
-- ones. Nothing here needs the native modules: a stock lua5.4 and busted
-- with diagkit's scripts/ on package.path run these specs on any machine.

local json = require "diagkit.json"
local playbook = require "diagkit.playbook"
local recording = require "diagkit.recording"

local M = {}

-- The native modules a playbook may reach through ctx. When a recording says
-- which modules its host had (its "native" list) that list is used instead;
-- tests/lua/api_docs_spec.lua checks this one against the real modules.
M.NATIVE = { "access", "codes", "deps", "evtx", "gocrash", "log", "proc", "reg", "svc", "sys", "trace" }

local replays = setmetatable({}, { __mode = "k" }) -- modules table -> recording data

local function fmt_args(s)
  if #s > 400 then s = s:sub(1, 400) .. "...)" end
  return s
end

-- Replay ------------------------------------------------------------------------

--- Fake native modules that answer from a recording: a path of a
--- .calls.json file (diagkit run --record DIR) or the decoded table.
--- Returns a table of modules for playbook.run's opts.modules (or
--- testing.run). A call whose arguments were never recorded raises an error
--- naming module.function and the arguments.
function M.replay(src)
  local data, err = recording.load(src)
  if not data then error("diagkit.testing.replay: " .. err, 2) end
  local where = type(src) == "string" and src or "the recording"

  -- Calls indexed by "module.fn" or "#handle:method", each with the
  -- canonical text of its arguments.
  local index, handle_types, handle_fields = {}, {}, {}
  local proxies = {}                                  -- id -> replayed handle
  local ids = setmetatable({}, { __mode = "k" })       -- replayed handle -> id
  local function handle_id(v) return ids[v] end
  local function decode_args(list)
    return recording.decode_values({ n = #list, values = list }, {
      handle = function(id) return setmetatable({}, { __canon = id, __index = function() return nil end }) end,
      func = function() return function() end end,
    })
  end
  local function canon_recorded(list)
    local packed = decode_args(list)
    return recording.canon_args(packed, function(v)
      local mt = getmetatable(v)
      return mt and mt.__canon
    end)
  end
  for _, c in ipairs(data.calls) do
    if c.field then
      handle_fields[c.handle] = handle_fields[c.handle] or {}
      handle_fields[c.handle][c.field] = c.value
    else
      local key = c.module and (c.module .. "." .. c.fn) or ("#" .. tostring(c.handle) .. ":" .. tostring(c.method))
      index[key] = index[key] or {}
      c.canon = canon_recorded(c.args or {})
      table.insert(index[key], c)
    end
    for _, v in ipairs((c.results and c.results.values) or {}) do
      if type(v) == "table" and v["$handle"] then handle_types[v["$handle"]] = v.type end
    end
  end

  local cursors = {}
  local replay_call -- forward

  local hooks = {}
  hooks.handle = function(id, type_name)
    if proxies[id] then return proxies[id] end
    local methods = {}
    local proxy = setmetatable({}, {
      __index = function(_, k)
        local fields = handle_fields[id]
        if fields and fields[k] ~= nil then return recording.decode(fields[k], hooks) end
        if type(k) ~= "string" then return nil end
        methods[k] = methods[k] or function(...)
          local r = table.pack(replay_call("#" .. id .. ":" .. k, string.format("%s:%s", type_name or "handle", k), ...))
          return table.unpack(r, 1, r.n) -- not a tail call: errors point at the caller
        end
        return methods[k]
      end,
      __close = function() end,
      __tostring = function() return string.format("%s (replayed handle %d)", type_name or "handle", id) end,
      __name = "diagkit.testing.handle",
    })
    proxies[id], ids[proxy] = proxy, id
    return proxy
  end
  hooks.iterator = function(list)
    local i = 0
    return function()
      i = i + 1
      local step = list[i]
      if step == nil then return nil end
      if step.error ~= nil then error(recording.decode(step.error, hooks), 0) end
      local r = recording.decode_values(step, hooks)
      return table.unpack(r, 1, r.n)
    end
  end
  hooks.func = function()
    return function() error("diagkit.testing: a function inside a recorded result cannot be replayed", 2) end
  end

  replay_call = function(key, name, ...)
    local args = table.pack(...)
    local text = recording.canon_args(args, handle_id)
    local list = index[key]
    if not list then
      error(string.format("diagkit.testing: %s%s was called, but the recorded run never called %s (%s)",
        name, fmt_args(text), name, where), 3)
    end
    local matching = {}
    for _, c in ipairs(list) do
      if c.canon == text then matching[#matching + 1] = c end
    end
    if #matching == 0 then
      local seen = {}
      for i = 1, math.min(#list, 3) do seen[i] = "  " .. name .. fmt_args(list[i].canon) end
      error(string.format("diagkit.testing: %s%s: these arguments were never recorded (%s); recorded calls:\n%s%s",
        name, fmt_args(text), where, table.concat(seen, "\n"), #list > 3 and ("\n  ... " .. (#list - 3) .. " more") or ""), 3)
    end
    -- The same call made again gets the next recorded answer, then the last one again.
    local ckey = key .. text
    local n = math.min((cursors[ckey] or 0) + 1, #matching)
    cursors[ckey] = n
    local c = matching[n]
    for _, cb in ipairs(c.callbacks or {}) do
      local i, field = tostring(cb.arg):match("^(%d+)%.?(.*)$")
      local f = args[tonumber(i)]
      if field ~= "" and type(f) == "table" then f = f[field] end
      if type(f) == "function" then
        local cargs = recording.decode_values(cb.args, hooks)
        f(table.unpack(cargs, 1, cargs.n))
      end
    end
    if c.error ~= nil then error(recording.decode(c.error, hooks), 0) end
    local r = recording.decode_values(c.results, hooks)
    return table.unpack(r, 1, r.n)
  end

  local modules = {}
  -- Every native module the recording host had (a module never used answers
  -- each call with an error), and every module that was recorded.
  local names, listed = {}, {}
  for _, list in ipairs { (data.native and #data.native > 0) and data.native or M.NATIVE, data.modules or {} } do
    for k, v in pairs(list) do
      local name = type(k) == "string" and k or v
      if not listed[name] then listed[name] = true; names[#names + 1] = name end
    end
  end
  for _, name in ipairs(names) do
    local info = data.modules and data.modules[name]
    local mod = {}
    if info then
      for _, fn in ipairs(info.functions or {}) do
        mod[fn] = function(...)
          local r = table.pack(replay_call(name .. "." .. fn, name .. "." .. fn, ...))
          return table.unpack(r, 1, r.n) -- not a tail call: errors point at the caller
        end
      end
      for k, v in pairs(info.fields or {}) do mod[k] = recording.decode(v, hooks) end
    else
      -- Never reached in the recorded run: any function of it says so.
      setmetatable(mod, { __index = function(_, fn)
        if type(fn) ~= "string" then return nil end
        return function(...)
          error(string.format("diagkit.testing: %s.%s%s was called, but the recorded run never used ctx.%s (%s)",
            name, fn, fmt_args(recording.canon_args(table.pack(...), handle_id)), name, where), 2)
        end
      end })
    end
    modules[name] = mod
  end
  replays[modules] = data
  return modules
end

--- The recording a replayed modules table was built from (its params, playbook, calls).
function M.recording(modules)
  return replays[modules]
end

-- Fakes ---------------------------------------------------------------------------

local returns_mt = { __name = "diagkit.testing.returns" }
local raises_mt = { __name = "diagkit.testing.raises" }

--- For testing.fake: a function answers with exactly these values (e.g.
--- testing.returns(nil, "no such file", "ENOENT") for an expected failure).
function M.returns(...)
  return setmetatable(table.pack(...), returns_mt)
end

--- For testing.fake: a function raises this error.
function M.raises(message)
  return setmetatable({ message = message }, raises_mt)
end

local function deep_copy(v)
  if type(v) ~= "table" then return v end
  local out = setmetatable({}, getmetatable(v) == getmetatable(json.array()) and getmetatable(v) or nil)
  for k, x in next, v do out[k] = deep_copy(x) end
  return out
end

-- One fake function from a spec value: a function is used as it is;
-- returns(...)/raises(...) as said; any other value is returned (a fresh
-- copy each call, so a playbook that changes it changes nothing for the next).
local function fake_fn(qualified, v)
  if type(v) == "function" then return v end
  local mt = getmetatable(v)
  if mt == returns_mt then
    return function() return table.unpack(deep_copy(v), 1, v.n) end
  elseif mt == raises_mt then
    return function() error(v.message, 2) end
  end
  return function() return deep_copy(v) end
end

-- evtx from a list of records: evtx.open(path) gives a file whose
-- :records([filter]) iterates them; evtx.query(channel) iterates them too.
local function fake_evtx(records)
  local function iterate()
    local i = 0
    return function()
      i = i + 1
      return deep_copy(records[i])
    end
  end
  local function file(path)
    return setmetatable({}, {
      __index = {
        info = function() return { path = path, records = #records, chunks = 1, dirty = false, full = false } end,
        records = function() return iterate() end,
        warnings = function() return json.array() end,
        export = function() return #records end,
        close = function() end,
      },
      __close = function() end,
      __name = "diagkit.testing.evtx_file",
    })
  end
  return {
    open = function(path) return file(path) end,
    query = function() return iterate() end,
    parse_time = function(s) return s end,
    time = function(t) return tostring(t) end,
    cpu_count = function() return 1 end,
  }
end

-- Module functions by name, to tell {walk = ...} (functions) from a bare
-- deps tree or evtx record list (the shorthands).
local DEPS_FNS = { pe = true, elf = true, ldcache = true, apiset = true, gobuild = true, walk = true, walker = true }

--- Fake modules from plain answers:
---   testing.fake {
---     proc = { run = { status = "exited", exit_code = 3, stderr = "..." } },   -- what proc.run returns
---     deps = { format = "elf", ok = false, problems = {...}, modules = {...} },  -- what deps.walk returns
---     evtx = { { event_id = 1000, provider = "Application Error", ... }, ... }, -- records of any .evtx / the live log
---     sys  = { platform = { os = "windows", arch = "x86_64" } },
---     log  = { scan = function(path, patterns, opts) ... end },                 -- any function as it is
---   }
--- Each module is a table of function name -> answer: a function is used as
--- it is, testing.returns(...) / testing.raises(msg) answer so, any other
--- value is returned (a fresh copy per call). Returns a modules table for
--- testing.run / playbook.run's opts.modules.
function M.fake(spec)
  if type(spec) ~= "table" then error("testing.fake{module = {fn = answer, ...}, ...}", 2) end
  local modules = {}
  for name, fns in pairs(spec) do
    if type(name) ~= "string" then error("testing.fake: module names are strings", 2) end
    if type(fns) ~= "table" then error("testing.fake: " .. name .. " must be a table", 2) end
    local mod = {}
    if name == "evtx" and (#fns > 0 or next(fns) == nil) then
      mod = fake_evtx(fns)
    elseif name == "deps" and next(fns) ~= nil and (function()
      for k in pairs(fns) do if DEPS_FNS[k] then return false end end
      return true
    end)() then
      mod.walk = fake_fn("deps.walk", fns)
    else
      for fn, v in pairs(fns) do mod[fn] = fake_fn(name .. "." .. fn, v) end
    end
    modules[name] = mod
  end
  return modules
end

-- Running --------------------------------------------------------------------------

-- The `diagkit` table a playbook file sees: the real one when the native
-- modules are there, else what a playbook file needs to define itself.
local function diagkit_table()
  local ok, dk = pcall(require, "diagkit")
  if ok then return dk end
  return { playbook = playbook.new, API = playbook.API }
end

--- Loads a playbook or check file with full rights (no sandbox: it is your
--- own test). Returns the definition or raises.
function M.load(path)
  local env = setmetatable({ diagkit = diagkit_table() }, { __index = _G })
  local chunk, err = loadfile(path, "t", env)
  if not chunk then error("diagkit.testing: " .. err, 2) end
  local ok, def = pcall(chunk)
  if not ok then error("diagkit.testing: " .. path .. ": " .. tostring(def), 2) end
  if type(def) ~= "table" or getmetatable(def) ~= playbook.definition_mt then
    error("diagkit.testing: " .. path .. " must return diagkit.playbook{...}", 2)
  end
  def.file = path
  return def
end

local function definition(what)
  if type(what) == "table" then return what end
  if type(what) ~= "string" then error("testing.run: a playbook is a definition, a file or a bundled id", 3) end
  if what:match("%.lua$") or what:find("[/\\]") then return M.load(what) end
  local sep = package.config:sub(1, 1)
  -- The bundled playbooks beside this file's scripts folder (no native
  -- module needed, unlike playbook.scripts_dir in a stock lua5.4).
  local here = package.searchpath("diagkit.testing", package.path)
  local scripts = here and here:gsub("[/\\]diagkit[/\\]testing%.lua$", "") or playbook.scripts_dir()
  local path = scripts .. sep .. "playbooks" .. sep .. what .. ".lua"
  local f = io.open(path, "rb")
  if not f then error("testing.run: no bundled playbook '" .. what .. "' (" .. path .. ")", 3) end
  f:close()
  return M.load(path)
end

--- Runs a playbook with params and fake modules; returns the report.
--- playbook: a definition, a .lua file, or the id of a bundled playbook.
--- params: raw params as -p gives them (nil with a replay: the recorded ones).
--- modules: from testing.replay or testing.fake (nil: the real modules).
--- opts.errors = "keep": a playbook that raises gives a report with status
--- "unknown" and the error in report.errors (default: testing.run raises it,
--- so a call that was never recorded fails the test with its message).
function M.run(what, params, modules, opts)
  local def = definition(what)
  if params == nil and modules and replays[modules] then
    params = recording.decode(replays[modules].params)
  end
  local rep, err = playbook.run(def, params or {}, { modules = modules })
  if not rep then error("testing.run: " .. tostring(err), 2) end
  if #rep.errors > 0 and not (opts and opts.errors == "keep") then
    error("testing.run: " .. def.id .. " raised: " .. rep.errors[1], 2)
  end
  return rep
end

-- Assertions -------------------------------------------------------------------------

--- The finding with exactly this id, or nil.
function M.finding(report, id)
  for _, f in ipairs(report.findings or {}) do
    if f.id == id then return f end
  end
  return nil
end

--- Every finding whose id matches a Lua pattern (anchor it with ^...$).
function M.findings(report, pattern)
  local out = {}
  for _, f in ipairs(report.findings or {}) do
    if f.id == pattern or f.id:find(pattern) then out[#out + 1] = f end
  end
  return out
end

--- True when a finding has this id, or an id matching this Lua pattern.
function M.has_finding(report, id_or_pattern)
  return #M.findings(report, id_or_pattern) > 0
end

--- The ids of the report's findings, sorted (to compare two reports).
function M.ids(report)
  local out = {}
  for _, f in ipairs(report.findings or {}) do out[#out + 1] = f.id end
  table.sort(out)
  return out
end

return M
