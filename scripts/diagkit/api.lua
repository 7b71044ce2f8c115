-- The Lua side of the C embedding API (runtime/host.c): run a playbook by
-- name, or a check file by path, with JSON params, under the host's options
-- (report format, sandbox, log callback), and hand back the exit status, the
-- report text and the findings one by one.

local json = require "diagkit.json"
local playbook = require "diagkit.playbook"
local report = require "diagkit.report"

local M = {}

-- The options dk_open put in diagkit.host (absent in a stock lua5.4).
local function host()
  local ok, h = pcall(require, "diagkit.host")
  return ok and type(h) == "table" and h or {}
end

local function log(level, message)
  local fn = host().log
  if fn then fn(level, message) end
end

local function usage(message)
  return report.EXIT.usage, json.encode({ error = message }), {}
end

-- playbook.find/load_file options from the host's sandbox settings.
local function load_opts()
  local s = host().sandbox or {}
  if s.trust then return { trust = true } end
  local policy, err = require("diagkit.sandbox").policy {
    allow_read = s.allow_read, allow_exec = s.allow_exec,
    instructions = s.instructions, memory = s.memory,
  }
  if not policy then return nil, err end
  return { sandbox = require("diagkit.sandbox").loader(policy) }
end

-- Each finding as the C callback wants it: the common fields as strings and
-- the whole finding as JSON.
local function finding_list(rep)
  local out = {}
  for i, f in ipairs(rep.findings) do
    out[i] = { playbook = f.playbook, id = f.id, severity = f.severity, title = f.title,
      detail = f.detail, remedy = f.remedy, next = f.next, json = json.encode(f) }
  end
  return out
end

--- run(name_or_file, params_json) -> exit status, report text, findings
function M.run(id, params_json)
  local raw, err = json.decode(params_json)
  if raw == nil then return usage("params: " .. err) end
  if type(raw) ~= "table" or json.is_array(raw) and #raw > 0 then
    return usage("params must be a JSON object")
  end
  local fmt_name = host().format or "json"
  if not fmt_name:match("^[a-z]+$") then return usage("unknown format '" .. fmt_name .. "'") end
  local fmt_ok, fmt = pcall(require, "diagkit.format." .. fmt_name)
  if not fmt_ok then return usage("unknown format '" .. fmt_name .. "'") end
  local opts
  opts, err = load_opts()
  if not opts then return usage(err) end
  local def
  if id:match("%.lua$") or id:find("[/\\]") then
    def, err = playbook.load_file(id, opts)
  else
    def, err = playbook.find(id, opts)
  end
  if not def then return usage(err) end
  if def.note then log("info", def.note) end
  local rep
  rep, err = playbook.run(def, raw)
  if not rep then return usage(err) end
  -- JSON for programs is compact (the CLI's json format is indented for people).
  local text = fmt_name == "json" and json.encode(rep) or fmt.render(rep, {})
  return rep.exit_status, text, finding_list(rep)
end

return M
