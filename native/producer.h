// The JS-facing producer: argument gathering, delivery dispatch to JS, lifetime.
#pragma once

#include <napi.h>

#include <memory>

#include "producer_core.h"
#include "teardown_hook.h"

namespace turbokafka {

class Producer;

// State shared by the wrapper and its thread-safe function; JS thread only. It outlives both:
// each holds one claim and the last to let go frees it, whichever order GC and environment
// teardown finalize them in.
struct ProducerBridge {
  Producer* owner = nullptr;  // cleared when the wrapper is finalized
  uint32_t pending_batches = 0;
  bool tsfn_alive = true;
  int claims = 2;
  // Message arrays of settled batches, kept for the next ones (bounded in count and size).
  std::vector<std::vector<Msg>> spare;

  void Drop() {
    if (--claims == 0) delete this;
  }
  std::vector<Msg> Reuse() {
    if (spare.empty()) return {};
    std::vector<Msg> v = std::move(spare.back());
    spare.pop_back();
    return v;
  }
  void Recycle(std::vector<Msg>&& v) {
    constexpr size_t kMaxSpare = 16;
    constexpr size_t kMaxCapacity = 1 << 20;
    if (spare.size() < kMaxSpare && v.capacity() <= kMaxCapacity) spare.push_back(std::move(v));
  }
};

void DispatchToJs(Napi::Env env, Napi::Function callback, ProducerBridge* bridge, Dispatch* d);

using DispatchFn = Napi::TypedThreadSafeFunction<ProducerBridge, Dispatch, DispatchToJs>;

class Producer : public Napi::ObjectWrap<Producer> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new Producer(config: Record<string,string>, onEvents: Function, exitFlushMs: number)
  explicit Producer(const Napi::CallbackInfo& info);
  ~Producer() override;

  // Called by DispatchToJs when the last pending batch settles.
  void Idle(Napi::Env env);

 private:
  friend void DispatchToJs(Napi::Env, Napi::Function, ProducerBridge*, Dispatch*);

  // produceBatch(topic, id, values, keys?, partitions?, timestamps?, headers?, layout): undefined
  Napi::Value ProduceBatch(const Napi::CallbackInfo& info);
  // Hands a filled batch to librdkafka; one rejected whole settles through the dispatch path.
  void Submit(Napi::Env env, Batch* b);
  // flush(timeoutMs): Promise<number>, the count still unsettled when it returns
  Napi::Value Flush(const Napi::CallbackInfo& info);
  // close(timeoutMs): Promise<void>
  Napi::Value Close(const Napi::CallbackInfo& info);
  // closeSync(timeoutMs = exitFlushMs): close on the calling thread. Only for process 'exit'
  // handlers, where nothing asynchronous runs any more and the environment's cleanup hooks never
  // will.
  Napi::Value CloseSync(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  // ping(timeoutMs): Promise<0>, rejected when no broker answers a metadata request in time
  Napi::Value Ping(const Napi::CallbackInfo& info);

  // Transactions (native/transactions.cc); each returns a promise but beginTransaction.
  Napi::Value InitTransactions(const Napi::CallbackInfo& info);   // (timeoutMs)
  Napi::Value BeginTransaction(const Napi::CallbackInfo& info);   // () -> undefined, throws
  Napi::Value SendOffsets(const Napi::CallbackInfo& info);        // (offsets, groupMetadata, timeoutMs)
  Napi::Value CommitTransaction(const Napi::CallbackInfo& info);  // (timeoutMs)
  Napi::Value AbortTransaction(const Napi::CallbackInfo& info);   // (timeoutMs)

  static void OnEnvTeardown(void* arg);
  void Release(Napi::Env env);

  std::unique_ptr<ProducerCore> core_;
  ProducerBridge* bridge_ = nullptr;
  DispatchFn tsfn_;
  bool closing_ = false;
  TeardownHook teardown_hook_;
  bool released_ = false;  // tsfn_ released by Close; the wrapper may live on
  int exit_flush_ms_ = 0;
};

}  // namespace turbokafka
