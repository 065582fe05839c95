/*
 * C baseline for end-to-end latency: one producer thread sends at a scheduled rate while the main
 * thread consumes the same topic; latency is consume time minus the time the message was
 * scheduled to be sent (so a producer falling behind shows up as latency, not as a lower rate).
 * Prints one JSON line with counts and latency percentiles in milliseconds.
 *
 *   e2e <bootstrap> <topic> <partitions> <size> <schedule> <warmup-s> [key=value ...]
 *
 * schedule: "start:rate,start:rate,...,end:0" in seconds and messages per second (the last entry
 * marks the end). Messages scheduled before warmup-s are sent but not counted in the percentiles.
 * key=value pairs are librdkafka configuration: the producer's, then "--", then the consumer's.
 */
#include <pthread.h>
#include <stdint.h>

#include "common.h"

typedef struct {
  double start, rate;
} segment_t;

static segment_t segments[256];
static int nsegments;
static long total;             /* messages the schedule sends */
static double *scheduled;      /* send time of message i, seconds after t0 */
static double t0;
static size_t size;
static rd_kafka_t *producer;
static rd_kafka_topic_t *producer_topic;
static volatile long delivered, failed;

/* Messages segment k sends: its length times its rate, rounded down (as bench/schedule.js). */
static long segment_count(int k) {
  return (long)((segments[k + 1].start - segments[k].start) * segments[k].rate);
}

static long parse_schedule(const char *s) {
  char *copy = strdup(s), *save = NULL;
  for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (nsegments == 256) die("schedule", "too many segments");
    if (sscanf(tok, "%lf:%lf", &segments[nsegments].start, &segments[nsegments].rate) != 2) die("schedule", tok);
    nsegments++;
  }
  free(copy);
  if (nsegments < 2 || segments[nsegments - 1].rate != 0) die("schedule", "must end with <end>:0");
  long n = 0;
  for (int k = 0; k + 1 < nsegments; k++) n += segment_count(k);
  scheduled = malloc(sizeof(double) * (n > 0 ? n : 1));
  long i = 0;
  for (int k = 0; k + 1 < nsegments; k++)
    for (long j = 0, m = segment_count(k); j < m; j++) scheduled[i++] = segments[k].start + j / segments[k].rate;
  return n;
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) __atomic_add_fetch(&failed, 1, __ATOMIC_RELAXED);
  else __atomic_add_fetch(&delivered, 1, __ATOMIC_RELAXED);
}

