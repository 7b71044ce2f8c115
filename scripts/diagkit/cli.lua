-- The diagkit command line. runtime/main.c opens a host and calls main(args);
-- the return value is the process exit status:
--   0 nothing found, 1 warnings, 2 errors, 3 could not diagnose, 64 usage error.

local files = require "diagkit.files"
local playbook = require "diagkit.playbook"
local report = require "diagkit.report"

local M = {}

local EXIT = report.EXIT
local cliargs = require "diagkit.cliargs"
local usage_error, parse = cliargs.usage_error, cliargs.parse

-- The first write to stdout that failed (a full disk, /dev/full, a closed
-- pipe): main reports it, and a lost report is never exit status 0.
local write_error
local function out(s)
  local ok, err = io.stdout:write(s)
  if not ok then write_error = write_error or err end
end

-- Raised by emit when the report file cannot be written; main turns it into
-- a message and the exit status.
local io_failure_mt = {}

local HELP = [[
diagkit - why does this program not start, exit silently, or crash?

Usage:
  diagkit list                                  the playbooks, one per line
  diagkit info <playbook>                       what a playbook does and its parameters
  diagkit run <playbook> [-p key=value]... [--format text|json|nagios|junit|prometheus|html] [-- program args...]
  diagkit check <file.lua> [-p key=value]... [--format ...] [-- program args...]
  diagkit explain <code> [--context go|shell|windows|linux] [--format text|json]
  diagkit version

Exit status of run and check: 0 nothing found, 1 warnings, 2 errors,
3 could not diagnose, 64 usage error. 'diagkit <command> --help' for more.
]]

local COMMAND_HELP = {
  list = "Usage: diagkit list [--format text|json]\nLists the playbooks found in the scripts folder and $DIAGKIT_PATH.\n",
  info = "Usage: diagkit info <playbook>\nShows what a playbook does, its parameters and examples.\n",
  run = [[
Usage: diagkit run <playbook> [-p key=value]... [--format text|json|nagios|junit|prometheus|html] [-o FILE] [-v] [-- program args...]
Runs a playbook and prints its findings.
  -p, --param key=value   set a parameter ('diagkit info <playbook>' lists them)
  -f, --format FORMAT     text (default), json (schema diagkit.report/1), nagios, junit,
                          prometheus or html (docs/report-formats.md)
  -o, --output FILE       write the report to FILE instead of stdout
  -v, --verbose           progress on stderr
  --record DIR            save the native calls and the report to DIR, for diagkit.testing
  -- program args...      the program a playbook should run or analyse
Checks that are not bundled (diagkit check FILE, and playbooks from $DIAGKIT_PATH,
~/.config/diagkit/playbooks, /etc/diagkit/playbooks, %APPDATA%\\diagkit\\playbooks)
run in a sandbox (docs/sandbox.md):
  --allow-read DIR        let the check read files under DIR (repeatable; path params are allowed)
  --allow-exec            let the check start programs through diagkit.proc
  --max-instructions N    stop the check after N Lua instructions (default 5e8)
  --max-memory MIB        stop the check when it holds more than MIB MiB (default 256)
  --max-seconds S         stop the check after S seconds of wall-clock time (default 300)
  --trust                 no sandbox: the check runs with your full rights
Exit status: 0 nothing found, 1 warnings, 2 errors, 3 could not diagnose, 64 usage error.
]],
  check = [[
Usage: diagkit check <file.lua> [-p key=value]... [--format text|json|nagios|junit|prometheus|html] [-- program args...]
Runs your own check: a Lua file that returns diagkit.playbook{...}
(see docs/writing-playbooks.md). Same options and exit status as 'run'.
Checks that are not bundled (diagkit check FILE, and playbooks from $DIAGKIT_PATH,
~/.config/diagkit/playbooks, /etc/diagkit/playbooks, %APPDATA%\\diagkit\\playbooks)
run in a sandbox (docs/sandbox.md):
  --allow-read DIR        let the check read files under DIR (repeatable; path params are allowed)
  --allow-exec            let the check start programs through diagkit.proc
  --max-instructions N    stop the check after N Lua instructions (default 5e8)
  --max-memory MIB        stop the check when it holds more than MIB MiB (default 256)
  --max-seconds S         stop the check after S seconds of wall-clock time (default 300)
  --trust                 no sandbox: the check runs with your full rights
]],
  explain = [[
Usage: diagkit explain <code> [--context go|shell|windows|linux] [--format text|json]
Explains an exit code, status or error number, with every plausible reading:
  diagkit explain 0xC0000135        an NTSTATUS (hex)
  diagkit explain -1073741819       the same kind of code as a signed 32-bit exit status
  diagkit explain 139               a shell status (128 + SIGSEGV), an errno, a Win32 error...
  diagkit explain "exit status 2"   a phrase as Go or a shell prints it
  diagkit explain SIGKILL           a name: STATUS_*, ERROR_*, E*, SIG*
]],
  version = "Usage: diagkit version\n",
}

