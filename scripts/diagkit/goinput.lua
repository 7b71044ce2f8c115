-- What the Go playbooks (go-crash, go-memory, go-race) read: a saved output
-- file (or standard input), or the stderr of the program run here. Failures
-- end up in the report as ctx:unknown(...), worded the same by all of them.
-- For bundled playbooks: it reads standard input, which a sandboxed check
-- may not, so the sandbox does not offer it.

local progress = require "diagkit.progress"

local M = {}

--- The text of path ("-": standard input), with a progress bar labelled
--- "<id>: reading <path>" for a large file, and where it came from (the path,
--- or "stdin"); nil after ctx:unknown("cannot read ...") when it cannot be read.
function M.read(ctx, id, path)
  local text, err = progress.read_file(path, id .. ": reading " .. path)
  if not text then
    ctx:unknown(string.format("cannot read %s: %s", path, tostring(err)))
    return nil
  end
  return text, path == "-" and "stdin" or path
end

--- Runs p.argv through ctx.proc (p.timeout, no stdin, env added); the result
--- of proc.run, or nil after ctx:unknown(...): no_proc when this build has no
--- diagkit.proc, or why the program could not be started.
function M.run(ctx, p, env, no_proc)
  local proc = ctx.proc
  if type(proc) ~= "table" or type(proc.run) ~= "function" then
    ctx:unknown(no_proc)
    return nil
  end
  local r, err, code = proc.run { argv = p.argv, timeout = p.timeout, stdin = false, env = env }
  if not r then
    ctx:unknown(string.format("could not run %s: %s (%s)", p.argv[1], tostring(err), tostring(code)))
    return nil
  end
  return r
end

return M
