/* Win32 error -> symbolic code and text, one table for every module. */
#define WIN32_LEAN_AND_MEAN
#include <windows.h>

#include <stdio.h>
#include <string.h>

#include "dk_err.h"

const char *dk_win32_code(unsigned long error) {
  switch (error) {
    case ERROR_FILE_NOT_FOUND:
    case ERROR_PATH_NOT_FOUND:
    case ERROR_INVALID_NAME:
    case ERROR_BAD_NETPATH:
    case ERROR_INVALID_DRIVE:
    case ERROR_BAD_PATHNAME: return "ENOENT";
    case ERROR_ACCESS_DENIED:
    case ERROR_SHARING_VIOLATION:
    case ERROR_LOCK_VIOLATION:
    case ERROR_PRIVILEGE_NOT_HELD: return "EACCES";
    case ERROR_NOT_ENOUGH_MEMORY:
    case ERROR_OUTOFMEMORY: return "ENOMEM";
    case ERROR_DIRECTORY: return "EISDIR";
    case ERROR_FILE_EXISTS:
    case ERROR_ALREADY_EXISTS: return "EEXIST";
    case ERROR_INVALID_PARAMETER: return "EINVAL";
    case ERROR_NOT_SUPPORTED:
    case ERROR_CALL_NOT_IMPLEMENTED: return "ENOTSUP";
    case ERROR_FILE_TOO_LARGE: return "EFBIG";
    case ERROR_DISK_FULL:
    case ERROR_HANDLE_DISK_FULL: return "ENOSPC";
    case ERROR_BROKEN_PIPE:
    case ERROR_NO_DATA: return "EPIPE";
    case ERROR_TIMEOUT:
    case WAIT_TIMEOUT: return "ETIMEDOUT";
    case ERROR_BAD_EXE_FORMAT: return "ENOEXEC";
    default: return "EIO";
  }
}

void dk_win32_message(unsigned long error, char *buf, size_t size) {
  if (!size) return;
  /* English first: messages are matched by playbooks and read in reports. */
  DWORD n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)error,
                           MAKELANGID(LANG_ENGLISH, SUBLANG_ENGLISH_US), buf, (DWORD)(size > 0xffff ? 0xffff : size),
                           NULL);
  if (n == 0)
    n = FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, (DWORD)error, 0, buf,
                       (DWORD)(size > 0xffff ? 0xffff : size), NULL);
  if (n >= size) n = (DWORD)size - 1;
  buf[n] = '\0';
  while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == '.' || buf[n - 1] == ' ')) buf[--n] = '\0';
  if (n == 0) snprintf(buf, size, "Win32 error %lu", error);
}

int dk_err_win32(dk_err *e, unsigned long error, const char *path) {
  char text[256];
  dk_win32_message(error, text, sizeof text);
  if (path) dk_err_set(e, dk_win32_code(error), "%s: %s (error %lu)", path, text, error);
  else dk_err_set(e, dk_win32_code(error), "%s (error %lu)", text, error);
  return -1;
}
