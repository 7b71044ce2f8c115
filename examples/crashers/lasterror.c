/* lasterror PATH: opens PATH for reading; on failure prints why to stderr
 * and exits with the error number itself, as many programs do:
 *   Linux:   "lasterror: PATH: <strerror(errno)>", exit status errno
 *            (a missing file: "No such file or directory", 2 = ENOENT)
 *   Windows: "lasterror: PATH: <FormatMessage(GetLastError())>", exit status
 *            GetLastError() (a missing folder: 3 = ERROR_PATH_NOT_FOUND,
 *            "The system cannot find the path specified." / Wine: "Path not found.")
 * Exits 0 when PATH opens. Without an argument prints usage and exits 64. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#endif

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: lasterror PATH\n");
        return 64;
    }
#ifdef _WIN32
    {
        HANDLE h = CreateFileA(argv[1], GENERIC_READ, FILE_SHARE_READ, NULL, OPEN_EXISTING,
                               FILE_ATTRIBUTE_NORMAL, NULL);
        DWORD e;
        char msg[512];
        if (h != INVALID_HANDLE_VALUE) {
            CloseHandle(h);
            return 0;
        }
        e = GetLastError();
        if (!FormatMessageA(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, e, 0,
                            msg, sizeof msg, NULL))
            snprintf(msg, sizeof msg, "error %lu", (unsigned long)e);
        msg[strcspn(msg, "\r\n")] = '\0';
        fprintf(stderr, "lasterror: %s: %s\n", argv[1], msg);
        return (int)e;
    }
#else
    {
        FILE *f = fopen(argv[1], "rb");
        int e;
        if (f) {
            fclose(f);
            return 0;
        }
        e = errno;
        fprintf(stderr, "lasterror: %s: %s\n", argv[1], strerror(e));
        return e;
    }
#endif
}
