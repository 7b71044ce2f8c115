-- examples/custom-check/app-starts.lua
-- Does the program stay up? A service or a GUI program should still be
-- running after a few seconds; one that exits or crashes at once is the
-- "it starts and immediately exits" complaint.
return diagkit.playbook {
  id = "app-starts",
  title = "Does the program stay up for a few seconds?",
  summary = "Runs the program and says how it ended if it did not stay up.",
  params = {
    argv = { type = "argv", required = true, help = "the program and its arguments" },
    within = { type = "duration", default = 2, min = 0.1, help = "how long it must stay up" },
  },

  run = function(ctx, p)
    -- ctx.proc is diagkit.proc: a spec replays recorded answers instead.
    local r, err, code = ctx.proc.run { argv = p.argv, timeout = p.within, stdin = false }
    if not r then
      ctx:unknown("could not run it: " .. tostring(err) .. " (" .. tostring(code) .. ")")
      return
    end
    ctx:fact("ended", { status = r.status, exit_code = r.exit_code, signal = r.signal_name })

    if r.status == "timeout" then
      return -- still running when time was up: that is what we want, no finding
    elseif r.status == "failed" then
      ctx:finding {
        id = "app-starts.cannot-start", severity = "error",
        title = "It could not be started: " .. tostring(r.error and r.error.message),
        remedy = "Check the path, the execute permission and the interpreter (diagkit run exit-code explains more).",
      }
    elseif r.status == "signaled" then
      ctx:finding {
        id = "app-starts.crashed", severity = "error",
        title = string.format("It crashed at once with %s", r.signal_name or ("signal " .. r.signal)),
        evidence = { { kind = "stderr", value = r.stderr } },
        next = "exit-code",
      }
    else
      -- What the exit status may mean: the first reading diagkit.codes knows.
      local readings = ctx.codes.lookup(r.exit_code) or {}
      local first = readings[1]
      ctx:finding {
        id = "app-starts.exited", severity = r.exit_code == 0 and "warning" or "error",
        title = string.format("It exited at once with status %d%s", r.exit_code,
          first and (" (" .. (first.name or first.kind) .. "?)") or ""),
        evidence = { { kind = "stderr", value = r.stderr } },
        next = "flash-exit",
      }
    end
  end,
}
