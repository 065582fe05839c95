#include "producer.h"

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "config.h"
#include "errors.h"
#include "layout.h"
#include "promise_worker.h"

namespace turbokafka {

namespace {

// Elements read per handle scope while gathering a batch, so the handles of a 100k-message
// batch never pile up in the caller's scope.
constexpr uint32_t kGatherChunk = 1024;

[[noreturn]] void ThrowType(Napi::Env env, const std::string& message) {
  throw Napi::TypeError::New(env, message);
}

// Reads the key Buffers (or null/undefined) of `array` into the messages' key slots.
void GatherKeys(Napi::Env env, napi_value array, Batch* b) {
  const uint32_t n = static_cast<uint32_t>(b->msgs.size());
  for (uint32_t start = 0; start < n; start += kGatherChunk) {
    Napi::HandleScope scope(env);
    const uint32_t end = std::min(n, start + kGatherChunk);
    for (uint32_t i = start; i < end; i++) {
      napi_value v;
      if (napi_get_element(env, array, i, &v) != napi_ok) ThrowType(env, "batch array unreadable");
      void* data = nullptr;
      size_t len = 0;
      if (napi_get_buffer_info(env, v, &data, &len) == napi_ok) {
        if (len == 0) data = const_cast<void*>(NonNullEmpty());
        if (len > UINT32_MAX) ThrowType(env, "Buffer at index " + std::to_string(i) + " over 4 GiB");
      } else {
        napi_valuetype t;
        napi_typeof(env, v, &t);
        if (t != napi_null && t != napi_undefined)
          ThrowType(env, "key at index " + std::to_string(i) + " is not a Buffer");
      }
      b->msgs[i].key = data;
      b->msgs[i].key_len = static_cast<uint32_t>(len);
    }
  }
}

// headers[i] is undefined or a flat array [name, value, name, value, ...] with string names and
// Buffer-or-null values. librdkafka copies header names and values.
void GatherHeaders(Napi::Env env, Napi::Array headers, Batch* b) {
  const uint32_t n = static_cast<uint32_t>(b->msgs.size());
  for (uint32_t start = 0; start < n; start += kGatherChunk) {
    Napi::HandleScope scope(env);
    const uint32_t end = std::min(n, start + kGatherChunk);
    for (uint32_t i = start; i < end; i++) {
      Napi::Value v = headers.Get(i);
      if (!v.IsArray()) continue;
      Napi::Array flat = v.As<Napi::Array>();
      const uint32_t len = flat.Length();
      rd_kafka_headers_t* h = rd_kafka_headers_new(len / 2);
      b->Extra(i).headers = h;  // freed with the batch unless librdkafka takes it
      for (uint32_t j = 0; j + 1 < len; j += 2) {
        Napi::Value name = flat.Get(j);
        if (!name.IsString()) ThrowType(env, "header name at index " + std::to_string(i));
        std::string key = name.As<Napi::String>().Utf8Value();
        Napi::Value value = flat.Get(j + 1);
        const void* data = nullptr;
        size_t size = 0;
        if (value.IsBuffer()) {
          auto buf = value.As<Napi::Buffer<uint8_t>>();
          data = buf.Length() ? buf.Data() : NonNullEmpty();
          size = buf.Length();
        } else if (!value.IsNull() && !value.IsUndefined()) {
          ThrowType(env, "header value at index " + std::to_string(i));
        }
        rd_kafka_header_add(h, key.data(), static_cast<ssize_t>(key.size()), data,
                            static_cast<ssize_t>(size));
      }
    }
  }
}

Napi::Value BuildSettled(Napi::Env env, Batch* b) {
  const uint32_t n = static_cast<uint32_t>(b->msgs.size());
  uint32_t failed = 0;
  for (const Msg& m : b->msgs)
    if (m.err != RD_KAFKA_RESP_ERR_NO_ERROR) failed++;
  Napi::Array row = Napi::Array::New(env, b->offsets.empty() ? 4 : 6);
  row.Set(0u, Napi::Number::New(env, b->id));
  row.Set(1u, Napi::Number::New(env, n - failed));
  if (failed > 0) {
    Napi::Uint32Array idx = Napi::Uint32Array::New(env, failed);
    Napi::Int32Array codes = Napi::Int32Array::New(env, failed);
    uint32_t k = 0;
    for (uint32_t i = 0; i < n; i++) {
      const rd_kafka_resp_err_t err = b->msgs[i].err;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) continue;
      idx[k] = i;
      codes[k] = static_cast<int32_t>(err);
      k++;
    }
    row.Set(2u, idx);
    row.Set(3u, codes);
  }
  if (!b->offsets.empty()) {
    Napi::Int32Array partitions = Napi::Int32Array::New(env, n);
    Napi::Float64Array offsets = Napi::Float64Array::New(env, n);
    for (uint32_t i = 0; i < n; i++) {
      partitions[i] = b->msgs[i].partition;
      offsets[i] = static_cast<double>(b->offsets[i]);
    }
    row.Set(4u, partitions);
    row.Set(5u, offsets);
  }
  return row;
}

}  // namespace

