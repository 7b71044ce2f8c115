-- diagkit new-check NAME: writes a commented skeleton of a check (NAME.lua)
-- and a busted spec beside it (NAME_spec.lua) that passes as written, so a
-- user starts from something that runs and is tested (issue 8).

local cliargs = require "diagkit.cliargs"
local usage_error = cliargs.usage_error

local M = {}

M.summary = "write the skeleton of your own check and its busted spec"
M.help = [[
Usage: diagkit new-check NAME [--dir DIR] [--force]
Writes DIR/NAME.lua, a commented check that scans a log for error lines, and
DIR/NAME_spec.lua, a busted spec for it built on diagkit.testing. Then:
  diagkit check NAME.lua -p log=/var/log/app.log     run it
  busted NAME_spec.lua                               test it (needs lua-busted)
  --dir DIR    where to write (default: the current folder)
  --force      overwrite files that exist
See docs/writing-playbooks.md for the tutorial.
]]

local CHECK = [=[
-- @NAME@: a check of your own for diagkit (docs/writing-playbooks.md).
--
-- Run it:   diagkit check @NAME@.lua -p log=/var/log/app.log
-- Test it:  busted @NAME@_spec.lua
--
-- A check is a playbook: a table of metadata, typed parameters and a
-- run(ctx, params) function, returned through diagkit.playbook{...}.
-- Checks that are not bundled run in a sandbox: they may read the files
-- given as `path` parameters and folders allowed with --allow-read, and may
-- start programs only with --allow-exec (docs/sandbox.md).
return diagkit.playbook {
  id = "@NAME@",                      -- lower-case letters, digits and '-'
  title = "Error lines in a log",
  summary = "Warns when a log holds lines that say ERROR or FATAL.",
  version = "0.1.0",
  params = {
    -- `path` parameters must exist, and the sandbox lets the check read them.
    log = { type = "path", required = true, help = "the log file to scan" },
    max = { type = "int", default = 5, min = 1, help = "how many lines to quote as evidence" },
  },

  run = function(ctx, params)
    -- Native modules are reached through ctx (ctx.log, ctx.proc, ctx.deps...),
    -- so that a spec can hand the check recorded facts instead.
    local results, err = ctx.log.scan(params.log, { errors = [[\b(ERROR|FATAL)\b]] },
      { max = params.max })
    if not results then
      -- An expected failure (nil, message, code): say why there is no verdict.
      ctx:unknown("cannot scan " .. params.log .. ": " .. tostring(err))
      return
    end
    local hits = results.errors
    ctx:fact("error_lines", hits.count)
    if hits.count == 0 then return end -- no finding: the report says OK

    local evidence = {}
    for _, m in ipairs(hits.matches) do
      evidence[#evidence + 1] = { kind = "log-line", value = m.text, source = params.log .. ":" .. m.line }
    end
    ctx:finding {
      id = "@NAME@.errors",            -- stable: monitoring keys on it
      severity = "warning",            -- info, warning, error or critical
      title = string.format("%d error line(s) in %s", hits.count, params.log),
      evidence = evidence,
      remedy = "Read the first error line: later ones are often its consequences.",
    }
  end,
}
]=]

local SPEC = [=[
-- Tests for @NAME@.lua with busted. diagkit.testing runs the check with fake
-- native modules, so this spec runs on any machine, without real logs.
local testing = require "diagkit.testing"

local here = debug.getinfo(1, "S").source:match("^@(.*[/\\])") or "./"
local check = here .. "@NAME@.lua"

-- What ctx.log.scan returns for a log with the given error lines.
local function log_with(lines)
  local matches = {}
  for i, text in ipairs(lines) do matches[i] = { line = i * 10, text = text } end
  return testing.fake { log = { scan = function() return { errors = { count = #lines, matches = matches } } end } }
end

describe("@NAME@", function()
  it("warns about error lines, quoting them", function()
    local report = testing.run(check, { log = check }, log_with { "12:00 ERROR disk full" })
    local f = testing.finding(report, "@NAME@.errors")
    assert.is_not_nil(f)
    assert.are.equal("warning", f.severity)
    assert.are.equal("12:00 ERROR disk full", f.evidence[1].value)
  end)

  it("finds nothing in a clean log", function()
    local report = testing.run(check, { log = check }, log_with {})
    assert.is_false(testing.has_finding(report, "@NAME@.errors"))
    assert.are.equal("ok", report.status)
  end)
end)
]=]

local function write(path, text, force)
  if not force then
    local f = io.open(path, "rb")
    if f then
      f:close()
      usage_error("%s exists; use --force to overwrite it", path)
    end
  end
  local f, err = io.open(path, "wb")
  if not f then usage_error("cannot write %s: %s", path, err) end
  f:write(text)
  f:close()
end

function M.run(args)
  local opts, pos = cliargs.parse(args, 2, {
    ["--dir"] = "dir", ["-d"] = "dir", ["--force"] = true, ["--force#"] = "force",
    ["-h"] = true, ["-h#"] = "help", ["--help"] = true, ["--help#"] = "help",
  })
  if #pos ~= 1 then usage_error("new-check needs one NAME (lower-case letters, digits and '-')") end
  local name = pos[1]
  if not name:match("^[a-z0-9][a-z0-9-]*$") then
    usage_error("'%s' is not a check name: use lower-case letters, digits and '-'", name)
  end
  local dir = opts.dir or "."
  local sep = package.config:sub(1, 1)
  local check_path = dir .. sep .. name .. ".lua"
  local spec_path = dir .. sep .. name .. "_spec.lua"
  local function fill(t) return (t:gsub("@NAME@", name)) end
  write(check_path, fill(CHECK), opts.force)
  write(spec_path, fill(SPEC), opts.force)
  io.stdout:write("wrote ", check_path, "\nwrote ", spec_path, "\n",
    "run it:  diagkit check ", check_path, " -p log=FILE\n",
    "test it: busted ", spec_path, "\n")
  return 0
end

return M
