-- What an exit code usually means in practice: the likely causes, what to
-- do, and which playbook digs further. diagkit.codes says what a number IS
-- (STATUS_DLL_NOT_FOUND); this table says what it usually MEANS for someone
-- whose program just died. Used by `diagkit explain` and the exit-code
-- playbook, so both always give the same advice.
--
-- Keys: a code's name (STATUS_*, ERROR_*, E*, SIG*), or "<kind>:<value>" for
-- conventions that have no name of their own (shell:127, go:2), or a hex
-- value for well-known exception codes that no header names (0xE06D7363).

local C = {}

local function add(keys, entry)
  for _, k in ipairs(keys) do C[k] = entry end
end

local WER_DUMPS = "Collect a crash dump: set HKLM\\SOFTWARE\\Microsoft\\Windows\\Windows Error Reporting\\LocalDumps"
  .. " (DumpType=2), reproduce, and open the .dmp in WinDbg with !analyze -v. The Application event log"
  .. " (Event ID 1000, source Application Error) names the faulting module and offset."
local CORE_DUMPS = "Enable core dumps (ulimit -c unlimited; on systemd machines `coredumpctl list` and"
  .. " `coredumpctl gdb`), reproduce, and get a backtrace with gdb (`bt full`). Building with"
  .. " -fsanitize=address pinpoints the bad access."

-- Windows: loader failures (the program never reached main) --------------

add({ "STATUS_DLL_NOT_FOUND" }, {
  severity = "error",
  title = "A DLL the program needs was not found (the loader stopped it before main)",
  causes = {
    "a DLL the .exe imports (or one of that DLL's own imports) is not in any folder of the DLL search order",
    "a runtime redistributable (Visual C++, .NET native, a vendor SDK) is not installed",
    "the program was copied without the DLLs that sat next to it",
  },
  remedy = "Find which DLL is missing with `diagkit run missing-dll -p program=<exe>`, then install the"
    .. " package that provides it or put it next to the .exe. The loader prints nothing to the console:"
    .. " only this exit code tells.",
  next = "missing-dll",
})

add({ "STATUS_ENTRYPOINT_NOT_FOUND", "STATUS_ORDINAL_NOT_FOUND", "ERROR_PROC_NOT_FOUND" }, {
  severity = "error",
  title = "A DLL was found but lacks a function the program imports",
  causes = {
    "an older version of the DLL is found first in the search order (the application folder, System32, PATH)",
    "the program was built against a newer SDK or runtime than the one installed",
  },
  remedy = "Run `diagkit run missing-dll -p program=<exe>` to see which DLL was picked and which import it"
    .. " lacks; install the matching version or remove the stale copy that shadows it.",
  next = "missing-dll",
})

add({ "STATUS_INVALID_IMAGE_FORMAT", "ERROR_BAD_EXE_FORMAT", "STATUS_INVALID_IMAGE_NOT_MZ" }, {
  severity = "error",
  title = "The program or one of its DLLs is not a valid image for this machine (often 32/64-bit mixing)",
  causes = {
    "a 64-bit program loaded a 32-bit DLL (or the reverse) found earlier in the search order",
    "a DLL is truncated or corrupt, or is built for another CPU (ARM64 vs x64)",
  },
  remedy = "Run `diagkit run missing-dll -p program=<exe>`: it shows the machine type of every DLL."
    .. " Install the DLL build that matches the program's bitness.",
  next = "missing-dll",
})

add({ "STATUS_DLL_INIT_FAILED", "ERROR_DLL_INIT_FAILED" }, {
  severity = "error",
  title = "A DLL's initialisation (DllMain) failed, so the process could not start",
  causes = {
    "a DLL's DllMain returned FALSE (missing configuration, licence, or a dependency it loads dynamically)",
    "a service or scheduled task ran out of desktop heap (many GUI-using processes in a non-interactive session)",
  },
  remedy = "Check the Application and System event logs at the time of the failure; for services, look for"
    .. " desktop heap exhaustion (SharedSection in HKLM\\System\\CurrentControlSet\\Control\\Session Manager\\SubSystems).",
  next = "event-log",
})

