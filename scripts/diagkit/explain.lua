-- `diagkit explain <code>`: every plausible reading of a number or name
-- (from diagkit.codes), each with its practical meaning (diagkit.causes).

local causes = require "diagkit.causes"
local json = require "diagkit.json"

local M = {}

local contexts = { go = true, shell = true, windows = true, linux = true }

--- Returns {input=, context=, interpretations={...}} or nil, message.
function M.explain(text, context)
  if context and not contexts[context] then
    return nil, string.format("unknown context '%s' (go, shell, windows, linux)", context)
  end
  local codes = require "diagkit.codes"
  local list, err = codes.lookup(text, context and { context = context } or nil)
  if not list then return nil, err end
  if #list == 0 then return nil, string.format("no known meaning for '%s'", text) end
  for _, i in ipairs(list) do
    local m = causes.for_interpretation(i)
    -- A shell's 128+N carries the signal's own meaning: show that.
    if i.wraps and (not m or i.kind == "shell") then
      m = causes.for_interpretation(i.wraps) or m
    end
    if m then
      i.meaning = { title = m.title, severity = m.severity, causes = json.array(m.causes),
        remedy = m.remedy, next = m.next }
    end
  end
  return { input = text, context = context, interpretations = json.array(list) }
end

local function wrap(s, width, pad)
  local lines, line = {}, ""
  for word in s:gmatch("%S+") do
    if #line + #word + 1 > width and line ~= "" then
      lines[#lines + 1] = line
      line = word
    else
      line = line == "" and word or (line .. " " .. word)
    end
  end
  if line ~= "" then lines[#lines + 1] = line end
  return table.concat(lines, "\n" .. pad)
end

local kinds = {
  ntstatus = "NTSTATUS", win32 = "Win32 error", hresult = "HRESULT", errno = "errno",
  signal = "signal", shell = "shell status", go = "Go exit status", wine = "Wine",
}

--- Text for a terminal.
function M.render(result, colour)
  local b = colour and function(s) return "\27[1m" .. s .. "\27[0m" end or function(s) return s end
  local out = {}
  for n, i in ipairs(result.interpretations) do
    local head = string.format("%d. %s %s", n, kinds[i.kind] or i.kind, b(i.name or ""))
    if i.hex then head = head .. "  " .. i.hex end
    if i.signed and i.signed < 0 then head = head .. string.format(" (%d)", i.signed) end
    out[#out + 1] = head
    local pad = "   "
    if i.message and i.message ~= "" then out[#out + 1] = pad .. wrap(i.message, 76, pad) end
    if i.why and i.why ~= "" then out[#out + 1] = pad .. "reading: " .. wrap(i.why, 68, pad .. "  ") end
    if i.facility and i.facility.name then
      out[#out + 1] = string.format("%sfacility: %s (%d)", pad, i.facility.name, i.facility.code)
    end
    if i.wraps then
      out[#out + 1] = string.format("%swraps: %s %s%s", pad, kinds[i.wraps.kind] or i.wraps.kind,
        i.wraps.name or "", i.wraps.message and (": " .. i.wraps.message) or "")
    end
    if i.meaning then
      local m = i.meaning
      out[#out + 1] = pad .. b("meaning: ") .. wrap(m.title, 67, pad .. "  ")
      for _, c in ipairs(m.causes) do out[#out + 1] = pad .. "  - " .. wrap(c, 70, pad .. "    ") end
      out[#out + 1] = pad .. b("remedy: ") .. wrap(m.remedy, 68, pad .. "  ")
      if m.next then out[#out + 1] = pad .. b("next: ") .. "diagkit run " .. m.next end
    end
    out[#out + 1] = ""
  end
  return table.concat(out, "\n")
end

return M