void DispatchToJs(Napi::Env env, Napi::Function callback, ProducerBridge* bridge, Dispatch* d) {
  std::unique_ptr<Dispatch> owned(d);
  size_t freed = 0;  // d->settled[0, freed) are already released
  const uint32_t count = static_cast<uint32_t>(d->settled.size());
  if (env != nullptr) {
    // No exception may leave this function: it runs from the event loop, not from a JS call,
    // and during environment teardown every N-API call may fail.
    try {
      Napi::HandleScope scope(env);
      Napi::Array settled = Napi::Array::New(env, count);
      for (; freed < count; freed++) {
        Batch* b = d->settled[freed];
        settled.Set(static_cast<uint32_t>(freed), BuildSettled(env, b));
        // The last report of this batch is in: librdkafka no longer reads its Buffers.
        napi_delete_reference(env, b->keepalive);
        bridge->Recycle(b->TakeStorage());
        delete b;
      }
      Napi::Array stats = Napi::Array::New(env, d->stats.size());
      for (uint32_t i = 0; i < d->stats.size(); i++) stats.Set(i, Napi::String::New(env, d->stats[i]));
      Napi::Array errors = Napi::Array::New(env, d->errors.size());
      for (uint32_t i = 0; i < d->errors.size(); i++) {
        const auto& e = d->errors[i];
        errors.Set(i, MakeError(env, e.err, e.message, e.fatal).Value());
      }
      Napi::Array logs = Napi::Array::New(env, d->logs.size());
      for (uint32_t i = 0; i < d->logs.size(); i++) {
        Napi::Array row = Napi::Array::New(env, 3);
        row.Set(0u, Napi::Number::New(env, d->logs[i].level));
        row.Set(1u, Napi::String::New(env, d->logs[i].facility));
        row.Set(2u, Napi::String::New(env, d->logs[i].message));
        logs.Set(i, row);
      }
      // lib/engines/native/producer.ts catches everything its callback does; an exception here means JS can
      // no longer run (the environment is going away).
      callback.Call({settled, stats, errors, logs});
    } catch (const Napi::Error&) {
    }
  }
  // Whatever happened above: release what was not, and account for every batch.
  for (size_t i = freed; i < count; i++) {
    Batch* b = d->settled[i];
    if (env != nullptr) napi_delete_reference(env, b->keepalive);
    delete b;
  }
  if (env != nullptr && count > 0) {
    bridge->pending_batches -= std::min(count, bridge->pending_batches);
    if (bridge->pending_batches == 0 && bridge->owner != nullptr) {
      try {
        bridge->owner->Idle(env);
      } catch (const Napi::Error&) {
      }
    }
  }
}

