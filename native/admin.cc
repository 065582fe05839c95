#include "admin.h"

#include <algorithm>
#include <chrono>
#include <memory>
#include <thread>

#include "admin_results.h"
#include "config.h"
#include "errors.h"
#include "promise_worker.h"

namespace turbokafka {

void AdminCallJs(Napi::Env env, Napi::Function, AdminBridge* bridge, void*) {
  if (env != nullptr && bridge->owner != nullptr) bridge->owner->Drain(env);
}

Napi::Function Admin::Define(Napi::Env env) {
  return DefineClass(env, "NativeAdmin",
                     {
                         InstanceMethod<&Admin::CreateTopics>("createTopics"),
                         InstanceMethod<&Admin::DeleteTopics>("deleteTopics"),
                         InstanceMethod<&Admin::CreatePartitions>("createPartitions"),
                         InstanceMethod<&Admin::ListTopics>("listTopics"),
                         InstanceMethod<&Admin::Metadata>("metadata"),
                         InstanceMethod<&Admin::DescribeTopics>("describeTopics"),
                         InstanceMethod<&Admin::DescribeCluster>("describeCluster"),
                         InstanceMethod<&Admin::ListGroups>("listGroups"),
                         InstanceMethod<&Admin::DescribeGroups>("describeGroups"),
                         InstanceMethod<&Admin::DeleteGroups>("deleteGroups"),
                         InstanceMethod<&Admin::ListOffsets>("listOffsets"),
                         InstanceMethod<&Admin::GroupOffsets>("groupOffsets"),
                         InstanceMethod<&Admin::DeleteRecords>("deleteRecords"),
                         InstanceMethod<&Admin::DescribeConfigs>("describeConfigs"),
                         InstanceMethod<&Admin::AlterConfigs>("alterConfigs"),
                         InstanceMethod<&Admin::Close>("close"),
                     });
}

Admin::Admin(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Admin>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) throw Napi::TypeError::New(env, "config");
  rd_kafka_conf_t* conf = BuildConf(env, info[0].As<Napi::Object>());
  // Errors reach the caller through each request's result; nothing is logged to stderr.
  rd_kafka_conf_set_log_cb(conf, nullptr);
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    ThrowKafka(env, RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
  }
  queue_ = rd_kafka_queue_new(rk_);
  bridge_ = new AdminBridge();
  bridge_->owner = this;
  tsfn_ = AdminFn::New(
      env, Napi::Function(), "turbokafka:admin", 0, 1, bridge_,
      [](Napi::Env, void*, AdminBridge* bridge) { delete bridge; }, static_cast<void*>(nullptr));
  tsfn_.Unref(env);  // only pending requests keep the process alive (Track)
  rd_kafka_queue_cb_event_enable(queue_, OnQueueEvent, this);
  teardown_hook_.Install(env, OnEnvTeardown, this);
}

Admin::~Admin() {
  // Reached through GC only with nothing pending (pending requests hold a reference), or at
  // environment teardown after OnEnvTeardown.
  teardown_hook_.Remove();
  Disconnect();
  if (rk_ == nullptr) return;
  // Never block the JS thread on librdkafka's shutdown.
  rd_kafka_t* rk = rk_;
  rd_kafka_queue_t* queue = queue_;
  std::thread([rk, queue] {
    rd_kafka_queue_destroy(queue);
    rd_kafka_destroy(rk);
  }).detach();
}

