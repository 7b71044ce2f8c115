-- JSON output: the report table as is (schema diagkit.report/1).
local json = require "diagkit.json"

return {
  render = function(report)
    return json.encode(report, { indent = "  " }) .. "\n"
  end,
}
