/*
** diagkit: troubleshooting toolkit, embedding API.
**
** A host is one Lua 5.4 state with the native modules registered and the
** framework scripts on its package.path. Hosts are independent: use each from
** one thread at a time; different hosts may run on different threads.
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
#define DIAGKIT_VERSION_MINOR 1
#define DIAGKIT_VERSION_PATCH 0
#define DIAGKIT_VERSION "0.1.0"

/* Exit statuses of a run (the Nagios plugin convention, plus sysexits' EX_USAGE). */
enum {
  DK_OK = 0,          /* nothing found, or only informational findings */
  DK_WARNING = 1,     /* at least one warning */
  DK_ERROR = 2,       /* at least one error or critical finding */
  DK_UNKNOWN = 3,     /* the playbook could not diagnose (it failed, or lacked evidence) */
  DK_USAGE = 64       /* bad request: unknown playbook, bad parameter, missing file */
};

typedef struct dk_host dk_host;

typedef struct dk_options {
  /* Folder holding diagkit/cli.lua and playbooks/; NULL to search the usual
  ** places ($DIAGKIT_SCRIPTS, next to the executable, ../share/diagkit/scripts). */
  const char *scripts_dir;
} dk_options;

/* Version of the library, "MAJOR.MINOR.PATCH". */
const char *dk_version(void);

/* Opens a host. On failure returns NULL and, if err is not NULL, sets *err to a
** message the caller frees with dk_free. */
dk_host *dk_open(const dk_options *opts, char **err);

/* Runs the playbook named with params given as a JSON object (NULL for none).
** *report_json receives the report (schema diagkit.report/1), or for status
** DK_USAGE a JSON object {"error": "..."}; the caller frees it with dk_free. */
int dk_run(dk_host *h, const char *playbook, const char *params_json, char **report_json);

/* Runs the command-line interface with the given arguments (argv[0] is the
** program name) and returns its exit status. Output goes to stdout/stderr. */
int dk_main(dk_host *h, int argc, char **argv);

void dk_free(void *p);
void dk_close(dk_host *h);

#ifdef __cplusplus
}
#endif
#endif
