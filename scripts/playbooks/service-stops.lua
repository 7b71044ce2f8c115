-- service-stops: why a service does not start or stops unexpectedly.
--
-- Windows: the service's configuration (a SYSTEM hive's Services\<name> key,
-- `sc qc` text, or live `sc qc` on Windows), its status (`sc queryex`: the
-- WIN32_EXIT_CODE / SERVICE_EXIT_CODE pair), the Service Control Manager's
-- events in System.evtx (through the event-log playbook), and the binary
-- itself when it is at hand (a Go program with no service support is the
-- classic 7000/7009).
-- Linux: `systemctl show` properties (Result=, ExecMainStatus with systemd's
-- own 200-245 codes, NRestarts, memory limits) and the unit's journal
-- (`journalctl -o json`: errors, kernel OOM kills, Go panics), live when
-- systemd runs, else from saved files.

local files = require "diagkit.files"
local service = require "diagkit.service"

local STATE = { [1] = "STOPPED", [2] = "START_PENDING", [3] = "STOP_PENDING", [4] = "RUNNING",
  [5] = "CONTINUE_PENDING", [6] = "PAUSE_PENDING", [7] = "PAUSED" }

local function first_reading(ctx, n, context)
  local list = ctx.codes.lookup(n, context and { context = context } or nil) or {}
  return list[1], list
end

local function code_text(r, n)
  if not r then return tostring(n) end
  return string.format("%s (%s)%s", r.name or r.hex or tostring(n), r.hex or tostring(n),
    r.message and (": " .. r.message) or "")
end

