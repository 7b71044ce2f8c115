/*
** diagkit.codes core: parsing the input, the hand-maintained tables (signals,
** errno, shell, Go, Wine, runtime exception codes), bit decoding of NTSTATUS and
** HRESULT, and the ranking of readings. The generated tables are in codes_data.c.
*/
#include "codes.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "codes_data.h"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- hand-maintained tables --------------------------------------------- */

/* Linux signal numbers (x86, arm, arm64, riscv: the generic numbering). Fixed on
** purpose: the tool explains a Linux exit status on any host, Windows included.
** text is strsignal()'s wording (also what Go's exec prints after "signal: "). */
typedef struct signal_info {
  const char *name;
  const char *text;
  const char *message;
} signal_info;

static const signal_info signals[32] = {
    [1] = {"SIGHUP", "Hangup", "Hangup: the terminal or session went away (daemons use it to reload)"},
    [2] = {"SIGINT", "Interrupt", "Interrupt from the keyboard (Ctrl-C)"},
    [3] = {"SIGQUIT", "Quit", "Quit from the keyboard (Ctrl-\\); Go and the JVM dump all stacks on it"},
    [4] = {"SIGILL", "Illegal instruction", "Illegal instruction (bad code, or a CPU lacking an instruction set)"},
    [5] = {"SIGTRAP", "Trace/breakpoint trap", "Trace/breakpoint trap (a breakpoint or __builtin_trap without a debugger)"},
    [6] = {"SIGABRT", "Aborted", "Aborted: abort() was called (failed assert, C++ terminate, glibc heap check)"},
    [7] = {"SIGBUS", "Bus error", "Bus error: bad memory access (mapped file truncated, misaligned access)"},
    [8] = {"SIGFPE", "Floating point exception", "Arithmetic error (integer division by zero, overflow)"},
    [9] = {"SIGKILL", "Killed", "Killed: SIGKILL cannot be caught (kill -9, the OOM killer, a timeout)"},
    [10] = {"SIGUSR1", "User defined signal 1", "User-defined signal 1 (default action: terminate)"},
    [11] = {"SIGSEGV", "Segmentation fault", "Segmentation fault: invalid memory reference"},
    [12] = {"SIGUSR2", "User defined signal 2", "User-defined signal 2 (default action: terminate)"},
    [13] = {"SIGPIPE", "Broken pipe", "Broken pipe: wrote to a pipe or socket with no reader"},
    [14] = {"SIGALRM", "Alarm clock", "Timer signal from alarm() expired"},
    [15] = {"SIGTERM", "Terminated", "Terminated: polite termination request (kill, systemd stop, docker stop)"},
    [16] = {"SIGSTKFLT", "Stack fault", "Stack fault on a coprocessor (unused on Linux)"},
    [17] = {"SIGCHLD", "Child exited", "A child process stopped or terminated (ignored by default)"},
    [18] = {"SIGCONT", "Continued", "Continue a stopped process"},
    [19] = {"SIGSTOP", "Stopped (signal)", "Stop the process; cannot be caught"},
    [20] = {"SIGTSTP", "Stopped", "Stop typed at the terminal (Ctrl-Z)"},
    [21] = {"SIGTTIN", "Stopped (tty input)", "Background process read from the terminal"},
    [22] = {"SIGTTOU", "Stopped (tty output)", "Background process wrote to the terminal"},
    [23] = {"SIGURG", "Urgent I/O condition", "Urgent data on a socket (Go uses it for goroutine preemption)"},
    [24] = {"SIGXCPU", "CPU time limit exceeded", "CPU time limit exceeded (ulimit -t, RLIMIT_CPU)"},
    [25] = {"SIGXFSZ", "File size limit exceeded", "File size limit exceeded (ulimit -f, RLIMIT_FSIZE)"},
    [26] = {"SIGVTALRM", "Virtual timer expired", "Virtual timer expired"},
    [27] = {"SIGPROF", "Profiling timer expired", "Profiling timer expired"},
    [28] = {"SIGWINCH", "Window changed", "Terminal window size changed (ignored by default)"},
    [29] = {"SIGIO", "I/O possible", "I/O now possible (also SIGPOLL)"},
    [30] = {"SIGPWR", "Power failure", "Power failure"},
    [31] = {"SIGSYS", "Bad system call", "Bad system call (often a seccomp filter refusing a syscall)"},
};

/* Other names of the same numbers (never the canonical one). */
static const struct {
  const char *name;
  uint32_t value;
} signal_aliases[] = {{"SIGIOT", 6}, {"SIGCLD", 17}, {"SIGPOLL", 29}, {"SIGUNUSED", 31}};

