-- Small inline-SVG charts for the HTML report (diagkit/format/html.lua): an
-- indented tree with marked nodes, horizontal grouped bars, and a line chart.
-- Each function takes plain data and returns one <svg> element as a string,
-- sized in pixels; every text goes through diagkit.markup, so labels taken
-- from program output cannot inject markup. No script, no external assets.

local markup = require "diagkit.markup"

local M = {}

local CHAR = 7.2 -- width of one character of the 12px monospace font used for labels
M.CHAR = CHAR

M.colours = {
  ok = { fill = "#e8f5e9", stroke = "#2e7d32" },
  bad = { fill = "#ffebee", stroke = "#c62828" },
  warn = { fill = "#fff8e1", stroke = "#b26a00" },
  skip = { fill = "#f5f5f5", stroke = "#9e9e9e" },
}
M.palette = { "#90a4ae", "#1565c0", "#6a1b9a", "#00838f", "#ef6c00", "#2e7d32" }

local function n(x) -- coordinates: one decimal at most
  local s = string.format("%.1f", x):gsub("%.0$", "")
  return s
end

--- s cleaned and cut to at most max characters (an ellipsis marks the cut).
function M.clip(s, max)
  s = markup.clean(s)
  if utf8.len(s) <= max then return s end
  return s:sub(1, utf8.offset(s, max) - 1) .. "…"
end

local function text(x, y, s, attrs)
  return string.format('<text x="%s" y="%s"%s>%s</text>', n(x), n(y), attrs or "", markup.text(s))
end

local function wrap(w, h, title, body)
  return string.format('<svg xmlns="http://www.w3.org/2000/svg" class="chart" width="%s" height="%s"'
    .. ' viewBox="0 0 %s %s" role="img" aria-label="%s" font-family="monospace" font-size="12">'
    .. "<title>%s</title>%s</svg>", n(w), n(h), n(w), n(h), markup.attr(title), markup.text(title),
    table.concat(body))
end