add({ "0x80000100", "EXCEPTION_WINE_STUB" }, {
  severity = "error",
  title = "Under Wine: the program called a function Wine does not implement (on Windows this is a missing entry point)",
  causes = {
    "Wine resolves a missing import to a stub that raises this exception when called;"
      .. " real Windows refuses to start the program with 0xC0000139 STATUS_ENTRYPOINT_NOT_FOUND",
  },
  remedy = "Run `diagkit run missing-dll -p program=<exe>` to find the import that is not exported;"
    .. " on Wine, WINEDEBUG=+relay or the 'unimplemented function' line on stderr names it.",
  next = "missing-dll",
})

-- Windows: crashes ----------------------------------------------------------

add({ "STATUS_ACCESS_VIOLATION" }, {
  severity = "error",
  title = "The program crashed with an access violation (it touched memory it does not own)",
  causes = {
    "a NULL or dangling pointer in the program or in a DLL it loaded",
    "a third-party DLL injected into the process (antivirus, overlay, shell extension)",
    "a DLL of a different version than the program was built against (ABI mismatch)",
  },
  remedy = WER_DUMPS,
})

add({ "STATUS_STACK_OVERFLOW" }, {
  severity = "error",
  title = "The program crashed: stack overflow",
  causes = {
    "unbounded or very deep recursion",
    "large arrays allocated on the stack",
  },
  remedy = "The crash dump's stack shows the recursing function. Fix the recursion; raise the stack"
    .. " reserve (/STACK, -Wl,--stack) only if the depth is legitimate. " .. WER_DUMPS,
})

add({ "STATUS_STACK_BUFFER_OVERRUN" }, {
  severity = "error",
  title = "The program stopped itself with a fail-fast (__fastfail, abort() in the UCRT, or a /GS stack-cookie check)",
  causes = {
    "abort() or std::terminate() (an unhandled C++ exception, a failed assertion) in a program using the UCRT",
    "an invalid-parameter handler or a security check (stack cookie, CFG) detected corruption",
  },
  remedy = "Look at what the program printed just before it died (assertion text, 'abort() has been called')."
    .. " " .. WER_DUMPS,
})

add({ "STATUS_HEAP_CORRUPTION" }, {
  severity = "error",
  title = "The program crashed: the heap manager detected heap corruption",
  causes = { "a double free, a write past the end of a heap block, or use after free" },
  remedy = "Reproduce with full page heap (`gflags /p /enable <exe> /full`, or Application Verifier);"
    .. " the first bad access then crashes at its source. " .. WER_DUMPS,
})

add({ "STATUS_ILLEGAL_INSTRUCTION", "STATUS_PRIVILEGED_INSTRUCTION", "SIGILL" }, {
  severity = "error",
  title = "The program executed an instruction this CPU cannot run",
  causes = {
    "the binary was built for newer CPU features (AVX2, AVX-512) than this machine has",
    "a deliberate trap (__builtin_trap, ud2) marking code that must never run",
    "corrupted code or a jump to data",
  },
  remedy = "Check the build's target CPU flags (-march) against this CPU (/proc/cpuinfo or coreinfo)."
    .. " A backtrace shows whether it was a deliberate trap.",
})

add({ "STATUS_INTEGER_DIVIDE_BY_ZERO", "STATUS_FLOAT_DIVIDE_BY_ZERO", "SIGFPE" }, {
  severity = "error",
  title = "The program crashed with an arithmetic fault (division by zero or overflow)",
  causes = { "an integer division or modulo by zero", "INT_MIN / -1" },
  remedy = "A backtrace at the crash shows the division; validate the divisor.",
})

add({ "STATUS_BREAKPOINT", "SIGTRAP" }, {
  severity = "error",
  title = "The program hit a breakpoint instruction with no debugger attached",
  causes = { "an assertion or __debugbreak()/int3 left in a debug build", "a debugger detached mid-session" },
  remedy = "Run the release build, or run under a debugger to see which assertion fired.",
})

add({ "STATUS_CONTROL_C_EXIT" }, {
  severity = "warning",
  title = "The program was stopped by Ctrl+C or by its console closing (not a crash)",
  causes = { "someone pressed Ctrl+C or Ctrl+Break", "the console window was closed", "a parent sent a console control event" },
  remedy = "Nothing crashed. If nobody pressed Ctrl+C, check what closed the console (a parent process, a logoff).",
})