void Admin::OnEnvTeardown(void* arg) {
  // Process or worker exit with the client open: the pending promises can no longer settle.
  Admin* self = static_cast<Admin*>(arg);
  self->closed_ = true;
  self->Disconnect();
  self->pending_.clear();
  if (self->rk_ == nullptr) return;  // close() is destroying it on the pool
  while (self->inflight_.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  rd_kafka_queue_destroy(self->queue_);
  rd_kafka_destroy(self->rk_);
  self->queue_ = nullptr;
  self->rk_ = nullptr;
}

void Admin::Disconnect() {
  if (queue_ != nullptr) rd_kafka_queue_cb_event_enable(queue_, nullptr, nullptr);
  if (!released_) {
    released_ = true;
    bridge_->owner = nullptr;
    tsfn_.Release();  // the bridge goes with the function, after any call still queued
  }
}

void Admin::OnQueueEvent(rd_kafka_t*, void* opaque) {
  Admin* self = static_cast<Admin*>(opaque);
  // If the call cannot be posted (the environment is going away), let the next event try again.
  if (!self->posted_.exchange(true) && self->tsfn_.NonBlockingCall() != napi_ok) self->posted_.store(false);
}

Admin::Request Admin::Begin(Napi::Env env, rd_kafka_admin_op_t op, int timeout_ms, bool validate_only) {
  if (closed_) ThrowKafka(env, RD_KAFKA_RESP_ERR__STATE, "admin is closed");
  rd_kafka_AdminOptions_t* options = rd_kafka_AdminOptions_new(rk_, op);
  char errstr[256];
  // librdkafka takes at most an hour (lib/admin-checks.ts refuses more).
  const int timeout = std::min(std::max(timeout_ms, 1), kMaxAdminTimeoutMs);
  rd_kafka_AdminOptions_set_request_timeout(options, timeout, errstr, sizeof(errstr));
  // Topic and partition changes: the broker answers once the controller applied them, so the
  // topic is usable when the promise settles; a little below the request timeout, so that the
  // broker's answer (done or not) arrives before the client gives up. Other requests have none.
  const int operation = std::max(1, timeout - std::min(timeout / 10, 1000));
  rd_kafka_AdminOptions_set_operation_timeout(options, operation, errstr, sizeof(errstr));
  if (validate_only) rd_kafka_AdminOptions_set_validate_only(options, 1, errstr, sizeof(errstr));
  const uint64_t id = next_id_++;
  rd_kafka_AdminOptions_set_opaque(options, reinterpret_cast<void*>(static_cast<uintptr_t>(id)));
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
  Napi::Promise promise = deferred.Promise();
  pending_.emplace(id, deferred);
  Track(env);
  building_ = Building{id, options, promise};
  return Request{id, options, promise};
}

void Admin::Fail(Napi::Env env, const Request& r, rd_kafka_resp_err_t err, const std::string& message) {
  auto it = pending_.find(r.id);
  if (it == pending_.end()) return;
  Napi::Promise::Deferred deferred = it->second;
  pending_.erase(it);
  Track(env);
  deferred.Reject(MakeError(env, err, message).Value());
}

void Admin::Track(Napi::Env env) {
  if (!pending_.empty() && !held_) {
    held_ = true;
    Ref();
    if (!released_) tsfn_.Ref(env);
  } else if (pending_.empty() && held_) {
    held_ = false;
    Unref();
    if (!released_) tsfn_.Unref(env);
  }
}

void Admin::Drain(Napi::Env env) {
  posted_.store(false);
  Napi::HandleScope scope(env);
  while (queue_ != nullptr) {
    rd_kafka_event_t* ev = rd_kafka_queue_poll(queue_, 0);
    if (ev == nullptr) break;
    const uint64_t id = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(rd_kafka_event_opaque(ev)));
    std::unique_ptr<rd_kafka_event_t, void (*)(rd_kafka_event_t*)> owned(ev, rd_kafka_event_destroy);
    auto it = pending_.find(id);
    if (it == pending_.end()) continue;
    Napi::Promise::Deferred deferred = it->second;
    pending_.erase(it);
    SettleAdminResult(env, deferred, ev);
    try {
      Track(env);
    } catch (const Napi::Error&) {  // teardown: nothing to keep alive any more
    }
  }
}

Napi::Value Admin::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) {
    Napi::Promise::Deferred done = Napi::Promise::Deferred::New(env);
    done.Resolve(env.Undefined());
    return done.Promise();
  }
  closed_ = true;
  teardown_hook_.Remove();
  Disconnect();
  // Whatever is still pending gets no answer now: say so rather than leave it hanging.
  for (auto& [id, deferred] : pending_)
    deferred.Reject(
        MakeError(env, RD_KAFKA_RESP_ERR__DESTROY, "admin closed before the answer came").Value());
  pending_.clear();
  Track(env);
  rd_kafka_t* rk = rk_;
  rd_kafka_queue_t* queue = queue_;
  rk_ = nullptr;
  queue_ = nullptr;
  std::atomic<int>* inflight = &inflight_;
  return PromiseWorker::Start(
      Value(),
      [rk, queue, inflight]() {
        while (inflight->load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        rd_kafka_queue_destroy(queue);
        rd_kafka_destroy(rk);
        return RD_KAFKA_RESP_ERR_NO_ERROR;
      },
      nullptr);
}

}  // namespace turbokafka
