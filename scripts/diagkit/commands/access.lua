-- diagkit access: one access verdict with its causal chain (issue 6).
--   diagkit access PATH [--want OP] [--as USER | --uid N [--gid N] | --pid N]
--   diagkit access --sddl "..." [--token KIND] [--want RIGHTS] [--type T]
--   diagkit access --hive FILE --key KEY [--token KIND] [--want RIGHTS]

local cliargs = require "diagkit.cliargs"
local usage_error = cliargs.usage_error

local M = {}

M.summary = "can a user read/write/exec a path or registry key, and which rule says no"
M.help = [[
Usage: diagkit access PATH [--want OP] [--as USER | --uid N [--gid N] | --pid N] [--format text|json]
       diagkit access --sddl SDDL [--token KIND] [--want RIGHTS] [--type file|directory|key|service]
       diagkit access --hive FILE --key KEY [--token KIND] [--want RIGHTS]
Says whether an operation is allowed and which path component and which mode bit, ACL entry,
capability, mount or inode flag decides (POSIX), or which ACE grants or denies each right (Windows
security descriptors, offline).
  --want OP         read (default), write, exec, list, search, create, delete, rename;
                    with --sddl/--hive: rights such as FILE_WRITE_DATA, KEY_SET_VALUE, 0x2, GENERIC_WRITE
                    (read and write are mapped for the object type)
  --as USER         check as this user (name or uid; groups from the group database)
  --uid N, --gid N  check as these ids (no supplementary groups)
  --pid N           check as this running process (its groups and capabilities, from /proc)
  --sddl SDDL       a Windows security descriptor to evaluate
  --hive FILE       an offline registry hive; --key names the key whose security is checked
  --token KIND      filtered-admin (default), elevated-admin, user, low, system, local-service,
                    network-service; a refused filtered-admin is compared with elevated-admin
  --type T          file (default), directory, key, service: how generic rights map
  --format F        text (default) or json
Exit status: 0 allowed, 1 denied, 2 could not check, 64 usage error.
]]

local OPTIONS = {
  ["--want"] = "want", ["--as"] = "as", ["--uid"] = "uid", ["--gid"] = "gid", ["--pid"] = "pid",
  ["--sddl"] = "sddl", ["--token"] = "token", ["--type"] = "type", ["--format"] = "format", ["-f"] = "format",
  ["--hive"] = "hive", ["--key"] = "key",
}

local WIN = {
  read = { file = "FILE_GENERIC_READ", key = "KEY_READ", service = "GENERIC_READ" },
  write = { file = "FILE_WRITE_DATA", key = "KEY_SET_VALUE", service = "SERVICE_CHANGE_CONFIG" },
  exec = { file = "FILE_EXECUTE", key = "KEY_READ", service = "SERVICE_START" },
}

local function int_opt(name, v)
  if v == nil then return nil end
  local n = math.tointeger(tonumber(v))
  if not n or n < 0 then usage_error("%s needs a non-negative integer, got '%s'", name, v) end
  return n
end

local function emit(fmt, obj, text)
  if fmt == "json" then
    io.stdout:write(require("diagkit.json").encode(obj), "\n")
  else
    io.stdout:write(text, "\n")
  end
end