add({ "STATUS_NO_MEMORY", "STATUS_COMMITMENT_LIMIT", "ERROR_NOT_ENOUGH_MEMORY", "ERROR_OUTOFMEMORY", "ENOMEM" }, {
  severity = "error",
  title = "The program ran out of memory",
  causes = { "the system commit limit (RAM + page file) was reached", "a memory leak", "a job object or container memory limit" },
  remedy = "Compare the peak memory use (exit-code's max_rss_kb) with the limit it hit (Windows: the page file or a"
    .. " job object; Linux: ulimit -v or the cgroup's memory.max); raise the limit, or fix the leak.",
})

add({ "STATUS_IN_PAGE_ERROR" }, {
  severity = "error",
  title = "The program crashed because part of its image could not be read from disk",
  causes = { "the .exe or a DLL lives on a network share or removable drive that went away", "a failing disk" },
  remedy = "Copy the program to a local disk; check the System event log for disk or network errors.",
  next = "event-log",
})

add({ "0xE06D7363" }, {
  severity = "error",
  title = "The program died of an unhandled C++ exception (MSVC exception code 0xE06D7363)",
  causes = { "a C++ throw that nothing caught" },
  remedy = "The dump's exception record holds the thrown type; catch it at the top of main or fix its cause. " .. WER_DUMPS,
})

add({ "0xE0434352" }, {
  severity = "error",
  title = "The program died of an unhandled .NET exception (CLR exception code 0xE0434352)",
  causes = { "a managed exception that nothing caught" },
  remedy = "The Application event log has a '.NET Runtime' event (ID 1026) with the exception and stack.",
  next = "event-log",
})

-- Windows: common Win32 errors returned as exit codes ---------------------

add({ "ERROR_MOD_NOT_FOUND" }, {
  severity = "error",
  title = "A module (DLL) could not be found",
  causes = {
    "LoadLibrary failed: the DLL or one of its own dependencies is missing from the search path",
    "a program that returns GetLastError() as its exit code failed to load a plug-in",
  },
  remedy = "Run `diagkit run missing-dll -p program=<exe or dll>` to find which dependency is missing.",
  next = "missing-dll",
})

add({ "ERROR_ACCESS_DENIED", "E_ACCESSDENIED", "STATUS_ACCESS_DENIED", "EACCES", "EPERM" }, {
  severity = "error",
  title = "Access denied",
  causes = {
    "the account the program runs as lacks a permission on a file, folder or registry key",
    "the program needs elevation (administrator) for what it does",
    "another process holds the file open exclusively, or an antivirus blocked it",
  },
  remedy = "Find the object and the missing right with `diagkit run permissions`; grant it to the account"
    .. " rather than running everything as administrator.",
  next = "permissions",
})

add({ "ERROR_ELEVATION_REQUIRED" }, {
  severity = "error",
  title = "The program must be started elevated (as administrator)",
  causes = { "its manifest requests requireAdministrator, or it was started from a non-elevated CreateProcess" },
  remedy = "Start it from an elevated prompt, or change what it does so it does not need elevation.",
  next = "permissions",
})

add({ "ERROR_FILE_NOT_FOUND", "ERROR_PATH_NOT_FOUND", "ENOENT" }, {
  severity = "error",
  title = "A file or folder was not found",
  causes = {
    "the program (or a script's interpreter) does not exist at the path used",
    "a relative path that only works from another working directory",
    "a configuration or data file the program expects is missing",
  },
  remedy = "Run `diagkit run flash-exit -- <program>` to trace which file it failed to open.",
  next = "flash-exit",
})

add({ "ERROR_SERVICE_REQUEST_TIMEOUT" }, {
  severity = "error",
  title = "A service did not report to the Service Control Manager in time (error 1053)",
  causes = { "the program is not a service (it never calls StartServiceCtrlDispatcher)", "it blocks too long in start-up" },
  remedy = "Check the System event log (Service Control Manager, event 7000/7009) with `diagkit run service`.",
  next = "service-stops",
})

-- POSIX: exec failures ------------------------------------------------------

add({ "ENOEXEC" }, {
  severity = "error",
  title = "The file is not an executable this system can run",
  causes = {
    "a binary for another CPU or OS (an ARM binary on x86_64, a Windows .exe on Linux)",
    "a script without a #! line",
  },
  remedy = "Check with `file <program>`; add a #! line to scripts; use the binary built for this machine.",
  next = "missing-dll",
})

