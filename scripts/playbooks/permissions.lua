-- permissions: why can't this program (or user X) read/write/execute this
-- path, and why does it work only as administrator?
--
-- POSIX: diagkit.access.check walks every path component as the kernel does
-- (search bits, acl(5) with the mask, capabilities, mount and inode flags,
-- sticky folders) for the current process, a user, a uid or a running PID,
-- and names the component and the entry that decides. With a PID it also
-- compares the process's groups with the group database (stale groups).
--
-- Windows, offline: an SDDL string evaluated with a token description
-- (filtered-admin by default) by diagkit.access.evaluate; when the filtered
-- token is refused, the elevated twin is evaluated too and the difference is
-- explained ("ACE #1 grants BA, and BA is deny-only in your current token").

local files = require "diagkit.files"

local WIN_RIGHTS = {
  read = { file = "FILE_GENERIC_READ", key = "KEY_READ" },
  write = { file = "FILE_WRITE_DATA", key = "KEY_SET_VALUE" },
  exec = { file = "FILE_EXECUTE", key = "KEY_READ" },
  list = { file = "FILE_LIST_DIRECTORY", key = "KEY_ENUMERATE_SUB_KEYS" },
  search = { file = "FILE_TRAVERSE", key = "KEY_ENUMERATE_SUB_KEYS" },
  create = { file = "FILE_ADD_FILE", key = "KEY_CREATE_SUB_KEY" },
  delete = { file = "DELETE", key = "DELETE" },
  rename = { file = "DELETE", key = "DELETE" },
}

