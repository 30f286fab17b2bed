/* The native floor for bench/sensors.bench.ts: a thread that does nothing but wake at 1 kHz
 * (clock_nanosleep on an absolute schedule), run for `seconds` (argv[1]); prints the CPU share of
 * one core it used. Compiled by the bench with `cc -O2` when a C compiler is present. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static double seconds_of(struct timeval tv) { return tv.tv_sec + tv.tv_usec / 1e6; }

int main(int argc, char **argv) {
  int wakes = (argc > 1 ? atoi(argv[1]) : 5) * 1000;
  struct timespec next, start, end;
  struct rusage before, after;
  clock_gettime(CLOCK_MONOTONIC, &next);
  start = next;
  getrusage(RUSAGE_SELF, &before);
  for (int i = 0; i < wakes; i++) {
    next.tv_nsec += 1000000;
    if (next.tv_nsec >= 1000000000) {
      next.tv_nsec -= 1000000000;
      next.tv_sec++;
    }
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
  }
  getrusage(RUSAGE_SELF, &after);
  clock_gettime(CLOCK_MONOTONIC, &end);
  double cpu = seconds_of(after.ru_utime) - seconds_of(before.ru_utime) + seconds_of(after.ru_stime) -
               seconds_of(before.ru_stime);
  double wall = (end.tv_sec - start.tv_sec) + (end.tv_nsec - start.tv_nsec) / 1e9;
  printf("%f\n", cpu / wall);
  return 0;
}