--- An indented tree, nodes in pre-order: {label, depth (0 = root), state =
--- ok|bad|warn|skip, note? (printed after the box), tip? (hover text)}.
--- A node's parent is the nearest node before it with depth - 1.
function M.tree(title, nodes)
  local ROW, INDENT, LABEL = 26, 22, 60
  local body, last, width = {}, {}, 0
  for i, node in ipairs(nodes) do
    local depth = node.depth or 0
    local x, y = 10 + depth * INDENT, 8 + (i - 1) * ROW
    local label = M.clip(node.label, LABEL)
    local bw = utf8.len(label) * CHAR + 14
    local c = M.colours[node.state] or M.colours.ok
    local parent = depth > 0 and last[depth - 1]
    if parent then
      body[#body + 1] = string.format('<path d="M%s %sV%sH%s" fill="none" stroke="#9e9e9e"/>',
        n(parent.x + 8), n(parent.y + 20), n(y + 10), n(x))
    end
    last[depth] = { x = x, y = y }
    for d = depth + 1, #last do last[d] = nil end
    body[#body + 1] = string.format('<g class="node %s"><title>%s</title><rect x="%s" y="%s" width="%s"'
      .. ' height="20" rx="4" fill="%s" stroke="%s" stroke-width="%s"/>', markup.attr(node.state or "ok"),
      markup.text(node.tip or node.label), n(x), n(y), n(bw), c.fill, c.stroke, node.state == "bad" and 2 or 1)
    body[#body + 1] = text(x + 7, y + 14, label, node.state == "bad" and ' font-weight="bold" fill="#b71c1c"' or "")
    local right = x + bw
    if node.note then
      local note = M.clip(node.note, 70)
      body[#body + 1] = text(right + 8, y + 14, note, string.format(' fill="%s"', c.stroke))
      right = right + 8 + utf8.len(note) * CHAR
    end
    body[#body + 1] = "</g>"
    width = math.max(width, right + 10)
  end
  return wrap(math.max(width, 200), 16 + #nodes * ROW, title, body)
end

-- A round step for an axis from 0 to max with about `count` ticks.
local function tick_step(max, count)
  if max <= 0 then return 1 end
  local raw = max / count
  local mag = 10 ^ math.floor(math.log(raw, 10))
  for _, m in ipairs { 1, 2, 2.5, 5, 10 } do
    if m * mag >= raw then return m * mag end
  end
  return 10 * mag
end

local function legend(body, x, y, series)
  for i, s in ipairs(series) do
    local colour = s.colour or M.palette[(i - 1) % #M.palette + 1]
    body[#body + 1] = string.format('<rect x="%s" y="%s" width="12" height="12" fill="%s"/>', n(x), n(y - 10), colour)
    body[#body + 1] = text(x + 16, y, s.name)
    x = x + 16 + utf8.len(M.clip(s.name, 40)) * CHAR + 18
  end
end

--- Horizontal grouped bars: groups = {{label, values = {...}}}, one bar per
--- series = {{name, colour?}}, all on one scale from 0.
function M.bars(title, series, groups)
  local LABEL, PLOT, BAR = 44, 420, 12
  local label_w = 0
  local max = 0
  for _, g in ipairs(groups) do
    label_w = math.max(label_w, utf8.len(M.clip(g.label, LABEL)) * CHAR)
    for _, v in ipairs(g.values) do max = math.max(max, v) end
  end
  local step = tick_step(max, 5)
  local top_v = math.max(step, math.ceil(max / step) * step)
  local x0, y = 10 + label_w + 10, 40
  local body = {}
  legend(body, 10, 18, series)
  local group_h = #series * BAR + 10
  for _, g in ipairs(groups) do
    body[#body + 1] = string.format("<g><title>%s</title>", markup.text(g.label))
    body[#body + 1] = text(10, y + group_h / 2 + 1, M.clip(g.label, LABEL))
    for i, v in ipairs(g.values) do
      local colour = series[i].colour or M.palette[(i - 1) % #M.palette + 1]
      local w = PLOT * v / top_v
      local by = y + (i - 1) * BAR
      body[#body + 1] = string.format('<rect class="bar" x="%s" y="%s" width="%s" height="%s" fill="%s"/>',
        n(x0), n(by), n(math.max(w, 0.5)), BAR - 2, colour)
      body[#body + 1] = text(x0 + w + 4, by + BAR - 3, tostring(v), ' font-size="10"')
    end
    body[#body + 1] = "</g>"
    y = y + group_h
  end
  -- the axis
  body[#body + 1] = string.format('<path d="M%s 32V%s" stroke="#616161"/>', n(x0), n(y))
  for i = 0, math.floor(top_v / step + 0.5) do
    local v = i * step
    local x = x0 + PLOT * v / top_v
    body[#body + 1] = string.format('<path d="M%s %sv4" stroke="#616161"/>', n(x), n(y))
    body[#body + 1] = text(x, y + 16, string.format("%g", v), ' text-anchor="middle" font-size="10"')
  end
  return wrap(x0 + PLOT + 60, y + 24, title, body)
end

--- A line chart: xs (numbers, ascending), series = {{name, values = {...},
--- colour?}} of the same length as xs (a series may be shorter); axes from 0.
function M.lines(title, xs, series, x_label, y_label)
  local W, H, L, T, R, B = 760, 300, 60, 34, 20, 44
  local pw, ph = W - L - R, H - T - B
  local xmax, ymax = 0, 0
  for _, x in ipairs(xs) do xmax = math.max(xmax, x) end
  for _, s in ipairs(series) do
    for _, v in ipairs(s.values) do ymax = math.max(ymax, v) end
  end
  local xs_step, ys_step = tick_step(xmax, 6), tick_step(ymax, 5)
  local xtop = math.max(xs_step, math.ceil(xmax / xs_step - 1e-9) * xs_step)
  local ytop = math.max(ys_step, math.ceil(ymax / ys_step - 1e-9) * ys_step)
  local function px(x) return L + pw * x / xtop end
  local function py(v) return T + ph - ph * v / ytop end
  local body = {}
  legend(body, L, 18, series)
  for i = 0, math.floor(ytop / ys_step + 0.5) do
    local v = i * ys_step
    body[#body + 1] = string.format('<path d="M%s %sH%s" stroke="#e0e0e0"/>', n(L), n(py(v)), n(L + pw))
    body[#body + 1] = text(L - 6, py(v) + 4, string.format("%g", v), ' text-anchor="end" font-size="10"')
  end
  for i = 0, math.floor(xtop / xs_step + 0.5) do
    local x = i * xs_step
    body[#body + 1] = string.format('<path d="M%s %sv4" stroke="#616161"/>', n(px(x)), n(T + ph))
    body[#body + 1] = text(px(x), T + ph + 16, string.format("%g", x), ' text-anchor="middle" font-size="10"')
  end
  body[#body + 1] = string.format('<path d="M%s %sV%sH%s" fill="none" stroke="#616161"/>', n(L), n(T), n(T + ph), n(L + pw))
  for i, s in ipairs(series) do
    local colour = s.colour or M.palette[(i - 1) % #M.palette + 1]
    local pts = {}
    for k, v in ipairs(s.values) do
      if xs[k] then pts[#pts + 1] = n(px(xs[k])) .. "," .. n(py(v)) end
    end
    body[#body + 1] = string.format('<polyline class="series" points="%s" fill="none" stroke="%s" stroke-width="2"/>',
      table.concat(pts, " "), colour)
    if #pts <= 60 then
      for k, v in ipairs(s.values) do
        if xs[k] then
          body[#body + 1] = string.format('<circle cx="%s" cy="%s" r="3" fill="%s"><title>%s</title></circle>',
            n(px(xs[k])), n(py(v)), colour, markup.text(string.format("%s: %g at %g", s.name, v, xs[k])))
        end
      end
    end
  end
  if x_label then body[#body + 1] = text(L + pw / 2, H - 8, x_label, ' text-anchor="middle"') end
  if y_label then
    body[#body + 1] = string.format('<text transform="translate(14 %s) rotate(-90)" text-anchor="middle">%s</text>',
      n(T + ph / 2), markup.text(y_label))
  end
  return wrap(W, H, title, body)
end

return M
