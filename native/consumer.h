// The JS-facing high-level consumer (consumer groups) over librdkafka.
//
// Messages are consumed on the JS thread with rd_kafka_consume_batch_queue and a zero timeout:
// it only moves what librdkafka's fetchers already queued. When the queue is empty,
// lib/engines/native/consumer.ts waits for a wake-up that librdkafka's queue event callback posts through a
// thread-safe function, so no thread (libuv's pool least of all) is ever parked waiting for messages.
#pragma once

#include <librdkafka/rdkafka.h>
#include <napi.h>

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "teardown_hook.h"

namespace turbokafka {

class Consumer;

// What librdkafka's callbacks reach (their opaque). It outlives the Consumer: the handle is
// destroyed on a thread of its own, which may never finish (see Teardown), and callbacks may
// still arrive meanwhile; once `owner` is null they do nothing but what librdkafka needs.
struct ConsumerSink {
  std::mutex mu;
  Consumer* owner;
  // Pool workers (commit, seek, ...) still using the handle; its destruction waits for them.
  std::atomic<int> inflight{0};
};

class Consumer : public Napi::ObjectWrap<Consumer> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new Consumer(config: Record<string,string>, onWake: () => void)
  explicit Consumer(const Napi::CallbackInfo& info);
  ~Consumer() override;

 private:
  struct Rebalance {
    bool assign;
    std::string protocol;
    rd_kafka_topic_partition_list_t* partitions;  // owned
  };
  struct ClientEvent {
    int kind;  // an EventKind (layout.h)
    rd_kafka_resp_err_t err;
    int level;
    std::string text;
    std::string facility;
  };

  Napi::Value Subscribe(const Napi::CallbackInfo& info);  // (patterns: string[])
  Napi::Value Unsubscribe(const Napi::CallbackInfo& info);
  Napi::Value Assign(const Napi::CallbackInfo& info);  // (partitions)
  Napi::Value Unassign(const Napi::CallbackInfo& info);
  Napi::Value Assignment(const Napi::CallbackInfo& info);
  Napi::Value Consume(const Napi::CallbackInfo& info);  // (max) -> batch, see Consume()
  // Moves what the callbacks recorded since the last call (rebalances, events) into `out`.
  void TakeCallbackRecords(Napi::Env env, Napi::Object out);
  Napi::Value SetWaiting(const Napi::CallbackInfo& info);  // (waiting): keep the loop alive
  Napi::Value Commit(const Napi::CallbackInfo& info);      // (partitions|null, async) -> Promise
  Napi::Value Seek(const Napi::CallbackInfo& info);        // (partitions, timeoutMs) -> Promise
  Napi::Value Pause(const Napi::CallbackInfo& info);       // (partitions)
  Napi::Value Resume(const Napi::CallbackInfo& info);      // (partitions)
  Napi::Value Position(const Napi::CallbackInfo& info);    // (partitions) -> partitions
  Napi::Value Committed(const Napi::CallbackInfo& info);   // (partitions, timeoutMs) -> Promise
  Napi::Value Watermarks(const Napi::CallbackInfo& info);  // (topic, partition, timeoutMs) -> Promise
  // (topic, partition) -> [low, high] as of the last fetch, no request
  Napi::Value CachedWatermarks(const Napi::CallbackInfo& info);
  Napi::Value Ping(const Napi::CallbackInfo& info);  // (timeoutMs) -> Promise
  // () -> Buffer: the group's id, generation and member id, serialized for a transactional
  // producer's sendOffsetsToTransaction.
  Napi::Value GroupMetadata(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);        // (timeoutMs) -> Promise, leaves the group
  Napi::Value DestroySync(const Napi::CallbackInfo& info);  // process exit: no group leave

  static void OnQueueEvent(rd_kafka_t* rk, void* opaque);
  static void OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                          rd_kafka_topic_partition_list_t* partitions, void* opaque);
  static void OnError(rd_kafka_t* rk, int err, const char* reason, void* opaque);
  static void OnCommit(rd_kafka_t* rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* offsets,
                       void* opaque);
  static void OnLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf);
  static int OnStats(rd_kafka_t* rk, char* json, size_t len, void* opaque);
  static void OnEnvTeardown(void* arg);

  rd_kafka_t* Live(Napi::Env env);
  // Runs a synchronous librdkafka call on the partitions in info[0] and returns them.
  Napi::Value OnPartitions(const Napi::CallbackInfo& info,
                           rd_kafka_resp_err_t (*op)(rd_kafka_t*, rd_kafka_topic_partition_list_t*));
  void Record(ClientEvent&& e);
  static void Deliver(void* sink, ClientEvent&& e);
  // Queues a pool worker that uses the handle, counted in the sink so that the handle outlives it.
  Napi::Value QueueWorker(std::function<rd_kafka_resp_err_t()> run,
                          std::function<Napi::Value(Napi::Env)> finish);
  // Leaves the group for at most `leave_group_ms` if it is positive, disconnects the callbacks,
  // and destroys the handle: on a detached thread when `destroy` is set (a source build may link
  // a librdkafka whose rd_kafka_destroy blocks forever: 2.0.2 does after a subscribed topic was
  // deleted, 2.15.1 does not; docs/results/destroy-after-topic-deletion.txt), not at all at
  // process exit. Idempotent. Any thread but librdkafka's; never concurrently with JS-thread
  // calls (closing_).
  void Teardown(int leave_group_ms, bool destroy = true);
  void LeaveGroup(int timeout_ms);
  void ReleaseJs();

  rd_kafka_t* rk_ = nullptr;
  ConsumerSink* sink_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  Napi::ThreadSafeFunction wake_;
  std::atomic<bool> wake_posted_{false};
  bool closing_ = false;    // JS thread: no call may use rk_ once set
  std::mutex teardown_mu_;  // Close's pool thread vs. environment teardown on the JS thread
  bool destroyed_ = false;  // teardown_mu_
  TeardownHook teardown_hook_;
  bool released_ = false;
  std::vector<rd_kafka_message_t*> scratch_;

  std::mutex events_mu_;  // rebalances_ and events_ fill from librdkafka's threads
  std::vector<Rebalance> rebalances_;
  std::vector<ClientEvent> events_;
};

}  // namespace turbokafka
