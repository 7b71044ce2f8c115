-- Recordings of the facts a playbook gathered: every call it made to a
-- native module through ctx (ctx.proc.run, ctx.deps.walk, ...), with the
-- arguments, the results (also nil, message, code) or the error raised.
--
-- `diagkit run <playbook> --record DIR` (playbook.run's opts.record) writes
-- one as DIR/<playbook>.calls.json; diagkit.testing replays it, so a check
-- can be tested with busted on any machine. The format,
-- "diagkit.recording/1", is documented in docs/lua-api/testing.md.
--
-- Only module tables reached through ctx are wrapped (playbook.lua's
-- Ctx.__index); package.loaded is never touched, so code that requires a
-- module itself is neither recorded nor replayed.

local files = require "diagkit.files"
local json = require "diagkit.json"

local M = {}

M.FORMAT = "diagkit.recording/1"

local array_mt = getmetatable(json.array())

-- base64, for strings that are not valid UTF-8 (JSON cannot hold them) ------

local B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

local function b64encode(s)
  local out = {}
  for i = 1, #s, 3 do
    local a, b, c = s:byte(i, i + 2)
    local n = (a << 16) | ((b or 0) << 8) | (c or 0)
    local chunk = {}
    for j = 1, 4 do
      local k = (n >> (6 * (4 - j))) & 63
      chunk[j] = B64:sub(k + 1, k + 1)
    end
    if not b then chunk[3] = "=" end
    if not c then chunk[4] = "=" end
    out[#out + 1] = table.concat(chunk)
  end
  return table.concat(out)
end

local B64_INDEX = {}
for i = 1, #B64 do B64_INDEX[B64:byte(i)] = i - 1 end

local function b64decode(s)
  local out = {}
  for i = 1, #s, 4 do
    local n, pad = 0, 0
    for j = 0, 3 do
      local ch = s:byte(i + j)
      local v = ch and B64_INDEX[ch]
      if ch == 61 or ch == nil then pad = pad + 1; v = 0 end
      if v == nil then error("recording: bad base64 in a $bytes value", 0) end
      n = (n << 6) | v
    end
    local bytes = string.char((n >> 16) & 255, (n >> 8) & 255, n & 255)
    out[#out + 1] = bytes:sub(1, 3 - pad)
  end
  return table.concat(out)
end

M.b64encode, M.b64decode = b64encode, b64decode

-- Values -> JSON-safe data -----------------------------------------------------
-- Plain data stays as it is, except:
--   a float with an integral value or not finite  {"$float": "60.0"}
--   a string that is not valid UTF-8              {"$bytes": base64}
--   a table whose keys are not all strings and
--   not 1..n either                               {"$map": [[key, value], ...]}
--   an empty table marked as a JSON array         {"$array": []}
--   a string key that starts with "$"             gets one more "$"
--   a handle (userdata) returned by a call        {"$handle": id, "type": name}
--   an iterator (function) returned by a call     {"$iterator": [results of each call]}
--   a function or userdata elsewhere              {"$function": true} / {"$opaque": type name}

local function type_name(v)
  local ok, mt = pcall(getmetatable, v)
  if ok and type(mt) == "table" and type(rawget(mt, "__name")) == "string" then return mt.__name end
  return type(v)
end

local function float_text(v)
  if v ~= v then return "nan" end
  if v == math.huge then return "inf" end
  if v == -math.huge then return "-inf" end
  return string.format("%.17g", v)
end

-- encode(v, hook): hook(v) may return a replacement for a function or
-- userdata (the recorder's handles and iterators), else nil.
local function encode(v, hook, seen, depth)
  local t = type(v)
  if t == "nil" then return json.null end
  if t == "boolean" then return v end
  if t == "number" then
    if math.type(v) == "float" and (v ~= v or v == math.floor(v)) then
      return { ["$float"] = float_text(v) }
    end
    return v
  end
  if t == "string" then
    if utf8.len(v) then return v end
    return { ["$bytes"] = b64encode(v) }
  end
  if t == "table" then
    if v == json.null then return json.null end
    local replaced = hook and hook(v)
    if replaced ~= nil then return replaced end
    seen = seen or {}
    depth = (depth or 0) + 1
    if seen[v] then return { ["$opaque"] = "a table that contains itself" } end
    if depth > 40 then return { ["$opaque"] = "nested more than 40 deep" } end
    seen[v] = true
    local out
    local n, all_strings, count = #v, true, 0
    for k in next, v do
      count = count + 1
      if type(k) ~= "string" then all_strings = false end
    end
    if count == 0 then
      out = getmetatable(v) == array_mt and { ["$array"] = json.array() } or {}
    elseif all_strings then
      out = {}
      for k, x in next, v do out[(k:sub(1, 1) == "$") and ("$" .. k) or k] = encode(x, hook, seen, depth) end
    elseif count == n and json.is_array(v) then
      out = json.array()
      for i = 1, n do out[i] = encode(v[i], hook, seen, depth) end
    else
      local pairs_list = json.array()
      for k, x in next, v do
        pairs_list[#pairs_list + 1] = json.array { encode(k, hook, seen, depth), encode(x, hook, seen, depth) }
      end
      table.sort(pairs_list, function(a, b) return tostring(a[1]) < tostring(b[1]) end)
      out = { ["$map"] = pairs_list }
    end
    seen[v] = nil
    return out
  end
  local replaced = hook and hook(v)
  if replaced ~= nil then return replaced end
  if t == "function" then return { ["$function"] = true } end
  return { ["$opaque"] = type_name(v) }
end
M.encode = encode

-- A list of values with its count (nils included): {n = 3, values = [null, "msg", "ENOENT"]}.
local function encode_values(packed, hook, from)
  from = from or 1
  local values = json.array()
  for i = from, packed.n do values[#values + 1] = encode(packed[i], hook) end
  return { n = packed.n - from + 1, values = values }
end
M.encode_values = encode_values

--- The inverse of encode. hooks.handle(id, type) and hooks.iterator(list)
--- build the replay's stand-ins; without them handles and iterators decode
--- to tables that say what they were.
local function decode(v, hooks)
  if v == json.null then return nil end
  if type(v) ~= "table" then return v end
  local f = v["$float"]
  if f ~= nil then
    if f == "nan" then return 0 / 0 elseif f == "inf" then return math.huge elseif f == "-inf" then return -math.huge end
    return tonumber(f) + 0.0
  end
  if v["$bytes"] ~= nil then return b64decode(v["$bytes"]) end
  if v["$array"] ~= nil then return json.array() end
  if v["$map"] ~= nil then
    local out = {}
    for _, kv in ipairs(v["$map"]) do
      local k = decode(kv[1], hooks)
      if k ~= nil then out[k] = decode(kv[2], hooks) end
    end
    return out
  end
  if v["$handle"] ~= nil then
    if hooks and hooks.handle then return hooks.handle(v["$handle"], v.type) end
    return { handle = v["$handle"], type = v.type }
  end
  if v["$iterator"] ~= nil then
    if hooks and hooks.iterator then return hooks.iterator(v["$iterator"]) end
    return v["$iterator"]
  end
  if v["$function"] ~= nil then
    if hooks and hooks.func then return hooks.func() end
    return nil
  end
  if v["$opaque"] ~= nil then
    if hooks and hooks.opaque then return hooks.opaque(v["$opaque"]) end
    return nil
  end
  local out = getmetatable(v) == array_mt and json.array() or {}
  for k, x in pairs(v) do
    if type(k) == "string" and k:sub(1, 2) == "$$" then k = k:sub(2) end
    out[k] = decode(x, hooks)
  end
  return out
end
M.decode = decode

--- {n =, values =} -> a packed list (table.unpack(p, 1, p.n)).
function M.decode_values(rec, hooks)
  local out = { n = rec and rec.n or 0 }
  for i = 1, out.n do out[i] = decode(rec.values[i], hooks) end
  return out
end

-- A canonical text of argument values, to match a replayed call to a
-- recorded one: keys sorted, integral floats written as integers,
-- functions as <function>, handles as <handle N>. handle_id(v) returns the
-- id of a handle (recorded or replayed) or nil.
local function canon(v, handle_id, seen)
  local t = type(v)
  if t == "nil" then return "nil" end
  if t == "boolean" then return tostring(v) end
  if t == "number" then
    if v ~= v then return "nan" end
    local i = math.tointeger(v)
    if i then return string.format("%d", i) end
    return float_text(v)
  end
  if t == "string" then return string.format("%q", v) end
  local id = handle_id and handle_id(v)
  if id then return "<handle " .. id .. ">" end
  if t == "function" then return "<function>" end
  if t ~= "table" then return "<" .. type_name(v) .. ">" end
  if v == json.null then return "nil" end
  seen = seen or {}
  if seen[v] then return "<cycle>" end
  seen[v] = true
  local items = {}
  local n = #v
  for i = 1, n do items[#items + 1] = canon(v[i], handle_id, seen) end
  local keyed = {}
  for k, x in next, v do
    if not (math.type(k) == "integer" and k >= 1 and k <= n) then
      keyed[#keyed + 1] = canon(k, handle_id, seen) .. "=" .. canon(x, handle_id, seen)
    end
  end
  table.sort(keyed)
  seen[v] = nil
  for _, s in ipairs(keyed) do items[#items + 1] = s end
  return "{" .. table.concat(items, ", ") .. "}"
end

--- The canonical text of a packed argument list: "(a, b, c)".
function M.canon_args(packed, handle_id)
  local parts = {}
  for i = 1, packed.n do parts[i] = canon(packed[i], handle_id) end
  return "(" .. table.concat(parts, ", ") .. ")"
end

-- The recorder ------------------------------------------------------------------

local Recorder = {}
Recorder.__index = Recorder

--- A new recorder. rec:wrap(name, module) returns a module table whose
--- functions record their calls; rec:data() is the recording.
function M.new()
  return setmetatable({
    calls = json.array(), modules = {}, wrapped = {}, next_handle = 0,
    proxies = setmetatable({}, { __mode = "k" }), -- proxy -> real handle
    ids = setmetatable({}, { __mode = "k" }),     -- proxy -> id
  }, Recorder)
end

function Recorder:handle_id(v)
  return self.ids[v]
end

-- Wraps a function argument so that calls from the native side into it are
-- recorded in entry.callbacks (replayed in the same order).
local function wrap_callback(self, entry, path, f)
  return function(...)
    entry.callbacks = entry.callbacks or json.array()
    entry.callbacks[#entry.callbacks + 1] = { arg = path, args = encode_values(table.pack(...), self.hook) }
    return f(...)
  end
end

-- A proxy for a handle a call returned: method calls through it are recorded
-- as {handle = id, method = name}; passing it back to a native function
-- passes the real handle.
function Recorder:handle(real)
  self.next_handle = self.next_handle + 1
  local id = self.next_handle
  local methods, fields_seen = {}, {}
  local proxy = setmetatable({}, {
    __index = function(_, k)
      if methods[k] then return methods[k] end
      local v = real[k]
      if type(v) == "function" then
        methods[k] = self:wrap_fn({ handle = id, method = k }, v)
        return methods[k]
      end
      if not fields_seen[k] and type(k) == "string" then
        fields_seen[k] = true
        self.calls[#self.calls + 1] = { handle = id, field = k, value = encode(v, self.hook) }
      end
      return v
    end,
    __close = function()
      local mt = getmetatable(real)
      if type(mt) == "table" and mt.__close then mt.__close(real) end
    end,
    __tostring = function() return tostring(real) end,
    __name = "diagkit.recording.handle",
  })
  self.proxies[proxy] = real
  self.ids[proxy] = id
  return proxy, { ["$handle"] = id, type = type_name(real) }
end

-- An iterator a call returned: each call's results are appended to list.
function Recorder:iterator(f)
  local list = json.array()
  local wrapper = function(...)
    local args = table.pack(...)
    for i = 1, args.n do
      local real = self.proxies[args[i]]
      if real then args[i] = real end
    end
    local r = table.pack(pcall(f, table.unpack(args, 1, args.n)))
    if not r[1] then
      list[#list + 1] = { error = encode(r[2]) }
      error(r[2], 0)
    end
    local out, recorded = self:results(r)
    list[#list + 1] = recorded
    return table.unpack(out, 1, out.n)
  end
  return wrapper, { ["$iterator"] = list }
end

-- One value a call returned: the live value the caller gets (a proxy for a
-- handle, a recording wrapper for an iterator) and its recorded form.
function Recorder:result(v)
  local t = type(v)
  if t == "userdata" then return self:handle(v) end
  if t == "function" then return self:iterator(v) end
  return v, encode(v, self.hook)
end

-- The values of a successful pcall r (r[1] is true): what the caller gets,
-- and their recorded form {n =, values =}.
function Recorder:results(r)
  local out, values = { n = r.n - 1 }, json.array()
  for i = 2, r.n do out[i - 1], values[i - 1] = self:result(r[i]) end
  return out, { n = r.n - 1, values = values }
end

function Recorder:wrap_fn(where, f)
  return function(...)
    local args = table.pack(...)
    local entry = { module = where.module, fn = where.fn, handle = where.handle, method = where.method }
    local named = { n = args.n }
    for i = 1, args.n do named[i] = files.user_name(args[i]) end
    entry.args = encode_values(named, self.hook).values
    local call = { n = args.n }
    for i = 1, args.n do
      local a = args[i]
      local real = self.proxies[a]
      if real then
        a = real
      elseif type(a) == "function" then
        a = wrap_callback(self, entry, tostring(i), a)
      elseif type(a) == "table" and getmetatable(a) == nil then
        local copy
        for k, x in next, a do
          if type(x) == "function" and type(k) == "string" then
            copy = copy or table.move(a, 1, #a, 1, {})
            copy[k] = wrap_callback(self, entry, i .. "." .. k, x)
          end
        end
        if copy then
          for k, x in next, a do if copy[k] == nil then copy[k] = x end end
          a = copy
        end
      end
      call[i] = a
    end
    self.calls[#self.calls + 1] = entry
    local r = table.pack(pcall(f, table.unpack(call, 1, call.n)))
    if not r[1] then
      entry.error = encode(r[2], self.hook)
      error(r[2], 0)
    end
    local out
    out, entry.results = self:results(r)
    return table.unpack(out, 1, out.n)
  end
end

--- A module table whose functions record their calls (one per module name).
function Recorder:wrap(name, mod)
  if self.wrapped[name] then return self.wrapped[name] end
  if not self.hook then
    self.hook = function(v)
      local id = self.ids[v]
      if id then return { ["$handle"] = id } end
    end
  end
  local proxy, functions, fields = {}, json.array(), {}
  for k, v in pairs(mod) do
    if type(k) == "string" then
      if type(v) == "function" then
        proxy[k] = self:wrap_fn({ module = name, fn = k }, v)
        functions[#functions + 1] = k
      else
        proxy[k] = v
        fields[k] = encode(v)
      end
    end
  end
  table.sort(functions)
  self.modules[name] = { functions = functions, fields = fields }
  self.wrapped[name] = proxy
  return proxy
end

--- The recording as plain data. info: {playbook=, params=, native=}.
function Recorder:data(info)
  info = info or {}
  local native = json.array()
  for _, n in ipairs(info.native or {}) do native[#native + 1] = n end
  return {
    format = M.FORMAT,
    playbook = info.playbook,
    params = encode(info.params or {}),
    native = native,
    platform = info.platform and encode(info.platform) or nil,
    diagkit = info.version,
    recorded = os.date("!%Y-%m-%dT%H:%M:%SZ"),
    modules = self.modules,
    calls = self.calls,
  }
end

--- The native modules this host has (package.preload entries diagkit.*
--- other than the host's own), sorted.
function M.native_modules()
  local out = {}
  for name in pairs(package.preload) do
    local short = type(name) == "string" and name:match("^diagkit%.([%w_]+)$")
    if short and short ~= "core" and short ~= "host" and short ~= "limits" then out[#out + 1] = short end
  end
  table.sort(out)
  return out
end

--- Makes sure dir is a folder (creating it, one level, if it is missing).
--- Returns true or nil, message.
function M.prepare_dir(dir)
  if type(dir) ~= "string" or dir == "" then return nil, "--record needs a folder" end
  local lfs = require "lfs"
  local mode = lfs.attributes(dir, "mode")
  if mode == "directory" then return true end
  if mode then return nil, "--record " .. dir .. ": not a folder" end
  local ok, err = lfs.mkdir(dir)
  if not ok then return nil, "--record " .. dir .. ": cannot create the folder: " .. tostring(err) end
  return true
end

local function write_file(path, text)
  local f, err = io.open(path, "wb")
  if not f then return nil, "--record: cannot write " .. tostring(err) end
  local ok, werr = f:write(text)
  f:close()
  if not ok then return nil, "--record: cannot write " .. path .. ": " .. tostring(werr) end
  return true
end

--- Saves a recorded run: dir/<id>.calls.json (the recording) and
--- dir/<id>.report.json (the report, as --format json writes it).
--- Returns the path of the recording, or nil, message.
function M.save(dir, recorder, def, params, report)
  local sep = package.config:sub(1, 1)
  local base = dir .. ((dir:sub(-1) == "/" or dir:sub(-1) == sep) and "" or sep) .. def.id
  local version
  local ok_core, host = pcall(require, "diagkit.host")
  if ok_core and type(host) == "table" then version = host.version end
  local data = recorder:data {
    playbook = def.id, params = params, native = M.native_modules(), version = version,
    platform = report.host,
  }
  local ok, text = pcall(json.encode, data, { indent = " " })
  if not ok then return nil, "--record: cannot encode the recording: " .. tostring(text) end
  local written, err = write_file(base .. ".calls.json", text .. "\n")
  if not written then return nil, err end
  written, err = write_file(base .. ".report.json", require("diagkit.format.json").render(report))
  if not written then return nil, err end
  return base .. ".calls.json"
end

--- Reads a recording file or checks a recording table. Returns the data or
--- nil, message.
function M.load(src)
  local data = src
  if type(src) == "string" then
    local f, err = io.open(src, "rb")
    if not f then return nil, "cannot read the recording: " .. tostring(err) end
    local text = f:read("a")
    f:close()
    local derr
    data, derr = json.decode(text)
    if data == nil then return nil, src .. ": not JSON: " .. tostring(derr) end
  end
  if type(data) ~= "table" then return nil, "a recording is a table or the path of a .calls.json file" end
  if data.format ~= M.FORMAT then
    return nil, string.format("%s: not a recording (format is %s, want %s)",
      type(src) == "string" and src or "recording", tostring(data.format), M.FORMAT)
  end
  if type(data.calls) ~= "table" then return nil, "recording: no calls list" end
  return data
end

return M
