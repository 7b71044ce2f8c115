-- diagkit merge: many JSON reports (diagkit.report/1, e.g. fetched from a
-- fleet by examples/ansible/) in one summary: which hosts have which
-- findings, with counts per host and per finding (issue 8, docs/fleet.md).

local cliargs = require "diagkit.cliargs"
local json = require "diagkit.json"
local report = require "diagkit.report"
local usage_error = cliargs.usage_error

local M = {}

M.summary = "many JSON reports in one table: which hosts have which findings"
M.help = [[
Usage: diagkit merge REPORT.json... [--by-file] [--format text|json]
Reads reports written by 'diagkit run ... --format json' (one or more per host,
e.g. fetched by examples/ansible/) and prints one summary: each finding with the
hosts that have it, then each host with its status and counts.
  --by-file           name hosts by the report's file name (reports/web1.json -> web1)
                      instead of the hostname inside the report
  -f, --format FORMAT text (default) or json (schema diagkit.merge/1, see docs/fleet.md)
A report without a hostname is named by its file name.
Exit status: the worst of the reports: 0 all ok, 1 warnings, 2 errors (on any host),
3 could not diagnose somewhere (and no errors), 64 usage error or a file that is not
a diagkit report (named on stderr).
]]

local OPTIONS = {
  ["--format"] = "format", ["-f"] = "format",
  ["--by-file"] = true, ["--by-file#"] = "by_file",
}

M.SCHEMA = "diagkit.merge/1"

local SEVERITY_RANK = report.rank -- info 1 .. critical 4
local STATUS_EXIT = { ok = 0, warning = 1, error = 2, unknown = 3 }
-- Which status is worse when combining: an error somewhere outweighs a host
-- that could not be diagnosed (as within one report, see report.status_of).
local STATUS_RANK = { ok = 0, warning = 1, unknown = 2, error = 3 }

local function is_array(v)
  return type(v) == "table" and json.is_array(v)
end

--- Checks that a decoded value is a diagkit.report/1; returns true or nil and
--- what is wrong (naming the field).
function M.validate(rep)
  if type(rep) ~= "table" or getmetatable(rep) ~= nil then
    return nil, "not a JSON object"
  end
  if rep.schema ~= report.SCHEMA then
    return nil, string.format("schema is %s, not %s", rep.schema == nil and "missing"
      or ("'" .. tostring(rep.schema) .. "'"), report.SCHEMA)
  end
  if STATUS_EXIT[rep.status] == nil then
    return nil, string.format("status '%s' is not ok, warning, error or unknown", tostring(rep.status))
  end
  if rep.exit_status ~= STATUS_EXIT[rep.status] then
    return nil, string.format("exit_status %s does not match status '%s'", tostring(rep.exit_status), rep.status)
  end
  if type(rep.playbook) ~= "table" or type(rep.playbook.id) ~= "string" then
    return nil, "playbook.id is missing"
  end
  if rep.host ~= nil and type(rep.host) ~= "table" then return nil, "host is not an object" end
  if rep.host and rep.host.hostname ~= nil and type(rep.host.hostname) ~= "string" then
    return nil, "host.hostname is not a string"
  end
  if not is_array(rep.findings) then return nil, "findings is not an array" end
  for i, f in ipairs(rep.findings) do
    if type(f) ~= "table" then return nil, string.format("findings[%d] is not an object", i) end
    if type(f.id) ~= "string" or not f.id:match("^[a-z0-9][a-z0-9._-]*$") then
      return nil, string.format("findings[%d].id is missing or not a stable lower-case id", i)
    end
    if not SEVERITY_RANK[f.severity] then
      return nil, string.format("findings[%d].severity '%s' is not info, warning, error or critical", i,
        tostring(f.severity))
    end
    if type(f.title) ~= "string" then return nil, string.format("findings[%d].title is missing", i) end
  end
  return true
end

-- "reports/web1.json" -> "web1"
local function stem(path)
  local base = path:match("([^/\\]+)$") or path
  return (base:gsub("%.[jJ][sS][oO][nN]$", ""))
end

