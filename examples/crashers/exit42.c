/* exit42: exits with status 42, nothing else.
 * Linux: 42     Windows: 42 (0x2A) */
#include <stdlib.h>

int main(void)
{
    exit(42);
}
