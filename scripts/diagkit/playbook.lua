-- Playbooks: their definition, where they are found, and how one runs.
--
-- A playbook file returns diagkit.playbook{...}: a table of metadata, typed
-- params and a run(ctx, params) function. Loading a file only builds that
-- table (list and info never call run). Running one creates a ctx through
-- which it reaches the native modules and emits findings; the report is
-- built from what ctx collected (diagkit/report.lua).

-- In a stock lua5.4 the native modules come from diagkit/core.so, which
-- require "diagkit" loads; this module may be required first.
if not package.preload["diagkit.sys"] and not package.loaded["diagkit.sys"] then pcall(require, "diagkit.core") end

local files = require "diagkit.files"
local params_mod = require "diagkit.params"
local report_mod = require "diagkit.report"

local M = {}

-- The folder name playbooks built into the binary appear under
-- ("bundled/playbooks/exit-code.lua"), like their chunk names.
local BUNDLED = "bundled"

M.API = 1

local fields = {
  api = "number", id = "string", title = "string", version = "string",
  summary = "string", description = "string", platforms = "table", tags = "table",
  symptoms = "table", params = "table", run = "function", examples = "table",
}
local required = { "id", "title", "summary", "run" }

--- Validates a definition; `where` prefixes errors (the file name).
--- Returns the definition (with defaults filled in) or raises.
function M.define(def, where)
  where = where and (where .. ": ") or ""
  if type(def) ~= "table" then error(where .. "a playbook is a table", 0) end
  for k, v in pairs(def) do
    local want = fields[k]
    if not want then error(string.format("%sunknown field '%s'", where, tostring(k)), 0) end
    if type(v) ~= want then
      error(string.format("%sfield '%s' must be a %s, got %s", where, k, want, type(v)), 0)
    end
  end
  for _, k in ipairs(required) do
    if def[k] == nil then error(string.format("%smissing field '%s'", where, k), 0) end
  end
  if not def.id:match("^[a-z0-9][a-z0-9-]*$") then
    error(string.format("%sid '%s' must be lower-case letters, digits and '-'", where, def.id), 0)
  end
  def.api = def.api or M.API
  if def.api > M.API then
    error(string.format("%sneeds playbook API %d; this diagkit has %d", where, def.api, M.API), 0)
  end
  def.version = def.version or "1.0.0"
  def.params = def.params or {}
  def.platforms = def.platforms or { "linux", "windows" }
  def.tags = def.tags or {}
  def.symptoms = def.symptoms or {}
  def.examples = def.examples or {}
  params_mod.check_declaration(def.params, where)
  return def
end

