-- Prometheus text exposition format, for node_exporter's textfile collector
-- (write it with -o to a .prom file in --collector.textfile.directory, one
-- file per playbook: each file may declare a metric family only once):
--   diagkit_findings{playbook,severity}       findings per severity, zeros included
--   diagkit_status{playbook}                  the exit status: 0 ok, 1 warning, 2 error, 3 unknown
--   diagkit_run_duration_seconds{playbook}    the playbook's wall time
--   diagkit_last_run_timestamp_seconds{playbook}  when the run started (Unix time)
-- No sample timestamps: the textfile collector rejects them.

local report_mod = require "diagkit.report"

-- Label values: UTF-8, with backslash, double quote and newline escaped
-- (https://prometheus.io/docs/instrumenting/exposition_formats/).
local function label(v)
  v = require("diagkit.markup").clean(v)
  return (v:gsub('[\\"\n]', { ["\\"] = "\\\\", ['"'] = '\\"', ["\n"] = "\\n" }))
end

-- Seconds since the epoch of the report's "YYYY-MM-DDTHH:MM:SSZ", computed
-- from the civil date (os.time would apply the local time zone).
local function epoch(iso)
  local y, mo, d, h, mi, s = tostring(iso):match("^(%d+)%-(%d%d)%-(%d%d)T(%d%d):(%d%d):(%d%d)Z$")
  if not y then return nil end
  y, mo, d = tonumber(y), tonumber(mo), tonumber(d)
  if mo <= 2 then y = y - 1 end
  local era = y // 400
  local yoe = y - era * 400
  local doy = (153 * (mo > 2 and mo - 3 or mo + 9) + 2) // 5 + d - 1
  local days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
  return days * 86400 + tonumber(h) * 3600 + tonumber(mi) * 60 + tonumber(s)
end

-- A sample value as the format wants it (Go's ParseFloat syntax).
local function num(v)
  if math.type(v) == "integer" then return tostring(v) end
  if v ~= v then return "NaN" end
  if v == math.huge then return "+Inf" end
  if v == -math.huge then return "-Inf" end
  for digits = 15, 17 do -- the shortest text that reads back as v
    local s = string.format("%." .. digits .. "g", v)
    if tonumber(s) == v or digits == 17 then return s end
  end
end

local families = {
  { "diagkit_findings", "Findings of the last diagkit run of a playbook, by severity." },
  { "diagkit_status", "Exit status of the last diagkit run: 0 ok, 1 warning, 2 error, 3 could not diagnose." },
  { "diagkit_run_duration_seconds", "Wall time of the last diagkit run of a playbook." },
  { "diagkit_last_run_timestamp_seconds", "Start of the last diagkit run of a playbook, in seconds since the epoch." },
}

return {
  render = function(report)
    local pb = 'playbook="' .. label(report.playbook.id) .. '"'
    local samples = { diagkit_findings = {} }
    for _, sev in ipairs(report_mod.severities) do
      local s = samples.diagkit_findings
      s[#s + 1] = string.format('diagkit_findings{%s,severity="%s"} %s', pb, sev, num(report.counts[sev] or 0))
    end
    samples.diagkit_status = { string.format("diagkit_status{%s} %s", pb, num(report.exit_status)) }
    samples.diagkit_run_duration_seconds = { string.format("diagkit_run_duration_seconds{%s} %s", pb,
      num(report.duration_ms / 1000)) }
    local t = epoch(report.started)
    samples.diagkit_last_run_timestamp_seconds = t and
      { string.format("diagkit_last_run_timestamp_seconds{%s} %s", pb, num(t)) } or {}
    local out = {}
    for _, fam in ipairs(families) do
      if #samples[fam[1]] > 0 then
        out[#out + 1] = "# HELP " .. fam[1] .. " " .. fam[2]
        out[#out + 1] = "# TYPE " .. fam[1] .. " gauge"
        for _, line in ipairs(samples[fam[1]]) do out[#out + 1] = line end
      end
    end
    return table.concat(out, "\n") .. "\n"
  end,
}
