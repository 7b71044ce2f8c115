-- The Lua side of the C embedding API (dk_run in runtime/host.c): run a
-- playbook by name with JSON params and return (exit status, report JSON).

local json = require "diagkit.json"
local playbook = require "diagkit.playbook"
local report = require "diagkit.report"

local M = {}

local function usage(message)
  return report.EXIT.usage, json.encode({ error = message })
end

function M.run(id, params_json)
  local raw, err = json.decode(params_json)
  if raw == nil then return usage("params: " .. err) end
  if type(raw) ~= "table" or json.is_array(raw) and #raw > 0 then
    return usage("params must be a JSON object")
  end
  local def
  def, err = playbook.find(id)
  if not def then return usage(err) end
  local rep
  rep, err = playbook.run(def, raw)
  if not rep then return usage(err) end
  return rep.exit_status, json.encode(rep)
end

return M