Napi::Function Producer::Define(Napi::Env env) {
  return DefineClass(env, "NativeProducer",
                     {
                         InstanceMethod<&Producer::ProduceBatch>("produceBatch"),
                         InstanceMethod<&Producer::Flush>("flush"),
                         InstanceMethod<&Producer::Close>("close"),
                         InstanceMethod<&Producer::Stats>("stats"),
                         InstanceMethod<&Producer::Ping>("ping"),
                         InstanceMethod<&Producer::CloseSync>("closeSync"),
                         InstanceMethod<&Producer::InitTransactions>("initTransactions"),
                         InstanceMethod<&Producer::BeginTransaction>("beginTransaction"),
                         InstanceMethod<&Producer::SendOffsets>("sendOffsetsToTransaction"),
                         InstanceMethod<&Producer::CommitTransaction>("commitTransaction"),
                         InstanceMethod<&Producer::AbortTransaction>("abortTransaction"),
                     });
}

Producer::Producer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Producer>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsFunction() || !info[2].IsNumber())
    ThrowType(env, "NativeProducer(config, onEvents, exitFlushMs)");
  exit_flush_ms_ = info[2].As<Napi::Number>().Int32Value();

  rd_kafka_conf_t* conf = BuildConf(env, info[0].As<Napi::Object>());
  std::string errstr;
  core_ = ProducerCore::Create(conf, &errstr);
  if (!core_) {
    rd_kafka_conf_destroy(conf);
    ThrowKafka(env, RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
  }

  bridge_ = new ProducerBridge();
  bridge_->owner = this;
  tsfn_ = DispatchFn::New(
      env, info[1].As<Napi::Function>(), "turbokafka:producer", 0, 1, bridge_,
      [](Napi::Env, void*, ProducerBridge* bridge) {
        bridge->tsfn_alive = false;
        bridge->Drop();
      },
      static_cast<void*>(nullptr));
  // An idle producer does not keep the process alive; pending batches do (see ProduceBatch).
  tsfn_.Unref(env);

  DispatchFn tsfn = tsfn_;
  core_->Start([tsfn](Dispatch* d) { return tsfn.BlockingCall(d) == napi_ok; });

  teardown_hook_.Install(env, OnEnvTeardown, this);
}

Producer::~Producer() {
  // Reached through GC only when no batch is pending (pending batches hold a strong reference),
  // or at environment teardown after OnEnvTeardown already shut the core down.
  if (core_) core_->Shutdown(0);
  teardown_hook_.Remove();
  if (bridge_ != nullptr) {
    bridge_->owner = nullptr;
    if (bridge_->tsfn_alive && !released_) tsfn_.Release();
    bridge_->Drop();
  }
}

void Producer::OnEnvTeardown(void* arg) {
  // Process or worker exit with the producer still open: give in-flight messages a bounded
  // chance to be delivered, then close. Their promises can no longer settle.
  Producer* self = static_cast<Producer*>(arg);
  self->closing_ = true;
  if (self->core_) self->core_->Shutdown(self->exit_flush_ms_);
}

void Producer::Idle(Napi::Env env) {
  Unref();
  if (!released_) tsfn_.Unref(env);
}

void Producer::Release(Napi::Env env) {
  teardown_hook_.Remove();
  if (!released_ && bridge_->tsfn_alive) {
    released_ = true;
    tsfn_.Release();  // queued dispatches are still delivered before it finalizes
  }
}

