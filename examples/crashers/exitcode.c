/* exitcode CODE: exits with CODE (decimal, 0x hex or 0 octal, via strtoul).
 * Linux:   CODE & 0xFF  (e.g. `exitcode 300` -> 44)
 * Windows: the full 32-bit CODE, e.g. `exitcode 0xC0000135` -> 0xC0000135
 *          (3221225781), which looks exactly like STATUS_DLL_NOT_FOUND.
 * Without an argument, or with a bad one, prints usage and exits 2. */
#include <stdio.h>
#include <stdlib.h>
#ifdef _WIN32
#include <windows.h>
#endif

int main(int argc, char **argv)
{
    char *end;
    unsigned long code;

    if (argc != 2) {
        fprintf(stderr, "usage: exitcode CODE   (e.g. 3, 0x2a, 0xC0000135)\n");
        return 2;
    }
    code = strtoul(argv[1], &end, 0);
    if (end == argv[1] || *end != '\0') {
        fprintf(stderr, "exitcode: not a number: %s\n", argv[1]);
        return 2;
    }
#ifdef _WIN32
    ExitProcess((UINT)code); /* full 32 bits, no C runtime truncation */
#endif
    exit((int)code);
}
