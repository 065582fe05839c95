/*
 * C baseline for the producer benchmark: librdkafka driven directly, the way a careful C program
 * would. Prints one JSON line with delivered messages and the time from the first enqueue to the
 * last delivery report.
 *
 *   producer <bootstrap> <topic> <messages> <size> <mode> [key=value ...]
 *
 * mode "producev": one rd_kafka_producev() per message.
 * mode "batch":    rd_kafka_produce_batch() over chunks of 10000 messages (one queue lock per
 *                  chunk; librdkafka's fastest enqueue path, without headers or timestamps).
 * mode "fill":     like producev, message i to partition i % partitions, so that every partition
 *                  gets the same count (how the consume benchmark fills its topics).
 * mode "txn<N>":   like producev, in transactions of N messages each (begin, N producev,
 *                  commit); needs transactional.id among the settings.
 * key=value pairs are librdkafka configuration, applied as given.
 */
#include <stdint.h>

#include "common.h"

static uint64_t delivered, failed;
static rd_kafka_resp_err_t first_error;

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque) {
  (void)rk;
  (void)opaque;
  if (m->err) {
    if (!failed) first_error = m->err;
    failed++;
  } else {
    delivered++;
  }
}

static void check_txn(const char *what, rd_kafka_error_t *e) {
  if (e) die(what, rd_kafka_error_string(e));
}

int main(int argc, char **argv) {
  if (argc < 6) die("usage", "producer <bootstrap> <topic> <messages> <size> <producev|batch|fill> [key=value ...]");
  const char *bootstrap = argv[1], *topic = argv[2], *mode = argv[5];
  const long count = atol(argv[3]);
  const size_t size = (size_t)atol(argv[4]);
  const int use_batch = strcmp(mode, "batch") == 0, fill = strcmp(mode, "fill") == 0;
  const long txn_every = strncmp(mode, "txn", 3) == 0 ? atol(mode + 3) : 0;
  if (!use_batch && !fill && !txn_every && strcmp(mode, "producev") != 0)
    die("mode", "must be producev, batch, fill or txn<N>");

  char err[512];
  rd_kafka_conf_t *conf = conf_from_args(bootstrap, argv, 6, argc);
  rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
  if (!rk) die("rd_kafka_new", err);
  rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);

  /* Connect and learn the topic's leaders before the clock starts, as the Node trials do. */
  const struct rd_kafka_metadata *md;
  rd_kafka_resp_err_t merr = rd_kafka_metadata(rk, 0, rkt, &md, 10000);
  if (merr) die("metadata", rd_kafka_err2str(merr));
  if (md->topic_cnt != 1 || md->topics[0].err || md->topics[0].partition_cnt < 1) die("metadata", "topic not found");
  const int partitions = md->topics[0].partition_cnt;
  rd_kafka_metadata_destroy(md);
  if (txn_every) check_txn("init_transactions", rd_kafka_init_transactions(rk, 60000));

  /* Distinct payload memory per message, cycling through as many as one Node batch holds, so the
   * baseline reads the same amount of memory per message as the Node engines do. */
  enum { RING = 10000 };
  char *ring = malloc(size * RING + 1);
  memset(ring, 'x', size * RING + 1);
#define PAYLOAD(i) (ring + ((size_t)(i) % RING) * size)

  const double t0 = now_s();
  if (use_batch) {
    enum { CHUNK = 10000 };
    rd_kafka_message_t *msgs = calloc(CHUNK, sizeof(*msgs));
    long sent = 0;
    while (sent < count) {
      int n = (int)(count - sent < CHUNK ? count - sent : CHUNK);
      for (int i = 0; i < n; i++) {
        msgs[i].payload = PAYLOAD(sent + i);
        msgs[i].len = size;
        msgs[i].err = 0;
      }
      int done = rd_kafka_produce_batch(rkt, RD_KAFKA_PARTITION_UA, 0, msgs, n);
      sent += done;
      if (done < n) rd_kafka_poll(rk, 1); /* queue full: serve reports, retry the rest */
      else rd_kafka_poll(rk, 0);
    }
    free(msgs);
  } else {
    for (long i = 0; i < count;) {
      if (txn_every && i % txn_every == 0) check_txn("begin_transaction", rd_kafka_begin_transaction(rk));
      const int32_t partition = fill ? (int32_t)(i % partitions) : RD_KAFKA_PARTITION_UA;
      rd_kafka_resp_err_t e = rd_kafka_producev(rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(partition),
                                                RD_KAFKA_V_VALUE(PAYLOAD(i), size), RD_KAFKA_V_END);
      if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
        rd_kafka_poll(rk, 1);
        continue;
      }
      if (e) die("producev", rd_kafka_err2str(e));
      ++i;
      /* The commit flushes: it returns once every message of the transaction is delivered. */
      if (txn_every && (i % txn_every == 0 || i == count))
        check_txn("commit_transaction", rd_kafka_commit_transaction(rk, 60000));
      else if ((i & 1023) == 0) rd_kafka_poll(rk, 0);
    }
  }
  while (delivered + failed < (uint64_t)count) rd_kafka_poll(rk, 10);
  const double seconds = now_s() - t0;

  double cpu;
  long rss;
  resources(&cpu, &rss);
  printf("{\"delivered\":%llu,\"failed\":%llu,\"seconds\":%.6f,\"cpuSeconds\":%.3f,\"peakRssMB\":%ld%s%s%s}\n",
         (unsigned long long)delivered, (unsigned long long)failed, seconds, cpu, rss,
         failed ? ",\"firstError\":\"" : "", failed ? rd_kafka_err2name(first_error) : "", failed ? "\"" : "");
  rd_kafka_topic_destroy(rkt);
  rd_kafka_destroy(rk);
  free(ring);
  return failed ? 2 : 0;
}