namespace {

// The packed layout: one Buffer of values back to back, `lengths` their lengths.
void ReadPackedValues(Napi::Env env, Napi::Buffer<uint8_t> buf, const Napi::Uint32Array& lengths, Batch* b) {
  const uint8_t* base = buf.Data();
  size_t offset = 0;
  for (uint32_t i = 0; i < b->msgs.size(); i++) {
    const uint32_t len = lengths[i];
    if (offset + len > buf.Length()) ThrowType(env, "lengths add up to more than the packed Buffer");
    b->msgs[i].value = len ? static_cast<const void*>(base + offset) : NonNullEmpty();
    b->msgs[i].value_len = len;
    offset += len;
  }
}

// The views layout: the distinct ArrayBuffers behind the values, and per message (ArrayBuffer
// index, byte offset, length), index kNullValue for a null value. Reading a few ArrayBuffers
// replaces one N-API element read per message.
void ReadViewValues(Napi::Env env, Napi::Array buffers, const Napi::Uint32Array& views, Batch* b) {
  std::vector<std::pair<const uint8_t*, size_t>> bases(buffers.Length());
  for (uint32_t j = 0; j < bases.size(); j++) {
    void* data = nullptr;
    size_t len = 0;
    if (napi_get_arraybuffer_info(env, buffers.Get(j), &data, &len) != napi_ok)
      ThrowType(env, "views need ArrayBuffers");
    bases[j] = {static_cast<const uint8_t*>(data), len};
  }
  const uint32_t* refs = views.Data();
  for (uint32_t i = 0; i < b->msgs.size(); i++) {
    const uint32_t which = refs[3 * i], offset = refs[3 * i + 1], len = refs[3 * i + 2];
    if (which == kNullValue) continue;  // value stays null: a tombstone
    if (which >= bases.size() || static_cast<size_t>(offset) + len > bases[which].second)
      ThrowType(env, "value view out of range at index " + std::to_string(i));
    b->msgs[i].value = len ? static_cast<const void*>(bases[which].first + offset) : NonNullEmpty();
    b->msgs[i].value_len = len;
  }
}

// The columns a batch has only when one of its messages uses them: keys, partitions,
// timestamps, headers (arguments 3 to 6 of produceBatch; anything else there means none).
void ReadOptionalColumns(Napi::Env env, const Napi::CallbackInfo& info, Batch* b) {
  const size_t n = b->msgs.size();
  if (info[3].IsArray()) {
    if (info[3].As<Napi::Array>().Length() < n) ThrowType(env, "keys shorter than values");
    GatherKeys(env, info[3], b);
  }
  if (info[4].IsTypedArray()) {
    Napi::Int32Array parts = info[4].As<Napi::Int32Array>();
    if (parts.TypedArrayType() != napi_int32_array || parts.ElementLength() < n)
      ThrowType(env, "partitions must be an Int32Array as long as values");
    for (uint32_t i = 0; i < n; i++) b->msgs[i].partition = parts[i];
  }
  if (info[5].IsTypedArray()) {
    Napi::Float64Array ts = info[5].As<Napi::Float64Array>();
    if (ts.TypedArrayType() != napi_float64_array || ts.ElementLength() < n)
      ThrowType(env, "timestamps must be a Float64Array as long as values");
    for (uint32_t i = 0; i < n; i++)
      if (ts[i] != 0) b->Extra(i).timestamp = static_cast<int64_t>(ts[i]);
  }
  if (info[6].IsArray()) GatherHeaders(env, info[6].As<Napi::Array>(), b);
}

}  // namespace

Napi::Value Producer::ProduceBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closing_) ThrowKafka(env, RD_KAFKA_RESP_ERR__STATE, "producer is closed");
  // lib/producer.ts and lib/batch.ts have validated and flattened everything; these checks only
  // keep a malformed call from crashing the process.
  if (info.Length() < 8 || !info[0].IsString() || !info[1].IsNumber() || !info[7].IsTypedArray() ||
      info[7].As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array)
    ThrowType(env,
              "produceBatch(topic, id, values, keys, partitions, timestamps, headers, layout: Uint32Array, "
              "offsets?)");
  const std::string topic = info[0].As<Napi::String>().Utf8Value();
  rd_kafka_topic_t* rkt = core_->Topic(topic);
  if (rkt == nullptr) {
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    ThrowKafka(env, err, "topic \"" + topic + "\": " + rd_kafka_err2str(err));
  }
  // How the values arrive (lib/batch.ts chooses): packed, or views (see the readers above).
  Napi::Uint32Array layout = info[7].As<Napi::Uint32Array>();
  const bool packed = info[2].IsBuffer();
  if (!packed && !info[2].IsArray()) ThrowType(env, "values must be a Buffer or an array of ArrayBuffers");
  const uint32_t n = static_cast<uint32_t>(packed ? layout.ElementLength() : layout.ElementLength() / 3);

  auto b = std::make_unique<Batch>(info[1].As<Napi::Number>().DoubleValue(), n, bridge_->Reuse());
  b->rkt = rkt;
  if (packed) {
    ReadPackedValues(env, info[2].As<Napi::Buffer<uint8_t>>(), layout, b.get());
  } else {
    ReadViewValues(env, info[2].As<Napi::Array>(), layout, b.get());
  }
  ReadOptionalColumns(env, info, b.get());
  if (info.Length() > 8 && info[8].IsBoolean() && info[8].As<Napi::Boolean>().Value())
    b->offsets.assign(n, -1);

  // One reference per batch keeps every value and key Buffer alive until its last report.
  Napi::Array hold = Napi::Array::New(env, 2);
  hold.Set(0u, info[2]);
  hold.Set(1u, info[3]);
  napi_create_reference(env, hold, 1, &b->keepalive);
  Submit(env, b.release());
  return env.Undefined();
}

