/* hang: sleeps forever (for timeout tests). Never exits on its own.
 * Linux:   after `kill` (SIGTERM) -> 143; after SIGKILL -> 137
 * Windows: whatever TerminateProcess gives it (diagkit uses 1) */
#include <stdio.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <unistd.h>
#endif

int main(void)
{
    fprintf(stderr, "hang: sleeping forever\n");
    for (;;) {
#ifdef _WIN32
        Sleep(INFINITE);
#else
        pause();
#endif
    }
}