local function posix(opts, path, fmt)
  local access = require "diagkit.access"
  if not access.check then
    io.stderr:write("diagkit: live file checks need a POSIX system here; use --sddl\n")
    return 2
  end
  local who
  if opts.pid then who = { pid = int_opt("--pid", opts.pid) }
  elseif opts.as then who = { user = opts.as }
  elseif opts.uid then
    local uid = int_opt("--uid", opts.uid)
    who = { uid = uid, gid = int_opt("--gid", opts.gid) or uid }
  end
  local want = opts.want or "read"
  local ops = { read = 1, write = 1, exec = 1, execute = 1, list = 1, search = 1, create = 1, delete = 1, rename = 1 }
  if not ops[want] then
    usage_error("--want: read, write, exec, list, search, create, delete or rename expected, got '%s'", want)
  end
  local r, err, code = access.check(path, want, who)
  if not r then
    io.stderr:write(string.format("diagkit: %s (%s)\n", err, code))
    return 2
  end
  local lines = {}
  local w = r.who
  lines[1] = string.format("%s  %s  %s  as %s (uid %d, gid %d, groups %s; from %s)",
    r.allowed and "ALLOWED" or ("DENIED (" .. r.errno .. ")"), r.want, r.path, w.name or "?", w.uid, w.gid,
    table.concat(w.groups, ","), w.source)
  for i, s in ipairs(r.steps) do
    lines[#lines + 1] = string.format("  %2d %-4s %-7s %-10s %5s:%-5s %-6s %s", i, s.ok and "ok" or "FAIL", s.role,
      s.mode or "", s.uid or "", s.gid or "", s.need, s.path .. "  " .. (s.text or ""))
  end
  if not r.allowed then
    lines[#lines + 1] = string.format("  decided by: %s at %s (component %d)", r.rule.kind, r.denied_at.component,
      r.denied_at.index)
  elseif r.lsm_active then
    lines[#lines + 1] = "  note: SELinux/AppArmor is active; an EACCES despite this verdict comes from the LSM"
  end
  emit(fmt, r, table.concat(lines, "\n"))
  return r.allowed and 0 or 1
end

local function windows(opts, fmt)
  local access = require "diagkit.access"
  local sddl = opts.sddl
  local otype = opts.type or (opts.hive and "key" or "file")
  local types = { file = 1, directory = 1, key = 1, service = 1 }
  if not types[otype] then usage_error("--type: file, directory, key or service, got '%s'", otype) end
  if opts.hive then
    if not opts.key then usage_error("--hive needs --key KEY") end
    local reg = require "diagkit.reg"
    local h, err, code = reg.open(opts.hive)
    if not h then
      io.stderr:write(string.format("diagkit: %s (%s)\n", err, code))
      return 2
    end
    local s, e2, c2 = h:security(opts.key)
    h:close()
    if not s then
      io.stderr:write(string.format("diagkit: %s (%s)\n", e2, c2))
      return 2
    end
    sddl = s.sddl
  end
  local want = opts.want or "read"
  local rights = WIN[want] and (WIN[want][otype == "directory" and "file" or otype] or WIN[want].file) or want
  if not access.mask(rights) then usage_error("--want: unknown rights '%s'", rights) end
  local kind = opts.token or "filtered-admin"
  local kinds = { ["filtered-admin"] = 1, ["elevated-admin"] = 1, user = 1, low = 1, system = 1,
    ["local-service"] = 1, ["network-service"] = 1 }
  if not kinds[kind] then usage_error("--token: unknown token kind '%s' (see --help)", kind) end
  local tok = access.token(kind)
  local r, err = access.evaluate(sddl, tok, rights, otype)
  if not r then
    io.stderr:write("diagkit: bad security descriptor: " .. err .. "\n")
    return 2
  end
  local elevated
  if not r.allowed and kind == "filtered-admin" then
    elevated = access.evaluate(sddl, access.token("elevated-admin"), rights, otype)
  end
  local lines = { string.format("%s  %s  token: %s (integrity %s)", r.allowed and "ALLOWED" or "DENIED", rights,
    kind, r.integrity.token), "  " .. sddl }
  for _, s in ipairs(r.steps) do
    lines[#lines + 1] = string.format("  ACE#%d %-30s %s%s", s.ace, s.sddl, s.outcome,
      s.bits > 0 and string.format(" 0x%x", s.bits) or "")
  end
  if r.integrity.blocked > 0 then
    lines[#lines + 1] = string.format("  integrity: object %s, token %s: blocks %s", r.integrity.object,
      r.integrity.token, table.concat(r.integrity.blocked_names, ", "))
  end
  if r.denied_by then
    lines[#lines + 1] = string.format("  denied by ACE#%d %s: %s", r.denied_by.ace, r.denied_by.sddl,
      table.concat(r.denied_by.names, ", "))
  elseif #r.missing_names > 0 then
    lines[#lines + 1] = "  no ACE grants: " .. table.concat(r.missing_names, ", ")
  end
  if elevated then
    lines[#lines + 1] = string.format("  elevated token (Run as administrator) would be %s",
      elevated.allowed and ("GRANTED" .. (elevated.grants[1] and elevated.grants[1].ace and
        string.format(" by ACE#%d %s", elevated.grants[1].ace, elevated.grants[1].sddl) or "")) or "DENIED too")
  end
  emit(fmt, { result = r, elevated = elevated, sddl = sddl, token = kind }, table.concat(lines, "\n"))
  return r.allowed and 0 or 1
end

function M.run(args)
  local opts, pos = cliargs.parse(args, 2, OPTIONS)
  local fmt = opts.format or "text"
  if fmt ~= "text" and fmt ~= "json" then usage_error("--format: text or json, got '%s'", fmt) end
  if opts.sddl or opts.hive then
    if #pos > 0 then usage_error("give either a PATH or --sddl/--hive, not both") end
    return windows(opts, fmt)
  end
  if #pos ~= 1 then usage_error("one PATH expected (or --sddl / --hive); try diagkit access --help") end
  return posix(opts, pos[1], fmt)
end

return M
