-- What service managers say about a service, as plain tables: `sc qc` /
-- `sc queryex` text (Windows), `systemctl show` properties and
-- `journalctl -o json` lines (systemd). Used by the service-stops playbook;
-- plain functions, so user checks can use them too (docs/playbooks/service-stops.md).

local M = {}

-- `sc qc NAME` and `sc queryex NAME` print "        KEY  : value" lines; a
-- value can continue on the next lines (DEPENDENCIES), and some values are
-- "2   AUTO_START" (a number, then its name).
-- Returns {fields = {KEY = "value", ...}, lists = {KEY = {...}}, service, error}.
function M.parse_sc(text)
  local out = { fields = {}, lists = {} }
  local last
  for line in (text or ""):gmatch("[^\r\n]+") do
    local key, value = line:match("^%s*([%u%d_]+)%s*:%s*(.-)%s*$")
    if key then
      out.fields[key] = value
      out.lists[key] = value ~= "" and { value } or {}
      last = key
    elseif line:match("^%s+:%s*") and last then
      local more = line:match("^%s+:%s*(.-)%s*$")
      if more ~= "" then table.insert(out.lists[last], more) end
    elseif line:match("FAILED %d+") then
      out.error = tonumber(line:match("FAILED (%d+)"))
      out.error_text = line
    elseif line:match("^%[SC%]") then
      out.header = line
    end
  end
  out.service = out.fields.SERVICE_NAME
  return out
end

-- "2   AUTO_START  (DELAYED)" -> 2, "AUTO_START  (DELAYED)"
function M.sc_number(value)
  if not value then return nil end
  local n, rest = value:match("^(%x+)%s+(.*)$")
  if n then return tonumber(n, value:match("^0x") and 16 or 10) or tonumber(n, 16), rest end
  return tonumber(value), nil
end

-- `systemctl show UNIT`: KEY=value lines (values may hold '=').
function M.parse_systemctl_show(text)
  local props = {}
  for line in (text or ""):gmatch("[^\r\n]+") do
    local k, v = line:match("^([%w_]+)=(.*)$")
    if k then props[k] = v end
  end
  return props
end

-- ExecStart={ path=/opt/api/bin/api ; argv[]=... } -> "/opt/api/bin/api"
function M.exec_path(exec_start)
  if not exec_start then return nil end
  return exec_start:match("path=([^ ;]+)") or exec_start
end

