/*
 * What the C baselines share: a monotonic clock, dying with a message, building a configuration
 * from key=value arguments, and the resource figures every trial reports.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static inline double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

static inline void die(const char *what, const char *why) {
  fprintf(stderr, "%s: %s\n", what, why);
  exit(1);
}

/* bootstrap.servers plus every key=value in argv[from..to). */
static inline rd_kafka_conf_t *conf_from_args(const char *bootstrap, char **argv, int from, int to) {
  char err[512];
  rd_kafka_conf_t *conf = rd_kafka_conf_new();
  if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, err, sizeof(err)) != RD_KAFKA_CONF_OK)
    die("bootstrap.servers", err);
  for (int i = from; i < to; i++) {
    char *eq = strchr(argv[i], '=');
    if (!eq) die("config", argv[i]);
    *eq = '\0';
    if (rd_kafka_conf_set(conf, argv[i], eq + 1, err, sizeof(err)) != RD_KAFKA_CONF_OK) die(argv[i], err);
    *eq = '=';
  }
  return conf;
}

/* CPU seconds (user + system) and peak RSS in MB of this process so far. */
static inline void resources(double *cpu_seconds, long *peak_rss_mb) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *cpu_seconds = ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec / 1e6;
  *peak_rss_mb = ru.ru_maxrss / 1024;
}

#endif
