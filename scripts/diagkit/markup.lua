-- Text made safe for XML 1.0 and HTML (the junit and html formats, svg.lua).
-- Program output may hold anything: invalid UTF-8 becomes U+FFFD, and the
-- control characters XML 1.0 forbids even as &#N; (all below 0x20 but tab,
-- newline and CR, and U+FFFE/U+FFFF) become their Unicode "control pictures"
-- (ESC -> U+241B), so a reader still sees that they were there.

local M = {}

local function picture(c)
  return utf8.char(0x2400 + c:byte())
end

-- One valid UTF-8 run: forbidden controls and the two non-characters.
local function controls(s)
  s = s:gsub("[\0-\8\11\12\14-\31]", picture)
  return (s:gsub("\239\191[\190\191]", "\u{FFFD}"))
end

--- s (any value, tostring'd) as valid UTF-8 holding only XML 1.0 characters.
function M.clean(s)
  s = tostring(s)
  local out, i = {}, 1
  while i <= #s do
    local ok, bad = utf8.len(s, i)
    if ok then out[#out + 1] = controls(s:sub(i)) break end
    out[#out + 1] = controls(s:sub(i, bad - 1))
    out[#out + 1] = "\u{FFFD}"
    i = bad + 1
  end
  return table.concat(out)
end

local text_esc = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;" }
local attr_esc = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;", ["'"] = "&#39;",
  ["\t"] = "&#9;", ["\n"] = "&#10;", ["\r"] = "&#13;" }

--- Element content: cleaned, with & < > escaped.
function M.text(s)
  return (M.clean(s):gsub("[&<>]", text_esc))
end

--- An attribute value (either quote style): also quotes, and tab/newline/CR
--- as references so attribute normalisation keeps them.
function M.attr(s)
  return (M.clean(s):gsub("[&<>\"'\t\n\r]", attr_esc))
end

--- <name a="v" ...>body</name> with attrs given as a list of {name, value}
--- pairs (in order; a nil value leaves the attribute out). body is markup
--- already; nil makes an empty element <name .../>.
function M.element(name, attrs, body)
  local parts = { "<", name }
  for _, kv in ipairs(attrs or {}) do
    if kv[2] ~= nil then parts[#parts + 1] = string.format(' %s="%s"', kv[1], M.attr(kv[2])) end
  end
  if body == nil then parts[#parts + 1] = "/>" return table.concat(parts) end
  parts[#parts + 1] = ">"
  parts[#parts + 1] = body
  parts[#parts + 1] = "</" .. name .. ">"
  return table.concat(parts)
end

return M
