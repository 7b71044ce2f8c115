-- Generates modules/codes/codes_data.c: the NTSTATUS, Win32 and HRESULT tables
-- of diagkit.codes, plus the facility names.
--
--   lua5.4 tools/gen_codes.lua [mingw include dir] [out.c] [messages dir]
--     mingw include dir  default /usr/share/mingw-w64/include (Debian mingw-w64-common)
--     out.c              default modules/codes/codes_data.c
--     messages dir       default /usr/lib/python3/dist-packages/impacket (Debian python3-impacket)
--
-- Names and values come from mingw-w64's ntstatus.h and winerror.h: every
-- `#define X ((NTSTATUS)0x...)`, every `_HRESULT_TYPEDEF_(0x...)` / `((HRESULT)0x...)`,
-- every Win32 code written as `__MSABI_LONG(n)`, a plain number or `(WSABASEERR + n)`,
-- every `#define ALIAS OTHER_NAME` that names one of those, and the FACILITY_* defines.
-- Range markers (*_FIRST, *_LAST, *_BASE, *_MASK, SEVERITY_*) are not codes and are skipped.
--
-- Messages: a `// MessageText:` comment above a define wins (the Windows SDK headers
-- have them). mingw-w64 10 has none, so the text otherwise comes from [MS-ERREF] as
-- transcribed in impacket's nt_errors.py, system_errors.py and hresult_errors.py,
-- matched by value. A code neither source describes gets a NULL message.
--
-- Message normalisation (documented in docs/lua-api/codes.md):
--   * runs of white space become one space; leading/trailing space goes;
--   * a leading "{Caption} text" becomes "Caption: text";
--   * FormatMessage inserts (%1, %2!s!) and printf ones (%hs, %s, %wZ, %d, %ld, %x, %08lx,
--     %p), with an optional "0x" before them, become "..." as the value is not known here;
--     "%%" becomes "%", "%n" a space, other "%<punct>" escapes the character itself;
--   * CAPTIONS below adds a caption to the few crash codes whose official text never
--     names the event ("The instruction at ... referenced memory at ...").
--
-- Output is deterministic: tables sorted by value, ties in header order (so the
-- canonical name, which the headers define first, comes first), name indexes sorted
-- by uppercased name, bytewise. tests/c/codes_regen_check.sh regenerates and compares.

os.setlocale("C") -- string comparison must be bytewise for the name indexes

local include = arg[1] or "/usr/share/mingw-w64/include"
local out_path = arg[2] or "modules/codes/codes_data.c"
local msg_dir = arg[3] or "/usr/lib/python3/dist-packages/impacket"

local CAPTIONS = {
  STATUS_ACCESS_VIOLATION = "Access Violation",
  STATUS_IN_PAGE_ERROR = "In-Page I/O Error",
}

-- When several names share a value the one the header defines first is canonical,
-- except for these, which the headers define after a narrower synonym
-- (winerror.h defines SEC_E_OK before S_OK).
local CANONICAL = { S_OK = true }

local function read(path)
  local f, err = io.open(path, "rb")
  if not f then error("cannot read " .. path .. ": " .. tostring(err), 0) end
  local s = f:read("a")
  f:close()
  return s
end

local function normalise(text)
  text = text:gsub("%s+", " "):gsub("^ ", ""):gsub(" $", "")
  text = text:gsub("^{([^}]*)}%s*", "%1: ")
  -- Inserts: %1..%99 with an optional !fmt!, then printf-style conversions.
  local function insert(s)
    s = s:gsub("%%%d+![^!]*!", "...")                           -- %1!ls!
    s = s:gsub("0x%%[0-9]*[hlIw]*[sSdiuxXpZ]", "...")           -- 0x%08lx, 0x%p
    s = s:gsub("%%[0-9]*[hlIw]*[sSdiuxXpZ]", "...")             -- %hs, %ld, %wZ
    s = s:gsub("0x%%%d+", "..."):gsub("%%%d+", "...")           -- %1, 0x%2
    return s
  end
  -- Protect "%%" first so that "%%1" stays a literal "%1".
  text = text:gsub("%%%%", "\1")
  text = insert(text)
  text = text:gsub("%%n", " "):gsub("%%([%p])", "%1"):gsub("\1", "%%")
  text = text:gsub("%.%.%.%.", "..."):gsub("%s+", " "):gsub(" $", "")
  return text
end

