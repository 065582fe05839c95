// The layouts of the arrays that cross to JavaScript in bulk, named once. lib/engines/native/
// layout.ts names the same numbers; the addon's layouts() hands these to the tests, which check
// that the two agree.
#pragma once

#include <napi.h>

#include <cstdint>

namespace turbokafka {

// Per message in a consumed batch's `meta` Float64Array (offsets stay exact below 2^53).
enum ConsumedMeta {
  kPartition,
  kOffset,
  kTimestamp,
  kValueAt,
  kValueLen,
  kKeyAt,
  kKeyLen,
  kTopic,
  kHeaders,
  kMetaWidth
};

// The kind of a client event row ([kind, a, b]) in a consumed batch's `events`.
enum EventKind { kEventError, kEventCommitError, kEventLog, kEventStats };

// In a produced batch's views layout, the ArrayBuffer index of a null value (a tombstone).
constexpr uint32_t kNullValue = 0xFFFFFFFF;

inline Napi::Value Layouts(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object meta = Napi::Object::New(env);
  const char* names[] = {"partition", "offset", "timestamp", "valueAt", "valueLen",
                         "keyAt",     "keyLen", "topic",     "headers"};
  for (int i = 0; i < kMetaWidth; i++) meta.Set(names[i], i);
  meta.Set("width", static_cast<int>(kMetaWidth));
  Napi::Object events = Napi::Object::New(env);
  events.Set("error", static_cast<int>(kEventError));
  events.Set("commitError", static_cast<int>(kEventCommitError));
  events.Set("log", static_cast<int>(kEventLog));
  events.Set("stats", static_cast<int>(kEventStats));
  Napi::Object out = Napi::Object::New(env);
  out.Set("consumedMeta", meta);
  out.Set("eventKind", events);
  out.Set("nullValue", Napi::Number::New(env, kNullValue));
  return out;
}

}  // namespace turbokafka
