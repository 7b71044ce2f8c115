/* segv: writes through a NULL pointer.
 * Linux:   killed by SIGSEGV  -> shell status 139 (128+11)
 * Windows: STATUS_ACCESS_VIOLATION 0xC0000005 (3221225477)
 * The pointer is volatile so the compiler cannot drop or fold the store. */
#include <stdio.h>

int main(void)
{
    int *volatile p = NULL;
    fprintf(stderr, "segv: writing to address 0\n");
    *p = 42;
    return 0;
}