/* errno names known to this platform's <errno.h>, with its values: on Windows
** (mingw / the UCRT) the numbers differ from Linux (ETIMEDOUT is 138, not 110),
** so the values are compile-time ones. Canonical names first, then the names that
** Linux defines as aliases (EWOULDBLOCK = EAGAIN, ...). Messages come from
** strerror() at run time. */
#define E(n) {n, #n}
static const struct {
  int value;
  const char *name;
} errnos[] = {
#ifdef EPERM
    E(EPERM),
#endif
#ifdef ENOENT
    E(ENOENT),
#endif
#ifdef ESRCH
    E(ESRCH),
#endif
#ifdef EINTR
    E(EINTR),
#endif
#ifdef EIO
    E(EIO),
#endif
#ifdef ENXIO
    E(ENXIO),
#endif
#ifdef E2BIG
    E(E2BIG),
#endif
#ifdef ENOEXEC
    E(ENOEXEC),
#endif
#ifdef EBADF
    E(EBADF),
#endif
#ifdef ECHILD
    E(ECHILD),
#endif
#ifdef EAGAIN
    E(EAGAIN),
#endif
#ifdef ENOMEM
    E(ENOMEM),
#endif
#ifdef EACCES
    E(EACCES),
#endif
#ifdef EFAULT
    E(EFAULT),
#endif
#ifdef ENOTBLK
    E(ENOTBLK),
#endif
#ifdef EBUSY
    E(EBUSY),
#endif
#ifdef EEXIST
    E(EEXIST),
#endif
#ifdef EXDEV
    E(EXDEV),
#endif
#ifdef ENODEV
    E(ENODEV),
#endif
#ifdef ENOTDIR
    E(ENOTDIR),
#endif
#ifdef EISDIR
    E(EISDIR),
#endif
#ifdef EINVAL
    E(EINVAL),
#endif
#ifdef ENFILE
    E(ENFILE),
#endif
#ifdef EMFILE
    E(EMFILE),
#endif
#ifdef ENOTTY
    E(ENOTTY),
#endif
#ifdef ETXTBSY
    E(ETXTBSY),
#endif
#ifdef EFBIG
    E(EFBIG),
#endif
#ifdef ENOSPC
    E(ENOSPC),
#endif
#ifdef ESPIPE
    E(ESPIPE),
#endif
#ifdef EROFS
    E(EROFS),
#endif
#ifdef EMLINK
    E(EMLINK),
#endif
#ifdef EPIPE
    E(EPIPE),
#endif
#ifdef EDOM
    E(EDOM),
#endif
#ifdef ERANGE
    E(ERANGE),
#endif
#ifdef EDEADLK
    E(EDEADLK),
#endif
#ifdef ENAMETOOLONG
    E(ENAMETOOLONG),
#endif
#ifdef ENOLCK
    E(ENOLCK),
#endif
#ifdef ENOSYS
    E(ENOSYS),
#endif
#ifdef ENOTEMPTY
    E(ENOTEMPTY),
#endif
#ifdef ELOOP
    E(ELOOP),
#endif
#ifdef ENOMSG
    E(ENOMSG),
#endif
#ifdef EIDRM
    E(EIDRM),
#endif
#ifdef ECHRNG
    E(ECHRNG),
#endif
#ifdef EL2NSYNC
    E(EL2NSYNC),
#endif
#ifdef EL3HLT
    E(EL3HLT),
#endif
#ifdef EL3RST
    E(EL3RST),
#endif
#ifdef ELNRNG
    E(ELNRNG),
#endif
#ifdef EUNATCH
    E(EUNATCH),
#endif
#ifdef ENOCSI
    E(ENOCSI),
#endif
#ifdef EL2HLT
    E(EL2HLT),
#endif
#ifdef EBADE
    E(EBADE),
#endif
#ifdef EBADR
    E(EBADR),
#endif
#ifdef EXFULL
    E(EXFULL),
#endif
#ifdef ENOANO
    E(ENOANO),
#endif
#ifdef EBADRQC
    E(EBADRQC),
#endif
#ifdef EBADSLT
    E(EBADSLT),
#endif
#ifdef EBFONT
    E(EBFONT),
#endif
#ifdef ENOSTR
    E(ENOSTR),
#endif
#ifdef ENODATA
    E(ENODATA),
#endif
#ifdef ETIME
    E(ETIME),
#endif
#ifdef ENOSR
    E(ENOSR),
#endif
#ifdef ENONET
    E(ENONET),
#endif
#ifdef ENOPKG
    E(ENOPKG),
#endif
#ifdef EREMOTE
    E(EREMOTE),
#endif
#ifdef ENOLINK
    E(ENOLINK),
#endif
#ifdef EADV
    E(EADV),
#endif
#ifdef ESRMNT
    E(ESRMNT),
#endif
#ifdef ECOMM
    E(ECOMM),
#endif
#ifdef EPROTO
    E(EPROTO),
#endif
#ifdef EMULTIHOP
    E(EMULTIHOP),
#endif
#ifdef EDOTDOT
    E(EDOTDOT),
#endif
#ifdef EBADMSG
    E(EBADMSG),
#endif
#ifdef EOVERFLOW
    E(EOVERFLOW),
#endif
#ifdef ENOTUNIQ
    E(ENOTUNIQ),
#endif
#ifdef EBADFD
    E(EBADFD),
#endif
#ifdef EREMCHG
    E(EREMCHG),
#endif
#ifdef ELIBACC
    E(ELIBACC),
#endif
#ifdef ELIBBAD
    E(ELIBBAD),
#endif
#ifdef ELIBSCN
    E(ELIBSCN),
#endif
#ifdef ELIBMAX
    E(ELIBMAX),
#endif
#ifdef ELIBEXEC
    E(ELIBEXEC),
#endif
#ifdef EILSEQ
    E(EILSEQ),
#endif
#ifdef ERESTART
    E(ERESTART),
#endif
#ifdef ESTRPIPE
    E(ESTRPIPE),
#endif
#ifdef EUSERS
    E(EUSERS),
#endif
#ifdef ENOTSOCK
    E(ENOTSOCK),
#endif
#ifdef EDESTADDRREQ
    E(EDESTADDRREQ),
#endif
#ifdef EMSGSIZE
    E(EMSGSIZE),
#endif
#ifdef EPROTOTYPE
    E(EPROTOTYPE),
#endif
#ifdef ENOPROTOOPT
    E(ENOPROTOOPT),
#endif
#ifdef EPROTONOSUPPORT
    E(EPROTONOSUPPORT),
#endif
#ifdef ESOCKTNOSUPPORT
    E(ESOCKTNOSUPPORT),
#endif
#ifdef EOPNOTSUPP
    E(EOPNOTSUPP),
#endif
#ifdef EPFNOSUPPORT
    E(EPFNOSUPPORT),
#endif
#ifdef EAFNOSUPPORT
    E(EAFNOSUPPORT),
#endif
#ifdef EADDRINUSE
    E(EADDRINUSE),
#endif
#ifdef EADDRNOTAVAIL
    E(EADDRNOTAVAIL),
#endif
#ifdef ENETDOWN
    E(ENETDOWN),
#endif
#ifdef ENETUNREACH
    E(ENETUNREACH),
#endif
#ifdef ENETRESET
    E(ENETRESET),
#endif
#ifdef ECONNABORTED
    E(ECONNABORTED),
#endif
#ifdef ECONNRESET
    E(ECONNRESET),
#endif
#ifdef ENOBUFS
    E(ENOBUFS),
#endif
#ifdef EISCONN
    E(EISCONN),
#endif
#ifdef ENOTCONN
    E(ENOTCONN),
#endif
#ifdef ESHUTDOWN
    E(ESHUTDOWN),
#endif
#ifdef ETOOMANYREFS
    E(ETOOMANYREFS),
#endif
#ifdef ETIMEDOUT
    E(ETIMEDOUT),
#endif
#ifdef ECONNREFUSED
    E(ECONNREFUSED),
#endif
#ifdef EHOSTDOWN
    E(EHOSTDOWN),
#endif
#ifdef EHOSTUNREACH
    E(EHOSTUNREACH),
#endif
#ifdef EALREADY
    E(EALREADY),
#endif
#ifdef EINPROGRESS
    E(EINPROGRESS),
#endif
#ifdef ESTALE
    E(ESTALE),
#endif
#ifdef EUCLEAN
    E(EUCLEAN),
#endif
#ifdef ENOTNAM
    E(ENOTNAM),
#endif
#ifdef ENAVAIL
    E(ENAVAIL),
#endif
#ifdef EISNAM
    E(EISNAM),
#endif
#ifdef EREMOTEIO
    E(EREMOTEIO),
#endif
#ifdef EDQUOT
    E(EDQUOT),
#endif
#ifdef ENOMEDIUM
    E(ENOMEDIUM),
#endif
#ifdef EMEDIUMTYPE
    E(EMEDIUMTYPE),
#endif
#ifdef ECANCELED
    E(ECANCELED),
#endif
#ifdef ENOKEY
    E(ENOKEY),
#endif
#ifdef EKEYEXPIRED
    E(EKEYEXPIRED),
#endif
#ifdef EKEYREVOKED
    E(EKEYREVOKED),
#endif
#ifdef EKEYREJECTED
    E(EKEYREJECTED),
#endif
#ifdef EOWNERDEAD
    E(EOWNERDEAD),
#endif
#ifdef ENOTRECOVERABLE
    E(ENOTRECOVERABLE),
#endif
#ifdef ERFKILL
    E(ERFKILL),
#endif
#ifdef EHWPOISON
    E(EHWPOISON),
#endif
#ifdef EWOULDBLOCK
    E(EWOULDBLOCK),
#endif
#ifdef EDEADLOCK
    E(EDEADLOCK),
#endif
#ifdef ENOTSUP
    E(ENOTSUP),
#endif
};
#undef E