-- {{{ Windows -----------------------------------------------------------------

-- The service's key in an offline SYSTEM hive -> config table, or nil, why.
local function config_from_hive(ctx, hive_path, name)
  local h, err = ctx.reg.open(hive_path)
  if not h then return nil, err end
  local base
  for _, cs in ipairs { "CurrentControlSet", "ControlSet001" } do
    local k = cs .. "\\Services\\" .. name
    if h:key(k) then base = k break end
  end
  if not base then
    local names = h:subkeys("CurrentControlSet\\Services") or h:subkeys("ControlSet001\\Services") or {}
    h:close()
    return nil, "no service '" .. name .. "' in " .. hive_path, names
  end
  local function val(n)
    local v = h:value(base, n)
    return v and v.data
  end
  local cfg = {
    source = "hive " .. hive_path .. " \\" .. base,
    image = val("ImagePath"), start = val("Start"), type = val("Type"), account = val("ObjectName"),
    depends = val("DependOnService"), display = val("DisplayName"),
  }
  local raw = h:raw(base, "FailureActions")
  if raw then cfg.failure_actions = ctx.reg.failure_actions(raw) end
  cfg.missing_depends = {}
  for _, d in ipairs(type(cfg.depends) == "table" and cfg.depends or {}) do
    if not h:key(base:match("^(.-\\Services\\)") .. d) then cfg.missing_depends[#cfg.missing_depends + 1] = d end
  end
  h:close()
  return cfg
end

local function config_from_sc(text, source)
  local sc = service.parse_sc(text)
  if sc.error then return nil, "sc says: " .. sc.error_text, nil, sc end
  local f = sc.fields
  local start = service.sc_number(f.START_TYPE)
  local cfg = {
    source = source, image = f.BINARY_PATH_NAME, start = start, account = f.SERVICE_START_NAME,
    depends = sc.lists.DEPENDENCIES, display = f.DISPLAY_NAME, state = f.STATE,
    win32_exit = f.WIN32_EXIT_CODE and service.sc_number(f.WIN32_EXIT_CODE),
    service_exit = f.SERVICE_EXIT_CODE and service.sc_number(f.SERVICE_EXIT_CODE),
    pid = f.PID and tonumber(f.PID),
  }
  return cfg, nil, nil, sc
end

-- Go's service support, read from the binary: the function names of
-- x/sys/windows/svc or kardianos/service are in every Go binary's pclntab.
local function go_service_support(ctx, path)
  local go = ctx.deps.gobuild(path)
  if not go then return nil end
  local data = files.read(path) or ""
  local has_svc = data:find("golang.org/x/sys/windows/svc.Run", 1, true) ~= nil
      or data:find("golang.org/x/sys/windows/svc.StartServiceCtrlDispatcher", 1, true) ~= nil
  local has_kardianos = data:find("github.com/kardianos/service", 1, true) ~= nil
  return { go_version = go.go_version, main = go.main and go.main.path, svc = has_svc, kardianos = has_kardianos,
    windowsgui = go.windowsgui }
end

local function windows(ctx, p)
  local name = p.service
  local cfg, err, names, sc
  if p.sc_text then
    local text, ferr = files.read(p.sc_text)
    if not text then return ctx:unknown("cannot read sc_text: " .. ferr) end
    cfg, err, names, sc = config_from_sc(text, p.sc_text)
  elseif p.hive then
    cfg, err, names = config_from_hive(ctx, p.hive, name)
  elseif ctx.sys.platform().os == "windows" and ctx.svc then
    -- Live: the SCM itself (QueryServiceConfigW, QueryServiceStatusEx, failure actions).
    local q, qerr, qcode = ctx.svc.query(name)
    if q then
      local st = q.status or {}
      cfg = { source = "Service Control Manager (live)", image = q.image, start = q.start, account = q.account,
        depends = q.depends, display = q.display, state = STATE[st.state] or st.state, win32_exit = st.win32_exit,
        service_exit = st.service_exit, pid = st.pid, failure_actions = q.failure_actions }
    else
      err = qerr .. (qcode == 1060 and " (ERROR_SERVICE_DOES_NOT_EXIST)" or "")
    end
  elseif ctx.sys.platform().os == "windows" then
    local qc = ctx.proc.run { argv = { "sc.exe", "qc", name }, timeout = 10 }
    local qx = ctx.proc.run { argv = { "sc.exe", "queryex", name }, timeout = 10 }
    if qc and qc.stdout then
      cfg, err, names, sc = config_from_sc(qc.stdout .. "\n" .. ((qx and qx.stdout) or ""), "sc qc / sc queryex (live)")
    else
      err = "sc.exe could not be run"
    end
  end
  -- A hive gives the configuration only; sc text may add the status.
  if cfg and p.hive and p.sc_text then
    local hcfg = config_from_hive(ctx, p.hive, name)
    if hcfg then
      for k, v in pairs(hcfg) do if cfg[k] == nil then cfg[k] = v end end
    end
  end
  if not cfg and err then
    local hint = ""
    if names and #names > 0 then
      local closest = require("diagkit.playbook").closest(name, names)
      if closest then hint = " (did you mean '" .. closest .. "'?)" end
    end
    ctx:finding {
      id = "service.not-found", severity = "error",
      title = string.format("Service %s does not exist%s", name, hint),
      detail = err .. ". The SCM fails StartService with ERROR_SERVICE_DOES_NOT_EXIST (1060).",
      evidence = { { kind = "lookup", value = err } },
      remedy = "Check the service's key name (not its display name): `sc query state= all | findstr /i NAME`.",
    }
    return
  end
  if cfg then
    ctx:fact("config", cfg)
    if cfg.start == 4 then
      ctx:finding {
        id = "service.disabled", severity = "error", title = "Service " .. name .. " is disabled",
        detail = "Start is 4 (disabled): the SCM refuses to start it (ERROR_SERVICE_DISABLED, 1058).",
        evidence = { { kind = "config", value = { start = cfg.start, source = cfg.source } } },
        remedy = string.format("`sc config %s start= demand` (or auto), then start it.", name),
      }
    end
    local cands = service.unquoted_candidates(cfg.image)
    if cands then
      ctx:finding {
        id = "service.unquoted-image-path", severity = "warning",
        title = "ImagePath has spaces and no quotes: Windows tries " .. cands[1] .. " first",
        detail = "CreateProcess splits an unquoted path at each space and runs the first file that exists: "
          .. table.concat(cands, ", ") .. ". A file planted at an earlier candidate runs as the service account"
          .. " (CWE-428), and a folder name with spaces can stop the service from starting.",
        evidence = { { kind = "image-path", value = cfg.image, source = cfg.source } },
        remedy = string.format('Quote it: sc config %s binPath= "\\"%s\\""', name, cands[#cands]),
        refs = { "https://cwe.mitre.org/data/definitions/428.html" },
      }
    end
    for _, d in ipairs(cfg.missing_depends or {}) do
      ctx:finding {
        id = "service.dependency-missing", severity = "error",
        title = string.format("Service %s depends on %s, which does not exist", name, d),
        detail = "DependOnService names a service with no key: the SCM fails the start with"
          .. " ERROR_SERVICE_DEPENDENCY_DELETED (1075).",
        evidence = { { kind = "depends", value = cfg.depends } },
        remedy = "Install the missing service or remove it from the dependencies (sc config NAME depend= ...).",
      }
    end
    if cfg.failure_actions and #(cfg.failure_actions.actions or {}) > 0 then
      ctx:fact("failure_actions", cfg.failure_actions)
    end
    -- The last exit, from sc queryex.
    local w = cfg.win32_exit
    if w == 1077 then
      ctx:finding {
        id = "service.never-started", severity = "info",
        title = "Service " .. name .. " has not been started since the last boot",
        detail = "WIN32_EXIT_CODE 1077 (ERROR_SERVICE_NEVER_STARTED): there is no last exit to explain.",
        evidence = { { kind = "status", value = { state = cfg.state, win32_exit = w }, source = cfg.source } },
        remedy = string.format("Start it (`sc start %s`) and run this again, or read the System log's SCM events.", name),
      }
    elseif w and w ~= 0 then
      local code, ctxname = w, "windows"
      local detail
      if w == 1066 then
        code = cfg.service_exit or 0
        detail = string.format("WIN32_EXIT_CODE 1066 (ERROR_SERVICE_SPECIFIC_ERROR): the service set its own code,"
          .. " SERVICE_EXIT_CODE %d", code)
      else
        detail = "WIN32_EXIT_CODE " .. w
      end
      local r = first_reading(ctx, code, ctxname)
      local title
      if w == 1066 then
        -- The number is the program's own; a Win32 reading is only a guess.
        title = string.format("Service %s stopped with its own exit code %d (service-specific)", name, code)
        detail = detail .. (r and (". Read as a Win32 error it would be " .. code_text(r, code)) or "")
      else
        title = string.format("Service %s stopped with %s", name, code_text(r, code))
        detail = detail .. (r and r.message and (": " .. r.message) or "")
      end
      detail = detail:gsub("%.*$", "") .. "."
      ctx:finding {
        id = "service.exit-code", severity = "error",
        title = title,
        detail = detail,
        evidence = { { kind = "sc-queryex", value = { STATE = cfg.state, WIN32_EXIT_CODE = w,
          SERVICE_EXIT_CODE = cfg.service_exit } } },
        remedy = w == 1066 and "The number is the program's own: look it up in its documentation or logs."
          or "Look the code up with `diagkit explain`; the System log's SCM events say when it happened.",
        next = w == 1063 and nil or "exit-code",
      }
      if w == 1063 then
        ctx:finding {
          id = "service.no-dispatcher", severity = "error",
          title = "The program did not connect to the Service Control Manager (1063)",
          detail = "ERROR_FAILED_SERVICE_CONTROLLER_CONNECT: the process started as a plain console program"
            .. " and never called StartServiceCtrlDispatcher.",
          evidence = { { kind = "sc-queryex", value = { WIN32_EXIT_CODE = w } } },
          remedy = "Make the program a real service (Go: golang.org/x/sys/windows/svc or"
            .. " github.com/kardianos/service), or run it under a wrapper such as WinSW or NSSM.",
        }
      end
    end
  end

  -- The SCM's events about this service.
  if p.log and #p.log > 0 then
    local sub = ctx:run("event-log", { log = p.log, program = name })
    ctx:fact("events", sub and sub.counts or nil)
  end

  -- The binary: a Go console program registered as a service?
  local bin = p.binary
  if bin then
    local go = go_service_support(ctx, bin)
    if go then
      ctx:fact("go", go)
      if not go.svc and not go.kardianos then
        ctx:finding {
          id = "service.go-without-service-support", severity = "error",
          title = string.format("%s is a Go program with no Windows service support linked", bin:match("[^/\\]+$")),
          detail = string.format("Built with %s; neither golang.org/x/sys/windows/svc nor"
            .. " github.com/kardianos/service is in it, so it never calls StartServiceCtrlDispatcher: the SCM"
            .. " waits 30 s and logs 7009 (timeout) and 7000 (1053: did not respond to the start request)"
            .. " or the status shows 1063.", go.go_version or "Go"),
          evidence = { { kind = "go-build", value = { go_version = go.go_version, main = go.main } } },
          remedy = "Call svc.Run from golang.org/x/sys/windows/svc when svc.IsWindowsService() is true (or use"
            .. " kardianos/service); or register it through a service wrapper (WinSW, NSSM).",
          refs = { "https://pkg.go.dev/golang.org/x/sys/windows/svc" },
        }
      else
        ctx:finding {
          id = "service.go-service-support", severity = "info",
          title = "The Go program links " .. (go.svc and "golang.org/x/sys/windows/svc" or "kardianos/service"),
          detail = "It can talk to the SCM; a 7009/7000 then means it was slow to call svc.Run (work done"
            .. " before it in main or init) or crashed first.",
          evidence = { { kind = "go-build", value = { go_version = go.go_version, main = go.main } } },
        }
      end
    end
    -- Its DLLs, walked as the loader would (the missing-dll playbook): a missing
    -- one kills the process before main, and the SCM logs 7000 with the
    -- loader's status (0xC0000135) or 7009 when it waited in vain.
    local sub = ctx:run("missing-dll", { program = bin })
    local broken = {}
    for _, f in ipairs(sub.findings or {}) do
      if f.severity == "error" then broken[#broken + 1] = f.title end
    end
    if #broken > 0 then
      ctx:finding {
        id = "service.binary-cannot-load", severity = "error",
        title = string.format("%s cannot be loaded: %s", bin:match("[^/\\]+$"), broken[1]),
        detail = "The service's program fails in the loader before it can talk to the SCM ("
          .. #broken .. " loader problem(s); the deps.* findings name each one and its chain).",
        evidence = { { kind = "loader", value = broken, source = bin } },
        remedy = "Install or ship the missing DLLs next to the program (see the deps.* findings).",
        next = "missing-dll",
      }
    end
  end
end

-- }}}
-- {{{ Linux -------------------------------------------------------------------

local function linux(ctx, p)
  local unit = p.service
  if not unit:find("%.") then unit = unit .. ".service" end
  local props, source
  if p.systemctl_text then
    local text, err = files.read(p.systemctl_text)
    if not text then return ctx:unknown("cannot read systemctl_text: " .. err) end
    props, source = service.parse_systemctl_show(text), p.systemctl_text
  else
    if files.exists("/run/systemd/system") then
      local r = ctx.proc.run { argv = { "systemctl", "show", unit, "--no-pager" }, timeout = 10 }
      if r and r.status == "exited" and r.exit_code == 0 then
        props, source = service.parse_systemctl_show(r.stdout), "systemctl show " .. unit
      end
    end
  end
  local journal
  if p.journal then
    local text, err = files.read(p.journal)
    if not text then return ctx:unknown("cannot read journal: " .. err) end
    local bad
    journal, bad = service.parse_journal(text)
    if bad > 0 then ctx:fact("journal_bad_lines", bad) end
  elseif props then
    local r = ctx.proc.run { argv = { "journalctl", "-u", unit, "-o", "json", "-n", "500", "--no-pager" }, timeout = 20 }
    if r and r.stdout then journal = service.parse_journal(r.stdout) end
  end
  if not props and not journal then
    ctx:unknown("no systemd here (this machine does not run it): pass -p systemctl_text=FILE (from"
      .. " `systemctl show " .. unit .. "`) and/or -p journal=FILE (from `journalctl -u " .. unit .. " -o json`)")
    return
  end

  if props then
    ctx:fact("unit", { source = source, Result = props.Result, ActiveState = props.ActiveState,
      SubState = props.SubState, ExecMainCode = props.ExecMainCode, ExecMainStatus = props.ExecMainStatus,
      NRestarts = props.NRestarts, MemoryMax = props.MemoryMax, ExecStart = service.exec_path(props.ExecStart),
      User = props.User })
    if props.LoadState == "not-found" then
      ctx:finding {
        id = "service.not-found", severity = "error", title = "Unit " .. unit .. " does not exist",
        detail = "systemctl reports LoadState=not-found.",
        evidence = { { kind = "systemctl", value = { LoadState = props.LoadState } } },
        remedy = "`systemctl list-unit-files | grep NAME` for the right name; `systemctl daemon-reload` after adding a unit file.",
      }
      return
    end
    -- Can the unit's User= run its ExecStart= program? Only when the program
    -- is on this machine (live, or the saved text describes this machine).
    local exe = service.exec_path(props.ExecStart)
    local user = props.User ~= nil and props.User ~= "" and props.User or "root"
    if exe and exe:sub(1, 1) == "/" and ctx.access and files.exists(exe) then
      local ok, a = pcall(ctx.access.check, exe, "exec", { user = user })
      if ok and a and a.allowed == false then
        ctx:finding {
          id = "service.account-cannot-exec", severity = "error",
          title = string.format("User %s cannot execute %s", user, exe),
          detail = (a.rule and a.rule.text or "denied") .. (a.denied_at and a.denied_at.component
            and (" (at " .. a.denied_at.component .. ")") or "") .. ".",
          evidence = { { kind = "access", value = { user = user, path = exe, errno = a.errno,
            rule = a.rule and a.rule.kind } } },
          remedy = "diagkit run permissions -p path=" .. exe .. " -p want=exec -p user=" .. user
            .. " names the smallest fix.",
          next = "permissions",
        }
      end
    end
    local result = props.Result or "success"
    local status = tonumber(props.ExecMainStatus or "")
    local ev = { { kind = "systemctl", value = { Result = result, ExecMainCode = props.ExecMainCode,
      ExecMainStatus = props.ExecMainStatus, ActiveState = props.ActiveState, SubState = props.SubState },
      source = source } }
    if result == "exit-code" and status then
      local sd = service.SYSTEMD_EXIT[status]
      if sd then
        ctx:finding {
          id = "service.systemd-" .. sd[1]:lower():gsub("_", "-"), severity = "error",
          title = string.format("%s failed before its program ran: status %d/%s", unit, status, sd[1]),
          detail = string.format("systemd exits the service process with %d when %s.", status, sd[2]),
          evidence = ev,
          remedy = status == 203 and ("Check ExecStart= (" .. (service.exec_path(props.ExecStart) or "?") .. "): the path must be"
              .. " absolute, exist and be executable by User=" .. (props.User ~= "" and props.User or "root")
              .. "; a script needs a valid #! line.")
            or status == 217 and "Create the user (or fix User=)."
            or "The journal line just before this one names the setting and the path.",
          refs = { "https://www.freedesktop.org/software/systemd/man/systemd.exec.html#Process%20Exit%20Codes" },
          next = status == 203 and "permissions" or nil,
        }
      else
        local r = first_reading(ctx, status, "linux")
        ctx:finding {
          id = "service.exit-code", severity = "error",
          title = string.format("%s's program exited with status %d", unit, status),
          detail = "Result=exit-code: " .. code_text(r, status) .. ".",
          evidence = ev,
          remedy = "The program's own last log lines (below, from the journal) say why.",
          next = status == 2 and "go-crash" or "exit-code",
        }
      end
    elseif result == "signal" or result == "core-dump" then
      local sig = props.ExecMainStatus
      local r = first_reading(ctx, tonumber(sig) or sig, "linux")
      ctx:finding {
        id = "service.killed", severity = "error",
        title = string.format("%s's program was killed by signal %s%s", unit, (r and r.name) or sig,
          result == "core-dump" and " (core dumped)" or ""),
        detail = "Result=" .. result .. ".", evidence = ev,
        remedy = result == "core-dump" and "`coredumpctl gdb " .. (props.ExecMainPID or "") .. "` for a backtrace."
          or "Something sent the signal: the journal and `journalctl -k` say who (OOM killer, a timeout, an admin).",
      }
    elseif result == "oom-kill" then
      ctx:finding {
        id = "service.oom-kill", severity = "error", title = unit .. " was killed by the OOM killer",
        detail = string.format("Result=oom-kill; MemoryMax=%s, MemoryCurrent=%s.", props.MemoryMax or "?",
          props.MemoryCurrent or "?"),
        evidence = ev,
        remedy = "Raise MemoryMax= (or the machine's memory), or find what grows: heap profiles, gctrace for Go"
          .. " (diagkit run go-memory -p log=FILE reads a Go program's gctrace).",
      }
    elseif result == "timeout" then
      ctx:finding {
        id = "service.timeout", severity = "error", title = unit .. " timed out",
        detail = string.format("Result=timeout: it did not finish starting (or stopping) in time"
          .. " (TimeoutStartUSec=%s). A Type=notify service must call sd_notify(READY=1); a Type=forking one must fork.",
          props.TimeoutStartUSec or "?"),
        evidence = ev,
        remedy = "Check Type= against what the program does; raise TimeoutStartSec= if it is only slow.",
      }
    elseif result == "start-limit-hit" then
      ctx:finding {
        id = "service.start-limit", severity = "error", title = unit .. " restarted too often and was given up",
        detail = string.format("Result=start-limit-hit after %s restarts: the real failure is the one before.",
          props.NRestarts or "?"),
        evidence = ev,
        remedy = "Fix the first failure (the journal's earlier lines); `systemctl reset-failed " .. unit .. "` to retry.",
      }
    elseif result ~= "success" then
      ctx:finding {
        id = "service.result", severity = "error", title = unit .. " failed: Result=" .. result,
        detail = "See systemd.exec(5) and systemd.service(5) for this result.", evidence = ev,
      }
    end
    local restarts = tonumber(props.NRestarts or "")
    if restarts and restarts > 0 and result ~= "start-limit-hit" then
      ctx:finding {
        id = "service.restart-loop", severity = "warning",
        title = string.format("%s has been restarted %d times", unit, restarts),
        detail = "Restart= brings it back after each failure; it keeps failing.",
        evidence = { { kind = "systemctl", value = { NRestarts = props.NRestarts, Restart = props.Restart } } },
      }
    end
  end

  if journal then
    local errors, oom, unit_lines = {}, nil, {}
    local stem = unit:gsub("%.service$", "")
    for _, e in ipairs(journal) do
      local msg = e.MESSAGE or ""
      local mine = e._SYSTEMD_UNIT == unit or e.UNIT == unit or e.SYSLOG_IDENTIFIER == stem
      if mine then
        unit_lines[#unit_lines + 1] = msg
        if tonumber(e.PRIORITY or "6") <= 3 then errors[#errors + 1] = msg end
      end
      if msg:find("Out of memory: Killed process", 1, true) or msg:find("oom-kill:", 1, true) then
        if e._TRANSPORT == "kernel" or not e._SYSTEMD_UNIT then oom = oom or msg end
      end
    end
    ctx:fact("journal", { entries = #journal, unit_lines = #unit_lines })
    if #errors > 0 then
      local last = {}
      for i = math.max(1, #errors - 4), #errors do last[#last + 1] = errors[i] end
      ctx:finding {
        id = "service.journal-errors", severity = "warning",
        title = string.format("The journal has %d error line(s) for %s", #errors, unit),
        detail = "The last ones: " .. last[#last],
        evidence = { { kind = "journal", value = last, source = p.journal or "journalctl" } },
      }
    end
    if oom then
      ctx:finding {
        id = "service.kernel-oom", severity = "error", title = "The kernel's OOM killer killed a process",
        detail = oom, evidence = { { kind = "kernel", value = oom } },
        remedy = "See which process and cgroup it chose and how much each held: `journalctl -k -g 'Out of memory|oom-kill'`"
          .. " (the lines above it list every task's memory).",
      }
    end
    -- A Go program's panic, as printed to the journal line by line.
    if ctx.gocrash and #unit_lines > 0 then
      local text = table.concat(unit_lines, "\n")
      local ok, g = pcall(ctx.gocrash.parse, text, { goroutines = false })
      if ok and g and (g.kind == "panic" or g.kind == "fatal") then
        local fu = g.first_user_frame
        ctx:finding {
          id = "service.go-" .. g.kind, severity = "error",
          title = string.format("The service's Go program %s: %s", g.kind == "panic" and "panicked" or "hit a fatal error",
            g.message or "?"),
          detail = fu and string.format("First frame in its own code: %s at %s:%d.", fu.func, fu.file, fu.line or 0)
            or "The journal holds the runtime's report.",
          evidence = { { kind = "journal", value = (g.kind == "panic" and "panic: " or "fatal error: ") .. (g.message or "") } },
          remedy = "diagkit run go-crash -p log=FILE on the unit's journal text gives the whole analysis.",
          next = "go-crash",
        }
      end
    end
  end
end

-- }}}

return diagkit.playbook {
  id = "service-stops",
  title = "Why does this service not start, or stop unexpectedly?",
  version = "1.0.0",
  summary = "A Windows service (SCM configuration, exit codes, System log events, the binary) or a systemd"
    .. " unit (Result=, systemd's exit codes, restarts, the journal): live, or from saved files on any OS.",
  platforms = { "linux", "windows" },
  params = {
    service = { type = "string", required = true, help = "the service's name (Windows key name, or systemd unit)" },
    hive = { type = "path", help = "an offline SYSTEM hive (Windows configuration)" },
    log = { type = "list", help = "System.evtx (and more .evtx) with the SCM's events" },
    sc_text = { type = "path", help = "saved output of `sc qc NAME` and `sc queryex NAME`" },
    binary = { type = "path", help = "the service's program, to read (Go service support)" },
    systemctl_text = { type = "path", help = "saved output of `systemctl show UNIT`" },
    journal = { type = "path", help = "saved output of `journalctl -u UNIT -o json`" },
    os = { type = "choice", choices = { "auto", "windows", "linux" }, default = "auto",
      help = "which kind of service (auto: from the inputs given, else this machine)" },
  },
  examples = {
    "diagkit run service-stops -p service=MyGoSvc -p hive=SYSTEM -p log=System.evtx -p binary=mygosvc.exe",
    "diagkit run service-stops -p service=MyGoSvc -p sc_text=sc.txt",
    "diagkit run service-stops -p service=api -p systemctl_text=show.txt -p journal=journal.json",
    "diagkit run service-stops -p service=nginx        (live, on a systemd machine or Windows)",
  },
  run = function(ctx, p)
    local os_kind = p.os
    if os_kind == "auto" then
      if p.hive or p.sc_text or (p.log and #p.log > 0) or p.binary then os_kind = "windows"
      elseif p.systemctl_text or p.journal then os_kind = "linux"
      else os_kind = ctx.sys.platform().os == "windows" and "windows" or "linux" end
    end
    ctx:fact("service", { name = p.service, os = os_kind })
    if os_kind == "windows" then windows(ctx, p) else linux(ctx, p) end
  end,
}
