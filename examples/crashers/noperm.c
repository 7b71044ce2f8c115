/* noperm PATH: opens PATH for reading; on failure prints
 * "noperm: PATH: <strerror>" to stderr and exits 1, else exits 0.
 * With a mode-000 file as a non-root user: "Permission denied", exit 1.
 * (root reads anything on Linux: use a missing path, or a non-root user.)
 * Linux: 1     Windows: 1 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    FILE *f;
    if (argc != 2) {
        fprintf(stderr, "usage: noperm PATH\n");
        return 2;
    }
    f = fopen(argv[1], "rb");
    if (!f) {
        int e = errno;
        fprintf(stderr, "noperm: %s: %s\n", argv[1], strerror(e));
        return 1;
    }
    fclose(f);
    printf("noperm: %s: opened fine\n", argv[1]);
    return 0;
}