/* Exit-status conventions of POSIX shells (bash, dash, zsh: POSIX 2.8.2 for 126,
** 127 and >128). 129..159 (128 + signal) are handled by code, not listed here. */
typedef struct convention {
  uint32_t value;
  const char *message;
} convention;

static const convention shell_codes[] = {
    {0, "Success"},
    {1, "General failure: the command reported an error (the catch-all status)"},
    {2, "Misuse of a shell builtin, or the command's usage error (many tools exit 2 on bad arguments)"},
    {126, "Command found but could not be executed: permission denied, or not an executable format"},
    {127, "Command not found (not in PATH, a typo, or a missing interpreter on the #! line)"},
    {255, "Exit status out of range: exit(-1) or exit(255); statuses are taken modulo 256"},
};

#define SHELL_SIGNAL_MESSAGE "Killed by a signal: a shell reports 128 + the signal number"

/* Exit statuses the Go runtime and tools choose (src/runtime/panic.go, log, -race). */
static const convention go_codes[] = {
    {1, "log.Fatal or os.Exit(1): the program reported an error and exited"},
    {2, "Unrecovered panic, fatal runtime error (deadlock, concurrent map writes, out of memory) or a SIGQUIT dump"},
    {66, "The race detector found a data race (built with -race; GORACE=exitcode=N changes the status)"},
};

/* A named code outside the generated tables. */
typedef struct named_code {
  uint32_t value;
  const char *name;
  const char *message;
} named_code;

/* Wine's own exception codes (include/wine/exception.h), sorted by value. */
static const named_code wine_codes[] = {
    {0x80000100u, "EXCEPTION_WINE_STUB",
     "Wine: call to an unimplemented function stub (on Windows the import would be a missing entry point)"},
    {0x80000101u, "EXCEPTION_WINE_ASSERTION", "Wine: an assertion in Wine itself failed"},
};

/* Exception codes that language runtimes raise with RaiseException: NTSTATUS layout
** with the customer bit, named by the runtimes' own sources. Sorted by value;
** served as NTSTATUS readings after the generated table. */
static const named_code runtime_codes[] = {
    {0x406D1388u, "MS_VC_EXCEPTION", "MSVC convention for naming a thread (SetThreadName); harmless under a debugger"},
    {0xE0434352u, "EXCEPTION_COMPLUS", ".NET CLR exception: an unhandled managed exception ('CCR')"},
    {0xE06D7363u, "EH_EXCEPTION_NUMBER", "MSVC C++ exception: a C++ throw that nothing caught ('msc')"},
};

/* Crash codes that MSYS, Cygwin and Wine shells show as code & 0xFF (0xC0000005 -> 5):
** a small status may be one of these, truncated. */
static const uint32_t truncated_crashes[] = {
    0xC0000005u, 0xC00000FDu, 0xC0000409u, 0xC0000374u, 0xC000001Du, 0xC0000094u, 0x80000003u,
    0xC0000135u, 0xC0000139u, 0xC0000142u, 0xC000007Bu, 0xC000013Au,
};

/* ---- small helpers --------------------------------------------------------- */

static int upper(int c) { return (c >= 'a' && c <= 'z') ? c - 'a' + 'A' : c; }

/* ASCII case-insensitive strcmp. */
static int casecmp(const char *a, const char *b) {
  for (;; a++, b++) {
    int x = upper((unsigned char)*a), y = upper((unsigned char)*b);
    if (x != y || x == 0) return x - y;
  }
}

/* ASCII case-insensitive strstr; needle non-empty. */
static int casecontains(const char *hay, const char *needle) {
  if (!hay) return 0;
  size_t n = strlen(needle);
  for (; *hay; hay++) {
    size_t i = 0;
    while (i < n && hay[i] && upper((unsigned char)hay[i]) == upper((unsigned char)needle[i])) i++;
    if (i == n) return 1;
  }
  return 0;
}

#ifdef __GNUC__
__attribute__((format(printf, 2, 3)))
#endif
static void set_why(dk_code_interp *it, const char *fmt, ...);
static void set_why(dk_code_interp *it, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(it->why, sizeof it->why, fmt, ap);
  va_end(ap);
  if (n < 0) it->why[0] = '\0'; /* vsnprintf truncates safely; only an encoding error lands here */
}