-- The MessageText comment block just above a define, if any.
local function header_messages(src)
  local msgs = {}
  local pending
  for line in (src .. "\n"):gmatch("([^\n]*)\n") do
    local c = line:match("^%s*//%s?(.*)$")
    if c then
      if c:match("^%s*MessageText:") then
        pending = {}
      elseif pending then
        pending[#pending + 1] = c
      end
    else
      local name = line:match("^%s*#%s*define%s+([%w_]+)")
      if name and pending then msgs[name] = table.concat(pending, " ") end
      if not line:match("^%s*$") then pending = nil end
    end
  end
  return msgs
end

-- impacket's `0xHEX: ("NAME", "message"),` lines, by value.
local function impacket_messages(file)
  local path = msg_dir .. "/" .. file
  local msgs = {}
  local src = read(path)
  for hex, body in src:gmatch('\n%s+0x(%x+):%s*%("[%w_]+",%s*"(.-)"%),') do
    local s = body:gsub('\\(.)', { ["n"] = " ", ["t"] = " ", ["\\"] = "\\", ['"'] = '"', ["'"] = "'" })
    msgs[tonumber(hex, 16)] = msgs[tonumber(hex, 16)] or s
  end
  if next(msgs) == nil then error("no messages found in " .. path, 0) end
  return msgs
end

-- Range markers (OLE_E_FIRST, DNS_ERROR_ZONE_BASE, DNS_ERROR_MASK) are written as plain
-- numbers, ((HRESULT)x) or __MSABI_LONG(x); a code written with the typed macros
-- (_HRESULT_TYPEDEF_, (NTSTATUS)) is always a code, even FWP_E_INVALID_NET_MASK.
local function skip_name(name, typed)
  if name:match("^SEVERITY_") or name:match("^FACILITY_") or name:match("^__") then return true end
  return not typed and (name:match("_FIRST$") or name:match("_LAST$") or name:match("_BASE$")
    or name:match("_MASK$"))
end

-- Parses one header into tables[kind] = list of {value=, name=, order=}.
local function parse(src, tables, facilities, fac_kind)
  local defs = {} -- name -> {kind, value}, for alias resolution and WSABASEERR
  local aliases = {}
  local order = 0
  for line in (src .. "\n"):gmatch("([^\n]*)\n") do
    local name, body = line:match("^%s*#%s*define%s+([%w_]+)%s+(.-)%s*$")
    if name and body ~= "" then
      body = body:gsub("%s*//.*$", ""):gsub("%s*/%*.*%*/%s*$", "")
      local kind, v, typed
      local hex = body:match("^%(%(NTSTATUS%)%s*0[xX](%x+)L?%)$")
      if hex then
        kind, v, typed = "ntstatus", tonumber(hex, 16), true
      else
        hex = body:match("^_HRESULT_TYPEDEF_%(0[xX](%x+)L?%)$")
        typed = hex ~= nil
        hex = hex or body:match("^%(%(HRESULT%)%s*0[xX](%x+)L?%)$")
        if hex then
          kind, v = "hresult", tonumber(hex, 16)
        elseif body:match("^__MSABI_LONG%(%d+%)$") or body:match("^%d+$") then
          kind, v = "win32", tonumber(body:match("%d+"))
        elseif body:match("^__MSABI_LONG%(0[xX]%x+L?%)$") then
          v = tonumber(body:match("0[xX](%x+)"), 16)
          kind = v < 0x10000 and "win32" or "hresult"
        else
          local base, add = body:match("^%(([%w_]+)%s*%+%s*(%d+)%)$")
          if base and defs[base] then
            kind, v = defs[base].kind, defs[base].value + tonumber(add)
          elseif body:match("^[%a_][%w_]*$") then
            aliases[#aliases + 1] = { name = name, target = body }
          end
        end
      end
      if name:match("^FACILITY_") then
        local n = body:match("^0[xX](%x+)$")
        n = n and tonumber(n, 16) or tonumber(body:match("^(%d+)$") or "")
        if n then
          order = order + 1
          facilities[fac_kind][#facilities[fac_kind] + 1] = { value = n, name = name, order = order }
        end
      elseif kind then
        defs[name] = { kind = kind, value = v, typed = typed }
        if not skip_name(name, typed) then
          if v > 0xFFFFFFFF then error(name .. ": value out of 32-bit range", 0) end
          order = order + 1
          local t = tables[kind]
          t[#t + 1] = { value = v, name = name, order = order }
        end
      end
    end
  end
  -- `#define DNS_ERROR_NO_MEMORY ERROR_OUTOFMEMORY`: another name for a known code.
  for _, a in ipairs(aliases) do
    local d = defs[a.target]
    if d and not skip_name(a.name, false) and not skip_name(a.target, d.typed) then
      order = order + 1
      local t = tables[d.kind]
      t[#t + 1] = { value = d.value, name = a.name, order = order }
    end
  end
end

local ntstatus_src = read(include .. "/ntstatus.h")
local winerror_src = read(include .. "/winerror.h")
local tables = { ntstatus = {}, win32 = {}, hresult = {} }
local facilities = { ntstatus = {}, hresult = {} }
parse(ntstatus_src, tables, facilities, "ntstatus")
parse(winerror_src, tables, facilities, "hresult")

local from_header = header_messages(ntstatus_src)
for k, v in pairs(header_messages(winerror_src)) do from_header[k] = v end
local from_erref = {
  ntstatus = impacket_messages("nt_errors.py"),
  win32 = impacket_messages("system_errors.py"),
  hresult = impacket_messages("hresult_errors.py"),
}

local function sort_by_value(t)
  table.sort(t, function(a, b)
    if a.value ~= b.value then return a.value < b.value end
    local ca, cb = CANONICAL[a.name] and 0 or 1, CANONICAL[b.name] and 0 or 1
    if ca ~= cb then return ca < cb end
    return a.order < b.order
  end)
end

local function cstr(s)
  if s == nil then return "NULL" end
  return '"' .. s:gsub('[\\"]', "\\%0"):gsub("[^\32-\126]", function(c)
    return string.format("\\%03o", c:byte())
  end) .. '"'
end

local out = {}
local function emit(s) out[#out + 1] = s end

local counts, missing = {}, {}
local order_kinds = { "ntstatus", "win32", "hresult" }
for _, kind in ipairs(order_kinds) do
  local t = tables[kind]
  sort_by_value(t)
  -- Within one table a name is defined once; a duplicate would break name lookup.
  local seen = {}
  for _, e in ipairs(t) do
    if seen[e.name] then error("duplicate name " .. e.name, 0) end
    seen[e.name] = true
    local raw = from_header[e.name] or from_erref[kind][e.value]
    if raw then
      e.message = normalise(raw)
      if CAPTIONS[e.name] and not e.message:find(CAPTIONS[e.name], 1, true) then
        e.message = CAPTIONS[e.name] .. ": " .. e.message
      end
    end
  end
  if #t > 65535 then error(kind .. ": too many entries for a uint16_t name index", 0) end
  counts[kind] = #t
  local m = 0
  for _, e in ipairs(t) do if not e.message then m = m + 1 end end
  missing[kind] = m
end
for _, kind in ipairs({ "ntstatus", "hresult" }) do sort_by_value(facilities[kind]) end

emit("/* GENERATED by tools/gen_codes.lua -- do not edit; regenerate with")
emit("**   lua5.4 tools/gen_codes.lua /usr/share/mingw-w64/include modules/codes/codes_data.c")
emit("** Names and values: mingw-w64 ntstatus.h and winerror.h (public domain).")
emit("** Messages: [MS-ERREF] via impacket's *_errors.py (Debian python3-impacket), normalised")
emit("** as described in tools/gen_codes.lua; NULL where neither source has a text.")
emit("**")
for _, kind in ipairs(order_kinds) do
  emit(string.format("** %-9s %5d entries, %4d without a message", kind, counts[kind], missing[kind]))
end
emit(string.format("** facility  %5d NTSTATUS facilities (ntstatus.h), %d HRESULT facilities (winerror.h)",
  #facilities.ntstatus, #facilities.hresult))
emit("*/")
emit('#include "codes_data.h"')
emit("")

for _, kind in ipairs(order_kinds) do
  local t = tables[kind]
  emit(string.format("static const dk_code_entry %s_entries[%d] = {", kind, #t))
  for _, e in ipairs(t) do
    emit(string.format("  {0x%08XU, %s, %s},", e.value, cstr(e.name), cstr(e.message)))
  end
  emit("};")
  emit("")
  local idx = {}
  for i, e in ipairs(t) do idx[i] = { i = i - 1, name = e.name } end
  -- Sorted by the ASCII-uppercased name (a few names have lower case:
  -- ERROR_ITERATED_DATA_EXCEEDS_64k), so C can search case-insensitively.
  for _, x in ipairs(idx) do x.key = x.name:upper() end
  table.sort(idx, function(a, b) return a.key < b.key end)
  for n = 2, #idx do
    if idx[n].key == idx[n - 1].key then error("names differ only in case: " .. idx[n].name, 0) end
  end
  emit(string.format("/* Indexes into %s_entries, sorted by ASCII-uppercased name. */", kind))
  emit(string.format("static const uint16_t %s_by_name[%d] = {", kind, #t))
  local row = {}
  for n, x in ipairs(idx) do
    row[#row + 1] = tostring(x.i)
    if #row == 16 or n == #idx then
      emit("  " .. table.concat(row, ", ") .. ",")
      row = {}
    end
  end
  emit("};")
  emit("")
  emit(string.format("const dk_code_table dk_codes_%s = {%s_entries, %s_by_name, %d};", kind, kind, kind, #t))
  emit("")
end

for _, kind in ipairs({ "ntstatus", "hresult" }) do
  local f = facilities[kind]
  emit(string.format("static const dk_code_entry %s_facility_entries[%d] = {", kind, #f))
  for _, e in ipairs(f) do emit(string.format("  {%dU, %s, NULL},", e.value, cstr(e.name))) end
  emit("};")
  emit("")
  emit(string.format("const dk_code_table dk_codes_%s_facilities = {%s_facility_entries, NULL, %d};",
    kind, kind, #f))
  emit("")
end

local fh = assert(io.open(out_path, "wb"))
fh:write(table.concat(out, "\n"), "\n")
fh:close()
io.stderr:write(string.format("gen_codes: ntstatus %d, win32 %d, hresult %d, facilities %d+%d -> %s\n",
  counts.ntstatus, counts.win32, counts.hresult, #facilities.ntstatus, #facilities.hresult, out_path))
