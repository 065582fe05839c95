// One produceBatch() call as the native side tracks it until its last delivery report.
#pragma once

#include <librdkafka/rdkafka.h>
#include <node_api.h>

#include <atomic>
#include <cstdint>
#include <vector>

namespace turbokafka {

struct Batch;

// Marks a message that has not been finalized yet (neither delivered nor failed): _BEGIN, the
// lower bound of librdkafka's own codes, which it never reports. (A value outside the enum's
// range, as -1000 was, is undefined behaviour in a constant expression, and clang refuses it.)
constexpr rd_kafka_resp_err_t kPending = RD_KAFKA_RESP_ERR__BEGIN;

// One message of a batch, kept small because a batch holds thousands of them. Its address is the
// librdkafka message opaque, so a delivery report leads straight back to the batch and the index
// without a lookup. `value` and `key` point into JS Buffers that Batch::keepalive holds;
// librdkafka reads them in place (no RD_KAFKA_MSG_F_COPY).
struct Msg {
  const void* value = nullptr;
  const void* key = nullptr;
  Batch* batch = nullptr;
  uint32_t value_len = 0;
  uint32_t key_len = 0;
  // The requested partition until the message is enqueued; with offsets wanted, the partition
  // it was written to once its delivery report is in (see Batch::offsets).
  int32_t partition = RD_KAFKA_PARTITION_UA;
  // Written exactly once, by whichever thread finalizes the message (the JS thread for an
  // immediate rejection, the poller for a delivery report); published by Batch::remaining.
  rd_kafka_resp_err_t err = kPending;
};

// What only some messages carry; allocated for batches that use it.
struct MsgExtra {
  int64_t timestamp = 0;                  // 0: librdkafka stamps the message
  rd_kafka_headers_t* headers = nullptr;  // owned here until librdkafka accepts the message
};

struct Batch {
  // `storage` is a previously used message array to reuse (see TakeStorage): fresh allocations
  // of a 10k-message batch cost page faults on every batch.
  Batch(double id, uint32_t count, std::vector<Msg>&& storage = {})
      : id(id), msgs(std::move(storage)), remaining(count) {
    msgs.resize(count);
    for (Msg& m : msgs) m = Msg{nullptr, nullptr, this};
  }
  ~Batch() { DropHeaders(); }
  Batch(const Batch&) = delete;
  Batch& operator=(const Batch&) = delete;

  // Empties the batch and hands back its message array for the next batch.
  std::vector<Msg> TakeStorage() {
    DropHeaders();
    return std::move(msgs);
  }

  // Switches the batch to rd_kafka_produceva, which carries headers and timestamps.
  MsgExtra& Extra(size_t i) {
    if (extra.empty()) extra.resize(msgs.size());
    extended = true;
    return extra[i];
  }

  void DropHeaders() {
    for (MsgExtra& x : extra)
      if (x.headers) {
        rd_kafka_headers_destroy(x.headers);
        x.headers = nullptr;
      }
  }

  double id;                        // chosen by the TypeScript layer, echoed back when settled
  rd_kafka_topic_t* rkt = nullptr;  // borrowed from the producer's topic cache
  std::vector<Msg> msgs;
  std::vector<MsgExtra> extra;  // empty unless some message has headers or a timestamp
  // Where each message was written (produceBatch's `offsets: true`), -1 until known; empty
  // otherwise. Written by the thread that finalizes the message, published like Msg::err.
  std::vector<int64_t> offsets;
  // Messages not yet finalized. The thread that takes it to zero hands the batch to JS; the
  // acquire-release decrement makes every Msg::err written before it visible there.
  std::atomic<uint32_t> remaining;
  size_t next = 0;               // first message not yet handed to librdkafka (ProducerCore::enqueue_mu_)
  bool extended = false;         // has headers or timestamps: needs rd_kafka_produceva
  napi_ref keepalive = nullptr;  // JS thread only: keeps the value and key Buffers alive
};

}  // namespace turbokafka