/* Index of the first entry with value >= v (binary search; tables sorted by value). */
static size_t lower_bound(const dk_code_table *t, uint32_t v) {
  size_t lo = 0, hi = t->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (t->entries[mid].value < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* Entry index for a name (case-insensitive), or -1. */
static long find_by_name(const dk_code_table *t, const char *name) {
  size_t lo = 0, hi = t->count;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    const dk_code_entry *e = &t->entries[t->by_name[mid]];
    int c = casecmp(e->name, name);
    if (c == 0) return (long)t->by_name[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/* Fills name, message and aliases from a generated table; returns 1 if found. */
static int fill_from_table(const dk_code_table *t, uint32_t v, dk_code_interp *it) {
  size_t i = lower_bound(t, v);
  if (i >= t->count || t->entries[i].value != v) return 0;
  it->name = t->entries[i].name;
  it->message = t->entries[i].message;
  for (size_t j = i + 1; j < t->count && t->entries[j].value == v; j++) {
    /* Several names may share the value; the first one that has a text describes it. */
    if (!it->message) it->message = t->entries[j].message;
    if (it->n_aliases < (int)COUNT(it->aliases)) it->aliases[it->n_aliases++] = t->entries[j].name;
  }
  return 1;
}

static const named_code *find_named(const named_code *t, size_t n, uint32_t v) {
  for (size_t i = 0; i < n; i++)
    if (t[i].value == v) return &t[i];
  return NULL;
}

static const char *facility_name(const dk_code_table *t, uint32_t fac) {
  size_t i = lower_bound(t, fac);
  return (i < t->count && t->entries[i].value == fac) ? t->entries[i].name : NULL;
}

static const convention *find_convention(const convention *t, size_t n, uint32_t v) {
  for (size_t i = 0; i < n; i++)
    if (t[i].value == v) return &t[i];
  return NULL;
}

/* ---- describing one (kind, value) ------------------------------------------ */

static int describe_ntstatus(uint32_t v, dk_code_interp *it) {
  int found = fill_from_table(&dk_codes_ntstatus, v, it);
  if (!found) {
    const named_code *r = find_named(runtime_codes, COUNT(runtime_codes), v);
    if (r) {
      it->name = r->name;
      it->message = r->message;
      found = 1;
    }
  }
  /* MS-ERREF 2.3: Sev 31-30, C 29, N 28 (reserved), facility 27-16, code 15-0. */
  static const dk_code_severity sev[4] = {DK_CODE_SEV_SUCCESS, DK_CODE_SEV_INFORMATIONAL, DK_CODE_SEV_WARNING,
                                          DK_CODE_SEV_ERROR};
  it->severity = sev[v >> 30];
  it->customer = (int)((v >> 29) & 1u);
  it->has_facility = 1;
  it->facility = (v >> 16) & 0x0FFFu;
  /* A customer code's facility is the customer's own: the system names don't apply. */
  it->facility_name = it->customer ? NULL : facility_name(&dk_codes_ntstatus_facilities, it->facility);
  return found;
}

static void set_ref(dk_code_ref *ref, dk_code_kind kind, uint32_t v) {
  ref->kind = kind;
  ref->value = v;
  ref->name = dk_codes_find_name(kind, v, &ref->message);
}

static int describe_hresult(uint32_t v, dk_code_interp *it) {
  int found = fill_from_table(&dk_codes_hresult, v, it);
  /* MS-ERREF 2.1: S 31, R 30, C 29, N 28, X 27, facility 26-16, code 15-0. The SDK's
  ** HRESULT_FACILITY() masks 0x1FFF (bits 28-16), which FACILITY_AUDCLNT (0x889)
  ** relies on, so that mask is used, except that with N set the value is an
  ** NTSTATUS (HRESULT_FROM_NT) and its facility is the NTSTATUS one. */
  it->severity = (v >> 31) ? DK_CODE_SEV_ERROR : DK_CODE_SEV_SUCCESS;
  it->customer = (int)((v >> 29) & 1u);
  it->has_facility = 1;
  if (v & 0x10000000u) {
    uint32_t nt = v & ~0x10000000u;
    it->facility = (nt >> 16) & 0x0FFFu;
    it->facility_name = it->customer ? NULL : facility_name(&dk_codes_ntstatus_facilities, it->facility);
    it->has_wraps = 1;
    set_ref(&it->wraps, DK_CODE_NTSTATUS, nt);
  } else {
    it->facility = (v >> 16) & 0x1FFFu;
    it->facility_name = it->customer ? NULL : facility_name(&dk_codes_hresult_facilities, it->facility);
    if ((v & 0xFFFF0000u) == 0x80070000u) { /* HRESULT_FROM_WIN32: FACILITY_WIN32 (7), failure */
      it->has_wraps = 1;
      set_ref(&it->wraps, DK_CODE_WIN32, v & 0xFFFFu);
    }
  }
  return found;
}

static int describe_errno(uint32_t v, dk_code_interp *it) {
  if (v > (uint32_t)INT_MAX) return 0;
  for (size_t i = 0; i < COUNT(errnos); i++) {
    if ((uint32_t)errnos[i].value != v) continue;
    if (!it->name) {
      it->name = errnos[i].name;
      it->message = strerror(errnos[i].value);
    } else if (it->n_aliases < (int)COUNT(it->aliases)) {
      it->aliases[it->n_aliases++] = errnos[i].name;
    }
  }
  return it->name != NULL;
}

static int describe_signal(uint32_t v, dk_code_interp *it) {
  if (v < 1 || v >= COUNT(signals)) return 0;
  it->name = signals[v].name;
  it->message = signals[v].message;
  it->signal = (int)v;
  for (size_t i = 0; i < COUNT(signal_aliases); i++)
    if (signal_aliases[i].value == v && it->n_aliases < (int)COUNT(it->aliases))
      it->aliases[it->n_aliases++] = signal_aliases[i].name;
  return 1;
}

static int describe_shell(uint32_t v, dk_code_interp *it) {
  const convention *c = find_convention(shell_codes, COUNT(shell_codes), v);
  if (c) {
    it->message = c->message;
    return 1;
  }
  if (v > 128 && v - 128 < COUNT(signals)) {
    it->message = SHELL_SIGNAL_MESSAGE;
    it->signal = (int)(v - 128);
    it->has_wraps = 1;
    set_ref(&it->wraps, DK_CODE_SIGNAL, v - 128);
    return 1;
  }
  return 0;
}

int dk_codes_describe(dk_code_kind kind, uint32_t value, dk_code_interp *out) {
  if (!out) return 0;
  memset(out, 0, sizeof *out);
  out->kind = kind;
  out->value = value;
  switch (kind) {
  case DK_CODE_NTSTATUS: return describe_ntstatus(value, out);
  case DK_CODE_WIN32: return fill_from_table(&dk_codes_win32, value, out);
  case DK_CODE_HRESULT: return describe_hresult(value, out);
  case DK_CODE_ERRNO: return describe_errno(value, out);
  case DK_CODE_SIGNAL: return describe_signal(value, out);
  case DK_CODE_SHELL: return describe_shell(value, out);
  case DK_CODE_GO: {
    const convention *c = find_convention(go_codes, COUNT(go_codes), value);
    if (c) out->message = c->message;
    return c != NULL;
  }
  case DK_CODE_WINE: {
    const named_code *w = find_named(wine_codes, COUNT(wine_codes), value);
    if (w) {
      out->name = w->name;
      out->message = w->message;
    }
    return w != NULL;
  }
  case DK_CODE_KIND_COUNT: break;
  }
  return 0;
}

const char *dk_codes_find_name(dk_code_kind kind, uint32_t value, const char **message) {
  dk_code_interp it;
  int found = dk_codes_describe(kind, value, &it);
  if (message) *message = found ? it.message : NULL;
  return found ? it.name : NULL;
}

int dk_codes_find_value(const char *name, dk_code_kind *kind, uint32_t *value) {
  if (!name || !*name) return 0;
  dk_code_kind k = DK_CODE_KIND_COUNT;
  uint32_t v = 0;
  static const struct {
    dk_code_kind kind;
    const dk_code_table *t;
  } gen[] = {{DK_CODE_NTSTATUS, &dk_codes_ntstatus}, {DK_CODE_WIN32, &dk_codes_win32}, {DK_CODE_HRESULT, &dk_codes_hresult}};
  for (size_t i = 0; i < COUNT(gen) && k == DK_CODE_KIND_COUNT; i++) {
    long at = find_by_name(gen[i].t, name);
    if (at >= 0) {
      k = gen[i].kind;
      v = gen[i].t->entries[at].value;
    }
  }
  for (size_t i = 0; i < COUNT(runtime_codes) && k == DK_CODE_KIND_COUNT; i++)
    if (casecmp(runtime_codes[i].name, name) == 0) k = DK_CODE_NTSTATUS, v = runtime_codes[i].value;
  for (size_t i = 0; i < COUNT(wine_codes) && k == DK_CODE_KIND_COUNT; i++)
    if (casecmp(wine_codes[i].name, name) == 0) k = DK_CODE_WINE, v = wine_codes[i].value;
  for (size_t i = 1; i < COUNT(signals) && k == DK_CODE_KIND_COUNT; i++)
    if (casecmp(signals[i].name, name) == 0) k = DK_CODE_SIGNAL, v = (uint32_t)i;
  for (size_t i = 0; i < COUNT(signal_aliases) && k == DK_CODE_KIND_COUNT; i++)
    if (casecmp(signal_aliases[i].name, name) == 0) k = DK_CODE_SIGNAL, v = signal_aliases[i].value;
  for (size_t i = 0; i < COUNT(errnos) && k == DK_CODE_KIND_COUNT; i++)
    if (casecmp(errnos[i].name, name) == 0) k = DK_CODE_ERRNO, v = (uint32_t)errnos[i].value;
  if (k == DK_CODE_KIND_COUNT) return 0;
  if (kind) *kind = k;
  if (value) *value = v;
  return 1;
}

/* ---- ranking ---------------------------------------------------------------- */

/* How the input was written: it decides which readings make sense at all. */
typedef enum origin {
  FROM_NUMBER,   /* 139, 0xC0000005, "exit status 2" */
  FROM_NEGATIVE, /* -11, -1073741819: a signed status */
  FROM_SIGNAL,   /* "signal 9", "killed by signal 9", "Segmentation fault" */
  FROM_NAME      /* SIGSEGV, ERROR_ACCESS_DENIED */
} origin;

/* Ranking. Each reading gets a base score: how often that reading is the right one
** for a bare exit code. The context then moves whole kinds up or down. Ties keep
** the order in which readings are added (the order of this list).
**   95 named NTSTATUS >= 0x10000   a process that dies of an exception exits with its code
**   92 Wine exception              only Wine raises it, and it reaches the exit code as is
**   90 named HRESULT >= 0x10000    a COM / .NET failure returned from main
**   90 shell 126, 127, 129..159    these statuses are almost always the shell's own
**   85 unnamed HRESULT wrapping a known Win32 / NTSTATUS code
**   60 Win32 error                 Windows programs often exit with GetLastError()
**   55 errno                       C programs sometimes exit(errno)
**   50 Go 1, 2, 66
**   45 shell 0, 1, 2, 255          true, but says little
**   20 NTSTATUS decoded by layout only (no table names it)
**   15 low byte of a well-known crash code (MSYS/Cygwin/Wine shells truncate)
**   10 HRESULT < 0x10000 (S_OK, S_FALSE), 5 NTSTATUS < 0x10000 (STATUS_WAIT_n, STATUS_PENDING)
** Context:
**   go       Go +60: a Go program's 2 is a panic far more often than anything else
**   shell    shell +60: the caller saw the status through a shell
**   linux    errno +30, shell +20, signal +20, Win32 -30
**   windows  NTSTATUS, Win32, HRESULT, Wine +30; errno -30, shell -60, signal -30
**            (a Windows program's 127 is ERROR_PROC_NOT_FOUND, not "command not found") */
static int context_adjust(dk_code_kind kind, unsigned ctx) {
  int d = 0;
  if ((ctx & DK_CODES_CTX_GO) && kind == DK_CODE_GO) d += 60;
  if ((ctx & DK_CODES_CTX_SHELL) && kind == DK_CODE_SHELL) d += 60;
  if (ctx & DK_CODES_CTX_LINUX) {
    if (kind == DK_CODE_ERRNO) d += 30;
    if (kind == DK_CODE_SHELL || kind == DK_CODE_SIGNAL) d += 20;
    if (kind == DK_CODE_WIN32) d -= 30;
  }
  if (ctx & DK_CODES_CTX_WINDOWS) {
    if (kind == DK_CODE_NTSTATUS || kind == DK_CODE_WIN32 || kind == DK_CODE_HRESULT || kind == DK_CODE_WINE) d += 30;
    if (kind == DK_CODE_ERRNO || kind == DK_CODE_SIGNAL) d -= 30;
    if (kind == DK_CODE_SHELL) d -= 60;
  }
  return d;
}

#define MAX_CANDIDATES 24

typedef struct ranking {
  dk_code_interp r[MAX_CANDIDATES];
  int score[MAX_CANDIDATES];
  int n;
  unsigned ctx;
} ranking;

/* Inserts it after every reading scoring at least as much (stable). */
static void rank(ranking *rk, const dk_code_interp *it, int base) {
  if (rk->n >= MAX_CANDIDATES) return; /* cannot happen with the readings below; kept as a bound */
  int s = base + context_adjust(it->kind, rk->ctx);
  int at = rk->n;
  while (at > 0 && rk->score[at - 1] < s) at--;
  memmove(&rk->r[at + 1], &rk->r[at], (size_t)(rk->n - at) * sizeof rk->r[0]);
  memmove(&rk->score[at + 1], &rk->score[at], (size_t)(rk->n - at) * sizeof rk->score[0]);
  rk->r[at] = *it;
  rk->score[at] = s;
  rk->n++;
}

static const char *or_unnamed(const char *name) { return name ? name : "unnamed"; }

static void why_hresult(dk_code_interp *it) {
  char wraps[96] = "";
  if (it->has_wraps && it->wraps.kind == DK_CODE_WIN32)
    snprintf(wraps, sizeof wraps, " wrapping Win32 error %u (%s)", (unsigned)it->wraps.value, or_unnamed(it->wraps.name));
  else if (it->has_wraps)
    snprintf(wraps, sizeof wraps, " wrapping NTSTATUS 0x%08X (%s)", (unsigned)it->wraps.value, or_unnamed(it->wraps.name));
  set_why(it, "as an HRESULT (%s, facility %s %u)%s", dk_codes_severity_name(it->severity),
          it->facility_name ? it->facility_name : "", (unsigned)it->facility, wraps);
}

/* Readings of a number written as a number (or an exit-status phrase). */
static void rank_number(ranking *rk, uint32_t v) {
  dk_code_interp it;
  int named_large = 0;
  if (v < 0x10000u) {
    if (dk_codes_describe(DK_CODE_SHELL, v, &it)) {
      if (it.signal) set_why(&it, "as a shell exit status: 128 + %d (%s)", it.signal, signals[it.signal].name);
      else set_why(&it, "as a shell exit status (%u)", (unsigned)v);
      rank(rk, &it, (v == 126 || v == 127 || it.signal) ? 90 : 45);
    }
    if (dk_codes_describe(DK_CODE_WIN32, v, &it)) {
      set_why(&it, "as a Win32 error code (%u): Windows programs often exit with GetLastError()", (unsigned)v);
      rank(rk, &it, 60);
    }
    if (dk_codes_describe(DK_CODE_ERRNO, v, &it)) {
      set_why(&it, "as an errno value of this platform (%s = %u), when a program exits with errno", it.name, (unsigned)v);
      rank(rk, &it, 55);
    }
    if (dk_codes_describe(DK_CODE_GO, v, &it)) {
      set_why(&it, "as a Go program's exit status (%u)", (unsigned)v);
      rank(rk, &it, 50);
    }
    if (v <= 0xFFu) {
      for (size_t i = 0; i < COUNT(truncated_crashes); i++) {
        if ((truncated_crashes[i] & 0xFFu) != v || !dk_codes_describe(DK_CODE_NTSTATUS, truncated_crashes[i], &it))
          continue;
        set_why(&it, "as the low 8 bits of 0x%08X (%s): MSYS, Cygwin and Wine shells show only code & 0xFF",
                (unsigned)truncated_crashes[i], it.name);
        rank(rk, &it, 15);
      }
    }
    if (dk_codes_describe(DK_CODE_HRESULT, v, &it)) {
      why_hresult(&it);
      rank(rk, &it, 10);
    }
    if (dk_codes_describe(DK_CODE_NTSTATUS, v, &it)) {
      set_why(&it, "as an NTSTATUS (%s); rare as an exit code below 0x10000", dk_codes_severity_name(it.severity));
      rank(rk, &it, 5);
    }
    return;
  }
  if (dk_codes_describe(DK_CODE_NTSTATUS, v, &it)) {
    set_why(&it, "as an NTSTATUS, severity %s: a Windows status or exception code (a crashed process exits with it)",
            dk_codes_severity_name(it.severity));
    rank(rk, &it, 95);
    named_large = 1;
  }
  if (dk_codes_describe(DK_CODE_WINE, v, &it)) {
    set_why(&it, "as a Wine exception code (%s), raised only under Wine", it.name);
    rank(rk, &it, 92);
    named_large = 1;
  }
  /* An unnamed HRESULT still counts when its layout is unmistakable: 0x8007xxxx is
  ** HRESULT_FROM_WIN32 even for a Win32 code no table knows; an N-bit value only
  ** when the NTSTATUS inside is a known one. */
  int hr_named = dk_codes_describe(DK_CODE_HRESULT, v, &it);
  int from_win32 = it.has_wraps && it.wraps.kind == DK_CODE_WIN32;
  if (hr_named || from_win32 || (it.has_wraps && it.wraps.name)) {
    why_hresult(&it);
    rank(rk, &it, hr_named ? 90 : 85);
    named_large = 1;
  }
  /* Nothing names it: decode the NTSTATUS layout, which every exception code
  ** follows. Not for 0xFFFF0000 and above: those are exit(-n), not exceptions. */
  if (!named_large && v >= 0x40000000u && v < 0xFFFF0000u) {
    dk_codes_describe(DK_CODE_NTSTATUS, v, &it);
    set_why(&it, "decoded by the NTSTATUS layout: severity %s, %scustomer, facility 0x%03X, code 0x%04X; no table names it",
            dk_codes_severity_name(it.severity), it.customer ? "" : "not ", (unsigned)it.facility,
            (unsigned)(v & 0xFFFFu));
    rank(rk, &it, 20);
  }
}

static void rank_signal(ranking *rk, uint32_t sig, int base, const char *how) {
  dk_code_interp it;
  if (!dk_codes_describe(DK_CODE_SIGNAL, sig, &it)) return;
  set_why(&it, "%s: signal %u (%s)", how, (unsigned)sig, it.name);
  rank(rk, &it, base);
}

static int collect(origin from, int64_t signed_value, uint32_t v, dk_code_kind kind, unsigned ctx,
                   dk_code_interp *out, int max) {
  ranking rank_buf; /* about 7 KB of stack */
  ranking *rk = &rank_buf;
  rk->n = 0;
  rk->ctx = ctx;
  switch (from) {
  case FROM_SIGNAL:
    /* Go on Windows prints exceptions as "[signal 0xc0000005 ...]": a number too
    ** large for a signal is read as a code. */
    if (v >= 0x10000u) rank_number(rk, v);
    else rank_signal(rk, v, 100, "as a signal number"); /* 0 and 32+ (real-time): no reading */
    break;
  case FROM_NAME: {
    dk_code_interp it;
    dk_codes_describe(kind, v, &it);
    if (kind == DK_CODE_HRESULT) why_hresult(&it);
    else set_why(&it, "by name: %s is %s %u (0x%08X)", it.name, dk_codes_kind_name(kind), (unsigned)v, (unsigned)v);
    rank(rk, &it, 100);
    /* A signal name: also say what a shell would have shown. */
    if (kind == DK_CODE_SIGNAL && dk_codes_describe(DK_CODE_SHELL, 128 + v, &it)) {
      set_why(&it, "as a shell exit status: 128 + %u (%s)", (unsigned)v, signals[v].name);
      rank(rk, &it, 40);
    }
    break;
  }
  case FROM_NEGATIVE:
    /* Python's subprocess (returncode) and Node report "killed by signal N" as -N. */
    if (signed_value >= -31 && signed_value <= -1)
      rank_signal(rk, (uint32_t)-signed_value, 70, "as a negative status (Python's returncode, Node): killed by");
    if (signed_value == -1) {
      dk_code_interp it;
      dk_codes_describe(DK_CODE_SHELL, 255, &it);
      set_why(&it, "as exit(-1): Windows keeps all 32 bits (0xFFFFFFFF), a POSIX shell shows 255");
      rank(rk, &it, 75);
    }
    rank_number(rk, v);
    break;
  case FROM_NUMBER: rank_number(rk, v); break;
  }
  int n = rk->n < max ? rk->n : max;
  if (n > 0) memcpy(out, rk->r, (size_t)n * sizeof *out);
  return n;
}

/* ---- parsing ---------------------------------------------------------------- */

#define DK_CODES_INPUT_MAX 200

static int is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; }
static int is_digit(char c) { return c >= '0' && c <= '9'; }
static int hex_digit(char c) {
  if (is_digit(c)) return c - '0';
  int u = upper((unsigned char)c);
  return (u >= 'A' && u <= 'F') ? u - 'A' + 10 : -1;
}
static int is_name_char(char c) { return (upper((unsigned char)c) >= 'A' && upper((unsigned char)c) <= 'Z') || is_digit(c) || c == '_'; }

/* Parses a whole string as a number. Returns 1 (value in *v, *neg set and *sv the
** signed value when it was written with '-'), 0 when it is not a number, or
** DK_CODES_ERANGE. Forms: 0x1F (any case), 3221225477, -1073741819, +5, and eight
** bare hex digits with a letter among them (c0000005, as event logs print it). */
static int parse_number(const char *s, uint32_t *v, int *neg, int64_t *sv) {
  int negative = 0;
  uint64_t acc = 0;
  int overflow = 0;
  *neg = 0;
  if (*s == '-' || *s == '+') negative = (*s++ == '-');
  int hex = 0;
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    hex = 1;
    s += 2;
  } else if (!negative && strlen(s) == 8) {
    int letters = 0, all_hex = 1;
    for (int i = 0; i < 8; i++) {
      if (hex_digit(s[i]) < 0) all_hex = 0;
      else if (!is_digit(s[i])) letters = 1;
    }
    hex = all_hex && letters;
  }
  if (!*s) return 0;
  for (const char *p = s; *p; p++) {
    int d = hex ? hex_digit(*p) : (is_digit(*p) ? *p - '0' : -1);
    if (d < 0) return 0;
    if (!overflow) {
      acc = acc * (hex ? 16u : 10u) + (uint64_t)d;
      if (acc > 0xFFFFFFFFu) overflow = 1; /* keep scanning: "99999999999x" is a syntax error */
    }
  }
  if (negative && hex) return 0; /* "-0x5" is nobody's notation for a status */
  if (overflow) return DK_CODES_ERANGE;
  if (negative) {
    if (acc > 0x80000000u) return DK_CODES_ERANGE; /* below INT32_MIN */
    if (acc == 0) {
      *v = 0;
      return 1;
    }
    *neg = 1;
    *sv = -(int64_t)acc;
    *v = (uint32_t)(0x100000000u - acc); /* two's complement, as a 32-bit exit code */
    return 1;
  }
  *v = (uint32_t)acc;
  return 1;
}

/* If s starts with prefix (case-insensitive) followed by a separator (space ':' '=')
** or ends right there when allow_end, returns the text after the separators. */
static const char *after_prefix(const char *s, const char *prefix) {
  size_t n = strlen(prefix);
  for (size_t i = 0; i < n; i++)
    if (!s[i] || upper((unsigned char)s[i]) != upper((unsigned char)prefix[i])) return NULL;
  const char *p = s + n;
  if (*p != ' ' && *p != ':' && *p != '=' && *p != '\t') return NULL;
  while (*p == ' ' || *p == ':' || *p == '=' || *p == '\t') p++;
  return p;
}

/* A signal given by number, name (SIGKILL, KILL) or strsignal text ("Killed"). */
static int parse_signal(const char *s, uint32_t *sig) {
  uint32_t v;
  int neg;
  int64_t sv;
  int rc = parse_number(s, &v, &neg, &sv);
  if (rc < 0) return rc;
  if (rc == 1) {
    if (neg) return 0;
    *sig = v;
    return 1;
  }
  for (size_t i = 1; i < COUNT(signals); i++) {
    if (casecmp(s, signals[i].name) == 0 || casecmp(s, signals[i].name + 3) == 0 || casecmp(s, signals[i].text) == 0) {
      *sig = (uint32_t)i;
      return 1;
    }
  }
  for (size_t i = 0; i < COUNT(signal_aliases); i++) {
    if (casecmp(s, signal_aliases[i].name) == 0 || casecmp(s, signal_aliases[i].name + 3) == 0) {
      *sig = signal_aliases[i].value;
      return 1;
    }
  }
  return 0;
}

typedef struct parsed {
  origin from;
  uint32_t value;
  int64_t signed_value; /* FROM_NEGATIVE only */
  dk_code_kind kind;    /* FROM_NAME only */
} parsed;

/* Phrases that introduce a status (from go run, Python, CI logs, event logs). */
static const char *const status_prefixes[] = {
    "exit status", "exit code", "exited with code", "exited with status", "exit value", "exitcode",
    "exit_code",   "returncode", "return code",     "status",             "code",       "rc",    "exit",
};
/* Phrases that introduce a signal (bash, Go's exec, systemd). */
static const char *const signal_prefixes[] = {"killed by signal", "terminated by signal", "signal"};

static int parse_input(const char *input, parsed *p) {
  char buf[DK_CODES_INPUT_MAX + 1];
  while (is_space(*input)) input++;
  size_t len = strlen(input);
  while (len > 0 && is_space(input[len - 1])) len--;
  if (len == 0) return DK_CODES_EEMPTY;
  if (len > DK_CODES_INPUT_MAX) return DK_CODES_ESYNTAX;
  memcpy(buf, input, len);
  buf[len] = '\0';
  /* bash: "Segmentation fault (core dumped)". */
  static const char core[] = " (core dumped)";
  if (len > sizeof core - 1 && casecmp(buf + len - (sizeof core - 1), core) == 0) buf[len - (sizeof core - 1)] = '\0';

  memset(p, 0, sizeof *p);
  const char *rest;
  for (size_t i = 0; i < COUNT(signal_prefixes); i++) {
    if ((rest = after_prefix(buf, signal_prefixes[i])) != NULL) {
      int rc = parse_signal(rest, &p->value);
      if (rc <= 0) return rc < 0 ? rc : DK_CODES_ESYNTAX;
      p->from = FROM_SIGNAL;
      return 0;
    }
  }
  const char *num = buf;
  for (size_t i = 0; i < COUNT(status_prefixes); i++) {
    if ((rest = after_prefix(buf, status_prefixes[i])) != NULL) {
      num = rest;
      break;
    }
  }
  int neg = 0;
  int rc = parse_number(num, &p->value, &neg, &p->signed_value);
  if (rc < 0) return rc;
  if (rc == 1) {
    p->from = neg ? FROM_NEGATIVE : FROM_NUMBER;
    return 0;
  }
  if (num != buf) return DK_CODES_ESYNTAX; /* "exit status" + something not a number */
  /* A bare strsignal text, as bash prints it: "Killed", "Segmentation fault". */
  for (size_t i = 1; i < COUNT(signals); i++) {
    if (casecmp(buf, signals[i].text) == 0) {
      p->from = FROM_SIGNAL;
      p->value = (uint32_t)i;
      return 0;
    }
  }
  for (const char *c = buf; *c; c++)
    if (!is_name_char(*c)) return DK_CODES_ESYNTAX;
  if (dk_codes_find_value(buf, &p->kind, &p->value)) {
    p->from = FROM_NAME;
    return 0;
  }
  /* "SEGV", "KILL": signal names without the SIG prefix. */
  uint32_t sig;
  if (parse_signal(buf, &sig) == 1 && sig >= 1 && sig < COUNT(signals)) {
    p->from = FROM_NAME;
    p->kind = DK_CODE_SIGNAL;
    p->value = sig;
    return 0;
  }
  return is_digit(buf[0]) ? DK_CODES_ESYNTAX : DK_CODES_ENAME;
}

int dk_codes_lookup(const char *input, unsigned ctx_flags, dk_code_interp *out, int max) {
  if (!input || max < 0 || (max > 0 && !out)) return DK_CODES_EINVAL;
  parsed p;
  int rc = parse_input(input, &p);
  if (rc < 0) return rc;
  return collect(p.from, p.signed_value, p.value, p.kind, ctx_flags, out, max);
}

int dk_codes_lookup_value(uint32_t value, unsigned ctx_flags, dk_code_interp *out, int max) {
  if (max < 0 || (max > 0 && !out)) return DK_CODES_EINVAL;
  return collect(FROM_NUMBER, 0, value, DK_CODE_KIND_COUNT, ctx_flags, out, max);
}

const char *dk_codes_strerror(int rc) {
  switch (rc) {
  case DK_CODES_EEMPTY:
    return "empty input: give a number (0xC0000005, 3221225477, -1073741819), a name (STATUS_ACCESS_VIOLATION, "
           "SIGSEGV) or a phrase (exit status 2, killed by signal 9)";
  case DK_CODES_ESYNTAX: return "not a number, a code name or a known phrase (exit status N, signal N, code=N)";
  case DK_CODES_ERANGE: return "number out of range: codes are 32-bit (-2147483648 .. 4294967295)";
  case DK_CODES_ENAME: return "no table has this name";
  case DK_CODES_EINVAL: return "invalid argument";
  default: return rc >= 0 ? "no error" : "unknown error";
  }
}

/* ---- search, counts, names ------------------------------------------------------ */

typedef struct hits {
  const char *text;
  dk_code_ref *out;
  int max;
  int n;
} hits;

static void hit(hits *h, dk_code_kind kind, uint32_t v, const char *name, const char *message) {
  if (!casecontains(name, h->text) && !casecontains(message, h->text)) return;
  if (h->n < h->max) {
    dk_code_ref *r = &h->out[h->n];
    r->kind = kind;
    r->value = v;
    r->name = name;
    r->message = message;
  }
  if (h->n < INT_MAX) h->n++;
}

static void search_table(hits *h, dk_code_kind kind, const dk_code_table *t) {
  for (size_t i = 0; i < t->count; i++) hit(h, kind, t->entries[i].value, t->entries[i].name, t->entries[i].message);
}

int dk_codes_search(const char *text, dk_code_ref *out, int max) {
  if (!text || max < 0 || (max > 0 && !out)) return DK_CODES_EINVAL;
  if (!*text) return DK_CODES_EEMPTY;
  hits h = {text, out, max, 0};
  search_table(&h, DK_CODE_NTSTATUS, &dk_codes_ntstatus);
  for (size_t i = 0; i < COUNT(runtime_codes); i++)
    hit(&h, DK_CODE_NTSTATUS, runtime_codes[i].value, runtime_codes[i].name, runtime_codes[i].message);
  search_table(&h, DK_CODE_WIN32, &dk_codes_win32);
  search_table(&h, DK_CODE_HRESULT, &dk_codes_hresult);
  for (size_t i = 0; i < COUNT(errnos); i++)
    hit(&h, DK_CODE_ERRNO, (uint32_t)errnos[i].value, errnos[i].name, strerror(errnos[i].value));
  for (size_t i = 1; i < COUNT(signals); i++) hit(&h, DK_CODE_SIGNAL, (uint32_t)i, signals[i].name, signals[i].message);
  for (size_t i = 0; i < COUNT(shell_codes); i++) hit(&h, DK_CODE_SHELL, shell_codes[i].value, NULL, shell_codes[i].message);
  for (size_t i = 0; i < COUNT(go_codes); i++) hit(&h, DK_CODE_GO, go_codes[i].value, NULL, go_codes[i].message);
  for (size_t i = 0; i < COUNT(wine_codes); i++)
    hit(&h, DK_CODE_WINE, wine_codes[i].value, wine_codes[i].name, wine_codes[i].message);
  return h.n;
}

size_t dk_codes_count(dk_code_kind kind) {
  switch (kind) {
  case DK_CODE_NTSTATUS: return dk_codes_ntstatus.count + COUNT(runtime_codes);
  case DK_CODE_WIN32: return dk_codes_win32.count;
  case DK_CODE_HRESULT: return dk_codes_hresult.count;
  case DK_CODE_ERRNO: return COUNT(errnos);
  case DK_CODE_SIGNAL: return COUNT(signals) - 1 + COUNT(signal_aliases);
  case DK_CODE_SHELL: return COUNT(shell_codes) + (COUNT(signals) - 1); /* + 129..159 */
  case DK_CODE_GO: return COUNT(go_codes);
  case DK_CODE_WINE: return COUNT(wine_codes);
  case DK_CODE_KIND_COUNT: break;
  }
  return 0;
}

size_t dk_codes_facility_count(int hresult) {
  return hresult ? dk_codes_hresult_facilities.count : dk_codes_ntstatus_facilities.count;
}

static const char *const kind_names[DK_CODE_KIND_COUNT] = {"ntstatus", "win32", "hresult", "errno",
                                                           "signal",   "shell", "go",      "wine"};

const char *dk_codes_kind_name(dk_code_kind kind) {
  return ((unsigned)kind < DK_CODE_KIND_COUNT) ? kind_names[kind] : "unknown";
}

int dk_codes_kind_from_name(const char *name) {
  for (int i = 0; name && i < DK_CODE_KIND_COUNT; i++)
    if (strcmp(name, kind_names[i]) == 0) return i;
  return -1;
}

const char *dk_codes_severity_name(dk_code_severity sev) {
  switch (sev) {
  case DK_CODE_SEV_SUCCESS: return "success";
  case DK_CODE_SEV_INFORMATIONAL: return "informational";
  case DK_CODE_SEV_WARNING: return "warning";
  case DK_CODE_SEV_ERROR: return "error";
  case DK_CODE_SEV_NONE: break;
  }
  return NULL;
}
