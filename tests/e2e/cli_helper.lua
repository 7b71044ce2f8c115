-- Runs the diagkit binary as a user would and returns what happened.
local U = require "spec_util"

local M = {}

M.bin = os.getenv("DIAGKIT_BIN") or "build/diagkit"
M.src = U.src
M.crashers = M.src .. "/examples/crashers/build"

local quote = U.q

--- run{"explain", "0x5"} -> {code=, stdout=, stderr=}
function M.run(args, env)
  local parts = {}
  for k, v in pairs(env or {}) do parts[#parts + 1] = k .. "=" .. quote(v) end
  parts[#parts + 1] = quote(M.bin)
  for _, a in ipairs(args) do parts[#parts + 1] = quote(a) end
  local errfile = os.tmpname()
  local p = assert(io.popen(table.concat(parts, " ") .. " 2>" .. errfile, "r"))
  local out = p:read("a")
  local _, _, code = p:close()
  local err = U.read(errfile)
  os.remove(errfile)
  return { code = code, stdout = out, stderr = err }
end

--- The JSON report of `diagkit run <args> --format json`.
function M.report(args)
  local r = M.run(args)
  local json = require "diagkit.json"
  local rep, err = json.decode(r.stdout)
  assert(rep, "not JSON: " .. tostring(err) .. "\n" .. r.stdout .. r.stderr)
  return rep, r
end

--- The JSON report of `diagkit run <id> --format json <args...>`.
function M.run_report(id, args)
  return M.report(table.move(args, 1, #args, 5, { "run", id, "--format", "json" }))
end

--- Path of a program from examples/crashers; fails clearly when not built.
function M.crasher(name)
  local path = M.crashers .. "/" .. name
  assert(U.exists(path), path .. " is missing: build the examples first (examples/crashers/build.sh linux)")
  return path
end

--- Validates report files against docs/report.schema.json (python3-jsonschema).
function M.validate(paths)
  local cmd = string.format("/usr/bin/python3 %s/tests/e2e/validate_report.py %s/docs/report.schema.json %s 2>&1",
    quote(M.src), quote(M.src), table.concat(paths, " "))
  local p = assert(io.popen(cmd, "r"))
  local out = p:read("a")
  local ok = p:close()
  return ok, out
end

return M
