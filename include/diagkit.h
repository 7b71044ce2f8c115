/*
** diagkit: troubleshooting toolkit, embedding API.
**
** A host is one Lua 5.4 state with the native modules registered and the
** framework scripts on its package.path. Hosts are independent: use each from
** one thread at a time; different hosts may run on different threads at once.
** Only dk_cancel may be called on a host from another thread.
** docs/embedding.md has the whole story; examples/embed/ a complete program.
**
**   dk_host *h = dk_open(NULL, &err);          -- NULL options: find the scripts yourself
**   char *json = NULL;
**   int status = dk_run(h, "exit-code", "{\"argv\":[\"false\"]}", &json);
**   ... status is 0 ok, 1 warnings, 2 errors, 3 could not diagnose, 64 bad request ...
**   dk_free(json);
**   dk_close(h);
*/
#ifndef DIAGKIT_H
#define DIAGKIT_H

#ifdef __cplusplus
extern "C" {
#endif

#define DIAGKIT_VERSION_MAJOR 0
#define DIAGKIT_VERSION_MINOR 2
#define DIAGKIT_VERSION_PATCH 0
#define DIAGKIT_VERSION "0.2.0"
/* One number that compares: 0.2.0 is 200, 1.3.12 is 10312. */
#define DIAGKIT_VERSION_NUMBER (DIAGKIT_VERSION_MAJOR * 10000 + DIAGKIT_VERSION_MINOR * 100 + DIAGKIT_VERSION_PATCH)

#if defined(_WIN32) && defined(DIAGKIT_SHARED)
#if defined(DIAGKIT_BUILDING)
#define DK_API __declspec(dllexport)
#else
#define DK_API __declspec(dllimport)
#endif
#else
#define DK_API
#endif

/* Exit statuses of a run (the Nagios plugin convention, plus sysexits' EX_USAGE). */
enum {
  DK_OK = 0,          /* nothing found, or only informational findings */
  DK_WARNING = 1,     /* at least one warning */
  DK_ERROR = 2,       /* at least one error or critical finding */
  DK_UNKNOWN = 3,     /* the playbook could not diagnose (it failed, was cancelled, or lacked evidence) */
  DK_USAGE = 64       /* bad request: unknown playbook, bad parameter, missing file */
};

typedef struct dk_host dk_host;

/* Log levels passed to a dk_log_fn. */
enum { DK_LOG_DEBUG = 0, DK_LOG_INFO = 1, DK_LOG_WARNING = 2, DK_LOG_ERROR = 3 };

/* Receives the host's messages (progress, notes, warnings) that the CLI
** would print on stderr. Called on the thread running the host. */
typedef void (*dk_log_fn)(void *ud, int level, const char *message);

/* How checks that are not bundled (run as files, or found in the user
** playbook folders) are treated; see docs/sandbox.md. */
enum {
  DK_SANDBOX_ON = 0,  /* default: they run in the sandbox with the limits below */
  DK_SANDBOX_OFF = 1  /* they are trusted like the bundled playbooks (--trust) */
};

/* Options of dk_open. Zero-initialise it ({0}) and set what you need: every
** zero field means its default, so new fields never break old callers. */
typedef struct dk_options {
  /* Folder holding diagkit/cli.lua and playbooks/; NULL to search the usual
  ** places ($DIAGKIT_SCRIPTS, next to the executable, ../share/diagkit/scripts). */
  const char *scripts_dir;
  /* Report format dk_run returns: "json" (default, schema diagkit.report/1),
  ** "text", "nagios", or any other formatter the scripts provide. */
  const char *format;
  dk_log_fn log;                  /* NULL: messages are dropped */
  void *log_ud;
  int sandbox;                    /* DK_SANDBOX_ON (default) or DK_SANDBOX_OFF */
  const char *const *allow_read;  /* NULL-terminated folders sandboxed checks may read */
  int allow_exec;                 /* non-zero: sandboxed checks may start programs */
  long long max_instructions;     /* per sandboxed check; 0 = default (5e8) */
  long long max_memory;           /* bytes per sandboxed check; 0 = default (256 MiB) */
} dk_options;

/* One finding, as dk_run_ex hands it to a dk_finding_fn. The strings are
** valid during the call only; absent fields are NULL. */
typedef struct dk_finding {
  const char *playbook;
  const char *id;        /* stable, e.g. "exit.signal.sigsegv" */
  const char *severity;  /* "info", "warning", "error" or "critical" */
  const char *title;
  const char *detail;
  const char *remedy;
  const char *next;      /* the playbook to run next */
  const char *json;      /* the whole finding as a JSON object (with evidence) */
} dk_finding;

/* Called once per finding, most severe first, after the run. */
typedef void (*dk_finding_fn)(void *ud, const dk_finding *finding);

/* Version of the library, "MAJOR.MINOR.PATCH", and as DIAGKIT_VERSION_NUMBER
** (compare it with the header's to catch a mismatched shared library). */
DK_API const char *dk_version(void);
DK_API int dk_version_number(void);

/* Opens a host. On failure returns NULL and, if err is not NULL, sets *err to a
** message the caller frees with dk_free. */
DK_API dk_host *dk_open(const dk_options *opts, char **err);

/* Runs the playbook named with params given as a JSON object (NULL for none).
** *report receives the report in the host's format (JSON by default), or for
** status DK_USAGE a JSON object {"error": "..."}; the caller frees it with
** dk_free. Returns the exit status (DK_OK ... DK_USAGE). */
DK_API int dk_run(dk_host *h, const char *playbook, const char *params_json, char **report);

/* As dk_run, and more: `playbook` may also be the path of a check file
** (ending in ".lua"), which runs under the host's sandbox options;
** on_finding (may be NULL) is called for every finding; report may be NULL
** when the caller only wants the callback. */
DK_API int dk_run_ex(dk_host *h, const char *playbook, const char *params_json, dk_finding_fn on_finding,
                     void *ud, char **report);

/* Asks the run in progress on h to stop; safe from any thread (and from a
** signal handler). Lua code stops at once with status DK_UNKNOWN and the
** error "cancelled"; a program being run is killed with its process tree
** within 100 ms; other native work in progress (parsing a big file) ends
** first. The flag is cleared when the next run starts. */
DK_API void dk_cancel(dk_host *h);

/* Runs the command-line interface with the given arguments (argv[0] is the
** program name) and returns its exit status. Output goes to stdout/stderr. */
DK_API int dk_main(dk_host *h, int argc, char **argv);

DK_API void dk_free(void *p);
DK_API void dk_close(dk_host *h);

#ifdef __cplusplus
}
#endif
#endif
