// One produceBatch() call as the native side tracks it until its last delivery report.
#pragma once

#include <librdkafka/rdkafka.h>
#include <node_api.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace turbokafka {

struct Batch;

// Marks a message that has not been finalized yet (neither delivered nor failed).
constexpr rd_kafka_resp_err_t kPending = static_cast<rd_kafka_resp_err_t>(-1000);

// One message of a batch. Its address is the librdkafka message opaque, so a delivery report
// leads straight back to the batch and the index without a lookup. `value` and `key` point into
// JS Buffers that Batch::keepalive holds; librdkafka reads them in place (no RD_KAFKA_MSG_F_COPY).
struct Msg {
  const void* value = nullptr;
  size_t value_len = 0;
  const void* key = nullptr;
  size_t key_len = 0;
  int32_t partition = RD_KAFKA_PARTITION_UA;
  int64_t timestamp = 0;                  // 0: librdkafka stamps the message
  rd_kafka_headers_t* headers = nullptr;  // owned here until librdkafka accepts the message
  Batch* batch = nullptr;
  // Written exactly once, by whichever thread finalizes the message (the JS thread for an
  // immediate rejection, the poller for a delivery report); published by Batch::remaining.
  rd_kafka_resp_err_t err = kPending;
  int64_t offset = -1;
};

struct Batch {
  Batch(double id, uint32_t count) : id(id), msgs(count), remaining(count) {
    for (Msg& m : msgs) m.batch = this;
  }
  ~Batch() {
    for (Msg& m : msgs)
      if (m.headers) rd_kafka_headers_destroy(m.headers);
  }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  double id;                       // chosen by the TypeScript layer, echoed back when settled
  rd_kafka_topic_t* rkt = nullptr;  // borrowed from the producer's topic cache
  std::vector<Msg> msgs;
  // Messages not yet finalized. The thread that takes it to zero hands the batch to JS; the
  // acquire-release decrement makes every Msg::err written before it visible there.
  std::atomic<uint32_t> remaining;
  size_t next = 0;         // first message not yet handed to librdkafka (ProducerCore::enqueue_mu_)
  bool extended = false;   // has headers or timestamps: needs rd_kafka_produceva
  napi_ref keepalive = nullptr;  // JS thread only: keeps the value and key Buffers alive
};

}  // namespace turbokafka
