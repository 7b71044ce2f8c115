-- Readable text for a terminal: the findings, most severe first, each with
-- its evidence, remedy and next step. Colour only when writing to a TTY and
-- NO_COLOR (https://no-color.org) is not set.

local M = {}

local colours = {
  critical = "\27[1;31m", error = "\27[31m", warning = "\27[33m", info = "\27[36m",
  ok = "\27[32m", unknown = "\27[35m", dim = "\27[2m", bold = "\27[1m", reset = "\27[0m",
}

--- Whether colour should be used for the given stream (1 = stdout).
function M.want_colour(fd)
  local nc = os.getenv("NO_COLOR")
  if nc and nc ~= "" then return false end
  local ok, sys = pcall(require, "diagkit.sys")
  return ok and sys.isatty(fd or 1)
end

local function painter(on)
  return function(name, s)
    if not on then return s end
    return colours[name] .. s .. colours.reset
  end
end

-- Measurements are floats (wall_ms=2.1224070005119): three decimals are
-- plenty for a reader; the JSON report keeps every digit.
local function scalar_text(v)
  if math.type(v) == "float" and v == v and v ~= math.huge and v ~= -math.huge then
    local s = string.format("%.3f", v):gsub("0+$", ""):gsub("%.$", "")
    return s
  end
  return tostring(v)
end

local function value_text(v)
  if type(v) == "table" then
    local parts = {}
    for i, x in ipairs(v) do parts[i] = scalar_text(x) end
    if #parts > 0 then return table.concat(parts, " ") end
    local keys = {}
    for k in pairs(v) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do parts[#parts + 1] = k .. "=" .. scalar_text(v[k]) end
    return table.concat(parts, ", ")
  end
  return scalar_text(v)
end

-- Indents every line of s after the first by pad.
local function indent(s, pad)
  return (s:gsub("\n", "\n" .. pad))
end

local labels = { critical = "CRITICAL", error = "ERROR", warning = "WARNING", info = "INFO" }

function M.render(report, opts)
  opts = opts or {}
  local paint = painter(opts.colour)
  local out = {}
  local function add(s) out[#out + 1] = s end
  local target = report.params and report.params.argv
  add(paint("bold", report.playbook.id) .. ": " .. report.playbook.title)
  if target then add("  program: " .. table.concat(target, " ")) end
  add("")
  local pad = "           "
  for _, f in ipairs(report.findings) do
    add(string.format("%s %s  %s", paint(f.severity, string.format("%-8s", labels[f.severity])),
      paint("bold", f.title), paint("dim", "[" .. f.id .. "]")))
    if f.detail then add(pad .. indent(f.detail, pad)) end
    for _, e in ipairs(f.evidence) do
      local src = e.source and (" (" .. e.source .. ")") or ""
      add(pad .. paint("dim", e.kind .. ": ") .. indent(value_text(e.value), pad .. "  ") .. src)
    end
    if f.remedy then add(pad .. paint("bold", "remedy: ") .. indent(f.remedy, pad .. "  ")) end
    if f.next then add(pad .. paint("bold", "next: ") .. f.next) end
    for _, r in ipairs(f.refs) do add(pad .. paint("dim", "see: " .. r)) end
    add("")
  end
  if #report.findings == 0 then add("No findings.") add("") end
  for _, u in ipairs(report.unknowns) do add(paint("unknown", "could not diagnose: ") .. u) end
  for _, e in ipairs(report.errors) do add(paint("unknown", "playbook failed: ") .. e) end
  local c = report.counts
  add(string.format("Status: %s (%d error(s), %d warning(s), %d note(s)) in %.0f ms",
    paint(report.status, report.status:upper()), c.error + c.critical, c.warning, c.info,
    report.duration_ms))
  return table.concat(out, "\n") .. "\n"
end

return M