--- Reads and validates one report file; returns the report or nil, message.
function M.load(path)
  local text, err = require("diagkit.files").read_input(path)
  if not text then return nil, err end -- names the path
  text = text:gsub("^\239\187\191", "") -- a UTF-8 BOM (PowerShell's Out-File)
  if text:match("^%s*$") then return nil, path .. ": empty file, not a diagkit report" end
  local rep, jerr = json.decode(text)
  if rep == nil then return nil, string.format("%s: not JSON: %s", path, jerr) end
  local ok, verr = M.validate(rep)
  if not ok then return nil, string.format("%s: not a diagkit report: %s", path, verr) end
  return rep
end

local function worse_status(a, b)
  if a == nil then return b end
  return STATUS_RANK[b] > STATUS_RANK[a] and b or a
end

--- Merges loaded reports. items: list of {path=, report=}; opts.by_file names
--- hosts by file. Returns the summary table (schema diagkit.merge/1).
function M.merge(items, opts)
  opts = opts or {}
  local hosts, host_order = {}, {}
  local findings, finding_order = {}, {}
  local status
  for _, it in ipairs(items) do
    local rep = it.report
    local hostname = rep.host and rep.host.hostname
    local name = (not opts.by_file and hostname ~= nil and hostname ~= "") and hostname or stem(it.path)
    local h = hosts[name]
    if not h then
      h = { name = name, status = nil, counts = { info = 0, warning = 0, error = 0, critical = 0 },
        reports = json.array(), playbooks = json.array(), findings = json.array(), seen = {}, pb_seen = {} }
      hosts[name] = h
      host_order[#host_order + 1] = h
    end
    h.status = worse_status(h.status, rep.status)
    status = worse_status(status, rep.status)
    h.reports[#h.reports + 1] = it.path
    if not h.pb_seen[rep.playbook.id] then
      h.pb_seen[rep.playbook.id] = true
      h.playbooks[#h.playbooks + 1] = rep.playbook.id
    end
    for _, f in ipairs(rep.findings) do
      h.counts[f.severity] = h.counts[f.severity] + 1
      if not h.seen[f.id] then
        h.seen[f.id] = true
        h.findings[#h.findings + 1] = f.id
      end
      local g = findings[f.id]
      if not g then
        g = { id = f.id, severity = f.severity, title = f.title, playbook = f.playbook or rep.playbook.id,
          hosts = json.array(), occurrences = 0, host_seen = {} }
        findings[f.id] = g
        finding_order[#finding_order + 1] = g
      elseif SEVERITY_RANK[f.severity] > SEVERITY_RANK[g.severity] then
        -- the worst severity seen, with the title that went with it
        g.severity, g.title = f.severity, f.title
      end
      g.occurrences = g.occurrences + 1
      if not g.host_seen[name] then
        g.host_seen[name] = true
        g.hosts[#g.hosts + 1] = name
      end
    end
  end
  table.sort(host_order, function(a, b)
    if a.status ~= b.status then return STATUS_RANK[a.status] > STATUS_RANK[b.status] end
    return a.name < b.name
  end)
  table.sort(finding_order, function(a, b)
    local ra, rb = SEVERITY_RANK[a.severity], SEVERITY_RANK[b.severity]
    if ra ~= rb then return ra > rb end
    if #a.hosts ~= #b.hosts then return #a.hosts > #b.hosts end
    return a.id < b.id
  end)
  local out_hosts, out_findings = json.array(), json.array()
  for _, h in ipairs(host_order) do
    table.sort(h.findings, function(a, b)
      local ra, rb = SEVERITY_RANK[findings[a].severity], SEVERITY_RANK[findings[b].severity]
      if ra ~= rb then return ra > rb end
      return a < b
    end)
    out_hosts[#out_hosts + 1] = { name = h.name, status = h.status, exit_status = STATUS_EXIT[h.status],
      counts = h.counts, reports = h.reports, playbooks = h.playbooks, findings = h.findings }
  end
  for _, g in ipairs(finding_order) do
    table.sort(g.hosts)
    out_findings[#out_findings + 1] = { id = g.id, severity = g.severity, title = g.title, playbook = g.playbook,
      hosts = g.hosts, host_count = #g.hosts, occurrences = g.occurrences }
  end
  status = status or "ok"
  return { schema = M.SCHEMA, status = status, exit_status = STATUS_EXIT[status], reports = #items,
    hosts = out_hosts, findings = out_findings }
end

local function pad(s, n) return s .. string.rep(" ", n - #s) end

--- The summary as text: findings with their hosts, then hosts with their counts.
function M.render_text(m)
  local out = {}
  local function add(s) out[#out + 1] = s end
  if #m.findings > 0 then
    local w_id, w_sev = #"FINDING", #"SEVERITY"
    for _, g in ipairs(m.findings) do
      w_id, w_sev = math.max(w_id, #g.id), math.max(w_sev, #g.severity)
    end
    add(string.format("%s  %s  %s  %s", pad("FINDING", w_id), pad("SEVERITY", w_sev), "HOSTS", "TITLE"))
    local indent = string.rep(" ", w_id + w_sev + 11)
    for _, g in ipairs(m.findings) do
      add(string.format("%s  %s  %5d  %s", pad(g.id, w_id), pad(g.severity, w_sev), g.host_count, g.title))
      add(indent .. "on: " .. table.concat(g.hosts, ", "))
    end
  else
    add("No findings on any host.")
  end
  add("")
  local w_host = #"HOST"
  for _, h in ipairs(m.hosts) do w_host = math.max(w_host, #h.name) end
  add(string.format("%s  %-7s  %6s  %8s  %4s  %s", pad("HOST", w_host), "STATUS", "ERRORS", "WARNINGS", "INFO",
    "FINDINGS"))
  for _, h in ipairs(m.hosts) do
    local c = h.counts
    add(string.format("%s  %-7s  %6s  %8s  %4s  %s", pad(h.name, w_host), h.status, tostring(c.error + c.critical),
      tostring(c.warning), tostring(c.info), #h.findings > 0 and table.concat(h.findings, " ") or "-"))
  end
  add("")
  local per = { ok = 0, warning = 0, error = 0, unknown = 0 }
  for _, h in ipairs(m.hosts) do per[h.status] = per[h.status] + 1 end
  add(string.format("Status: %s (%d report(s) from %d host(s): %d error, %d warning, %d unknown, %d ok)",
    m.status:upper(), m.reports, #m.hosts, per.error, per.warning, per.unknown, per.ok))
  return table.concat(out, "\n") .. "\n"
end

function M.run(args)
  local opts, files = cliargs.parse(args, 2, OPTIONS)
  local format = opts.format or "text"
  if format ~= "text" and format ~= "json" then usage_error("unknown format '%s' (text, json)", format) end
  if #files == 0 then usage_error("merge needs report files (diagkit merge reports/*.json)") end
  local items = {}
  for _, path in ipairs(files) do
    local rep, err = M.load(path)
    if not rep then usage_error("merge: %s", err) end
    items[#items + 1] = { path = path, report = rep }
  end
  local m = M.merge(items, { by_file = opts.by_file })
  if format == "json" then
    io.stdout:write(json.encode(m, { indent = "  " }), "\n")
  else
    io.stdout:write(M.render_text(m))
  end
  return m.exit_status
end

return M