local function bits_of(need)
  local t = {}
  for c in need:gmatch("[rwx]") do t[#t + 1] = c end
  return table.concat(t)
end

-- "user svc-app (uid 998)" / "uid 998"
local function who_text(who)
  local name = who.name and (who.name .. " ") or ""
  return string.format("%s(uid %d, gid %d, groups %s; from %s)", name, who.uid, who.gid,
    #who.groups > 0 and table.concat(who.groups, ",") or "none", who.source)
end

local function step_lines(r)
  local lines = {}
  for i, s in ipairs(r.steps) do
    local status = s.ok and "ok  " or "FAIL"
    lines[#lines + 1] = string.format("%2d %-4s %-7s %-11s %s %s%s  %s", i, status, s.role, s.mode or "",
      s.uid and (s.uid .. ":" .. s.gid) or "", s.need ~= "" and ("needs " .. s.need) or "",
      s.acl and " (ACL)" or "", s.text or "")
  end
  return lines
end

-- The smallest change that would make the check pass.
local function posix_remedy(r, who)
  local d = r.steps[r.denied_at.step] or {}
  local comp = r.denied_at.component
  local user = who.name or tostring(who.uid)
  local kind = r.rule.kind
  local bits = bits_of(d.need or "")
  if kind == "mount" then
    if r.errno == "EROFS" then
      return string.format("%s is on a read-only mount: remount it read-write (mount -o remount,rw MOUNTPOINT) "
        .. "or write somewhere else; for a systemd unit check ProtectSystem=/ReadOnlyPaths=.", comp)
    end
    return string.format("%s is on a noexec mount: move the program to a filesystem mounted with exec, "
      .. "or remount (mount -o remount,exec MOUNTPOINT).", comp)
  elseif kind == "flag" then
    return string.format("Remove the inode flag: chattr -i -a %s (as root).", comp)
  elseif kind == "sticky" then
    return string.format("%s is a sticky folder: only the file's owner, the folder's owner or root may delete or "
      .. "rename entries; do it as the file's owner.", (comp:match("^(.*)/[^/]*$") or comp))
  elseif kind == "sysctl" then
    return "A fs.protected_* sysctl refuses this in a sticky world-writable folder (/tmp): let the program own "
      .. "the file or link, or keep it out of the shared folder (turning the sysctl off weakens a protection)."
  elseif kind == "path" then
    if r.errno == "ENOENT" then return string.format("%s does not exist: create it, or fix the path.", comp) end
    if r.errno == "ELOOP" then return "Fix the symbolic link loop (ls -l each link on the path)." end
    return "Fix the path: " .. r.rule.text
  elseif kind == "mode" and (r.rule.text or ""):find("no execute bit", 1, true) then
    return string.format("chmod +x %s", comp)
  elseif kind == "mask" then
    return string.format("setfacl -m m::%s %s   (the ACL mask cuts the entry; chmod g+%s has the same effect)",
      bits ~= "" and bits or "rwx", comp, bits)
  end
  if bits == "" then bits = "r" end
  return string.format("setfacl -m u:%s:%s %s   (grants only that user; or chmod o+%s %s for everyone, less safe)",
    user, bits, comp, bits, comp)
end

local function posix_finding_id(r)
  local d = r.steps[r.denied_at.step] or {}
  if r.errno == "ENOENT" then return "access.missing" end
  if r.rule.kind == "path" then return "access.denied.path" end
  if d.role == "search" then return "access.denied.search" end
  if d.role == "parent" then return "access.denied.parent" end
  local map = { mode = "mode", ["acl-entry"] = "acl", mask = "mask", mount = "mount", flag = "immutable",
    sticky = "sticky", capability = "capability", sysctl = "protected" }
  return "access.denied." .. (map[r.rule.kind] or "object")
end

local function stale_groups(ctx, pid, proc_who)
  local fresh = proc_who.name and ctx.access.credentials { user = proc_who.name }
  if not fresh then return nil end
  local have = {}
  for _, g in ipairs(proc_who.groups) do have[g] = true end
  have[proc_who.gid] = true
  local missing = {}
  for _, g in ipairs(fresh.groups) do
    if not have[g] then missing[#missing + 1] = g end
  end
  if #missing == 0 then return nil end
  return fresh, missing
end

-- LSM denial lines (SELinux AVC, AppArmor) that name the object.
local AUDIT_LOGS = { "/var/log/audit/audit.log", "/var/log/kern.log", "/var/log/syslog", "/var/log/messages" }

local function lsm_lines(p, path)
  local base = path:match("([^/]+)/*$") or path
  local found = {}
  for _, log in ipairs(p.audit_log and { p.audit_log } or AUDIT_LOGS) do
    files.each_line(log, function(line)
      if (line:find("avc:  denied", 1, true) or line:find("avc: denied", 1, true)
          or line:find('apparmor="DENIED"', 1, true))
        and (line:find('name="' .. base .. '"', 1, true) or line:find(path, 1, true)) then
        found[#found + 1] = { line = line, source = log }
        return #found >= 5
      end
    end)
  end
  return found
end

local function check_posix(ctx, p)
  local opts
  if p.pid then opts = { pid = p.pid }
  elseif p.user then opts = { user = p.user }
  elseif p.uid then opts = { uid = p.uid, gid = p.gid or p.uid } end
  local r, err, code = ctx.access.check(p.path, p.want, opts)
  if not r then
    ctx:unknown(string.format("cannot check: %s (%s)", err, tostring(code)))
    return
  end
  ctx:fact("access", { allowed = r.allowed, errno = r.errno, want = r.want, path = r.path, resolved = r.resolved,
    who = r.who, denied_at = r.denied_at, rule = r.rule, steps = r.steps })
  local evidence = {
    { kind = "who", value = who_text(r.who), source = r.who.source },
    { kind = "path-walk", value = table.concat(step_lines(r), "\n"), source = "diagkit.access.check" },
  }
  -- A running process keeps the groups it started with.
  local fresh, missing
  if p.pid then fresh, missing = stale_groups(ctx, p.pid, r.who) end
  if missing then
    local r2 = ctx.access.check(p.path, p.want, { user = fresh.name })
    evidence[#evidence + 1] = { kind = "group-database", value = string.format(
      "%s is now also in group(s) %s, which PID %d does not have", fresh.name, table.concat(missing, ","), p.pid),
      source = "/etc/group vs /proc/" .. p.pid .. "/status" }
    if not r.allowed and r2 and r2.allowed then
      ctx:finding {
        id = "access.stale-groups", severity = "error",
        title = string.format("PID %d cannot %s %s, but it could after a restart: its groups are stale",
          p.pid, p.want, p.path),
        detail = string.format("The process started before %s was added to group(s) %s; a running process keeps "
          .. "the groups it had at login (usermod -aG does not change it). With the current group database the "
          .. "check passes.", fresh.name, table.concat(missing, ",")),
        evidence = evidence,
        remedy = "Restart the service or the process (or log in again) so it picks up its new groups.",
      }
      return
    end
  end
  if r.allowed then
    local lsm = lsm_lines(p, r.resolved or p.path)
    if #lsm > 0 or p.reported_denied then
      for _, l in ipairs(lsm) do
        evidence[#evidence + 1] = { kind = "lsm-denial", value = l.line, source = l.source }
      end
      local selinux = #lsm > 0 and lsm[1].line:find("avc:", 1, true)
      ctx:finding {
        id = "access.denied.lsm", severity = "error",
        title = string.format("The mode bits and ACLs allow %s to %s %s, yet it is refused", r.who.name or
          ("uid " .. r.who.uid), p.want, p.path),
        detail = #lsm > 0 and string.format("%s denied it (the line below); the kernel returns plain EACCES and "
          .. "nothing in the permission bits explains it.", selinux and "SELinux" or "AppArmor")
          or "Every component and the object allow it, so the refusal comes from elsewhere: SELinux or AppArmor "
          .. "(no denial line found in the logs read), a seccomp filter, a container or systemd sandbox "
          .. "(ProtectSystem=, ReadOnlyPaths=), or a network filesystem's server.",
        evidence = evidence,
        remedy = #lsm > 0 and (selinux and "audit2why < the line; fix the label (restorecon -v PATH) or add a "
          .. "policy module (audit2allow)" or "Extend the AppArmor profile (aa-logprof) or put the file where the "
          .. "profile allows") or "Look at the unit's sandboxing options and the LSM logs (ausearch -m avc -ts recent).",
      }
      return
    end
    local note = ""
    if r.lsm_active then
      note = " SELinux or AppArmor is active: if the program still gets EACCES, the denial comes from the LSM, "
        .. "not from the mode bits; look for 'avc: denied' (ausearch -m avc) or 'apparmor=\"DENIED\"' in the logs."
    end
    ctx:finding {
      id = "access.allowed", severity = "info",
      title = string.format("%s may %s %s", r.who.name or ("uid " .. r.who.uid), p.want, p.path),
      detail = "Every path component and the object itself allow it." .. note,
      evidence = evidence,
    }
    return
  end
  local d = r.steps[r.denied_at.step] or {}
  ctx:finding {
    id = posix_finding_id(r), severity = "error",
    title = string.format("%s cannot %s %s: %s at %s", r.who.name or ("uid " .. r.who.uid), p.want, p.path,
      r.errno, r.denied_at.component),
    detail = string.format("Component %d (%s, %s) decides: %s.", r.denied_at.index, r.denied_at.component,
      d.role == "search" and "a folder on the way, which needs search (x)" or
      d.role == "parent" and "the folder that holds the entry, which needs write and search (wx)" or "the object",
      r.rule.text),
    evidence = evidence,
    remedy = posix_remedy(r, r.who),
  }
end

-- The elevated twin of a live filtered token: its deny-only Administrators
-- groups enabled, integrity High (what "Run as administrator" gives).
local function elevated_twin(tok)
  local twin = { user = tok.user, integrity = "high", privileges = tok.privileges, groups = {} }
  for _, g in ipairs(tok.groups or {}) do
    local e = { sid = g.sid, enabled = g.enabled, deny_only = g.deny_only }
    if g.deny_only and (g.sid == "S-1-5-32-544" or g.sid == "S-1-5-114") then
      e.enabled, e.deny_only = true, false
    end
    twin.groups[#twin.groups + 1] = e
  end
  return twin
end

local function win_findings(ctx, p, live)
  local access = ctx.access
  local otype = p.object_type
  local desired = p.rights or (WIN_RIGHTS[p.want] or WIN_RIGHTS.read)[otype == "key" and "key" or "file"]
  local tok = live and live.token or access.token(p.token)
  local tok_name = live and "current process" or p.token
  local r, err = access.evaluate(p.sddl, tok, desired, otype)
  if not r then
    ctx:finding {
      id = "access.bad-sddl", severity = "error", title = "The security descriptor cannot be parsed",
      detail = tostring(err), evidence = { { kind = "sddl", value = p.sddl } },
      remedy = "Copy the SDDL exactly (icacls /save, Get-Acl ... | % Sddl, sc sdshow).",
    }
    return
  end
  local lines = {}
  for _, s in ipairs(r.steps) do
    lines[#lines + 1] = string.format("ACE#%d %-28s %s%s", s.ace, s.sddl, s.outcome,
      s.bits > 0 and string.format(" 0x%x", s.bits) or "")
  end
  local evidence = {
    { kind = "sddl", value = p.sddl },
    { kind = "token", value = string.format("%s (integrity %s)", tok_name, r.integrity.token),
      source = live and "GetTokenInformation" or "access.token" },
    { kind = "ace-walk", value = table.concat(lines, "\n"), source = "diagkit.access.evaluate" },
  }
  ctx:fact("evaluation", { token = tok_name, allowed = r.allowed, desired = r.desired, granted = r.granted,
    missing_names = r.missing_names, denied_by = r.denied_by, integrity = r.integrity, steps = r.steps })
  local target = p.path or "the object"
  if r.allowed then
    ctx:finding {
      id = "access.allowed", severity = "info",
      title = string.format("The %s token is granted %s on %s", tok_name, desired, target),
      detail = "Granted: " .. table.concat(r.granted_names, ", "), evidence = evidence,
    }
    return
  end
  -- Would the elevated twin pass?
  local elevated
  if live then
    if live.token.elevation_type == "limited" then
      elevated = access.evaluate(p.sddl, elevated_twin(live.token), desired, otype)
    end
  elseif p.token == "filtered-admin" then
    elevated = access.evaluate(p.sddl, access.token("elevated-admin"), desired, otype)
  end
  local per_user = ""
  local low = (p.path or ""):lower()
  if low:find("program files", 1, true) or low:find("\\windows\\", 1, true) then
    per_user = " A program that writes its data under Program Files or Windows needs elevation on every run; "
      .. "store per-user data under %LOCALAPPDATA% (or %PROGRAMDATA% with an ACL set by the installer) instead."
  elseif low:match("^hklm") or low:find("hkey_local_machine", 1, true) then
    per_user = " Writing under HKLM needs elevation; per-user settings belong in HKCU."
  end
  if elevated and elevated.allowed then
    local why = {}
    for _, s in ipairs(r.steps) do
      if s.outcome == "deny-only" then
        why[#why + 1] = string.format("ACE #%d %s grants %s, and %s is deny-only in your current (filtered) token",
          s.ace, s.sddl, s.sid, s.sid)
      end
    end
    if r.integrity.blocked > 0 then
      why[#why + 1] = string.format("the object's integrity label is %s and your token is %s, so %s is blocked "
        .. "(no-write-up)", r.integrity.object, r.integrity.token, table.concat(r.integrity.blocked_names, ", "))
    end
    local g = elevated.grants[1]
    ctx:finding {
      id = "access.elevation-required", severity = "error",
      title = string.format("%s on %s works only as administrator", desired, target),
      detail = (#why > 0 and (table.concat(why, "; ") .. ". ") or "")
        .. string.format("The elevated token is granted it%s.", g and g.ace and
          string.format(" by ACE #%d %s", g.ace, g.sddl) or "") .. per_user,
      evidence = evidence,
      remedy = string.format("Run it as administrator (elevated), or grant the user the right it needs: "
        .. "icacls \"%s\" /grant \"%%USERNAME%%\":(M)  — smaller: grant only %s.", p.path or "PATH", desired),
      refs = { "MS-DTYP 2.5.3.2 (AccessCheck)", "UAC filtered token: BUILTIN\\Administrators USE_FOR_DENY_ONLY" },
    }
    return
  end
  local id, title, detail
  if r.denied_by then
    id = "access.denied.ace"
    title = string.format("ACE #%d %s denies %s", r.denied_by.ace, r.denied_by.sddl,
      table.concat(r.denied_by.names, ", "))
    detail = "An explicit deny ACE matched the token before the missing rights were granted."
  elseif r.integrity.blocked > 0 then
    id = "access.denied.integrity"
    title = string.format("Integrity level %s blocks %s", r.integrity.object, table.concat(r.integrity.blocked_names, ", "))
    detail = string.format("The object is labelled %s; the token is %s.", r.integrity.object, r.integrity.token)
  elseif r.system_security_denied then
    id = "access.denied.privilege"
    title = "ACCESS_SYSTEM_SECURITY needs SeSecurityPrivilege enabled"
    detail = "Reading or changing the SACL needs the privilege, enabled, in the token."
  else
    id = "access.denied.no-grant"
    title = string.format("No ACE grants %s to the %s token", table.concat(r.missing_names, ", "), tok_name)
    detail = "The ACEs that match the token grant "
      .. (#r.granted_names > 0 and table.concat(r.granted_names, ", ") or "nothing")
      .. "; nothing grants the rest." .. (r.indeterminate and " (A conditional ACE was not evaluated.)" or "")
  end
  ctx:finding {
    id = id, severity = "error", title = title, detail = detail .. per_user, evidence = evidence,
    remedy = string.format("Grant the account the missing right: icacls \"%s\" /grant ACCOUNT:(%s)  "
      .. "(for a key: regedit > Permissions, or Set-Acl).", p.path or "PATH",
      p.want == "write" and "W" or p.want == "read" and "R" or "M"),
  }
end

-- Paths named in error messages: "open /x: permission denied", "/x: Permission denied", "'C:\x'".
local function paths_in(text)
  local out, seen = {}, {}
  for line in (text or ""):gmatch("[^\n]+") do
    local lower = line:lower()
    if lower:find("permission denied", 1, true) or lower:find("access is denied", 1, true)
      or lower:find("eacces", 1, true) or lower:find("read-only file system", 1, true) then
      for path in line:gmatch("(/[%w%._%-/@+]+)") do
        if not seen[path] then
          seen[path] = true
          out[#out + 1] = path
        end
      end
    end
  end
  return out
end

return diagkit.playbook {
  id = "permissions",
  title = "Why is access denied? Path components, ACL entries, ACEs and elevation explained",
  summary = "Explains a 'permission denied' / 'access is denied': on Linux walks every path component as the kernel"
    .. " does (mode bits, POSIX ACLs with the mask, capabilities, mount and inode flags, sticky folders) for you, a"
    .. " user, or a running PID (stale groups caught); for Windows evaluates an SDDL with a filtered or elevated"
    .. " token and says which ACE decides and why it works only as administrator.",
  symptoms = { "permission-denied", "works-only-as-admin", "eacces" },
  tags = { "linux", "windows", "access", "acl" },
  params = {
    path = { type = "string", help = "the file, folder or key that is refused" },
    want = { type = "choice", choices = { "read", "write", "exec", "list", "search", "create", "delete", "rename" },
      default = "read", help = "the operation that fails" },
    user = { type = "string", help = "check as this user (name or uid)" },
    uid = { type = "int", min = 0, help = "check as this uid (with gid=)" },
    gid = { type = "int", min = 0, help = "primary gid for uid=" },
    pid = { type = "int", min = 1, help = "check as this running process (its real credentials)" },
    sddl = { type = "string", help = "Windows: the object's security descriptor (SDDL), checked offline" },
    token = { type = "choice", choices = { "filtered-admin", "elevated-admin", "user", "low", "system",
      "local-service", "network-service" }, default = "filtered-admin", help = "Windows: the token to check with" },
    rights = { type = "string", help = "Windows: rights wanted, e.g. FILE_WRITE_DATA or KEY_SET_VALUE|0x20000" },
    object_type = { type = "choice", choices = { "file", "directory", "key", "service" }, default = "file",
      help = "Windows: how generic rights map" },
    hive = { type = "path", help = "Windows, offline: a registry hive file; key= names the key to check" },
    key = { type = "string", help = "the key in hive= (CurrentControlSet resolved), e.g. CurrentControlSet\\Services\\X" },
    message = { type = "string", help = "an error message naming the path (paths in it are checked)" },
    audit_log = { type = "path", help = "where to look for SELinux/AppArmor denials (default: the usual logs)" },
    argv = { type = "argv", help = "run this program and check the paths its errors name" },
  },
  examples = {
    "diagkit run permissions -p path=/srv/app/data/db.sqlite -p want=write -p user=svc-app",
    "diagkit run permissions -p path=/var/log/app -p want=create -p pid=4211",
    "diagkit run permissions -p path='C:\\Windows\\System32\\drivers\\etc\\hosts' -p want=write"
      .. " -p sddl='O:SYG:SYD:AI(A;ID;FA;;;SY)(A;ID;FA;;;BA)(A;ID;0x1200a9;;;BU)'",
    "diagkit run permissions -p hive=SYSTEM -p 'key=CurrentControlSet\\Services\\MySvc' -p want=write",
    "diagkit run permissions -- ./server --config /etc/app.conf",
  },

  run = function(ctx, p)
    if p.hive then
      local h, err, code = ctx.reg.open(p.hive)
      if not h then
        ctx:unknown(string.format("cannot open the hive: %s (%s)", err, tostring(code)))
        return
      end
      local s, e2, c2 = h:security(p.key or "")
      h:close()
      if not s then
        ctx:unknown(string.format("no security descriptor for key '%s': %s (%s)", p.key or "", e2, tostring(c2)))
        return
      end
      local q = {}
      for k, v in pairs(p) do q[k] = v end
      q.sddl = s.sddl
      q.object_type = "key"
      q.path = q.path or (p.key and ("key " .. p.key .. " in " .. p.hive))
      win_findings(ctx, q)
      return
    end
    if p.sddl then
      win_findings(ctx, p)
      return
    end
    if p.path and ctx.access.file_security then
      -- Windows, live: the object's descriptor and this process's token.
      local is_key = p.path:upper():match("^HK") ~= nil
      local target = p.path
      if not is_key and p.want == "create" then
        -- creating needs FILE_ADD_FILE on the folder that will hold the entry
        target = p.path:match("^(.*)[\\/][^\\/]+$") or p.path
      end
      local sd, err, code
      if is_key then sd, err, code = ctx.access.key_security(target)
      else sd, err, code = ctx.access.file_security(target) end
      if not sd then
        if code == "EACCES" then
          ctx:unknown("cannot read the security descriptor of " .. p.path .. " (it needs READ_CONTROL): " .. err
            .. "; the verdict is unknown, not a guess")
        else
          ctx:finding { id = code == "ENOENT" and "access.missing" or "access.unreadable", severity = "error",
            title = string.format("%s cannot be opened: %s", p.path, err), evidence = { { kind = "error", value = err } } }
        end
        return
      end
      local tok, terr = ctx.access.current_token()
      if not tok then
        ctx:unknown("cannot read this process's token: " .. tostring(terr))
        return
      end
      local q = {}
      for k, v in pairs(p) do q[k] = v end
      q.sddl = sd.sddl
      if is_key and q.object_type == "file" then q.object_type = "key" end
      if target ~= p.path then
        q.path = target
        q.object_type = "directory"
        ctx:fact("checked_object", { path = target, why = "creating an entry needs FILE_ADD_FILE on its folder" })
      end
      win_findings(ctx, q, { token = tok })
      return
    end
    if not ctx.access.check then
      ctx:unknown("live access checks for files on this OS need an SDDL (-p sddl=...): "
        .. "only the offline evaluation is available here")
      return
    end
    if p.path then
      check_posix(ctx, p)
      return
    end
    local text = p.message
    if p.argv and #p.argv > 0 then
      local r, err = ctx.proc.run { argv = p.argv, timeout = 30, stdin = false }
      if not r then
        ctx:unknown("could not run the program: " .. tostring(err))
        return
      end
      text = (r.stderr or "") .. "\n" .. (r.stdout or "")
      ctx:fact("exit", { status = r.status, exit_code = r.exit_code })
    end
    local paths = paths_in(text)
    if #paths == 0 then
      ctx:unknown("no path to check: give -p path=..., or a message / program whose errors name one")
      return
    end
    ctx:fact("paths_named", paths)
    for _, path in ipairs(paths) do
      -- The failing operation is not known from a message: read, then write.
      local r = ctx.access.check(path, "read", p.user and { user = p.user } or p.pid and { pid = p.pid } or nil)
      local want = "read"
      if r and r.allowed then want = "write" end
      local q = {}
      for k, v in pairs(p) do q[k] = v end
      q.path, q.want = path, want
      q.reported_denied = true
      check_posix(ctx, q)
    end
  end,
}
