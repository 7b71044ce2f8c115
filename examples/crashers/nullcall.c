/* nullcall: calls a NULL function pointer (jumps to address 0).
 * Linux:   killed by SIGSEGV  -> shell status 139 (128+11)
 * Windows: STATUS_ACCESS_VIOLATION 0xC0000005 (3221225477), on execute */
#include <stdio.h>

typedef void (*fn)(void);

int main(void)
{
    volatile fn f = NULL;
    fprintf(stderr, "nullcall: calling a NULL function pointer\n");
    f();
    return 0;
}
