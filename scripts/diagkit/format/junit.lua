-- JUnit XML for CI systems (GitLab, Jenkins, GitHub test reporters): one
-- <testsuite> per playbook run, one <testcase> per finding.
--   critical, error  -> <failure type="critical|error">
--   warning          -> <failure type="warning"> (the run exits 1: CI should see it)
--   info             -> a passing testcase; the finding's text in <system-out>
--   no findings      -> one passing testcase "<playbook>: no findings"
--   errors           -> a testcase with <error type="playbook-error"> each
--   unknowns         -> a testcase with <error type="could-not-diagnose"> each
-- docs/report-formats.md has a sample.

local markup = require "diagkit.markup"

local el = markup.element

-- The finding as plain text: detail, evidence, remedy, next, refs.
local function body(f)
  local lines = {}
  if f.detail then lines[#lines + 1] = f.detail end
  for _, e in ipairs(f.evidence or {}) do
    local v = e.value
    if type(v) == "table" then v = require("diagkit.json").encode(v) end
    lines[#lines + 1] = string.format("%s: %s%s", e.kind, tostring(v), e.source and (" (" .. e.source .. ")") or "")
  end
  if f.remedy then lines[#lines + 1] = "remedy: " .. f.remedy end
  if f.next then lines[#lines + 1] = "next: diagkit run " .. f.next end
  for _, r in ipairs(f.refs or {}) do lines[#lines + 1] = "see: " .. r end
  return table.concat(lines, "\n")
end

local function testcase(classname, name, inner)
  return "    " .. el("testcase", { { "classname", classname }, { "name", name }, { "time", "0" } }, inner
    and ("\n      " .. inner .. "\n    ") or nil)
end

local function first_line(s)
  return tostring(s):match("[^\n]*")
end

return {
  render = function(report)
    local pb = report.playbook.id
    local classname = "diagkit." .. pb
    local cases, failures, errors = {}, 0, 0
    for _, f in ipairs(report.findings) do
      local name = f.id .. ": " .. f.title
      if f.severity == "info" then
        cases[#cases + 1] = testcase(classname, name, el("system-out", nil, markup.text(body(f))))
      else
        failures = failures + 1
        cases[#cases + 1] = testcase(classname, name, el("failure",
          { { "type", f.severity }, { "message", f.title } }, markup.text(body(f))))
      end
    end
    for _, e in ipairs(report.errors) do
      errors = errors + 1
      cases[#cases + 1] = testcase(classname, pb .. ": playbook failed",
        el("error", { { "type", "playbook-error" }, { "message", first_line(e) } }, markup.text(e)))
    end
    for _, u in ipairs(report.unknowns) do
      errors = errors + 1
      cases[#cases + 1] = testcase(classname, pb .. ": could not diagnose",
        el("error", { { "type", "could-not-diagnose" }, { "message", first_line(u) } }, markup.text(u)))
    end
    if #cases == 0 then cases[1] = testcase(classname, pb .. ": no findings") end

    local props = {
      { "diagkit.version", report.tool.version }, { "playbook.version", report.playbook.version },
      { "status", report.status }, { "exit_status", tostring(report.exit_status) },
    }
    for _, k in ipairs { "os", "arch", "os_version" } do
      if report.host[k] then props[#props + 1] = { "host." .. k, report.host[k] } end
    end
    local argv = report.params and report.params.argv
    if type(argv) == "table" then props[#props + 1] = { "program", table.concat(argv, " ") } end
    local plines = {}
    for i, p in ipairs(props) do
      plines[i] = "      " .. el("property", { { "name", p[1] }, { "value", p[2] } })
    end

    local time = string.format("%.3f", report.duration_ms / 1000)
    local counts = { { "tests", tostring(#cases) }, { "failures", tostring(failures) },
      { "errors", tostring(errors) }, { "skipped", "0" }, { "time", time } }
    local suite_attrs = { { "name", classname } }
    for _, c in ipairs(counts) do suite_attrs[#suite_attrs + 1] = c end
    suite_attrs[#suite_attrs + 1] = { "timestamp", (report.started:gsub("Z$", "")) }
    suite_attrs[#suite_attrs + 1] = { "hostname", report.host.hostname or "localhost" }
    local suite = el("testsuite", suite_attrs, "\n    " .. el("properties", nil,
      "\n" .. table.concat(plines, "\n") .. "\n    ") .. "\n" .. table.concat(cases, "\n") .. "\n  ")
    local all = { { "name", "diagkit" } }
    for _, c in ipairs(counts) do all[#all + 1] = c end
    return '<?xml version="1.0" encoding="UTF-8"?>\n' .. el("testsuites", all, "\n  " .. suite .. "\n") .. "\n"
  end,
}
