-- Typed playbook parameters: the declaration a playbook makes, and the
-- conversion of what a user typed (`-p key=value`, JSON, the words after
-- `--`) into checked Lua values. Every error names the parameter and says
-- what was expected, because it is shown to the user as is.

local params = {}

-- type name -> function(raw, spec) returning value or nil, "expected ..."
local converters = {}

function converters.string(raw)
  if type(raw) ~= "string" then return nil, "a string" end
  return raw
end

function converters.path(raw, spec)
  if type(raw) ~= "string" or raw == "" then return nil, "a path" end
  if spec.must == "exist" then
    local f = io.open(raw, "rb")
    if not f then return nil, "an existing file (" .. raw .. " cannot be opened)" end
    f:close()
  end
  return raw
end

function converters.int(raw, spec)
  local v = math.tointeger(tonumber(raw))
  if not v then return nil, "an integer" end
  if spec.min and v < spec.min then return nil, "an integer >= " .. spec.min end
  if spec.max and v > spec.max then return nil, "an integer <= " .. spec.max end
  return v
end

function converters.number(raw, spec)
  local v = tonumber(raw)
  if not v or v ~= v then return nil, "a number" end
  if spec.min and v < spec.min then return nil, "a number >= " .. spec.min end
  if spec.max and v > spec.max then return nil, "a number <= " .. spec.max end
  return v
end

-- Seconds, as a number or with a unit: "1.5", "250ms", "2s", "5m", "1h".
function converters.duration(raw, spec)
  if type(raw) == "number" then return converters.number(raw, spec) end
  if type(raw) ~= "string" then return nil, "a duration" end
  local n, unit = raw:match("^%s*([%d%.]+)%s*(%a*)%s*$")
  local scale = ({ [""] = 1, s = 1, ms = 0.001, m = 60, h = 3600 })[unit or ""]
  n = tonumber(n)
  if not n or not scale then return nil, "a duration such as 30, 250ms, 2s, 5m" end
  return converters.number(n * scale, spec)
end

local truthy = { ["true"] = true, yes = true, on = true, ["1"] = true }
local falsy = { ["false"] = false, no = false, off = false, ["0"] = false }

function converters.bool(raw)
  if type(raw) == "boolean" then return raw end
  local s = tostring(raw):lower()
  if truthy[s] then return true end
  if falsy[s] ~= nil then return false end
  return nil, "true or false"
end

function converters.choice(raw, spec)
  for _, c in ipairs(spec.choices) do
    if raw == c then return raw end
  end
  return nil, "one of " .. table.concat(spec.choices, ", ")
end

-- A list of strings: JSON arrays, or comma-separated on the command line.
function converters.list(raw)
  if type(raw) == "table" then
    for _, v in ipairs(raw) do
      if type(v) ~= "string" then return nil, "a list of strings" end
    end
    return raw
  end
  if type(raw) ~= "string" then return nil, "a list" end
  local out = {}
  for item in raw:gmatch("[^,]+") do out[#out + 1] = item end
  return out
end

-- The program to run and its arguments: the words after `--`.
function converters.argv(raw)
  if type(raw) ~= "table" or #raw == 0 then return nil, "a program and its arguments (after --)" end
  for _, v in ipairs(raw) do
    if type(v) ~= "string" then return nil, "a list of strings" end
  end
  return raw
end

params.types = {}
for name in pairs(converters) do params.types[name] = true end

local spec_fields = {
  type = true, required = true, default = true, help = true, min = true, max = true,
  choices = true, must = true,
}

--- Checks a playbook's params declaration; raises with where = "file: ".
function params.check_declaration(decl, where)
  if type(decl) ~= "table" then error(where .. "params must be a table", 0) end
  local argv_count = 0
  for name, spec in pairs(decl) do
    local at = string.format("%sparams.%s", where, tostring(name))
    if type(name) ~= "string" or not name:match("^[%a_][%w_]*$") then
      error(at .. ": parameter names are identifiers", 0)
    end
    if type(spec) ~= "table" then error(at .. " must be a table", 0) end
    for k in pairs(spec) do
      if not spec_fields[k] then error(string.format("%s: unknown field '%s'", at, tostring(k)), 0) end
    end
    if not params.types[spec.type] then
      error(string.format("%s: unknown type '%s'", at, tostring(spec.type)), 0)
    end
    if spec.type == "choice" and (type(spec.choices) ~= "table" or #spec.choices == 0) then
      error(at .. ": a choice needs a non-empty choices list", 0)
    end
    if spec.type == "argv" then argv_count = argv_count + 1 end
    if type(spec.help) ~= "string" then error(at .. ": help text is required", 0) end
  end
  if argv_count > 1 then error(where .. "at most one parameter can take the program (type argv)", 0) end
end

--- The name of the parameter that takes the words after `--`, if any.
function params.argv_name(decl)
  for name, spec in pairs(decl) do
    if spec.type == "argv" then return name end
  end
end

--- The names whose value came from the declaration's default, not from the
--- user, by resolved table: a sandboxed check may read a path the user gave,
--- never one it chose itself (diagkit/sandbox.lua).
params.defaulted = setmetatable({}, { __mode = "k" })

--- Converts raw values (strings from the command line, or JSON values) into
--- checked values. Returns the table, or nil and one message.
function params.resolve(decl, raw)
  local out = {}
  local defaulted = {}
  for name, value in pairs(raw) do
    local spec = decl[name]
    if not spec then
      local names = {}
      for n in pairs(decl) do names[#names + 1] = n end
      table.sort(names)
      return nil, string.format("unknown parameter '%s' (this playbook takes: %s)", name,
        #names > 0 and table.concat(names, ", ") or "none")
    end
    local v, expected = converters[spec.type](value, spec)
    if v == nil then
      return nil, string.format("parameter '%s' must be %s, got '%s'", name, expected,
        type(value) == "table" and table.concat(value, " ") or tostring(value))
    end
    out[name] = v
  end
  for name, spec in pairs(decl) do
    if out[name] == nil then
      if spec.default ~= nil then
        out[name] = spec.default
        defaulted[name] = true
      elseif spec.required then
        if spec.type == "argv" then
          return nil, "this playbook needs a program to run: diagkit run <playbook> -- program args..."
        end
        return nil, string.format("missing required parameter '%s' (-p %s=...)", name, name)
      end
    end
  end
  params.defaulted[out] = defaulted
  return out
end

return params
