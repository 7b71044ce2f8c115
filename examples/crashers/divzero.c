/* divzero: integer division by zero.
 * Linux:   killed by SIGFPE   -> shell status 136 (128+8)
 * Windows: STATUS_INTEGER_DIVIDE_BY_ZERO 0xC0000094 (3221225620)
 * Both operands are volatile so the division happens at run time. */
#include <stdio.h>

int main(void)
{
    volatile int num = 42, den = 0;
    fprintf(stderr, "divzero: dividing 42 by 0\n");
    return num / den;
}