local RUN_OPTIONS = {
  ["-p"] = "param", ["--param"] = "param", ["-f"] = "format", ["--format"] = "format",
  ["-o"] = "output", ["--output"] = "output",
  ["-v"] = true, ["-v#"] = "verbose", ["--verbose"] = true, ["--verbose#"] = "verbose",
  ["-h"] = true, ["-h#"] = "help", ["--help"] = true, ["--help#"] = "help",
  -- The sandbox of checks that are not bundled (diagkit/sandbox.lua).
  ["--trust"] = true, ["--trust#"] = "trust", ["--allow-exec"] = true, ["--allow-exec#"] = "allow_exec",
  ["--allow-read"] = "allow_read*", ["--max-instructions"] = "max_instructions",
  ["--max-memory"] = "max_memory", ["--max-seconds"] = "max_seconds",
  -- Save the native calls and the report to DIR (diagkit/recording.lua, docs/lua-api/testing.md).
  ["--record"] = "record",
}

-- The sandbox options as playbook.find/catalog/load_file take them.
local function load_opts(opts)
  if opts.trust then return { trust = true } end
  local instructions, memory
  if opts.max_instructions then
    instructions = math.tointeger(tonumber(opts.max_instructions))
    if not instructions or instructions <= 0 then
      usage_error("--max-instructions needs a positive integer, got '%s'", opts.max_instructions)
    end
  end
  if opts.max_memory then
    local mib = tonumber(opts.max_memory)
    if not mib or mib <= 0 then usage_error("--max-memory needs a number of MiB, got '%s'", opts.max_memory) end
    memory = math.floor(mib * 1024 * 1024)
  end
  local milliseconds
  if opts.max_seconds then
    local sec = tonumber(opts.max_seconds)
    if not sec or sec <= 0 then usage_error("--max-seconds needs a number of seconds, got '%s'", opts.max_seconds) end
    milliseconds = math.max(1, math.floor(sec * 1000))
  end
  local policy, err = require("diagkit.sandbox").policy {
    allow_read = opts.allow_read, allow_exec = opts.allow_exec,
    instructions = instructions, memory = memory, milliseconds = milliseconds,
  }
  if not policy then usage_error("%s", err) end
  return { sandbox = require("diagkit.sandbox").loader(policy) }
end

local function note(def)
  if def.note then io.stderr:write("diagkit: note: ", def.note, "\n") end
end

local function wants_nagios(args)
  for i = 2, #args do
    if args[i] == "--" then return false end
    if (args[i] == "-f" or args[i] == "--format") and args[i + 1] == "nagios" then return true end
    if args[i] == "--format=nagios" then return true end
  end
  return false
end

local function wants_help(args, first)
  for i = first, #args do
    if args[i] == "--" then return false end
    if args[i] == "-h" or args[i] == "--help" then return true end
  end
  return false
end

local function formatter(name)
  name = name or "text"
  if not name:match("^[a-z]+$") then usage_error("unknown format '%s' (text, json, nagios, junit, prometheus, html)", name) end
  local ok, f = pcall(require, "diagkit.format." .. name)
  if not ok then usage_error("unknown format '%s' (text, json, nagios, junit, prometheus, html)", name) end
  return f
end

