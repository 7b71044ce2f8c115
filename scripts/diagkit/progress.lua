-- Progress for a person waiting at a terminal: one line on stderr, redrawn
-- in place at most ~10 times a second and cleared when the work is done.
-- Never drawn when stderr is not a TTY, when DIAGKIT_NO_PROGRESS is set, or
-- when the command writes a machine-readable format (json, nagios, ...), so
-- reports, pipes and log files never contain it. docs/writing-playbooks.md.
--
--   local progress = require "diagkit.progress"
--   local bar = progress.new { label = "event-log: System.evtx", total = info.chunks }
--   for r in f:records() do bar:update(r.chunk) ... end
--   bar:done()

local M = {}

--- Shortest time between two redraws, in milliseconds.
M.INTERVAL_MS = 100

-- Set by configure(): false when the output format is machine-readable.
local allowed = true
-- Bars drawn and not yet done (so clear() can wipe a line left by an error).
local live = setmetatable({}, { __mode = "k" })

local function sys()
  local ok, s = pcall(require, "diagkit.sys")
  return ok and s or nil
end

--- Tells the module what the command prints: opts.format "text" (or nil)
--- allows progress; any other format (json, nagios, ...) turns it off.
function M.configure(opts)
  local format = opts and opts.format
  allowed = format == nil or format == "text" or format == "summary"
end

--- Whether a bar with these options would draw: allowed by configure(),
--- DIAGKIT_NO_PROGRESS unset or empty, and stderr a TTY (or opts.writer given,
--- which stands for a terminal).
function M.enabled(opts)
  if not allowed then return false end
  local off = os.getenv("DIAGKIT_NO_PROGRESS")
  if off and off ~= "" then return false end
  if opts and opts.writer then return true end
  local s = sys()
  return s ~= nil and s.isatty(2) == true
end

local function human_bytes(n)
  local units = { "B", "KB", "MB", "GB", "TB" }
  local i = 1
  while n >= 1024 and i < #units do n = n / 1024; i = i + 1 end
  return i == 1 and string.format("%d B", n) or string.format("%.1f %s", n, units[i])
end

local Bar = {}
Bar.__index = Bar

--- The line as it would be drawn for `done` units of work (without escapes).
function Bar:line(done, note)
  local parts = { self.label }
  if self.total and self.total > 0 then
    local pct = math.min(100, math.floor(done * 100 / self.total))
    if self.unit == "bytes" then
      parts[#parts + 1] = string.format("%3d%% (%s of %s)", pct, human_bytes(done), human_bytes(self.total))
    else
      parts[#parts + 1] = string.format("%3d%% (%d/%d)", pct, done, self.total)
    end
  elseif done and done > 0 then
    parts[#parts + 1] = self.unit == "bytes" and human_bytes(done) or tostring(done)
  else
    parts[#parts + 1] = "..."
  end
  if note and note ~= "" then parts[#parts + 1] = note end
  local line = table.concat(parts, "  "):gsub("[%c]", " ")
  if #line > self.width then line = line:sub(1, self.width - 3) .. "..." end
  return line
end

--- Reports that `done` units (of total) are finished; redraws the line when
--- the last redraw is at least INTERVAL_MS old. note: optional short text.
function Bar:update(done, note)
  if not self.active then return end
  local now = self.clock()
  if self.last and now - self.last < M.INTERVAL_MS then return end
  self.last = now
  self.writer("\r" .. self:line(done or 0, note) .. "\27[K")
  self.drawn = true
  live[self] = true
end

--- Wipes the line (before printing something else to the terminal); the
--- next update draws it again (still at most every INTERVAL_MS).
function Bar:clear()
  if self.drawn then self.writer("\r\27[K") end
  self.drawn = false
  live[self] = nil
end

--- Ends the bar: clears its line if one was drawn. Safe to call twice.
function Bar:done()
  self:clear()
  self.active = false
end

--- A bar. opts: label (string, required), total (number of units, optional:
--- without it the line shows a count or "..."), unit ("bytes" for sizes),
--- writer (function(s), default io.stderr:write; given, it counts as a TTY),
--- clock (function() -> ms, default diagkit.sys.clock_ms).
function M.new(opts)
  if type(opts) ~= "table" or type(opts.label) ~= "string" then
    error("progress.new{label = ..., total = ...}: label (a string) is required", 2)
  end
  if opts.total ~= nil and type(opts.total) ~= "number" then error("progress.new: total must be a number", 2) end
  local s = sys()
  local columns = math.tointeger(tonumber(os.getenv("COLUMNS") or "")) or 80
  return setmetatable({
    label = opts.label, total = opts.total, unit = opts.unit,
    active = M.enabled(opts),
    writer = opts.writer or function(text) io.stderr:write(text) io.stderr:flush() end,
    clock = opts.clock or (s and s.clock_ms) or function() return os.clock() * 1000 end,
    width = math.max(20, columns - 1),
  }, Bar)
end

--- Clears the line of every bar still drawn (after an error skipped its done()).
function M.clear()
  for bar in pairs(live) do bar:done() end
end

--- Shows `label ...` while fn(...) runs (one blocking call, such as a parse
--- in C), then clears it; returns what fn returns.
function M.busy(label, fn, ...)
  local bar = M.new { label = label }
  bar:update(0)
  local results = table.pack(pcall(fn, ...))
  bar:done()
  if not results[1] then error(results[2], 0) end
  return table.unpack(results, 2, results.n)
end

local BLOCK = 4 * 1024 * 1024

--- Reads a whole file like f:read("a"), with a bar by bytes for files of
--- more than one block. path "-" reads stdin. Returns the text, or nil and
--- io.open's message.
function M.read_file(path, label)
  local files = require "diagkit.files"
  if path == "-" then return files.read_stream(io.stdin, "standard input") end
  local kind, size = files.input_kind(path)
  if not kind then return nil, size end
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  if kind == "stream" then
    local text, serr = files.read_stream(f, path)
    f:close()
    return text, serr
  end
  if not size or size <= BLOCK then
    local s = f:read("a")
    f:close()
    return s
  end
  local bar = M.new { label = label or ("reading " .. path), total = size, unit = "bytes" }
  local parts, n = {}, 0
  while true do
    local chunk = f:read(BLOCK)
    if not chunk then break end
    parts[#parts + 1] = chunk
    n = n + #chunk
    bar:update(n)
  end
  f:close()
  bar:done()
  return table.concat(parts)
end

return M
