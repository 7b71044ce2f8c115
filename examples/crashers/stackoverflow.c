/* stackoverflow: unbounded recursion with a live frame-sized buffer.
 * Linux:   killed by SIGSEGV  -> shell status 139 (128+11)
 * Windows: STATUS_STACK_OVERFLOW 0xC00000FD (3221225725)
 *          (Wine 8 ends the process without the exception: exit code 0,
 *          the shell sees 1; see README)
 * The volatile buffer and the use of the result after the call keep the
 * optimiser from turning the recursion into a loop (no tail call). */
#include <stdio.h>

static int depth;

__attribute__((noinline)) static int recurse(int n)
{
    volatile char frame[256];
    frame[0] = (char)n;
    depth = n;
    return recurse(n + 1) + frame[0];
}

int main(void)
{
    fprintf(stderr, "stackoverflow: recursing without end\n");
    return recurse(0);
}