-- journalctl -o json: one object per line. A field is a string, a list of
-- byte values (when it is not valid UTF-8 or holds control bytes), or null
-- (too large to show). Returns the entries with MESSAGE etc. as strings, and
-- the number of lines that were not JSON objects.
function M.parse_journal(text)
  local json = require "diagkit.json"
  local entries, bad, first_bad = {}, 0, nil
  local n = 0
  for line in (text or ""):gmatch("[^\n]+") do
    n = n + 1
    local ok, obj = pcall(json.decode, line)
    if ok and type(obj) == "table" then
      local e = {}
      for k, v in pairs(obj) do
        if v == json.null then
          e[k] = nil -- too large for journald to show
        elseif type(v) == "table" then
          local bytes = {}
          for i, b in ipairs(v) do
            if math.type(b) ~= "integer" or b < 0 or b > 255 then bytes = nil break end
            bytes[i] = string.char(b)
          end
          e[k] = bytes and table.concat(bytes) or nil
        else
          e[k] = type(v) == "string" and v or tostring(v)
        end
      end
      e.line = n
      entries[#entries + 1] = e
    else
      bad = bad + 1
      first_bad = first_bad or n
    end
  end
  return entries, bad, first_bad
end

-- systemd's own exit codes for a service process that never reached its
-- program (systemd.exec(5), "Process Exit Codes"; systemd-exit-status(8)).
M.SYSTEMD_EXIT = {
  [200] = { "CHDIR", "changing to the WorkingDirectory= failed" },
  [201] = { "NICE", "setting the Nice= priority failed" },
  [202] = { "FDS", "closing unwanted file descriptors or adjusting passed ones failed" },
  [203] = { "EXEC", "executing the ExecStart= program failed: missing, not executable, or a bad interpreter line" },
  [204] = { "MEMORY", "out of memory while setting up the process" },
  [205] = { "LIMITS", "setting the resource limits (Limit*=) failed" },
  [206] = { "OOM_ADJUST", "setting OOMScoreAdjust= failed" },
  [207] = { "SIGNAL_MASK", "setting the signal mask failed" },
  [208] = { "STDIN", "setting up standard input failed" },
  [209] = { "STDOUT", "setting up standard output or error failed (StandardOutput=, a log file path?)" },
  [210] = { "CHROOT", "RootDirectory= / RootImage= failed" },
  [211] = { "IOPRIO", "setting IOSchedulingClass= / IOSchedulingPriority= failed" },
  [212] = { "TIMERSLACK", "setting TimerSlackNSec= failed" },
  [213] = { "SECUREBITS", "setting SecureBits= failed" },
  [214] = { "SETSCHEDULER", "setting CPUSchedulingPolicy= failed" },
  [215] = { "CPUAFFINITY", "setting CPUAffinity= failed" },
  [216] = { "GROUP", "the Group= (or a SupplementaryGroups= group) does not exist or cannot be set" },
  [217] = { "USER", "the User= does not exist or cannot be switched to" },
  [218] = { "CAPABILITIES", "dropping capabilities failed" },
  [219] = { "CGROUP", "setting up the control group failed" },
  [220] = { "SETSID", "creating a new session failed" },
  [221] = { "CONFIRM", "the execution was refused on the console (confirmation)" },
  [222] = { "STDERR", "setting up standard error failed" },
  [224] = { "PAM", "the PAM session failed" },
  [225] = { "NETWORK", "setting up network namespacing (PrivateNetwork=) failed" },
  [226] = { "NAMESPACE", "setting up the file-system namespace failed (ProtectSystem=, ReadWritePaths= to a missing path, PrivateTmp=)" },
  [227] = { "NO_NEW_PRIVILEGES", "disabling new privileges failed" },
  [228] = { "SECCOMP", "installing the SystemCallFilter= seccomp filter failed" },
  [229] = { "SELINUX_CONTEXT", "changing the SELinux context failed" },
  [230] = { "PERSONALITY", "setting Personality= failed" },
  [231] = { "APPARMOR_PROFILE", "switching to the AppArmorProfile= failed" },
  [232] = { "ADDRESS_FAMILIES", "RestrictAddressFamilies= failed" },
  [233] = { "RUNTIME_DIRECTORY", "creating RuntimeDirectory= (or another *Directory=) failed" },
  [235] = { "CHOWN", "changing the owner of a socket or directory failed" },
  [236] = { "SMACK_PROCESS_LABEL", "setting the SMACK label failed" },
  [237] = { "KEYRING", "setting up the kernel keyring failed" },
  [238] = { "STATE_DIRECTORY", "creating StateDirectory= failed" },
  [239] = { "CACHE_DIRECTORY", "creating CacheDirectory= failed" },
  [240] = { "LOGS_DIRECTORY", "creating LogsDirectory= failed" },
  [241] = { "CONFIGURATION_DIRECTORY", "creating ConfigurationDirectory= failed" },
  [242] = { "NUMA_POLICY", "setting NUMAPolicy= failed" },
  [243] = { "CREDENTIALS", "loading the service's credentials (LoadCredential=, SetCredential=) failed" },
  [245] = { "BPF", "applying BPF programs (IP filters, device policy) failed" },
}

-- ImagePath as the SCM reads it: CreateProcess cuts an unquoted path at each
-- space and tries every prefix in order (C:\Program.exe first).
function M.unquoted_candidates(image)
  if not image or image:sub(1, 1) == '"' then return nil end
  local exe_end = image:lower():find("%.exe")
  local path = exe_end and image:sub(1, exe_end + 3) or image
  if not path:find(" ", 1, true) then return nil end
  local out = {}
  local pos = 1
  while true do
    local sp = path:find(" ", pos, true)
    if not sp then break end
    out[#out + 1] = path:sub(1, sp - 1) .. ".exe"
    pos = sp + 1
  end
  out[#out + 1] = path
  return out
end

return M
