/*
 * The C baselines as one executable, the program named by the first argument:
 *
 *   baseline producer|consumer|e2e ARGS...   (each program's own usage, in its file)
 *   baseline version                         {"librdkafka": "...", "fingerprint": "..."}
 *
 * One file instead of three, because the prebuilt copy links librdkafka and its libraries in,
 * and three copies of that would triple what the repository carries.
 */
#include <stdio.h>
#include <string.h>

#include <librdkafka/rdkafka.h>

#ifndef BASELINE_FINGERPRINT
#define BASELINE_FINGERPRINT "none"
#endif

/* Each program's main, renamed at compile time (-Dmain=NAME_main). */
int producer_main(int argc, char **argv);
int consumer_main(int argc, char **argv);
int e2e_main(int argc, char **argv);

int main(int argc, char **argv) {
  const char *program = argc >= 2 ? argv[1] : "";
  if (strcmp(program, "producer") == 0) return producer_main(argc - 1, argv + 1);
  if (strcmp(program, "consumer") == 0) return consumer_main(argc - 1, argv + 1);
  if (strcmp(program, "e2e") == 0) return e2e_main(argc - 1, argv + 1);
  if (strcmp(program, "version") == 0) {
    printf("{\"librdkafka\": \"%s\", \"fingerprint\": \"%s\"}\n", rd_kafka_version_str(), BASELINE_FINGERPRINT);
    return 0;
  }
  fprintf(stderr, "usage: baseline producer|consumer|e2e|version [ARGS...]\n");
  return 2;
}