static void *produce(void *arg) {
  (void)arg;
  char *payload = calloc(1, size);
  memset(payload + 16, 'x', size - 16);
  for (long i = 0; i < total; i++) {
    const double at = t0 + scheduled[i];
    double now = now_s();
    if (now < at) {
      rd_kafka_poll(producer, 0);
      const double wait = at - now_s();
      if (wait > 0) {
        struct timespec ts = {(time_t)wait, (long)((wait - (time_t)wait) * 1e9)};
        nanosleep(&ts, NULL);
      }
    }
    const double stamp = at;
    memcpy(payload, &stamp, 8);
    memcpy(payload + 8, &i, 8);
    for (;;) {
      rd_kafka_resp_err_t e = rd_kafka_producev(producer, RD_KAFKA_V_RKT(producer_topic), RD_KAFKA_V_VALUE(payload, size),
                                                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
      if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        if (e) die("producev", rd_kafka_err2str(e));
        break;
      }
      rd_kafka_poll(producer, 1);
    }
  }
  while (delivered + failed < total) rd_kafka_poll(producer, 10);
  free(payload);
  return NULL;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 7) die("usage", "e2e <bootstrap> <topic> <partitions> <size> <schedule> <warmup-s> [producer key=value ...] [-- consumer key=value ...]");
  const char *bootstrap = argv[1], *topic = argv[2];
  const int partitions = atoi(argv[3]);
  size = (size_t)atol(argv[4]);
  if (size < 16) die("size", "at least 16 bytes (a timestamp and a sequence number)");
  total = parse_schedule(argv[5]);
  const double warmup = atof(argv[6]);

  char err[512];
  int split = 7;
  while (split < argc && strcmp(argv[split], "--") != 0) split++;
  rd_kafka_conf_t *pconf = conf_from_args(bootstrap, argv, 7, split);
  rd_kafka_conf_t *cconf = conf_from_args(bootstrap, argv, split < argc ? split + 1 : argc, argc);
  rd_kafka_conf_set_dr_msg_cb(pconf, on_delivery);
  producer = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, err, sizeof(err));
  if (!producer) die("producer", err);
  producer_topic = rd_kafka_topic_new(producer, topic, NULL);
  const struct rd_kafka_metadata *md;
  rd_kafka_resp_err_t e = rd_kafka_metadata(producer, 0, producer_topic, &md, 10000);
  if (e) die("metadata", rd_kafka_err2str(e));
  rd_kafka_metadata_destroy(md);

  if (rd_kafka_conf_set(cconf, "group.id", topic, err, sizeof(err)) != RD_KAFKA_CONF_OK) die("group.id", err);
  rd_kafka_t *consumer = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, err, sizeof(err));
  if (!consumer) die("consumer", err);
  rd_kafka_poll_set_consumer(consumer);
  rd_kafka_topic_partition_list_t *list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; p++) rd_kafka_topic_partition_list_add(list, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  e = rd_kafka_assign(consumer, list);
  if (e) die("assign", rd_kafka_err2str(e));
  rd_kafka_topic_partition_list_destroy(list);

  double *latency = malloc(sizeof(double) * (total > 0 ? total : 1));
  char *seen = calloc(total > 0 ? total : 1, 1);
  long received = 0, counted = 0, duplicates = 0;
  t0 = now_s() + 0.2; /* the first message is scheduled a little after the consumer is assigned */
  pthread_t thread;
  pthread_create(&thread, NULL, produce, NULL);
  const double end = segments[nsegments - 1].start;
  while (received < total && now_s() < t0 + end + 30) {
    rd_kafka_message_t *m = rd_kafka_consumer_poll(consumer, 100);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR && m->len >= 16) {
      const double now = now_s();
      double stamp;
      long seq;
      memcpy(&stamp, m->payload, 8);
      memcpy(&seq, (const char *)m->payload + 8, 8);
      if (seq >= 0 && seq < total && !seen[seq]) {
        seen[seq] = 1;
        received++;
        if (scheduled[seq] >= warmup) latency[counted++] = (now - stamp) * 1e3;
      } else {
        duplicates++;
      }
    } else if (m->err && m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      die("consume", rd_kafka_message_errstr(m));
    }
    rd_kafka_message_destroy(m);
  }
  const double seconds = now_s() - t0;
  pthread_join(thread, NULL);

  qsort(latency, counted, sizeof(double), by_value);
#define PCT(q) (counted ? latency[(long)((counted - 1) * (q))] : 0)
  double cpu;
  long rss;
  resources(&cpu, &rss);
  printf("{\"sent\":%ld,\"delivered\":%ld,\"failed\":%ld,\"received\":%ld,\"duplicates\":%ld,\"counted\":%ld,"
         "\"seconds\":%.3f,\"p50\":%.3f,\"p95\":%.3f,\"p99\":%.3f,\"p999\":%.3f,\"max\":%.3f,\"cpuSeconds\":%.3f,"
         "\"peakRssMB\":%ld}\n",
         total, delivered, failed, received, duplicates, counted, seconds, PCT(0.5), PCT(0.95), PCT(0.99), PCT(0.999),
         counted ? latency[counted - 1] : 0, cpu, rss);
  rd_kafka_consumer_close(consumer);
  rd_kafka_destroy(consumer);
  rd_kafka_topic_destroy(producer_topic);
  rd_kafka_destroy(producer);
  free(latency);
  free(seen);
  free(scheduled);
  return received == total ? 0 : 2;
}
