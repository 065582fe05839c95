// Runs one blocking librdkafka call on libuv's pool (each bounded by the timeout it is given)
// and settles a promise with what `finish` builds back on the JS thread.
#pragma once

#include <librdkafka/rdkafka.h>
#include <napi.h>

#include <functional>

#include "errors.h"

namespace turbokafka {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Run = std::function<rd_kafka_resp_err_t()>;      // pool thread, no N-API
  using Finish = std::function<Napi::Value(Napi::Env)>;  // JS thread, on success

  // Holds `self` (the client's JS object) so its native object outlives the work.
  PromiseWorker(Napi::Object self, Run run, Finish finish)
      : Napi::AsyncWorker(self.Env(), "turbokafka"),
        self_(Napi::Persistent(self)),
        run_(std::move(run)),
        finish_(std::move(finish)),
        deferred_(Napi::Promise::Deferred::New(self.Env())) {}

  // Queues the work and returns its promise.
  static Napi::Promise Start(Napi::Object self, Run run, Finish finish) {
    auto* w = new PromiseWorker(self, std::move(run), std::move(finish));
    w->Queue();
    return w->deferred_.Promise();
  }

  void Execute() override { err_ = run_(); }

  void OnOK() override {
    Napi::Env env = Env();
    // When a worker thread ends while this was running, Node still completes the work during
    // teardown, when JS can no longer run and settling the promise fails: nothing to tell then.
    try {
      if (err_ != RD_KAFKA_RESP_ERR_NO_ERROR)
        deferred_.Reject(MakeError(env, err_, rd_kafka_err2str(err_)).Value());
      else
        deferred_.Resolve(finish_ ? finish_(env) : env.Undefined());
    } catch (const Napi::Error&) {
    }
  }

 private:
  Napi::ObjectReference self_;
  Run run_;
  Finish finish_;
  Napi::Promise::Deferred deferred_;
  rd_kafka_resp_err_t err_ = RD_KAFKA_RESP_ERR_NO_ERROR;
};

// The same for librdkafka calls that fail with an rd_kafka_error_t (transactions): the promise
// rejects with its code, and its retriable, fatal and abortable flags.
class ErrorWorker : public Napi::AsyncWorker {
 public:
  using Run = std::function<rd_kafka_error_t*()>;  // pool thread, no N-API; the error is taken

  static Napi::Promise Start(Napi::Object self, Run run) {
    auto* w = new ErrorWorker(self, std::move(run));
    w->Queue();
    return w->deferred_.Promise();
  }

  ~ErrorWorker() override {
    if (error_ != nullptr) rd_kafka_error_destroy(error_);
  }

  void Execute() override { error_ = run_(); }

  void OnOK() override {
    Napi::Env env = Env();
    try {
      if (error_ != nullptr)
        deferred_.Reject(MakeError(env, error_).Value());
      else
        deferred_.Resolve(env.Undefined());
    } catch (const Napi::Error&) {
    }
  }

 private:
  ErrorWorker(Napi::Object self, Run run)
      : Napi::AsyncWorker(self.Env(), "turbokafka"),
        self_(Napi::Persistent(self)),
        run_(std::move(run)),
        deferred_(Napi::Promise::Deferred::New(self.Env())) {}

  Napi::ObjectReference self_;
  Run run_;
  Napi::Promise::Deferred deferred_;
  rd_kafka_error_t* error_ = nullptr;
};

// A timeout argument in ms; anything but a number means 0 (lib/ has validated it).
inline int TimeoutArg(const Napi::Value& v) { return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : 0; }

}  // namespace turbokafka
