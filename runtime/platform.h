/*
** The host's own OS needs: where the executable is, whether a path exists.
** One interface, two implementations: platform_posix.c and platform_win32.c.
*/
#ifndef DK_RUNTIME_PLATFORM_H
#define DK_RUNTIME_PLATFORM_H

#include <stddef.h>

/* Writes the folder holding the running executable (UTF-8, no trailing
** separator) into buf. Returns 0, or -1 if it cannot be found or does not fit. */
int dk_exe_dir(char *buf, size_t size);

/* Writes the folder holding the file the host's code was loaded from: the
** shared library (libdiagkit.so, diagkit.dll) for an embedder, else the
** executable. Same contract as dk_exe_dir. */
int dk_lib_dir(char *buf, size_t size);

/* 1 if path (UTF-8) names an existing regular file, else 0. */
int dk_is_file(const char *path);

/* Replaces argc/argv with UTF-8 arguments (on Windows, from the UTF-16
** command line; elsewhere they already are) and prepares the console for
** UTF-8 output. Returns 0, or -1 when out of memory. */
int dk_prepare_process(int *argc, char ***argv);

/* Windows consoles: 1 when fd (1 or 2) is a console, where UTF-8 must go
** through WriteConsoleW (the console's code page, 936 on a Chinese Windows,
** would turn it into mojibake). dk_console_write writes n bytes of UTF-8
** there; returns 0, or -1 on failure. POSIX: never a console in this sense. */
int dk_console_is(int fd);
int dk_console_write(int fd, const char *s, size_t n);

/* The path separator used when joining paths for this OS. */
extern const char dk_path_sep;

#endif
