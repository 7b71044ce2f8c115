-- diagkit reg: an offline registry hive (or a .reg text file) on any OS
-- (issue 6). Keys, values and key security; a regedit-5 export comparable
-- with `hivexregedit --export`. The reading is diagkit.reg's (C, bounds
-- checked, damaged hives read as far as they are sound).

local cliargs = require "diagkit.cliargs"
local usage_error = cliargs.usage_error

local M = {}

M.summary = "keys, values and security of an offline registry hive, on any OS"
M.help = [[
Usage: diagkit reg HIVE [KEY] [--recursive] [--keys-only] [--security] [--view 32|64]
                   [--no-replay] [--format text|json|reg]
Reads an offline registry hive (SYSTEM, SOFTWARE, NTUSER.DAT, ...) without Windows.
  KEY               the key to show, '\' or '/' separated, case-insensitive; the root by
                    default. CurrentControlSet is resolved through Select\Current.
  -r, --recursive   the key and every key below it
  --keys-only       one full key path per line, no values
  --security        each key's security descriptor as SDDL
  --view 32|64      the registry view a 32-bit or 64-bit program sees (Wow6432Node)
  --no-replay       read a dirty hive as it is, without its .LOG1/.LOG2 transaction logs
  -f, --format F    text (default), json, or reg (regedit-5 text, as hivexregedit --export)
Problems met in a damaged hive are listed on stderr; what is sound is still shown.
Exit status: 0 read, 2 the hive or key could not be read, 64 usage error.
]]

local OPTIONS = {
  ["--recursive"] = true, ["-r"] = true, ["-r#"] = "--recursive",
  ["--keys-only"] = true, ["--security"] = true, ["--no-replay"] = true,
  ["--view"] = "view", ["--format"] = "format", ["-f"] = "format",
}

local function value_text(v)
  if v.data == nil then return "hex:" .. (v.hex or "") end
  if type(v.data) == "table" then return table.concat(v.data, " | ") end
  if math.type(v.data) == "integer" then return string.format("0x%x (%d)", v.data, v.data) end
  return string.format("%q", v.data)
end

-- One key: its header line, its values, its security; appended to out.
local function show_key(h, path, opts, out)
  local key, err = h:key(path)
  if not key then return nil, err end
  if opts["--keys-only"] then
    out[#out + 1] = path
    return key
  end
  out[#out + 1] = string.format("[%s]  (%d subkeys, %d values, written %s)", path, key.subkeys, key.values,
    key.last_written or "?")
  if opts["--security"] then
    local sec = h:security(path)
    out[#out + 1] = "  security: " .. (sec and sec.sddl or "(none)")
  end
  for _, v in ipairs(h:values(path) or {}) do
    out[#out + 1] = string.format("  %-24s %-14s %s%s", v.name == "" and "(default)" or v.name, v.type,
      value_text(v), v.error and ("  ! " .. v.error) or "")
  end
  return key
end

local function as_json(h, path, opts)
  local keys = {}
  local function add(p)
    local k = assert(h:key(p))
    k.path = p
    if not opts["--keys-only"] then k.value_list = h:values(p) end
    if opts["--security"] then k.security = (h:security(p) or {}).sddl end
    keys[#keys + 1] = k
  end
  if opts["--recursive"] then
    for p in h:walk(path) do add(p) end
  else
    add(path)
  end
  return keys
end

function M.run(args)
  local opts, pos = cliargs.parse(args, 2, OPTIONS)
  if #pos < 1 or #pos > 2 then usage_error("reg needs a HIVE and at most one KEY (try diagkit reg --help)") end
  local fmt = opts.format or "text"
  if fmt ~= "text" and fmt ~= "json" and fmt ~= "reg" then
    usage_error("--format: text, json or reg, got '%s'", fmt)
  end
  local view = opts.view and math.tointeger(tonumber(opts.view))
  if opts.view and view ~= 32 and view ~= 64 then usage_error("--view: 32 or 64, got '%s'", opts.view) end
  local reg = require "diagkit.reg"
  local h, err = reg.open(pos[1], { view = view, replay = not opts["--no-replay"] })
  if not h then
    io.stderr:write("diagkit reg: ", err, "\n")
    return 2
  end
  local path = pos[2] or "\\"
  path = path:gsub("/", "\\")
  if path ~= "\\" and path:sub(1, 1) ~= "\\" then path = "\\" .. path end
  local key, kerr = h:key(path)
  if not key then
    io.stderr:write("diagkit reg: ", kerr, "\n")
    h:close()
    return 2
  end
  if fmt == "reg" then
    io.stdout:write((h:export(path)))
  elseif fmt == "json" then
    io.stdout:write(require("diagkit.json").encode({ hive = pos[1], info = h:info(), keys = as_json(h, path, opts) }), "\n")
  else
    local out = {}
    if opts["--recursive"] then
      for p in h:walk(path) do
        show_key(h, p, opts, out)
        if not opts["--keys-only"] then out[#out + 1] = "" end
      end
    else
      show_key(h, path, opts, out)
      if not opts["--keys-only"] then
        for _, name in ipairs(h:subkeys(path) or {}) do out[#out + 1] = "  " .. name .. "\\" end
      end
    end
    io.stdout:write(table.concat(out, "\n"), "\n")
  end
  for _, e in ipairs(h:errors()) do io.stderr:write("diagkit reg: warning: ", tostring(e), "\n") end
  h:close()
  return 0
end

return M
