// The producer's librdkafka side: the handle, the delivery-report poller thread, the backlog that
// provides backpressure, and the counters. Nothing here touches N-API; producer.cc bridges to JS.
#pragma once

#include <librdkafka/rdkafka.h>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "batch.h"

namespace turbokafka {

// What one poller round collected for JS: handed over in a single thread-safe call.
struct Dispatch {
  struct ClientError {
    rd_kafka_resp_err_t err;
    std::string message;
    bool fatal;
  };
  struct Log {
    int level;
    std::string facility;
    std::string message;
  };
  std::vector<Batch*> settled;
  std::vector<std::string> stats;  // librdkafka statistics JSON
  std::vector<ClientError> errors;
  std::vector<Log> logs;
  bool empty() const { return settled.empty() && stats.empty() && errors.empty() && logs.empty(); }
};

struct ProducerCounters {
  uint64_t produced;         // accepted by produceBatch
  uint64_t delivered;        // acknowledged by the broker
  uint64_t failed;           // finalized with an error
  uint64_t bytes_delivered;  // value bytes of delivered messages
  uint64_t backlog;          // accepted, waiting for room in librdkafka's queue
};

// A non-null pointer for zero-length values and keys (null would mean "no value"/"no key").
const void* NonNullEmpty();

class ProducerCore {
 public:
  // Receives each non-empty Dispatch; returns false when JS can no longer be reached, in which
  // case the dispatch is the caller's to free.
  using Sink = std::function<bool(Dispatch*)>;

  // Creates the librdkafka handle from `conf` (taken on success). Returns nullptr and fills
  // `errstr` when librdkafka refuses the configuration.
  static std::unique_ptr<ProducerCore> Create(rd_kafka_conf_t* conf, std::string* errstr);
  ~ProducerCore();

  void Start(Sink sink);

  // JS thread. The topic handle for `name`, created once and kept until Shutdown.
  rd_kafka_topic_t* Topic(const std::string& name);

  // JS thread. Hands `b` to librdkafka as far as its queue has room; the rest waits in the
  // backlog (behind any earlier batch, to keep per-partition order) and the poller enqueues it as
  // delivery reports free room. A batch whose every message was rejected at once is appended to
  // `settled`.
  void Submit(Batch* b, std::vector<Batch*>* settled);

  // Any thread but librdkafka's. Waits until every accepted message is finalized or the timeout
  // passes (linger is skipped meanwhile); returns the number still unsettled.
  uint64_t Flush(int timeout_ms);

  // Transactions (native/transactions.cc). Any thread but librdkafka's; each returns librdkafka's
  // error (owned by the caller) or nullptr, and _DESTROY once the producer is closing.
  rd_kafka_error_t* InitTransactions(int timeout_ms);
  rd_kafka_error_t* BeginTransaction();
  rd_kafka_error_t* SendOffsetsToTransaction(const rd_kafka_topic_partition_list_t* offsets,
                                             const rd_kafka_consumer_group_metadata_t* group, int timeout_ms);
  // Delivers everything produced in the transaction (the backlog too), then commits.
  rd_kafka_error_t* CommitTransaction(int timeout_ms);
  // Fails the backlog (_PURGE_QUEUE), then aborts: librdkafka purges and fails what it holds.
  rd_kafka_error_t* AbortTransaction(int timeout_ms);

  // Any thread but librdkafka's; idempotent. Flushes for at most `flush_timeout_ms`, purges what
  // is left (those messages fail with _PURGE_QUEUE/_PURGE_INFLIGHT, never vanish), stops the
  // poller and destroys the handle.
  void Shutdown(int flush_timeout_ms);

  // Any thread but librdkafka's. A metadata round trip to the cluster: NO_ERROR once a broker
  // answered, else why not (e.g. _TRANSPORT, _TIMED_OUT).
  rd_kafka_resp_err_t Ping(int timeout_ms);

  ProducerCounters Counters() const;
  uint64_t Unsettled() const;

 private:
  explicit ProducerCore(rd_kafka_t* rk);
  void PollLoop();
  // Serves up to `max_events` events without blocking beyond `timeout_ms` for the first one.
  void ServeRound(int timeout_ms, size_t max_events, Dispatch* d);
  void HandleEvent(rd_kafka_event_t* ev, Dispatch* d);
  void Finalize(Msg* m, rd_kafka_resp_err_t err, std::vector<Batch*>* settled);
  // Requires enqueue_mu_. Returns false if librdkafka's queue filled up before the batch ended.
  bool EnqueueLocked(Batch* b, std::vector<Batch*>* settled);
  bool EnqueueChunksLocked(Batch* b, std::vector<Batch*>* settled);
  bool EnqueueEachLocked(Batch* b, std::vector<Batch*>* settled);
  void DrainBacklog(Dispatch* d);
  void FailBacklog(rd_kafka_resp_err_t err, std::vector<Batch*>* settled);
  void Deliver(Dispatch* d);
  // Requires handle_mu_ (either mode). `yield_to_close`: stop early once Shutdown has begun.
  uint64_t FlushLocked(int timeout_ms, bool yield_to_close);
  // In a chunk, messages [from, from + count) all bound for one partition (or all UA).
  bool EnqueueRunLocked(Batch* b, size_t from, size_t count, std::vector<Batch*>* settled, size_t* accepted);
  // _QUEUE_FULL with librdkafka's queue empty: this message can never fit.
  bool NeverFits();

  rd_kafka_t* rk_;
  rd_kafka_queue_t* main_queue_ = nullptr;
  Sink sink_;
  std::thread poller_;
  std::atomic<bool> stop_{false};

  mutable std::mutex enqueue_mu_;  // librdkafka enqueue order and the backlog
  std::deque<Batch*> backlog_;
  std::vector<rd_kafka_message_t> scratch_;  // produce_batch arguments, reused
  std::atomic<bool> backlog_waiting_{false};

  std::unordered_map<std::string, rd_kafka_topic_t*> topics_;  // JS thread until Shutdown

  // Shared by Flush and Ping while they use rk_; exclusive for Shutdown, which destroys it. Flush
  // and Ping give way within ~0.5 s once closing_ is set, so a pending flush never holds up close
  // or process exit for its whole timeout.
  std::shared_mutex handle_mu_;
  bool destroyed_ = false;  // handle_mu_
  std::atomic<bool> closing_{false};

  std::mutex live_mu_;  // batches accepted and not yet settled, for the final sweep at Shutdown
  std::unordered_set<Batch*> live_;

  std::mutex settle_mu_;
  std::condition_variable settle_cv_;  // signalled after each poller round that finalized messages

  std::atomic<uint64_t> produced_{0}, delivered_{0}, failed_{0}, bytes_delivered_{0};
};

}  // namespace turbokafka