-- Loads a playbook file; returns the definition or nil, message.
-- opts.sandbox: a loader, function(path) -> definition or nil, message, for a
-- file that is not trusted (diagkit.sandbox.loader(policy) makes one: this
-- module does not require the sandbox, which depends on it); without one, or
-- with opts.trust, the file runs with the host's full powers.
function M.load_file(path, opts)
  if opts and opts.sandbox and not opts.trust then return opts.sandbox(path) end
  -- Playbooks see the usual globals plus `diagkit`; what they define at top
  -- level stays in their own environment.
  local env = setmetatable({ diagkit = require "diagkit" }, { __index = _G })
  local chunk, err
  local host = files.bundle()
  if host and path:sub(1, #BUNDLED + 1) == BUNDLED .. "/" then
    -- a playbook built into the binary: its main chunk's _ENV is the env
    chunk, err = host.bundled_load(path:sub(#BUNDLED + 2))
    if chunk then debug.setupvalue(chunk, 1, env) end
  else
    chunk, err = loadfile(path, "t", env)
  end
  if not chunk then return nil, err end
  local ok, def = pcall(chunk)
  if not ok then return nil, path .. ": " .. tostring(def) end
  if type(def) ~= "table" or getmetatable(def) ~= M.definition_mt then
    return nil, path .. ": must return diagkit.playbook{...}"
  end
  def.file = path
  return def
end

M.definition_mt = { __name = "diagkit.playbook" }

--- The diagkit.playbook{...} constructor used by playbook files.
function M.new(def)
  -- `return diagkit.playbook{...}` is a tail call: the caller's frame is
  -- gone, and load_file names the file in the error anyway.
  local info = debug.getinfo(2, "S")
  local where = info and info.what ~= "C" and info.short_src or nil
  return setmetatable(M.define(def, where), M.definition_mt)
end

-- Folders searched for playbooks, first wins on a name clash: each is
-- {path=, bundled=}. Users' folders come first so that a user playbook can
-- replace a bundled one of the same name (list and run say so):
--   $DIAGKIT_PATH (separated like PATH), then
--   POSIX:   $XDG_CONFIG_HOME/diagkit/playbooks (~/.config/...), /etc/diagkit/playbooks
--   Windows: %APPDATA%\diagkit\playbooks, %PROGRAMDATA%\diagkit\playbooks
--   and last the bundled scripts/playbooks.
function M.search_dirs()
  local dirs = {}
  local sep = package.config:sub(1, 1)
  local function add(d, bundled)
    if d and d ~= "" then dirs[#dirs + 1] = { path = d, bundled = bundled or false } end
  end
  local env = os.getenv("DIAGKIT_PATH")
  if env then
    for d in env:gmatch("[^" .. (sep == "\\" and ";" or ":") .. "]+") do add(d) end
  end
  if sep == "\\" then
    local appdata, programdata = os.getenv("APPDATA"), os.getenv("PROGRAMDATA")
    if appdata then add(appdata .. "\\diagkit\\playbooks") end
    if programdata then add(programdata .. "\\diagkit\\playbooks") end
  else
    local config = os.getenv("XDG_CONFIG_HOME")
    if not config or config == "" then
      local home = os.getenv("HOME")
      config = home and (home .. "/.config")
    end
    if config then add(config .. "/diagkit/playbooks") end
    add(os.getenv("DIAGKIT_SYSTEM_PLAYBOOKS") or "/etc/diagkit/playbooks")
  end
  if files.bundle() then
    dirs[#dirs + 1] = { path = BUNDLED .. "/playbooks", bundled = true, embedded = true }
  else
    add(M.scripts_dir() .. sep .. "playbooks", true)
  end
  return dirs
end

function M.scripts_dir()
  local ok, host = pcall(require, "diagkit.host")
  if ok and type(host) == "table" then return host.scripts_dir end
  -- A stock lua5.4: the folder that holds diagkit/init.lua, links resolved
  -- (an install links share/lua/5.4/diagkit to share/diagkit/scripts/diagkit).
  local init = assert(package.searchpath("diagkit", package.path))
  init = require("diagkit.sys").realpath(init) or init
  return (init:gsub("[/\\]diagkit[/\\]init%.lua$", ""))
end

local function list_lua_files(dir)
  local names = {}
  if dir.embedded then
    for _, p in ipairs(files.bundle().bundled) do
      local name = p:match("^playbooks/([a-z0-9][a-z0-9-]*%.lua)$")
      if name then names[#names + 1] = name end
    end
  else
    local lfs = require "lfs"
    local ok, iter, state = pcall(lfs.dir, dir.path)
    if not ok then return names end
    for name in iter, state do
      if name:match("^[a-z0-9][a-z0-9-]*%.lua$") then names[#names + 1] = name end
    end
  end
  table.sort(names)
  return names
end

-- True when dir holds the playbook file name.
local function has_playbook(dir, name)
  if dir.embedded then return files.script("playbooks." .. name:gsub("%.lua$", "")) end
  local f = io.open(dir.path .. "/" .. name, "rb")
  if f then f:close() end
  return f ~= nil
end

-- The loader of playbooks that are not bundled when the caller gave none
-- (diagkit/init.lua sets it to the sandbox with the default policy). Unset,
-- such a playbook does not load at all.
function M.default_sandbox(path)
  return nil, path .. ": not bundled, and no sandbox to load it in (pass opts.sandbox or opts.trust)"
end

-- How a playbook from dir loads: bundled ones as they are, others through
-- the sandbox (opts.sandbox, else M.default_sandbox) unless opts.trust.
local function load_opts(dir, opts)
  opts = opts or {}
  if dir.bundled or opts.trust then return nil end
  return { sandbox = opts.sandbox or M.default_sandbox }
end

-- A user playbook that hides another of the same id is noted on the definition.
local function note_override(def, id, dirs, from)
  for j = from + 1, #dirs do
    local other = dirs[j].path .. "/" .. id .. ".lua"
    if has_playbook(dirs[j], id .. ".lua") then
      def.overrides = other
      def.note = string.format("%s overrides the %s playbook '%s' (%s)", def.file,
        dirs[j].bundled and "bundled" or "other", id, other)
      return
    end
  end
end

--- Every playbook found: a list of definitions sorted by id, plus a list of
--- load errors ({file, message}) so a broken file never hides the others.
--- opts: {trust=, sandbox=} for playbooks outside the bundled folder.
function M.catalog(opts)
  local seen, list, errors = {}, {}, {}
  local dirs = M.search_dirs()
  for i, dir in ipairs(dirs) do
    for _, name in ipairs(list_lua_files(dir)) do
      local id = name:sub(1, -5)
      if not seen[id] then
        local def, err = M.load_file(dir.path .. "/" .. name, load_opts(dir, opts))
        if def and def.id ~= id then
          -- listed under one name, run by another: neither would work
          def, err = nil, string.format("%s/%s declares the id '%s': a playbook file is named after its id (%s.lua)",
            dir.path, name, tostring(def.id), tostring(def.id))
        end
        if def then
          seen[id] = true
          def.bundled = dir.bundled
          if not dir.bundled then note_override(def, id, dirs, i) end
          list[#list + 1] = def
        else
          errors[#errors + 1] = { file = dir.path .. "/" .. name, message = err }
        end
      end
    end
  end
  table.sort(list, function(a, b) return a.id < b.id end)
  return list, errors
end

--- Finds one playbook by id. Returns the definition or nil, message.
--- opts: as for catalog.
function M.find(id, opts)
  if not id:match("^[a-z0-9][a-z0-9-]*$") then
    return nil, string.format("'%s' is not a playbook name", id)
  end
  local dirs = M.search_dirs()
  for i, dir in ipairs(dirs) do
    local path = dir.path .. "/" .. id .. ".lua"
    if has_playbook(dir, id .. ".lua") then
      local def, err = M.load_file(path, load_opts(dir, opts))
      if not def then return nil, err end
      if def.id ~= id then
        return nil, string.format("%s declares the id '%s': a playbook file is named after its id (%s.lua)", path,
          tostring(def.id), tostring(def.id))
      end
      def.bundled = dir.bundled
      if not dir.bundled then note_override(def, id, dirs, i) end
      return def
    end
  end
  local names = {}
  for _, def in ipairs((M.catalog(opts))) do names[#names + 1] = def.id end
  local hint = M.closest(id, names)
  return nil, string.format("unknown playbook '%s'%s; 'diagkit list' shows them all", id,
    hint and (" (did you mean '" .. hint .. "'?)") or "")
end

-- Levenshtein distance, for "did you mean".
local function distance(a, b)
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = { [0] = i }
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

function M.closest(word, candidates)
  local best, best_d
  for _, c in ipairs(candidates) do
    local d = distance(word, c)
    if c:find(word, 1, true) then d = math.min(d, 1) end
    if d <= math.max(2, #word // 3) and (not best_d or d < best_d) then best, best_d = c, d end
  end
  return best
end

-- The ctx a playbook receives ----------------------------------------------

local Ctx = {}
Ctx.__index = function(ctx, key)
  -- Native modules are reached as ctx.proc, ctx.codes, ...: loaded on first
  -- use, and replaceable by tests (M.run's opts.modules) without touching
  -- package.loaded.
  -- With a recorder (diagkit run --record), native modules come wrapped so
  -- that every call is recorded (diagkit/recording.lua); modules given in
  -- opts.modules are the caller's and stay as they are.
  local method = Ctx[key]
  if method then return method end
  if type(key) ~= "string" then return nil end
  local ok, mod = pcall(require, "diagkit." .. key)
  if ok then
    local recorder = rawget(ctx, "recorder")
    if recorder and type(mod) == "table" and package.preload["diagkit." .. key] then
      mod = recorder:wrap(key, mod)
    end
    rawset(ctx, key, mod)
    return mod
  end
  return nil
end

--- Records a finding. Raises on a malformed one: that is a playbook bug.
function Ctx:finding(f)
  report_mod.check_finding(f, self.playbook.id)
  f.playbook = f.playbook or self.playbook.id
  self.findings[#self.findings + 1] = f
  return f
end

--- Records a fact (plain data) that goes into the report's facts.
function Ctx:fact(key, value)
  self.facts[key] = value
  return value
end

--- Says that the playbook could not reach a diagnosis, and why.
function Ctx:unknown(reason)
  self.unknowns[#self.unknowns + 1] = reason
end

--- Progress for a human, on stderr only (never in machine-readable output).
-- (Not ctx:log: ctx.log is the diagkit.log module, like ctx.proc and ctx.deps.)
-- An embedding application that gave dk_open a log callback gets every
-- message (level "debug"), verbose or not.
function Ctx:say(fmt, ...)
  local ok, host = pcall(require, "diagkit.host")
  if ok and type(host) == "table" and host.log then
    host.log("debug", string.format(fmt, ...))
  elseif self.verbose then
    io.stderr:write("diagkit: ", string.format(fmt, ...), "\n")
  end
end

--- Runs another playbook and merges its findings into this report.
function Ctx:run(id, raw)
  local def, err = M.find(id)
  if not def then error(err, 2) end
  local sub = M.run(def, raw or {}, { modules = self.injected, verbose = self.verbose })
  for _, f in ipairs(sub.findings) do self.findings[#self.findings + 1] = f end
  return sub
end

local active_recorder -- the recorder of the run in progress, if any

--- Runs a playbook definition with raw params. Returns a report table; a
--- bad parameter returns nil and a message (a usage error).
--- opts.modules: a table of fake modules ({proc=..., codes=...}) for tests
--- (diagkit.testing builds them from recordings).
--- opts.record: a folder; the native calls made through ctx and the report
--- are saved there as <id>.calls.json and <id>.report.json (--record DIR).
--- opts.recorder: a diagkit.recording recorder to record into (not saved).
function M.run(def, raw, opts)
  opts = opts or {}
  local values, perr = params_mod.resolve(def.params, raw or {})
  if not values then return nil, perr end
  -- diagkit.testing runs playbooks in a stock lua5.4 without the native
  -- modules: the clock then comes from os.clock.
  local sys_ok, sys = pcall(require, "diagkit.sys")
  local function clock_ms() return sys_ok and sys.clock_ms() or os.clock() * 1000 end
  -- opts.record = DIR: record every native call through ctx and save
  -- DIR/<id>.calls.json and DIR/<id>.report.json. A playbook run from inside
  -- a recorded run (ctx:run, or playbook.run in a playbook) records into the
  -- same recording.
  local recorder = opts.recorder or active_recorder
  if opts.record then
    local dir_ok, derr = require("diagkit.recording").prepare_dir(opts.record)
    if not dir_ok then return nil, derr end
    recorder = require("diagkit.recording").new()
  end
  local ctx = setmetatable({
    playbook = def, params = values, findings = {}, facts = {}, unknowns = {},
    injected = opts.modules, verbose = opts.verbose, recorder = recorder,
  }, Ctx)
  for name, mod in pairs(opts.modules or {}) do rawset(ctx, name, mod) end
  local started = os.time()
  local t0 = clock_ms()
  local outer = active_recorder
  active_recorder = recorder
  local ok, err = xpcall(def.run, debug.traceback, ctx, values)
  active_recorder = outer
  local errors = {}
  if not ok then errors[#errors + 1] = tostring(err) end
  local rep = report_mod.new {
    playbook = def, params = values, findings = ctx.findings, facts = ctx.facts,
    unknowns = ctx.unknowns, errors = errors, started = started,
    duration_ms = clock_ms() - t0,
  }
  if opts.record then
    local saved, serr = require("diagkit.recording").save(opts.record, recorder, def, values, rep)
    if not saved then return nil, serr end
  end
  return rep
end

return M
