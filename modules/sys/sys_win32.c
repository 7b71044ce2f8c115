/* Machine facts, Win32 half (see sys.h). */
#include "sys.h"

#include <windows.h>
#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "dk_text.h"

/* ntdll exports wine_get_version only under Wine: the standard way to tell. */
static void wine_version(char *out, size_t size) {
  HMODULE ntdll = GetModuleHandleW(L"ntdll.dll");
  if (ntdll == NULL) return;
  typedef const char *(CDECL * wine_get_version_fn)(void);
  FARPROC p = GetProcAddress(ntdll, "wine_get_version");
  if (p == NULL) return;
  wine_get_version_fn fn;
  memcpy(&fn, &p, sizeof fn); /* function pointer types differ; copy the bits */
  const char *v = fn();
  if (v != NULL) snprintf(out, size, "%s", v);
}

void dk_sys_get_info(dk_sys_info *info) {
  memset(info, 0, sizeof *info);
  info->os = "windows";
  SYSTEM_INFO si;
  GetNativeSystemInfo(&si);
  switch (si.wProcessorArchitecture) {
  case PROCESSOR_ARCHITECTURE_AMD64: info->arch = "x86_64"; break;
  case PROCESSOR_ARCHITECTURE_ARM64: info->arch = "aarch64"; break;
  case PROCESSOR_ARCHITECTURE_INTEL: info->arch = "x86"; break;
  default: info->arch = "unknown"; break;
  }
  /* GetVersionEx lies without a manifest; RtlGetVersion does not. */
  typedef LONG(WINAPI * rtl_get_version_fn)(OSVERSIONINFOW *);
  FARPROC p = GetProcAddress(GetModuleHandleW(L"ntdll.dll"), "RtlGetVersion");
  if (p != NULL) {
    rtl_get_version_fn fn;
    memcpy(&fn, &p, sizeof fn);
    OSVERSIONINFOW v = {.dwOSVersionInfoSize = sizeof v};
    if (fn(&v) == 0)
      snprintf(info->os_version, sizeof info->os_version, "%lu.%lu.%lu",
               (unsigned long)v.dwMajorVersion, (unsigned long)v.dwMinorVersion, (unsigned long)v.dwBuildNumber);
  }
  wchar_t name[256];
  DWORD n = sizeof name / sizeof name[0];
  if (GetComputerNameW(name, &n))
    dk_utf16_to_utf8(name, info->hostname, sizeof info->hostname);
  wine_version(info->wine_version, sizeof info->wine_version);
}

double dk_sys_monotonic_ms(void) {
  LARGE_INTEGER f, c;
  QueryPerformanceFrequency(&f);
  QueryPerformanceCounter(&c);
  return (double)c.QuadPart * 1000.0 / (double)f.QuadPart;
}

/* A terminal in the sense the callers mean (colours, a progress line that
** rewrites itself): a console that takes escape sequences. _isatty is true
** for NUL and any character device; an old console without virtual terminal
** processing would print the escapes raw. So: a console handle, with
** ENABLE_VIRTUAL_TERMINAL_PROCESSING turned on here, or not a terminal. */
int dk_sys_isatty(int fd) {
  if (fd < 0 || fd > 2) return 0;
  static const DWORD which[3] = {STD_INPUT_HANDLE, STD_OUTPUT_HANDLE, STD_ERROR_HANDLE};
  HANDLE h = GetStdHandle(which[fd]);
  DWORD mode;
  if (h == NULL || h == INVALID_HANDLE_VALUE || !GetConsoleMode(h, &mode)) return 0;
  if (fd == 0) return 1;
  if (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) return 1;
  return SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

long dk_sys_pid(void) { return (long)GetCurrentProcessId(); }

/* GetFinalPathNameByHandleW resolves links of an existing file; for a name
** that does not exist yet GetFullPathNameW at least makes it absolute. */
int dk_sys_realpath(const char *path, char *out, size_t out_size) {
  wchar_t *w = dk_utf8_to_wide(path);
  if (w == NULL) return -1;
  wchar_t *full = malloc(32768 * sizeof *full);
  int rc = -1;
  if (full == NULL) goto done;
  DWORD n = GetFullPathNameW(w, 32768, full, NULL);
  if (n == 0 || n >= 32768) goto done;
  HANDLE f = CreateFileW(full, 0, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                         FILE_FLAG_BACKUP_SEMANTICS, NULL);
  if (f != INVALID_HANDLE_VALUE) {
    DWORD m = GetFinalPathNameByHandleW(f, full, 32768, FILE_NAME_NORMALIZED);
    CloseHandle(f);
    if (m == 0 || m >= 32768) goto done;
    /* Drop the \\?\ prefix of a drive path; keep \\?\UNC\ as \\server. */
    if (wcsncmp(full, L"\\\\?\\UNC\\", 8) == 0) {
      memmove(full + 2, full + 8, (wcslen(full + 8) + 1) * sizeof *full);
    } else if (wcsncmp(full, L"\\\\?\\", 4) == 0) {
      memmove(full, full + 4, (wcslen(full + 4) + 1) * sizeof *full);
    }
  }
  rc = dk_utf16_to_utf8(full, out, out_size) < 0 ? -1 : 0;
done:
  free(w);
  free(full);
  return rc;
}
