/* abort: calls abort().
 * Linux:   killed by SIGABRT  -> shell status 134 (128+6)
 * Windows: exit code 3 (the MSVCRT abort() "abnormal program termination")
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    fprintf(stderr, "abort: calling abort()\n");
    abort();
}
