/* selfkill: the program kills itself with no chance to clean up.
 * Linux:   raise(SIGKILL)                       -> shell status 137 (128+9)
 * Windows: TerminateProcess(GetCurrentProcess(), 1) -> exit code 1 */
#include <stdio.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <signal.h>
#endif

int main(void)
{
    fprintf(stderr, "selfkill: killing myself\n");
#ifdef _WIN32
    TerminateProcess(GetCurrentProcess(), 1);
#else
    raise(SIGKILL);
#endif
    return 0;
}
