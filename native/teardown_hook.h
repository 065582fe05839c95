// The environment cleanup hook each native handle installs: it runs once when the environment
// (the process, or a worker thread) tears down with the handle still open, unless the handle
// removed it first (close, or GC).
#pragma once

#include <node_api.h>

namespace turbokafka {

class TeardownHook {
 public:
  TeardownHook() = default;
  TeardownHook(const TeardownHook&) = delete;
  TeardownHook& operator=(const TeardownHook&) = delete;
  ~TeardownHook() { Remove(); }

  // Calls `on_teardown(arg)` at environment teardown. Once per hook.
  void Install(napi_env env, void (*on_teardown)(void*), void* arg) {
    env_ = env;
    on_teardown_ = on_teardown;
    arg_ = arg;
    napi_add_env_cleanup_hook(env, Run, this);
  }

  // Idempotent; a no-op once the hook ran.
  void Remove() {
    if (env_ == nullptr) return;
    napi_remove_env_cleanup_hook(env_, Run, this);
    env_ = nullptr;
  }

 private:
  static void Run(void* self_arg) {
    TeardownHook* self = static_cast<TeardownHook*>(self_arg);
    self->env_ = nullptr;  // gone: Remove must not touch it any more
    self->on_teardown_(self->arg_);
  }

  napi_env env_ = nullptr;  // set while installed
  void (*on_teardown_)(void*) = nullptr;
  void* arg_ = nullptr;
};

}  // namespace turbokafka
