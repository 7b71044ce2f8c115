/*
** The peer for proc.run's spawn rate: a bare posix_spawn + waitpid loop of
** /bin/true with stdout and stderr on pipes that are read to EOF (the same
** work proc.run does, minus everything it adds).  spawn_loop <runs>
*/
#define _POSIX_C_SOURCE 200809L
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  int runs = argc > 1 ? atoi(argv[1]) : 1000;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (int i = 0; i < runs; i++) {
    int out[2], err[2];
    if (pipe(out) || pipe(err)) return 1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    posix_spawn_file_actions_adddup2(&fa, err[1], 2);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    posix_spawn_file_actions_addclose(&fa, err[0]);
    char *args[] = {"/bin/true", NULL};
    pid_t pid;
    if (posix_spawn(&pid, "/bin/true", &fa, NULL, args, environ) != 0) return 1;
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    close(err[1]);
    char buf[4096];
    while (read(out[0], buf, sizeof buf) > 0) {
    }
    while (read(err[0], buf, sizeof buf) > 0) {
    }
    close(out[0]);
    close(err[0]);
    int st;
    waitpid(pid, &st, 0);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double s = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
  printf("%.0f\n", runs / s);
  return 0;
}
