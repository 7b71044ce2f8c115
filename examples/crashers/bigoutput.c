/* bigoutput [N]: writes N MiB (default 4) to stdout AND N MiB to stderr,
 * interleaved in 4 KiB lines-blocks, then exits 0. A parent that reads only
 * one pipe at a time deadlocks on it; a correct capture does not.
 * Every line is "out NNNNNNNN ....\n" or "err NNNNNNNN ....\n", 64 bytes.
 * Linux: 0     Windows: 0 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    long mib = argc > 1 ? strtol(argv[1], NULL, 0) : 4;
    long lines = mib * 1024 * 1024 / 64, i;
    char line[65];

    if (mib < 0) {
        fprintf(stderr, "usage: bigoutput [MiB]\n");
        return 2;
    }
    setvbuf(stdout, NULL, _IOFBF, 4096);
    setvbuf(stderr, NULL, _IOFBF, 4096);
    for (i = 0; i < lines; i++) {
        int n = snprintf(line, sizeof line, "out %08ld ", i);
        memset(line + n, 'o', 63 - n);
        line[63] = '\n';
        fwrite(line, 1, 64, stdout);
        line[0] = 'e'; line[1] = 'r'; line[2] = 'r';
        memset(line + n, 'e', 63 - n);
        fwrite(line, 1, 64, stderr);
    }
    fflush(stdout);
    fflush(stderr);
    return 0;
}