add({ "ETXTBSY" }, {
  severity = "error",
  title = "The executable is open for writing (text file busy)",
  causes = { "it is still being written or copied (a build or an update in progress)" },
  remedy = "Wait for the writer to finish, or copy to a new file and rename it into place.",
})

add({ "E2BIG" }, {
  severity = "error",
  title = "The argument list and environment are too long for exec",
  causes = { "a huge glob expansion or environment variable" },
  remedy = "Pass the list through a file or xargs; trim the environment.",
})

-- POSIX: signals ------------------------------------------------------------

add({ "SIGSEGV" }, {
  severity = "error",
  title = "The program crashed with a segmentation fault (invalid memory access)",
  causes = {
    "a NULL or dangling pointer dereference",
    "a buffer overflow that corrupted a pointer or the stack",
    "stack exhaustion from deep recursion",
    "a shared library of a different version than the program was built against",
  },
  remedy = CORE_DUMPS,
})

add({ "SIGBUS" }, {
  severity = "error",
  title = "The program crashed with a bus error (a mapping it used is gone or misaligned)",
  causes = {
    "a memory-mapped file was truncated while mapped",
    "/dev/shm or a tmpfs ran out of space",
    "a misaligned access on a strict-alignment CPU",
  },
  remedy = "Check free space on the filesystems it maps (df /dev/shm). " .. CORE_DUMPS,
})

add({ "SIGABRT" }, {
  severity = "error",
  title = "The program aborted itself (abort(): an assertion, a runtime check, or a fatal library error)",
  causes = {
    "a failed assert()",
    "glibc detected heap corruption ('double free', 'malloc(): corrupted top size' on stderr)",
    "an uncaught C++ exception (std::terminate)",
    "a Go program run with GOTRACEBACK=crash",
  },
  remedy = "The last lines of stderr usually say why. " .. CORE_DUMPS,
})

add({ "SIGKILL" }, {
  severity = "error",
  title = "The program was killed with SIGKILL (it could not clean up)",
  causes = {
    "the kernel OOM killer chose it (the kernel log says 'Out of memory: Killed process')",
    "a cgroup/container memory limit (systemd MemoryMax, docker --memory)",
    "a supervisor's timeout (systemd TimeoutStopSec, a CI job limit) or someone ran kill -9",
  },
  remedy = "Check the kernel log (`journalctl -k | grep -i oom`, `dmesg`) and the service's memory limit"
    .. " (`systemctl show -p MemoryMax,MemoryCurrent UNIT`).",
})

add({ "SIGTERM" }, {
  severity = "warning",
  title = "The program was asked to terminate (SIGTERM) and did not handle it",
  causes = { "a service manager stopping it (systemctl stop, a deploy)", "a timeout in a wrapper", "a shutdown" },
  remedy = "Find who sent it: the service manager's log (journalctl -u <unit>) around that time.",
  next = "service-stops",
})

add({ "SIGINT" }, {
  severity = "warning",
  title = "The program was interrupted (SIGINT, usually Ctrl+C)",
  causes = { "Ctrl+C in its terminal", "a parent forwarding an interrupt" },
  remedy = "Nothing crashed. If nobody pressed Ctrl+C, check what sends SIGINT to its process group.",
})

add({ "SIGQUIT" }, {
  severity = "warning",
  title = "The program received SIGQUIT (Ctrl+\\); a Go program dumps all goroutines on it",
  causes = { "Ctrl+\\ in its terminal", "a deliberate request for a goroutine dump" },
  remedy = "For a Go program, the dump on stderr shows what every goroutine was doing: `diagkit run go-crash`.",
  next = "go-crash",
})

add({ "SIGPIPE" }, {
  severity = "warning",
  title = "The program wrote to a pipe or socket whose reader had gone (SIGPIPE)",
  causes = { "its output was piped into a command that exited early (head, grep -q)", "a peer closed a connection" },
  remedy = "Usually harmless in pipelines. Servers should ignore SIGPIPE and handle EPIPE.",
})

add({ "SIGXCPU" }, {
  severity = "error",
  title = "The program exceeded its CPU-time limit (RLIMIT_CPU)",
  causes = { "ulimit -t, or a resource limit set by its supervisor" },
  remedy = "Check `ulimit -t` and the service's LimitCPU=.",
})

add({ "SIGXFSZ" }, {
  severity = "error",
  title = "The program exceeded the file-size limit (RLIMIT_FSIZE)",
  causes = { "ulimit -f, or LimitFSIZE= in its service" },
  remedy = "Check `ulimit -f` and the service's limits.",
})

