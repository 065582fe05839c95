/*
 * C baseline for the consume benchmark: librdkafka's high-level consumer reading a pre-filled
 * topic from the beginning in a fresh group. Prints one JSON line: messages and bytes received,
 * how many came with the first call ("first"), and the time from the return of that first call to
 * the last message. The rate is (received - first) / seconds, for every engine: joining the group
 * and the first fetch are not counted.
 *
 *   consumer <bootstrap> <topic> <messages> <group> <mode> [key=value ...]
 *
 * mode "poll":  rd_kafka_consumer_poll() per message, the usual C loop.
 * mode "batch": rd_kafka_consume_batch_queue() taking up to 10000 messages per call off the
 *               consumer queue (what turbokafka's consumeBatch does underneath).
 * key=value pairs are librdkafka configuration, applied as given.
 */
#include <stdint.h>

#include "common.h"

int main(int argc, char **argv) {
  if (argc < 6) die("usage", "consumer <bootstrap> <topic> <messages> <group> <poll|batch> [key=value ...]");
  const char *bootstrap = argv[1], *topic = argv[2], *group = argv[4], *mode = argv[5];
  const long count = atol(argv[3]);
  const int use_batch = strcmp(mode, "batch") == 0;
  if (!use_batch && strcmp(mode, "poll") != 0) die("mode", "must be poll or batch");

  char err[512];
  rd_kafka_conf_t *conf = conf_from_args(bootstrap, argv, 6, argc);
  if (rd_kafka_conf_set(conf, "group.id", group, err, sizeof(err)) != RD_KAFKA_CONF_OK) die("group.id", err);
  rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof(err));
  if (!rk) die("rd_kafka_new", err);
  rd_kafka_poll_set_consumer(rk);
  rd_kafka_topic_partition_list_t *topics = rd_kafka_topic_partition_list_new(1);
  rd_kafka_topic_partition_list_add(topics, topic, RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, topics);
  if (e) die("subscribe", rd_kafka_err2str(e));
  rd_kafka_topic_partition_list_destroy(topics);
  rd_kafka_queue_t *queue = rd_kafka_queue_get_consumer(rk);

  enum { BATCH = 10000 };
  rd_kafka_message_t **msgs = calloc(BATCH, sizeof(*msgs));
  long received = 0, first = 0;
  uint64_t bytes = 0;
  double t0 = 0, last = now_s();
  const double started = last;
  while (received < count) {
    ssize_t n;
    if (use_batch) {
      n = rd_kafka_consume_batch_queue(queue, 100, msgs, BATCH);
      if (n < 0) die("consume_batch_queue", rd_kafka_err2str(rd_kafka_last_error()));
    } else {
      msgs[0] = rd_kafka_consumer_poll(rk, 100);
      n = msgs[0] != NULL;
    }
    for (ssize_t i = 0; i < n; i++) {
      rd_kafka_message_t *m = msgs[i];
      if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
        if (received++ == 0) t0 = now_s();
        bytes += m->len;
      } else if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        die("consume", rd_kafka_message_errstr(m));
      }
      rd_kafka_message_destroy(m);
    }
    if (n > 0) last = now_s();
    if (first == 0) first = received;
    else if (now_s() - last > 60) die("consume", "no message for 60 s");
  }
  const double seconds = now_s() - t0;

  double cpu;
  long rss;
  resources(&cpu, &rss);
  printf("{\"received\":%ld,\"first\":%ld,\"bytes\":%llu,\"seconds\":%.6f,\"startSeconds\":%.3f,\"cpuSeconds\":%.3f,\"peakRssMB\":%ld}\n",
         received, first, (unsigned long long)bytes, seconds, t0 - started, cpu, rss);
  free(msgs);
  rd_kafka_queue_destroy(queue);
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return 0;
}
