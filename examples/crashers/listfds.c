/* listfds: prints the numbers of its open file descriptors, one per line,
 * from /proc/self/fd (without the fd used to read that directory).
 * Used to check that a parent leaks no descriptors into its children:
 * a clean child prints 0, 1, 2.
 * Linux: 0 (1 if /proc is unavailable)     Windows: prints nothing, 0 */
#include <stdio.h>
#include <stdlib.h>
#ifndef _WIN32
#include <dirent.h>
#endif

#ifndef _WIN32
static int cmp(const void *a, const void *b)
{
    return *(const int *)a - *(const int *)b;
}
#endif

int main(void)
{
#ifndef _WIN32
    int fds[4096], n = 0, i, self;
    struct dirent *e;
    DIR *d = opendir("/proc/self/fd");
    if (!d) {
        perror("listfds: /proc/self/fd");
        return 1;
    }
    self = dirfd(d);
    while ((e = readdir(d)) != NULL && n < 4096) {
        if (e->d_name[0] == '.')
            continue;
        if (atoi(e->d_name) != self)
            fds[n++] = atoi(e->d_name);
    }
    closedir(d);
    qsort(fds, n, sizeof fds[0], cmp);
    for (i = 0; i < n; i++)
        printf("%d\n", fds[i]);
#endif
    return 0;
}
