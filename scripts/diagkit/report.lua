-- The report: what one run found, as plain data (schema diagkit.report/1,
-- documented in docs/report-schema.md and docs/report.schema.json). The
-- formatters in diagkit/format/ only turn this table into text; they never
-- gather facts or decide severities.

local json = require "diagkit.json"

local M = {}

M.SCHEMA = "diagkit.report/1"

-- Severity scale, lowest first, and what each means for the exit status.
M.severities = { "info", "warning", "error", "critical" }
local rank = { info = 1, warning = 2, error = 3, critical = 4 }
M.rank = rank

-- Exit statuses (the Nagios plugin convention; 64 is sysexits' EX_USAGE).
-- ioerr: EX_IOERR (sysexits.h), a command's output could not be written
-- (a run whose report cannot be written is unknown, 3).
M.EXIT = { ok = 0, warning = 1, error = 2, unknown = 3, usage = 64, ioerr = 74 }

local finding_fields = {
  id = "string", severity = "string", title = "string", detail = "string",
  evidence = "table", remedy = "string", refs = "table", ["next"] = "string", -- a playbook id
  confidence = "string", playbook = "string",
}

--- Checks a finding as a playbook wrote it; raises naming the problem.
--- s cut to max bytes (default 2000) with "... (N more bytes cut)": what a
--- program printed goes into a report bounded, whatever it printed.
function M.clip(s, max)
  max = max or 2000
  if #s <= max then return s end
  return s:sub(1, max) .. string.format(" ... (%d more bytes cut)", #s - max)
end

function M.check_finding(f, playbook_id)
  local where = "finding from " .. tostring(playbook_id)
  if type(f) ~= "table" then error(where .. ": a finding is a table", 3) end
  for k, v in pairs(f) do
    local want = finding_fields[k]
    if not want then error(string.format("%s: unknown field '%s'", where, tostring(k)), 3) end
    if type(v) ~= want then
      error(string.format("%s: field '%s' must be a %s", where, k, want), 3)
    end
  end
  if not f.id or not f.id:match("^[a-z0-9][a-z0-9._-]*$") then
    error(where .. ": id must be a stable lower-case name such as 'exit.signal.sigsegv'", 3)
  end
  if not rank[f.severity] then
    error(string.format("%s: severity must be info, warning, error or critical, got '%s'",
      where, tostring(f.severity)), 3)
  end
  if not f.title or f.title == "" then error(where .. ": title is required", 3) end
  for i, e in ipairs(f.evidence or {}) do
    if type(e) ~= "table" or type(e.kind) ~= "string" or e.value == nil then
      error(string.format("%s: evidence[%d] must be {kind=..., value=...}", where, i), 3)
    end
  end
end

local function platform_facts()
  local ok, sys = pcall(require, "diagkit.sys")
  if not ok then return {} end
  local p = sys.platform()
  return { os = p.os, arch = p.arch, os_version = p.os_version, hostname = p.hostname,
    wine = p.wine or nil }
end

local function version()
  local ok, host = pcall(require, "diagkit.host")
  if ok and type(host) == "table" then return host.version end
  local core_ok, core = pcall(require, "diagkit.core")
  return core_ok and core.version or "unknown"
end

--- The overall status from the findings (and whether the run failed).
function M.status_of(findings, errors, unknowns)
  if #errors > 0 then return "unknown" end
  local worst = 0
  for _, f in ipairs(findings) do worst = math.max(worst, rank[f.severity]) end
  if worst >= rank.error then return "error" end
  if worst == rank.warning then return "warning" end
  if #unknowns > 0 then return "unknown" end
  return "ok"
end

-- Findings sorted most severe first; stable within one severity.
local function sorted(findings)
  local out = {}
  for i, f in ipairs(findings) do out[i] = { f = f, i = i } end
  table.sort(out, function(a, b)
    local ra, rb = rank[a.f.severity], rank[b.f.severity]
    if ra ~= rb then return ra > rb end
    return a.i < b.i
  end)
  for i, e in ipairs(out) do
    local f = e.f
    f.evidence = json.array(f.evidence or {})
    f.refs = json.array(f.refs or {})
    out[i] = f
  end
  return json.array(out)
end

--- Builds the report table from one run's results.
function M.new(r)
  local status = M.status_of(r.findings, r.errors, r.unknowns)
  local def = r.playbook
  local counts = { info = 0, warning = 0, error = 0, critical = 0 }
  for _, f in ipairs(r.findings) do counts[f.severity] = counts[f.severity] + 1 end
  return {
    schema = M.SCHEMA,
    tool = { name = "diagkit", version = version() },
    host = platform_facts(),
    playbook = { id = def.id, title = def.title, version = def.version },
    params = r.params,
    started = os.date("!%Y-%m-%dT%H:%M:%SZ", r.started),
    duration_ms = math.floor(r.duration_ms * 1000 + 0.5) / 1000,
    status = status,
    exit_status = M.EXIT[status],
    counts = counts,
    findings = sorted(r.findings),
    facts = r.facts,
    unknowns = json.array(r.unknowns),
    errors = json.array(r.errors),
  }
end

return M
