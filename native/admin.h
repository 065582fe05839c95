// The JS-facing admin client over librdkafka's admin API (topics, partitions, groups, offsets,
// records, configs).
//
// Every request goes to librdkafka with one result queue of this client's own, the request's id as
// its opaque. librdkafka fires the queue's event callback (on one of its threads) when the queue
// goes from empty to non-empty; that posts one call through a thread-safe function, and on the JS
// thread Drain() takes every result there is, turns it into JS values (admin_results.cc) and
// settles the request's promise. No thread is parked waiting for an answer. Each request is
// bounded by librdkafka's request timeout, which it is given.
#pragma once

#include <librdkafka/rdkafka.h>
#include <napi.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <unordered_map>

#include "teardown_hook.h"

namespace turbokafka {

class Admin;

// The longest request timeout librdkafka's admin options take (an hour).
constexpr int kMaxAdminTimeoutMs = 3600000;

// What the thread-safe function's calls reach. It lives until the function finalizes, after its
// last queued call, so a call queued just before the Admin went away finds `owner` null.
struct AdminBridge {
  Admin* owner = nullptr;
};

void AdminCallJs(Napi::Env env, Napi::Function, AdminBridge* bridge, void*);
using AdminFn = Napi::TypedThreadSafeFunction<AdminBridge, void, AdminCallJs>;

class Admin : public Napi::ObjectWrap<Admin> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new Admin(config: Record<string, string>)
  explicit Admin(const Napi::CallbackInfo& info);
  ~Admin() override;

  // A request under way: its id goes to librdkafka as the options' opaque (admin_requests.cc).
  struct Request {
    uint64_t id;
    rd_kafka_AdminOptions_t* options;  // owned by the caller of Begin, destroyed after sending
    Napi::Promise promise;
  };
  // Starts request `op` bounded by `timeout_ms`: a pending promise, and options carrying its id
  // (and `validate_only` where the request has it). Throws `_STATE` once closed.
  Request Begin(Napi::Env env, rd_kafka_admin_op_t op, int timeout_ms, bool validate_only = false);
  rd_kafka_t* Handle() const { return rk_; }
  rd_kafka_queue_t* Queue() const { return queue_; }
  // The request under construction has been sent or refused (its options destroyed).
  void Sent() { building_ = Building{}; }
  // Runs a request method's `body`; a throw after Begin (an argument librdkafka cannot take)
  // rejects the request's promise with _INVALID_ARG instead of leaving it pending for ever.
  template <typename Fn>
  Napi::Value Guarded(Napi::Env env, Fn body) {
    try {
      return body();
    } catch (const Napi::Error& e) {
      if (building_.options == nullptr) throw;
      rd_kafka_AdminOptions_destroy(building_.options);
      Request r{building_.id, nullptr, building_.promise};
      building_ = Building{};
      Fail(env, r, RD_KAFKA_RESP_ERR__INVALID_ARG, e.Message());
      return r.promise;
    }
  }
  // Rejects request `r` at once (a request librdkafka would not take, or one this build lacks).
  void Fail(Napi::Env env, const Request& r, rd_kafka_resp_err_t err, const std::string& message);
  // JS thread: settles the requests whose results arrived.
  void Drain(Napi::Env env);

 private:
  // The request methods (admin_requests.cc); each returns a promise.
  Napi::Value CreateTopics(const Napi::CallbackInfo& info);      // (items, validateOnly, timeoutMs)
  Napi::Value DeleteTopics(const Napi::CallbackInfo& info);      // (names, timeoutMs)
  Napi::Value CreatePartitions(const Napi::CallbackInfo& info);  // (items, validateOnly, timeoutMs)
  Napi::Value ListTopics(const Napi::CallbackInfo& info);        // (timeoutMs) -> names
  // (topics, timeoutMs) -> [{ topic, error?, partitions: [{ partition, leader, replicas, isr }] }]
  Napi::Value Metadata(const Napi::CallbackInfo& info);
  Napi::Value DescribeTopics(const Napi::CallbackInfo& info);   // (names, timeoutMs)
  Napi::Value DescribeCluster(const Napi::CallbackInfo& info);  // (timeoutMs)
  Napi::Value ListGroups(const Napi::CallbackInfo& info);       // (timeoutMs)
  Napi::Value DescribeGroups(const Napi::CallbackInfo& info);   // (ids, timeoutMs)
  Napi::Value DeleteGroups(const Napi::CallbackInfo& info);     // (ids, timeoutMs)
  Napi::Value ListOffsets(const Napi::CallbackInfo& info);      // (partitions, readCommitted, timeoutMs)
  Napi::Value GroupOffsets(const Napi::CallbackInfo& info);     // (what, group, partitions|null, timeoutMs)
  Napi::Value DeleteRecords(const Napi::CallbackInfo& info);    // (partitions, timeoutMs)
  Napi::Value DescribeConfigs(const Napi::CallbackInfo& info);  // (resources, timeoutMs)
  Napi::Value AlterConfigs(const Napi::CallbackInfo& info);     // (resources, validateOnly, timeoutMs)
  Napi::Value Close(const Napi::CallbackInfo& info);            // (timeoutMs) -> Promise

  static void OnQueueEvent(rd_kafka_t* rk, void* opaque);
  static void OnEnvTeardown(void* arg);
  // Keeps this object and the event loop alive while requests are pending, and only then; called
  // after every change to `pending_`.
  void Track(Napi::Env env);
  // Stops the queue's callbacks and disconnects the thread-safe function. Idempotent.
  void Disconnect();

  rd_kafka_t* rk_ = nullptr;
  rd_kafka_queue_t* queue_ = nullptr;
  AdminFn tsfn_;
  AdminBridge* bridge_ = nullptr;
  std::atomic<bool> posted_{false};
  bool released_ = false;
  bool closed_ = false;
  bool held_ = false;  // Track holds a reference
  struct Building {
    uint64_t id = 0;
    rd_kafka_AdminOptions_t* options = nullptr;  // set by Begin until Sent
    Napi::Promise promise;
  } building_;
  uint64_t next_id_ = 1;
  std::unordered_map<uint64_t, Napi::Promise::Deferred> pending_;
  // Pool workers (listTopics) still using the handle; its destruction waits for them.
  std::atomic<int> inflight_{0};
  TeardownHook teardown_hook_;
};

}  // namespace turbokafka