void Producer::Submit(Napi::Env env, Batch* b) {
  // While batches are pending the wrapper may not be collected and the loop stays alive.
  if (bridge_->pending_batches++ == 0) {
    Ref();
    tsfn_.Ref(env);
  }
  std::vector<Batch*> settled;
  core_->Submit(b, &settled);
  if (!settled.empty()) {
    // Every message was rejected at once; settle through the same path as delivery reports.
    Dispatch* d = new Dispatch();
    d->settled = std::move(settled);
    napi_status st = tsfn_.NonBlockingCall(d);
    if (st != napi_ok) ThrowKafka(env, RD_KAFKA_RESP_ERR__FAIL, "delivery dispatch unavailable");
  }
}

Napi::Value Producer::Flush(const Napi::CallbackInfo& info) {
  ProducerCore* core = core_.get();
  const int timeout = TimeoutArg(info[0]);
  auto remaining = std::make_shared<uint64_t>(0);
  return PromiseWorker::Start(
      Value(),
      [core, timeout, remaining]() {
        *remaining = core->Flush(timeout);
        return RD_KAFKA_RESP_ERR_NO_ERROR;
      },
      [remaining](Napi::Env e) -> Napi::Value {
        return Napi::Number::New(e, static_cast<double>(*remaining));
      });
}

Napi::Value Producer::Ping(const Napi::CallbackInfo& info) {
  ProducerCore* core = core_.get();
  const int timeout = TimeoutArg(info[0]);
  return PromiseWorker::Start(
      Value(), [core, timeout]() { return core->Ping(timeout); },
      [](Napi::Env e) -> Napi::Value { return Napi::Number::New(e, 0); });
}

Napi::Value Producer::Close(const Napi::CallbackInfo& info) {
  closing_ = true;
  ProducerCore* core = core_.get();
  const int timeout = TimeoutArg(info[0]);
  return PromiseWorker::Start(
      Value(),
      [core, timeout]() {
        core->Shutdown(timeout);
        return RD_KAFKA_RESP_ERR_NO_ERROR;
      },
      [this](Napi::Env e) -> Napi::Value {
        Release(e);
        return Napi::Number::New(e, 0);
      });
}

Napi::Value Producer::CloseSync(const Napi::CallbackInfo& info) {
  closing_ = true;
  core_->Shutdown(info[0].IsNumber() ? TimeoutArg(info[0]) : exit_flush_ms_);
  Release(info.Env());
  return info.Env().Undefined();
}

Napi::Value Producer::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ProducerCounters c = core_->Counters();
  Napi::Object o = Napi::Object::New(env);
  o.Set("produced", Napi::Number::New(env, static_cast<double>(c.produced)));
  o.Set("delivered", Napi::Number::New(env, static_cast<double>(c.delivered)));
  o.Set("failed", Napi::Number::New(env, static_cast<double>(c.failed)));
  o.Set("bytesDelivered", Napi::Number::New(env, static_cast<double>(c.bytes_delivered)));
  o.Set("backlog", Napi::Number::New(env, static_cast<double>(c.backlog)));
  return o;
}

}  // namespace turbokafka