-- Turns "-p key=value" strings into a table of raw params. A list param may
-- be given several times (-p path=a -p path=b) and each may hold commas;
-- any other param given twice is a mistake worth a usage error.
local function raw_params(list, specs)
  local raw = {}
  for _, kv in ipairs(list) do
    local k, v = kv:match("^([%a_][%w_]*)=(.*)$")
    if not k then usage_error("parameter '%s' must be key=value", kv) end
    local spec = specs and specs[k]
    if spec and spec.type == "list" then
      local acc = raw[k] or {}
      for item in v:gmatch("[^,]+") do acc[#acc + 1] = item end
      raw[k] = acc
    elseif raw[k] ~= nil then
      usage_error("parameter '%s' given twice", k)
    else
      raw[k] = v
    end
  end
  return raw
end

local function emit(rep, fmt_name, output)
  local fmt = formatter(fmt_name)
  local text = fmt.render(rep, { colour = output == nil and fmt_name ~= "json" and
    require("diagkit.format.text").want_colour(1) })
  if output then
    local f, err = io.open(output, "wb")
    if not f then usage_error("cannot write the report: %s", err) end
    local ok, werr = f:write(text)
    local closed, cerr = f:close()
    if not (ok and closed) then
      error(setmetatable({ message = string.format("cannot write the report to %s: %s", output, werr or cerr) },
        io_failure_mt), 0)
    end
  else
    out(text)
  end
end

-- Runs a loaded definition with the command's options; returns the exit status.
local function run_definition(def, opts, rest)
  local raw = raw_params(opts.param, def.params)
  local argv_name = require("diagkit.params").argv_name(def.params)
  if rest and #rest > 0 then
    if not argv_name then usage_error("playbook '%s' does not take a program after --", def.id) end
    raw[argv_name] = rest
  end
  formatter(opts.format) -- reject a bad format before running anything
  -- progress lines on a TTY's stderr, only for text output (diagkit/progress.lua)
  local progress = require "diagkit.progress"
  progress.configure { format = opts.format or "text" }
  local rep, err = playbook.run(def, raw, { verbose = opts.verbose, record = opts.record })
  progress.clear()
  if not rep then usage_error("%s", err) end
  emit(rep, opts.format, opts.output)
  return rep.exit_status
end

-- Commands -----------------------------------------------------------------

local commands = {}

function commands.list(args)
  local opts = parse(args, 2, RUN_OPTIONS)
  local list, errors = playbook.catalog(load_opts(opts))
  if opts.format == "json" then
    local json = require "diagkit.json"
    local items = json.array()
    for _, d in ipairs(list) do
      items[#items + 1] = { id = d.id, title = d.title, summary = d.summary, version = d.version,
        platforms = json.array(d.platforms), tags = json.array(d.tags), bundled = d.bundled,
        file = d.file, overrides = d.overrides }
    end
    out(json.encode({ playbooks = items }, { indent = "  " }) .. "\n")
  else
    local width = 0
    for _, d in ipairs(list) do width = math.max(width, #d.id) end
    for _, d in ipairs(list) do
      local origin = d.bundled and "" or ("  [" .. d.file .. (d.overrides and ", overrides the bundled one" or "") .. "]")
      out(string.format("%-" .. width .. "s  %s%s\n", d.id, d.title, origin))
    end
  end
  for _, e in ipairs(errors) do io.stderr:write("diagkit: skipped a broken playbook: ", e.message, "\n") end
  return EXIT.ok
end

function commands.info(args)
  local opts, pos = parse(args, 2, RUN_OPTIONS)
  if #pos ~= 1 then usage_error("info needs one playbook name (diagkit list shows them)") end
  local def, err = playbook.find(pos[1], load_opts(opts))
  if not def then usage_error("%s", err) end
  local lines = { def.id .. " " .. def.version .. ": " .. def.title, "", def.summary, "" }
  if def.description then lines[#lines + 1] = def.description; lines[#lines + 1] = "" end
  lines[#lines + 1] = "Platforms: " .. table.concat(def.platforms, ", ")
  if not def.bundled and def.file then
    lines[#lines + 1] = "File: " .. def.file .. " (not bundled: runs in the sandbox unless --trust)"
  end
  if def.note then lines[#lines + 1] = "Note: " .. def.note end
  local names = {}
  for n in pairs(def.params) do names[#names + 1] = n end
  table.sort(names)
  if #names > 0 then lines[#lines + 1] = ""; lines[#lines + 1] = "Parameters:" end
  for _, n in ipairs(names) do
    local p = def.params[n]
    local how = p.type == "argv" and "-- program args..." or ("-p " .. n .. "=<" .. p.type .. ">")
    local extra = {}
    if p.required then extra[#extra + 1] = "required" end
    if p.default ~= nil then extra[#extra + 1] = "default " .. tostring(p.default) end
    if p.choices then extra[#extra + 1] = "one of " .. table.concat(p.choices, "|") end
    lines[#lines + 1] = string.format("  %-28s %s%s", how, p.help,
      #extra > 0 and (" (" .. table.concat(extra, "; ") .. ")") or "")
  end
  if #def.examples > 0 then
    lines[#lines + 1] = ""
    lines[#lines + 1] = "Examples:"
    for _, e in ipairs(def.examples) do lines[#lines + 1] = "  " .. e end
  end
  out(table.concat(lines, "\n") .. "\n")
  return EXIT.ok
end

function commands.run(args)
  local opts, pos, rest = parse(args, 2, RUN_OPTIONS)
  if #pos == 0 then usage_error("run needs a playbook name (diagkit list shows them)") end
  if #pos > 1 then usage_error("unexpected argument '%s' (put the program after --)", pos[2]) end
  local def, err = playbook.find(pos[1], load_opts(opts))
  if not def then usage_error("%s", err) end
  note(def)
  return run_definition(def, opts, rest)
end

function commands.check(args)
  local opts, pos, rest = parse(args, 2, RUN_OPTIONS)
  if #pos ~= 1 then usage_error("check needs one Lua file") end
  local f = io.open(pos[1], "rb")
  if not f then usage_error("cannot open check file '%s'", pos[1]) end
  f:close()
  local def, err = playbook.load_file(pos[1], load_opts(opts))
  if not def then usage_error("%s", err) end
  return run_definition(def, opts, rest)
end

function commands.explain(args)
  local opts, pos = parse(args, 2, {
    ["--context"] = "context", ["-c"] = "context", ["-f"] = "format", ["--format"] = "format",
    ["-h"] = true, ["-h#"] = "help", ["--help"] = true, ["--help#"] = "help",
  })
  if #pos == 0 then usage_error("explain needs a code, e.g. diagkit explain 0xC0000005") end
  local explain = require "diagkit.explain"
  local text = table.concat(pos, " ")
  local result, err = explain.explain(text, opts.context)
  if not result then usage_error("%s", err) end
  if opts.format == "json" then
    out(require("diagkit.json").encode(result, { indent = "  " }) .. "\n")
  elseif opts.format == nil or opts.format == "text" then
    out(explain.render(result, require("diagkit.format.text").want_colour(1)))
  else
    usage_error("unknown format '%s' (text, json)", opts.format)
  end
  return EXIT.ok
end

function commands.version()
  local host_ok, host = pcall(require, "diagkit.host")
  local sys = require "diagkit.sys"
  local p = sys.platform()
  out(string.format("diagkit %s (%s, %s, %s%s)\n", host_ok and host.version or "?",
    _VERSION, p.os, p.arch, p.wine and (", Wine " .. p.wine) or ""))
  return EXIT.ok
end

-- The commands modules contribute (scripts/diagkit/commands/*.lua), sorted,
-- each with its one-line summary; empty when the folder cannot be listed.
-- The file names in scripts/diagkit/commands: from the folder, or from the
-- scripts built into the binary.
local function command_files()
  local names = {}
  local host = files.bundle()
  if host then
    for _, p in ipairs(host.bundled) do
      local name = p:match("^diagkit/commands/([%w_]+%.lua)$")
      if name then names[#names + 1] = name end
    end
    return names
  end
  local cli_path = package.searchpath("diagkit.cli", package.path)
  local ok, lfs = pcall(require, "lfs")
  if not (cli_path and ok) then return names end
  local dir_ok, iter, state = pcall(lfs.dir, cli_path:gsub("[^/\\]+$", "") .. "commands")
  if not dir_ok then return names end
  for file in iter, state do names[#names + 1] = file end
  return names
end

local function module_commands()
  local found = {}
  for _, file in ipairs(command_files()) do
    local name = file:match("^([%w_]+)%.lua$")
    if name then
      local loaded, mod = pcall(require, "diagkit.commands." .. name)
      if loaded and type(mod) == "table" then
        found[#found + 1] = { name = name:gsub("_", "-"), summary = mod.summary or "" }
      end
    end
  end
  table.sort(found, function(a, b) return a.name < b.name end)
  return found
end

--- s with control characters and bytes that are not UTF-8 escaped (\n,
--- \x1b, \xff): a file name from the command line can hold anything, and a
--- message on a terminal must not move the cursor or print mojibake.
function M.printable(s)
  local out, i, n = {}, 1, #s
  while i <= n do
    local b = s:byte(i)
    local len = b < 0x80 and 1 or (b >= 0xC2 and b <= 0xDF) and 2 or (b >= 0xE0 and b <= 0xEF) and 3
      or (b >= 0xF0 and b <= 0xF4) and 4 or 0
    local ch = len > 0 and s:sub(i, i + len - 1) or nil
    if ch and len > 1 and (#ch < len or not utf8.len(ch)) then ch = nil end
    if not ch then
      out[#out + 1] = string.format("\\x%02x", b)
      i = i + 1
    elseif len == 1 and (b < 0x20 or b == 0x7f) then
      out[#out + 1] = b == 10 and "\\n" or b == 9 and "\\t" or string.format("\\x%02x", b)
      i = i + 1
    else
      out[#out + 1] = ch
      i = i + len
    end
  end
  return table.concat(out)
end

--- Entry point: args is the argument list (args[0] the program name).
function M.main(args)
  local cmd = args[1]
  if cmd == nil or cmd == "-h" or cmd == "--help" or cmd == "help" then
    out(HELP)
    local extra = module_commands()
    if #extra > 0 then
      out("\nMore commands (diagkit <command> --help):\n")
      for _, c in ipairs(extra) do out(string.format("  %-10s %s\n", c.name, c.summary)) end
    end
    return cmd == nil and EXIT.usage or EXIT.ok
  end
  if cmd == "--version" then cmd = "version" end
  local fn = commands[cmd]
  local extra_help
  if not fn and cmd:match("^[a-z][a-z0-9-]*$") then
    -- Commands contributed by modules: scripts/diagkit/commands/<cmd>.lua
    -- returning {help = "...", run = function(args) ... end}.
    local name = "diagkit.commands." .. cmd:gsub("-", "_")
    if files.script(name) then
      local mod = require(name)
      fn, extra_help = mod.run, mod.help
    end
  end
  local ok, status = pcall(function()
    write_error = nil
    if not fn then
      local names = {}
      for name in pairs(commands) do names[#names + 1] = name end
      local hint = playbook.closest(cmd, names)
      usage_error("unknown command '%s'%s (try diagkit --help)", cmd,
        hint and (", did you mean '" .. hint .. "'?") or "")
    end
    local help = COMMAND_HELP[cmd] or extra_help
    if help and wants_help(args, 2) then
      if cmd == "run" then
        -- `diagkit run <playbook> --help` describes that playbook.
        local _, pos = pcall(parse, args, 2, RUN_OPTIONS)
        if type(pos) == "table" and pos[1] then return commands.info({ "info", pos[1] }) end
      end
      out(help)
      return EXIT.ok
    end
    return fn(args)
  end)
  -- A report (or a command's output) that could not be written: 3 for a run
  -- (nothing was diagnosed as far as the user can see), 74 for a command.
  local failed_write = not ok and getmetatable(status) == io_failure_mt and status.message
  if ok or failed_write then
    local flushed, ferr = io.stdout:flush()
    local werr = failed_write or write_error or (not flushed and ferr)
    if werr and status ~= EXIT.ioerr then -- (a command that said so itself)
      io.stderr:write("diagkit: ", failed_write or ("cannot write the output: " .. tostring(werr)), "\n")
      return (cmd == "run" or cmd == "check") and EXIT.unknown or EXIT.ioerr
    end
    return status
  end
  if cliargs.is_usage(status) then
    io.stderr:write("diagkit: ", M.printable(status.message), "\n")
    -- A monitoring system reads 64 as "out of bounds": under --format nagios
    -- a usage error is the plugin convention's UNKNOWN, with a status line.
    if (cmd == "run" or cmd == "check") and wants_nagios(args) then
      out("DIAGKIT UNKNOWN - " .. status.message:gsub("|", "/") .. "\n")
      return EXIT.unknown
    end
    return EXIT.usage
  end
  error(status, 0)
end

return M
