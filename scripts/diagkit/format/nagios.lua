-- Nagios/Icinga plugin output: one status line, perfdata, then one line per
-- finding (the plugin "long output"). The exit status (0/1/2/3) is the
-- CLI's, which already follows the plugin convention.
--   DIAGKIT EXIT-CODE CRITICAL - 1 error(s), 0 warning(s): <title> | errors=1;;;0 ...

local states = { ok = "OK", warning = "WARNING", error = "CRITICAL", unknown = "UNKNOWN" }

-- The status line and perfdata must stay on one line and must not contain
-- the '|' that separates them.
local function clean(s)
  return (tostring(s):gsub("[\r\n|]", " "))
end

return {
  render = function(report)
    local c = report.counts
    local errors, warnings = c.error + c.critical, c.warning
    local first = report.findings[1]
    local summary = string.format("%d error(s), %d warning(s)", errors, warnings)
    if first then
      summary = summary .. ": " .. clean(first.title)
    elseif report.status == "unknown" then
      local why = report.errors[1] or report.unknowns[1] or "could not diagnose"
      summary = "could not diagnose: " .. clean(why:match("[^\n]*"))
    end
    local line = string.format("DIAGKIT %s %s - %s", report.playbook.id:upper(),
      states[report.status], summary)
    -- An UNKNOWN result has no trustworthy numbers: print no perfdata then.
    if report.status ~= "unknown" then
      line = line .. string.format(" | errors=%d;;;0 warnings=%d;;;0 duration=%.3fs;;;0",
        errors, warnings, report.duration_ms / 1000)
    end
    local out = { line }
    for _, f in ipairs(report.findings) do
      out[#out + 1] = string.format("%s: %s", f.severity:upper(), clean(f.title))
    end
    return table.concat(out, "\n") .. "\n"
  end,
}
