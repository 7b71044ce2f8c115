/* fastfail: Windows __fastfail(FAST_FAIL_FATAL_APP_EXIT = 7), the way the
 * MSVC runtime dies on a security check / abort() in release builds.
 * Windows: STATUS_STACK_BUFFER_OVERRUN 0xC0000409 (3221226505)
 *          (Wine 8 gives the same; the shell sees 9, the low byte)
 * Linux:   no __fastfail: calls abort() -> SIGABRT, shell status 134 */
#include <stdio.h>
#include <stdlib.h>

#ifdef _WIN32
/* __fastfail(code) is `int 0x29` with the code in ECX; this mingw-w64's
 * <intrin.h> may not declare it, so spell it out. */
static void dk_fastfail(unsigned int code)
{
    __asm__ volatile("int $0x29" : : "c"(code) : "memory");
}
#endif

int main(void)
{
    fprintf(stderr, "fastfail: failing fast\n");
#ifdef _WIN32
    dk_fastfail(7); /* __fastfail(FAST_FAIL_FATAL_APP_EXIT) */
#endif
    abort();
}
