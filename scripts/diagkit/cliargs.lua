-- Command-line argument helpers shared by the CLI and the commands that
-- modules contribute (scripts/diagkit/commands/<name>.lua).

local M = {}

-- A usage error: one clear line on stderr, exit 64. Raised as a table so
-- that deep helpers can stop the command without printing tracebacks.
local Usage = {}
M.Usage = Usage
function M.usage_error(fmt, ...)
  error(setmetatable({ message = string.format(fmt, ...) }, Usage), 0)
end


function M.is_usage(err)
  return getmetatable(err) == Usage
end

-- Option parsing -----------------------------------------------------------

-- Parses args[first..] into options (per spec) and positionals; words after
-- `--` are returned separately, untouched.
-- spec: { ["-p"] = "param", ["--param"] = "param", ["-v"] = true, ... }
-- a string value names an option with an argument (the last one given wins;
-- a name ending in "*" collects every one given into a list); true a flag.
function M.parse(args, first, spec)
  local opts, pos, rest = { param = {} }, {}, nil
  local i = first
  while i <= #args do
    local a = args[i]
    if a == "--" then
      rest = table.move(args, i + 1, #args, 1, {})
      break
    end
    local name, inline = a:match("^(%-%-?[%w-]+)=(.*)$")
    name = name or a
    local kind = spec[name]
    -- A negative number is a value (explain -1073741819), never an option.
    local is_number = a:match("^%-%d") ~= nil
    if a:sub(1, 1) == "-" and #a > 1 and kind == nil and not is_number then
      M.usage_error("unknown option '%s' (try --help)", name)
    elseif kind == true then
      if inline then M.usage_error("option '%s' takes no value", name) end
      opts[spec[name .. "#"] or name] = true
    elseif kind then
      local value = inline
      if not value then
        i = i + 1
        value = args[i]
        if value == nil then M.usage_error("option '%s' needs a value", name) end
      end
      if kind == "param" then
        opts.param[#opts.param + 1] = value
      elseif kind:sub(-1) == "*" then
        local key = kind:sub(1, -2)
        opts[key] = opts[key] or {}
        opts[key][#opts[key] + 1] = value
      else
        opts[kind] = value
      end
    else
      pos[#pos + 1] = a
    end
    i = i + 1
  end
  return opts, pos, rest
end

return M
