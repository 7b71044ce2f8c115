/*
** The best a reader of one pipe does on this machine: grows its stdin pipe
** to 1 MiB and reads it in 512 KiB chunks into one buffer, keeping nothing.
** bench_proc.sh runs `flood N | pipe_reader` as a second ceiling beside
** `cat FILE > /dev/null`: it tells the pipe's own speed from ours.
*/
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

int main(void) {
  fcntl(0, F_SETPIPE_SZ, 1 << 20);
  char *buf = malloc(1 << 19);
  if (buf == NULL) return 1;
  long long total = 0;
  ssize_t n;
  while ((n = read(0, buf, 1 << 19)) > 0) total += n;
  free(buf);
  return total > 0 ? 0 : 1;
}
