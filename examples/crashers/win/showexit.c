/* showexit.exe PROGRAM [ARGS...]: runs PROGRAM and prints its full 32-bit
 * exit code as "exit 0xC0000005 (3221225477)", then exits 0.
 * Wine hands only the low 8 bits of an exit code to the Linux shell;
 * this helper is how README.md's Wine column was measured. */
#include <stdio.h>
#include <string.h>
#include <windows.h>

int main(void)
{
    const char *cmd = GetCommandLineA();
    int quoted = 0;
    STARTUPINFOA si;
    PROCESS_INFORMATION pi;
    DWORD code;
    char line[32768];

    /* skip our own argv[0], keep the rest of the line as it was typed */
    for (; *cmd && (quoted || (*cmd != ' ' && *cmd != '\t')); cmd++)
        if (*cmd == '"')
            quoted = !quoted;
    while (*cmd == ' ' || *cmd == '\t')
        cmd++;
    if (!*cmd) {
        fprintf(stderr, "usage: showexit PROGRAM [ARGS...]\n");
        return 2;
    }
    strncpy(line, cmd, sizeof line - 1);
    line[sizeof line - 1] = '\0';
    memset(&si, 0, sizeof si);
    si.cb = sizeof si;
    if (!CreateProcessA(NULL, line, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi)) {
        fprintf(stderr, "showexit: cannot start %s: error %lu\n", line, GetLastError());
        return 2;
    }
    WaitForSingleObject(pi.hProcess, INFINITE);
    GetExitCodeProcess(pi.hProcess, &code);
    fflush(stderr);
    printf("exit 0x%08lX (%lu)\n", code, code);
    return 0;
}