add({ "SIGSYS" }, {
  severity = "error",
  title = "The program made a system call its seccomp filter forbids",
  causes = { "a sandbox (systemd SystemCallFilter=, a container profile) blocks a call it needs" },
  remedy = "The audit log names the call (`journalctl -k | grep audit`); allow it in the filter.",
  next = "service-stops",
})

add({ "SIGHUP" }, {
  severity = "warning",
  title = "The program's terminal or session went away (SIGHUP)",
  causes = { "the SSH session or terminal closed while it ran in the foreground" },
  remedy = "Run it under nohup, tmux, or as a service.",
})

-- Conventions ---------------------------------------------------------------

add({ "shell:126" }, {
  severity = "error",
  title = "The shell found the command but could not execute it (126)",
  causes = { "no execute permission (chmod +x)", "the filesystem is mounted noexec", "a binary for another CPU" },
  remedy = "Check the mode and the mount (`diagkit run permissions`).",
  next = "permissions",
})

add({ "shell:127" }, {
  severity = "error",
  title = "The shell could not find the command (127)",
  causes = { "a typo or a program not installed", "PATH differs in this context (services, cron, sudo)", "a script's #! interpreter is missing" },
  remedy = "Use the full path, or check PATH in the environment that runs it (`diagkit run flash-exit`).",
  next = "flash-exit",
})

add({ "shell:128+" }, {
  severity = "error",
  title = "A shell reported that its command was killed by a signal (exit status 128 + signal number)",
  causes = { "see the signal's own explanation" },
  remedy = "Look up the signal: 128+N means signal N.",
})

add({ "go:2" }, {
  severity = "error",
  title = "A Go program panicked or hit a fatal runtime error (Go exits with 2)",
  causes = {
    "an unrecovered panic (nil map write, nil pointer, index out of range, explicit panic)",
    "a fatal error: all goroutines are asleep (deadlock), concurrent map writes, out of memory",
    "without 'panic:' or 'fatal error:' on stderr: os.Exit(2) in its own code, or the flag package's usage error",
  },
  remedy = "The panic message and the goroutine trace are on stderr; `diagkit run go-crash` parses them and"
    .. " names the first frame in your own code.",
  next = "go-crash",
})

add({ "go:1" }, {
  severity = "error",
  title = "A Go program exited with 1 (log.Fatal and most 'return an error from main' patterns)",
  causes = { "log.Fatal / log.Fatalf after an error (the last stderr line is the message)", "os.Exit(1) after a reported error" },
  remedy = "Read the last line of stderr: log.Fatal prints the message right before exiting.",
})

add({ "go:66" }, {
  severity = "error",
  title = "The Go race detector found a data race (exit status 66)",
  causes = { "two goroutines accessed the same variable without synchronisation, and one wrote" },
  remedy = "stderr holds 'WARNING: DATA RACE' with both stacks. Save it (`prog 2>race.txt`) and run"
    .. " `diagkit run go-race -p log=race.txt`: it reports each conflicting pair once, with the first"
    .. " frame in your code on both sides.",
  next = "go-race",
})

local M = {}

-- An entry names the playbook to run next only when that playbook ships
-- (a suggestion of one that is not there would be a dead end): in the
-- scripts folder, or built into the binary (diagkit.files.script).
local shipped = {}
local function available(e)
  if not e or not e.next then return e end
  local ok = shipped[e.next]
  if ok == nil then
    ok = require("diagkit.files").script("playbooks." .. e.next)
    shipped[e.next] = ok
  end
  if ok then return e end
  local copy = {}
  for k, v in pairs(e) do copy[k] = v end
  copy.next = nil
  return copy
end

--- The practical meaning of one interpretation from diagkit.codes, or nil.
function M.for_interpretation(i)
  if i.kind == "shell" or i.kind == "go" then
    if i.kind == "shell" and i.value > 128 and i.value < 160 then
      return available(C["shell:128+"])
    end
    return available(C[i.kind .. ":" .. tostring(i.value)])
  end
  return available(C[i.name or ""] or C[string.format("0x%08X", i.value or 0)])
end

--- The entry for a name or key ("SIGSEGV", "go:2", "0xE06D7363").
function M.get(key)
  return available(C[key])
end

return M
