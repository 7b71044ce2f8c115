/* illegal: executes an illegal instruction (__builtin_trap(), ud2 on x86).
 * Linux:   killed by SIGILL   -> shell status 132 (128+4)
 * Windows: STATUS_ILLEGAL_INSTRUCTION 0xC000001D (3221225501) */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "illegal: executing ud2\n");
    __builtin_trap();
}
