-- One self-contained HTML page for a report: inline CSS, no script, no
-- external assets (a Content-Security-Policy says so to the browser too).
-- The findings with their severity colour, detail, evidence, remedy and next
-- playbook; pictures drawn as inline SVG (diagkit/svg.lua) from the facts
-- that hold them (dependency tree, goroutine stacks, gctrace heap, access
-- path walk, ACE walk); then every fact. Every text goes through
-- diagkit.markup: program output cannot inject markup.

local markup = require "diagkit.markup"
local svg = require "diagkit.svg"
local json = require "diagkit.json"

local esc, el = markup.text, markup.element

local CSS = [[
body{font:14px/1.45 system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:16px 24px;color:#212121;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:18px;margin:28px 0 8px;border-bottom:1px solid #e0e0e0}
h3{font-size:15px;margin:0 0 6px}code,pre{font-family:ui-monospace,monospace;font-size:12.5px}
pre{white-space:pre-wrap;word-break:break-word;margin:2px 0;background:#fafafa;padding:4px 6px;border-radius:3px}
.status{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-weight:bold}
.meta{color:#616161;margin:2px 0}.meta span{margin-right:16px}
.finding{border-left:6px solid;padding:8px 12px;margin:10px 0;background:#fcfcfc;border-radius:0 4px 4px 0}
.sev{font-size:11px;font-weight:bold;color:#fff;padding:1px 6px;border-radius:3px;margin-right:6px}
.id{color:#757575;font-weight:normal;font-size:12px}
.critical{border-color:#7f0000}.critical .sev{background:#7f0000}
.error{border-color:#c62828}.error .sev,.status.error{background:#c62828}
.warning{border-color:#e69500}.warning .sev,.status.warning{background:#b26a00}
.info{border-color:#1565c0}.info .sev{background:#1565c0}
.status.ok{background:#2e7d32}.status.unknown{background:#6a1b9a}
dl{margin:4px 0;display:grid;grid-template-columns:max-content 1fr;gap:2px 12px}dt{color:#616161}dd{margin:0}
.src{color:#757575;font-size:12px}.label{font-weight:bold}
figure{margin:12px 0;overflow-x:auto}figcaption{color:#616161;margin-bottom:4px}
table{border-collapse:collapse;font-size:12.5px}td,th{border:1px solid #e0e0e0;padding:2px 6px;text-align:left;vertical-align:top}
.problem{color:#6a1b9a}
]]

local sev_label = { critical = "CRITICAL", error = "ERROR", warning = "WARNING", info = "INFO" }

local function scalar(v)
  if v == json.null then return "null" end
  if math.type(v) == "float" and v == v and v ~= math.huge and v ~= -math.huge then
    return (string.format("%.3f", v):gsub("0+$", ""):gsub("%.$", ""))
  end
  return tostring(v)
end

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, function(a, b) return tostring(a) < tostring(b) end)
  return keys
end

local MAX_ITEMS = 200

-- Any fact or evidence value as markup: scalars as code, lists of records as
-- a table, other lists as numbered lists, objects as definition lists.
local function value_html(v, depth)
  if type(v) ~= "table" or v == json.null then
    local s = scalar(v)
    return s:find("\n") and el("pre", nil, esc(s)) or el("code", nil, esc(s))
  end
  if depth > 6 then return el("code", nil, esc(json.encode(v))) end
  local n = #v
  if json.is_array(v) then
    local flat, columns, ncol = true, {}, 0
    for i = 1, n do
      if type(v[i]) == "table" and v[i] ~= json.null then
        for k, x in pairs(v[i]) do
          if type(x) == "table" and x ~= json.null then flat = false end
          if not columns[k] then columns[k] = true ncol = ncol + 1 end
        end
      else
        flat = false
      end
    end
    local words = n > 0
    for i = 1, n do
      if type(v[i]) == "table" or tostring(v[i]):find("%s") then words = false end
    end
    if words then -- a list of numbers or names: on one line
      local parts = {}
      for i = 1, n do parts[i] = scalar(v[i]) end
      return el("code", nil, esc(table.concat(parts, ", ")))
    end
    local shown = math.min(n, MAX_ITEMS)
    local more = n > shown and el("p", nil, esc(string.format("… %d more", n - shown))) or ""
    if flat and n > 0 and ncol <= 12 then
      local keys = sorted_keys(columns)
      local rows = { "<tr>" }
      for _, k in ipairs(keys) do rows[1] = rows[1] .. el("th", nil, esc(k)) end
      rows[1] = rows[1] .. "</tr>"
      for i = 1, shown do
        local cells = {}
        for c, k in ipairs(keys) do cells[c] = el("td", nil, v[i][k] ~= nil and esc(scalar(v[i][k])) or "") end
        rows[#rows + 1] = "<tr>" .. table.concat(cells) .. "</tr>"
      end
      return el("table", nil, table.concat(rows)) .. more
    end
    local items = {}
    for i = 1, shown do items[i] = el("li", nil, value_html(v[i], depth + 1)) end
    return el("ol", nil, table.concat(items)) .. more
  end
  local parts = {}
  for _, k in ipairs(sorted_keys(v)) do
    parts[#parts + 1] = el("dt", nil, esc(k)) .. el("dd", nil, value_html(v[k], depth + 1))
  end
  return el("dl", nil, table.concat(parts))
end

local function finding_html(f)
  local parts = { el("h3", nil, el("span", { { "class", "sev" } }, sev_label[f.severity]) .. esc(f.title)
    .. " " .. el("span", { { "class", "id" } }, "[" .. esc(f.id) .. "]")) }
  if f.detail then parts[#parts + 1] = el("pre", { { "class", "detail" } }, esc(f.detail)) end
  local ev = {}
  for _, e in ipairs(f.evidence or {}) do
    local where = e.source and (e.source .. (e.line and (":" .. tostring(e.line)) or "")) or nil
    ev[#ev + 1] = el("dt", nil, esc(e.kind)) .. el("dd", nil, value_html(e.value, 1)
      .. (where and el("div", { { "class", "src" } }, esc(where)) or ""))
  end
  if #ev > 0 then parts[#parts + 1] = el("dl", { { "class", "evidence" } }, table.concat(ev)) end
  if f.remedy then
    parts[#parts + 1] = el("div", { { "class", "remedy" } }, el("span", { { "class", "label" } }, "Remedy: ")
      .. el("pre", nil, esc(f.remedy)))
  end
  if f.next then
    parts[#parts + 1] = el("p", { { "class", "next" } }, el("span", { { "class", "label" } }, "Next: ")
      .. el("code", nil, esc("diagkit run " .. f.next)))
  end
  for _, r in ipairs(f.refs or {}) do
    -- only http(s) links are links: a javascript: or data: reference stays text
    local link = tostring(r):match("^https?://[^%s]+$") and el("a", { { "href", r } }, esc(r)) or esc(r)
    parts[#parts + 1] = el("p", { { "class", "ref" } }, "See: " .. link)
  end
  return el("article", { { "class", "finding " .. f.severity } }, table.concat(parts))
end

-- Pictures from facts -----------------------------------------------------

local function tbl(v) return type(v) == "table" and v ~= json.null end

local pictures = {}

-- missing-dll: the dependency tree, missing and problem modules marked.
function pictures.deps(facts)
  local d = facts.deps
  if not (tbl(d) and tbl(d.modules) and d.modules[1]) then return nil end
  local problem = {}
  for _, p in ipairs(tbl(d.problems) and d.problems or {}) do
    local name = p.module or p.name
    if name and p.severity ~= "info" then problem[name] = problem[name] or p end
  end
  local children, root = {}, d.modules[1]
  for i = 2, #d.modules do
    local m = d.modules[i]
    local parent = m.parent or root.name
    children[parent] = children[parent] or {}
    table.insert(children[parent], m)
  end
  local nodes, seen = {}, {}
  local function visit(m, depth)
    if seen[m.name] or #nodes >= 400 then return end
    seen[m.name] = true
    local p = problem[m.name]
    local state = (not m.found or (p and p.severity ~= "warning")) and "bad" or (p or m.delay) and "warn" or "ok"
    local note = not m.found and "missing" or nil
    if p then note = p.kind .. (p.code_hex and (" " .. p.code_hex) or "") end
    if m.delay and not p then note = "delay-loaded" end
    nodes[#nodes + 1] = { label = m.name, depth = depth, state = state, note = note,
      tip = string.format("%s: %s (%s)", m.name, m.path or "not found", m.how or "?") }
    for _, c in ipairs(children[m.name] or {}) do visit(c, depth + 1) end
  end
  visit(root, 0)
  return "Dependency tree", svg.tree("Dependency tree of " .. tostring(root.name), nodes),
    "Each library under the first module that needs it; red: missing or failing, amber: delay-loaded or a warning."
end

-- goroutine-leak: goroutines per stack in each dump.
function pictures.goroutines(facts, report)
  local b = facts.goroutine_buckets
  if not (tbl(b) and b[1]) then return nil end
  local series, dumps = {}, report.params and report.params.dump
  for i = 1, #b[1].counts do
    local name = tbl(dumps) and dumps[i] and tostring(dumps[i]):match("[^/\\]+$") or ("dump " .. i)
    series[i] = { name = name }
  end
  local groups = {}
  for i, x in ipairs(b) do groups[i] = { label = x.state .. "  " .. x.frame, values = x.counts } end
  return "Goroutines per stack", svg.bars("Goroutines per stack in each dump", series, groups),
    "The largest stacks of the last dump; one bar per dump, oldest first."
end

-- go-memory: live heap and heap goal after each GC.
function pictures.heap(facts)
  local s = facts.gc_series
  if not (tbl(s) and tbl(s.at_s) and s.at_s[1]) then return nil end
  local series = { { name = "live heap (MB)", values = s.live_mb, colour = "#1565c0" } }
  if tbl(s.goal_mb) then series[2] = { name = "heap goal (MB)", values = s.goal_mb, colour = "#ef6c00" } end
  return "Heap over time", svg.lines("Go heap after each GC", s.at_s, series, "seconds since start", "MB"),
    "From the gctrace lines: the live heap after each collection, and the goal of the next one."
end

-- permissions (POSIX): the path walk, the component that says no marked.
function pictures.access(facts)
  local a = facts.access
  if not (tbl(a) and tbl(a.steps) and a.steps[1]) then return nil end
  local nodes = {}
  for i, s in ipairs(a.steps) do
    local name = s.path == "/" and "/" or tostring(s.path):match("[^/]+/*$") or tostring(s.path)
    nodes[i] = { label = name, depth = i - 1, state = s.ok and "ok" or "bad",
      note = string.format("%s %s, %s needs %s%s", s.mode or "?", s.role or "", s.via or "-", s.need or "?",
        s.ok and "" or ": DENIED"), tip = s.text or s.path }
  end
  local last = a.steps[#a.steps]
  if not last.ok and type(a.path) == "string" and type(last.path) == "string" then
    local rest = a.path:sub(#last.path + 2)
    if a.path:sub(1, #last.path + 1) == last.path .. "/" then
      for part in rest:gmatch("[^/]+") do
        nodes[#nodes + 1] = { label = part, depth = #nodes, state = "skip", note = "not reached" }
      end
    end
  end
  return "Access check path walk", svg.tree("Path walk for " .. tostring(a.path), nodes),
    "Each component as the kernel checks it, from the root; red: the one that denies."
end

-- permissions (Windows): the ACE walk, the deciding ACE marked.
function pictures.aces(facts)
  local e = facts.evaluation
  if not (tbl(e) and tbl(e.steps) and e.steps[1]) then return nil end
  local nodes = {}
  for i, s in ipairs(e.steps) do
    local state = s.outcome == "denied" and "bad" or s.outcome == "granted" and "ok"
      or s.outcome == "deny-only" and "warn" or "skip"
    nodes[i] = { label = string.format("ACE #%s %s", tostring(s.ace), tostring(s.sddl)), depth = 0, state = state,
      note = tostring(s.outcome) .. ((tonumber(s.bits) or 0) > 0 and string.format(" 0x%x", s.bits) or "") }
  end
  return "ACE walk", svg.tree("ACE walk for token " .. tostring(e.token), nodes),
    "The DACL in order; green grants, red denies, amber deny-only, grey does not apply."
end

local picture_order = { "deps", "goroutines", "heap", "access", "aces" }

return {
  render = function(report)
    local out = {}
    local function add(s) out[#out + 1] = s end
    local title = string.format("diagkit %s: %s", report.playbook.id, report.status:upper())
    add("<!DOCTYPE html>")
    add('<html lang="en"><head><meta charset="utf-8">')
    add([[<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">]])
    add('<meta name="viewport" content="width=device-width, initial-scale=1">')
    add(el("title", nil, esc(title)))
    add(el("style", nil, CSS) .. "</head><body>")
    add(el("h1", nil, esc(report.playbook.id) .. " " .. el("span", { { "class", "status " .. report.status } },
      esc(report.status:upper()))))
    add(el("p", { { "class", "meta" } }, esc(report.playbook.title)))
    local c = report.counts
    local meta = {
      string.format("%d error(s), %d warning(s), %d note(s)", c.error + c.critical, c.warning, c.info),
      string.format("exit status %d", report.exit_status),
      string.format("started %s, %.0f ms", report.started, report.duration_ms),
      string.format("host %s (%s %s)", report.host.hostname or "?", report.host.os or "?", report.host.arch or "?"),
    }
    for i, m in ipairs(meta) do meta[i] = el("span", nil, esc(m)) end
    add(el("p", { { "class", "meta" } }, table.concat(meta)))
    local argv = report.params and report.params.argv
    if tbl(argv) then add(el("p", { { "class", "meta" } }, "Program: " .. el("code", nil, esc(table.concat(argv, " "))))) end

    add(el("h2", nil, "Findings"))
    for _, f in ipairs(report.findings) do add(finding_html(f)) end
    if #report.findings == 0 then add(el("p", nil, "No findings.")) end
    for _, u in ipairs(report.unknowns) do add(el("p", { { "class", "problem" } }, "Could not diagnose: " .. esc(u))) end
    for _, e in ipairs(report.errors) do
      add(el("div", { { "class", "problem" } }, "Playbook failed: " .. el("pre", nil, esc(e))))
    end

    local facts = tbl(report.facts) and report.facts or {}
    local figs = {}
    for _, name in ipairs(picture_order) do
      local heading, picture, caption = pictures[name](facts, report)
      if picture then
        figs[#figs + 1] = el("figure", { { "class", "picture " .. name } },
          el("figcaption", nil, el("b", nil, esc(heading)) .. " — " .. esc(caption)) .. picture)
      end
    end
    if #figs > 0 then add(el("h2", nil, "Pictures")) add(table.concat(figs, "\n")) end
    if next(facts) then add(el("h2", nil, "Facts")) add(value_html(facts, 0)) end
    if tbl(report.params) and next(report.params) then add(el("h2", nil, "Parameters")) add(value_html(report.params, 0)) end
    add(el("p", { { "class", "meta" } }, esc(string.format("%s %s, report schema %s", report.tool.name,
      report.tool.version, report.schema))))
    add("</body></html>")
    return table.concat(out, "\n") .. "\n"
  end,
}
