-- JSON for reports and parameters.
--
-- Objects are encoded with sorted keys so that a report is byte-for-byte the
-- same for the same facts (diffable, cacheable). Lua cannot tell an empty
-- array from an empty object, so arrays that may be empty are marked with
-- json.array(t); a non-empty table whose keys are exactly 1..n is an array.

local json = {}

local array_mt = { __name = "json.array" }

--- Marks t (or a new table) as a JSON array, also when it is empty.
function json.array(t)
  return setmetatable(t or {}, array_mt)
end

function json.is_array(t)
  if getmetatable(t) == array_mt then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end

local escapes = {
  ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f",
  ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t",
}

-- A program's raw output may be invalid UTF-8, which must not make invalid
-- JSON: each byte that does not start a valid sequence becomes U+FFFD.
local function valid_utf8(s)
  local out, i = {}, 1
  while true do
    local ok, bad = utf8.len(s, i)
    if ok then out[#out + 1] = s:sub(i); break end
    out[#out + 1] = s:sub(i, bad - 1)
    out[#out + 1] = "\u{FFFD}"
    i = bad + 1
  end
  return table.concat(out)
end

local function escape_string(s)
  if not utf8.len(s) then s = valid_utf8(s) end
  return '"' .. s:gsub('[%c"\\]', function(c)
    return escapes[c] or string.format("\\u%04x", c:byte())
  end) .. '"'
end

local encode_value

local function encode_table(t, out, depth, indent)
  if depth > 64 then error("json: nesting deeper than 64 levels (a cycle?)", 0) end
  local nl, pad, pad_in, colon = "", "", "", ":"
  if indent then
    nl = "\n"; pad = string.rep(indent, depth); pad_in = string.rep(indent, depth + 1); colon = ": "
  end
  if json.is_array(t) then
    if #t == 0 then out[#out + 1] = "[]"; return end
    out[#out + 1] = "[" .. nl
    for i = 1, #t do
      out[#out + 1] = pad_in
      encode_value(t[i], out, depth + 1, indent)
      out[#out + 1] = (i < #t and "," or "") .. nl
    end
    out[#out + 1] = pad .. "]"
    return
  end
  local keys = {}
  for k in pairs(t) do
    local tk = type(k)
    if tk ~= "string" and tk ~= "number" then
      error("json: cannot encode a table key of type " .. tk, 0)
    end
    keys[#keys + 1] = tostring(k)
  end
  table.sort(keys)
  if #keys == 0 then out[#out + 1] = "{}"; return end
  out[#out + 1] = "{" .. nl
  for i, k in ipairs(keys) do
    local v = t[k]
    if v == nil then v = t[tonumber(k)] end
    out[#out + 1] = pad_in .. escape_string(k) .. colon
    encode_value(v, out, depth + 1, indent)
    out[#out + 1] = (i < #keys and "," or "") .. nl
  end
  out[#out + 1] = pad .. "}"
end

function encode_value(v, out, depth, indent)
  local tv = type(v)
  if tv == "string" then
    out[#out + 1] = escape_string(v)
  elseif tv == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null" -- JSON has no NaN or infinity
    elseif math.type(v) == "integer" then
      out[#out + 1] = string.format("%d", v)
    else
      -- The shortest form that reads back as the same double: 2.059, not
      -- 2.0590000000000002.
      local text = string.format("%.15g", v)
      if tonumber(text) ~= v then text = string.format("%.17g", v) end
      out[#out + 1] = text
    end
  elseif tv == "boolean" then
    out[#out + 1] = tostring(v)
  elseif tv == "nil" or v == json.null then
    out[#out + 1] = "null"
  elseif tv == "table" then
    encode_table(v, out, depth, indent)
  else
    error("json: cannot encode a value of type " .. tv, 0)
  end
end

--- A unique value that stands for JSON null inside tables.
json.null = setmetatable({}, { __name = "json.null", __tostring = function() return "null" end })

--- Encodes v; opts.indent (a string such as "  ") pretty-prints.
function json.encode(v, opts)
  local out = {}
  encode_value(v, out, 0, opts and opts.indent)
  return table.concat(out)
end

-- Decoding ---------------------------------------------------------------

local function decode_error(s, pos, what)
  local line = 1
  for _ in s:sub(1, pos - 1):gmatch("\n") do line = line + 1 end
  error(string.format("json: %s at line %d (byte %d)", what, line, pos), 0)
end

local function skip_ws(s, pos)
  return s:find("[^ \t\r\n]", pos) or #s + 1
end

local decode_at

local function decode_string(s, pos)
  local out, i = {}, pos + 1
  while true do
    local j = s:find('["\\%c]', i)
    if not j then decode_error(s, pos, "unterminated string") end
    out[#out + 1] = s:sub(i, j - 1)
    local c = s:sub(j, j)
    if c == '"' then return table.concat(out), j + 1 end
    if c ~= "\\" then decode_error(s, j, "control character in string") end
    local e = s:sub(j + 1, j + 1)
    local simple = { ['"'] = '"', ["\\"] = "\\", ["/"] = "/", b = "\b", f = "\f", n = "\n", r = "\r", t = "\t" }
    if simple[e] then
      out[#out + 1] = simple[e]; i = j + 2
    elseif e == "u" then
      local hex = s:match("^%x%x%x%x", j + 2)
      if not hex then decode_error(s, j, "bad \\u escape") end
      local cp = tonumber(hex, 16)
      i = j + 6
      if cp >= 0xD800 and cp <= 0xDBFF then -- a surrogate pair
        local lo = s:match("^\\u(%x%x%x%x)", i)
        lo = lo and tonumber(lo, 16)
        if not lo or lo < 0xDC00 or lo > 0xDFFF then decode_error(s, j, "unpaired surrogate") end
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00)
        i = i + 6
      elseif cp >= 0xDC00 and cp <= 0xDFFF then
        decode_error(s, j, "unpaired surrogate")
      end
      out[#out + 1] = utf8.char(cp)
    else
      decode_error(s, j, "bad escape")
    end
  end
end

function decode_at(s, pos, depth)
  if depth > 200 then decode_error(s, pos, "nesting too deep") end
  pos = skip_ws(s, pos)
  local c = s:sub(pos, pos)
  if c == "{" then
    local obj = {}
    pos = skip_ws(s, pos + 1)
    if s:sub(pos, pos) == "}" then return obj, pos + 1 end
    while true do
      if s:sub(pos, pos) ~= '"' then decode_error(s, pos, "expected a string key") end
      local k
      k, pos = decode_string(s, pos)
      pos = skip_ws(s, pos)
      if s:sub(pos, pos) ~= ":" then decode_error(s, pos, "expected ':'") end
      obj[k], pos = decode_at(s, pos + 1, depth + 1)
      pos = skip_ws(s, pos)
      c = s:sub(pos, pos)
      if c == "}" then return obj, pos + 1 end
      if c ~= "," then decode_error(s, pos, "expected ',' or '}'") end
      pos = skip_ws(s, pos + 1)
    end
  elseif c == "[" then
    local arr = json.array()
    pos = skip_ws(s, pos + 1)
    if s:sub(pos, pos) == "]" then return arr, pos + 1 end
    while true do
      arr[#arr + 1], pos = decode_at(s, pos, depth + 1)
      pos = skip_ws(s, pos)
      c = s:sub(pos, pos)
      if c == "]" then return arr, pos + 1 end
      if c ~= "," then decode_error(s, pos, "expected ',' or ']'") end
      pos = pos + 1
    end
  elseif c == '"' then
    return decode_string(s, pos)
  elseif s:find("^true", pos) then
    return true, pos + 4
  elseif s:find("^false", pos) then
    return false, pos + 5
  elseif s:find("^null", pos) then
    return json.null, pos + 4
  else
    local num = s:match("^-?%d+%.?%d*[eE]?[-+]?%d*", pos)
    if not num or num == "" or num == "-" then decode_error(s, pos, "unexpected character") end
    local v = math.tointeger(tonumber(num)) or tonumber(num)
    if not v then decode_error(s, pos, "bad number") end
    return v, pos + #num
  end
end

--- Decodes a JSON text. Returns the value, or nil and a message naming where.
function json.decode(s)
  if type(s) ~= "string" then error("json.decode: string expected", 2) end
  local ok, v, pos = pcall(decode_at, s, 1, 0)
  if not ok then return nil, v end
  pos = skip_ws(s, pos)
  if pos <= #s then
    return nil, (select(2, pcall(decode_error, s, pos, "trailing characters")))
  end
  return v
end

return json
