#include "consumer.h"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <thread>
#include <unordered_map>

#include "config.h"
#include "errors.h"
#include "layout.h"
#include "partitions.h"
#include "promise_worker.h"

namespace turbokafka {

namespace {

constexpr size_t kMaxBufferedEvents = 1000;  // logs and errors kept between two consume calls

}  // namespace

Napi::Function Consumer::Define(Napi::Env env) {
  return DefineClass(env, "NativeConsumer",
                     {
                         InstanceMethod<&Consumer::Subscribe>("subscribe"),
                         InstanceMethod<&Consumer::Unsubscribe>("unsubscribe"),
                         InstanceMethod<&Consumer::Assign>("assign"),
                         InstanceMethod<&Consumer::Unassign>("unassign"),
                         InstanceMethod<&Consumer::Assignment>("assignment"),
                         InstanceMethod<&Consumer::Consume>("consume"),
                         InstanceMethod<&Consumer::SetWaiting>("setWaiting"),
                         InstanceMethod<&Consumer::Commit>("commit"),
                         InstanceMethod<&Consumer::Seek>("seek"),
                         InstanceMethod<&Consumer::Pause>("pause"),
                         InstanceMethod<&Consumer::Resume>("resume"),
                         InstanceMethod<&Consumer::Position>("position"),
                         InstanceMethod<&Consumer::Committed>("committed"),
                         InstanceMethod<&Consumer::Watermarks>("watermarks"),
                         InstanceMethod<&Consumer::CachedWatermarks>("cachedWatermarks"),
                         InstanceMethod<&Consumer::GroupMetadata>("groupMetadata"),
                         InstanceMethod<&Consumer::Ping>("ping"),
                         InstanceMethod<&Consumer::Close>("close"),
                         InstanceMethod<&Consumer::DestroySync>("destroySync"),
                     });
}

Consumer::Consumer(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Consumer>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction())
    throw Napi::TypeError::New(env, "NativeConsumer(config, onWake)");
  rd_kafka_conf_t* conf = BuildConf(env, info[0].As<Napi::Object>());
  sink_ = new ConsumerSink();
  sink_->owner = this;
  rd_kafka_conf_set_opaque(conf, sink_);
  rd_kafka_conf_set_rebalance_cb(conf, OnRebalance);
  rd_kafka_conf_set_error_cb(conf, OnError);
  rd_kafka_conf_set_offset_commit_cb(conf, OnCommit);
  rd_kafka_conf_set_log_cb(conf, OnLog);
  rd_kafka_conf_set_stats_cb(conf, OnStats);
  char errstr[512];
  rk_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, errstr, sizeof(errstr));
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    delete sink_;
    sink_ = nullptr;
    ThrowKafka(env, RD_KAFKA_RESP_ERR__INVALID_ARG, errstr);
  }
  // Everything (errors, stats, commit results) arrives on the consumer queue and is served by
  // Consume() on the JS thread.
  rd_kafka_poll_set_consumer(rk_);
  queue_ = rd_kafka_queue_get_consumer(rk_);
  wake_ = Napi::ThreadSafeFunction::New(env, info[1].As<Napi::Function>(), "turbokafka:consumer", 0, 1);
  wake_.Unref(env);  // only a waiting consumeBatch keeps the process alive (SetWaiting)
  rd_kafka_queue_cb_event_enable(queue_, OnQueueEvent, this);
  teardown_hook_.Install(env, OnEnvTeardown, this);
}

Consumer::~Consumer() {
  Teardown(0);
  teardown_hook_.Remove();
  if (!released_) wake_.Release();
  for (Rebalance& r : rebalances_) rd_kafka_topic_partition_list_destroy(r.partitions);
}

void Consumer::OnEnvTeardown(void* arg) {
  Consumer* self = static_cast<Consumer*>(arg);
  self->closing_ = true;
  // Node closes and frees the thread-safe function with the environment, in a cleanup hook that
  // runs after this one; the destructor (GC finalization during the same teardown) must not
  // release it afterwards: that locked a freed mutex (libuv aborts when the lock fails, as musl's
  // does on freed memory; glibc's went through silently).
  self->released_ = true;
  // A close() on the pool may hold the lock while leaving the group; do not wait for it here.
  // It destroys the handle itself; just make sure no callback reaches this object any more.
  std::unique_lock<std::mutex> lock(self->teardown_mu_, std::try_to_lock);
  if (!lock.owns_lock()) {
    std::lock_guard<std::mutex> owner_lock(self->sink_->mu);
    self->sink_->owner = nullptr;
    return;
  }
  lock.unlock();
  self->Teardown(0);
}

void Consumer::Teardown(int leave_group_ms, bool destroy) {
  std::lock_guard<std::mutex> guard(teardown_mu_);
  if (destroyed_) return;
  destroyed_ = true;
  if (leave_group_ms > 0) LeaveGroup(leave_group_ms);
  rd_kafka_queue_cb_event_enable(queue_, nullptr, nullptr);
  rd_kafka_queue_destroy(queue_);
  queue_ = nullptr;
  {
    std::lock_guard<std::mutex> lock(sink_->mu);
    sink_->owner = nullptr;
  }
  rd_kafka_t* rk = rk_;
  ConsumerSink* sink = sink_;
  rk_ = nullptr;
  sink_ = nullptr;
  if (!destroy) return;  // process exit: the OS reclaims everything
  std::thread([rk, sink] {
    // Pool workers queued before the close may still be using the handle.
    while (sink->inflight.load() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    rd_kafka_destroy_flags(rk, RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
    delete sink;
  }).detach();
}

void Consumer::ReleaseJs() {
  teardown_hook_.Remove();
  if (!released_) {
    released_ = true;
    wake_.Release();
  }
}

void Consumer::LeaveGroup(int timeout_ms) {
  // Leaving must not outlast the deadline whatever the librdkafka (a source build may link an
  // old system one), so close asynchronously and give up at the deadline: destroying the handle
  // then merely leaves the group by session timeout instead of at once.
  rd_kafka_queue_t* q = rd_kafka_queue_new(rk_);
  rd_kafka_error_t* error = rd_kafka_consumer_close_queue(rk_, q);
  if (error != nullptr) {
    rd_kafka_error_destroy(error);
  } else {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    while (!rd_kafka_consumer_closed(rk_) && std::chrono::steady_clock::now() < deadline) {
      rd_kafka_event_t* ev = rd_kafka_queue_poll(q, 100);
      if (ev == nullptr) continue;
      // Revocations arrive as events here; answer them as the rebalance callback would.
      if (rd_kafka_event_type(ev) == RD_KAFKA_EVENT_REBALANCE)
        OnRebalance(rk_, rd_kafka_event_error(ev), rd_kafka_event_topic_partition_list(ev), sink_);
      rd_kafka_event_destroy(ev);
    }
  }
  rd_kafka_queue_destroy(q);
}

rd_kafka_t* Consumer::Live(Napi::Env env) {
  if (closing_) ThrowKafka(env, RD_KAFKA_RESP_ERR__STATE, "consumer is closed");
  return rk_;
}

// ---- librdkafka callbacks (librdkafka's threads, or the JS thread inside Consume) ----

void Consumer::OnQueueEvent(rd_kafka_t*, void* opaque) {
  // The queue went from empty to non-empty: wake a waiting consumeBatch, at most once per drain.
  // (Disabled in Teardown before the Consumer can go away, so `opaque` is the Consumer.)
  Consumer* self = static_cast<Consumer*>(opaque);
  if (!self->wake_posted_.exchange(true)) self->wake_.NonBlockingCall();
}

void Consumer::OnRebalance(rd_kafka_t* rk, rd_kafka_resp_err_t err,
                           rd_kafka_topic_partition_list_t* partitions, void* opaque) {
  auto* sink = static_cast<ConsumerSink*>(opaque);
  const char* protocol = rd_kafka_rebalance_protocol(rk);
  const bool cooperative = protocol != nullptr && std::strcmp(protocol, "COOPERATIVE") == 0;
  const bool assign = err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS;
  rd_kafka_error_t* error = nullptr;
  rd_kafka_resp_err_t aerr = RD_KAFKA_RESP_ERR_NO_ERROR;
  if (cooperative)
    error =
        assign ? rd_kafka_incremental_assign(rk, partitions) : rd_kafka_incremental_unassign(rk, partitions);
  else
    aerr = rd_kafka_assign(rk, assign ? partitions : nullptr);
  if (error != nullptr) {
    aerr = rd_kafka_error_code(error);
    rd_kafka_error_destroy(error);
  }
  std::lock_guard<std::mutex> owner_lock(sink->mu);
  Consumer* self = sink->owner;
  if (self == nullptr) return;
  std::lock_guard<std::mutex> lock(self->events_mu_);
  if (self->rebalances_.size() < kMaxBufferedEvents)
    self->rebalances_.push_back(
        {assign, protocol ? protocol : "NONE", rd_kafka_topic_partition_list_copy(partitions)});
  if (aerr != RD_KAFKA_RESP_ERR_NO_ERROR && self->events_.size() < kMaxBufferedEvents)
    self->events_.push_back({kEventError, aerr, 0, std::string("rebalance: ") + rd_kafka_err2str(aerr), ""});
}

void Consumer::Deliver(void* opaque, ClientEvent&& e) {
  auto* sink = static_cast<ConsumerSink*>(opaque);
  if (sink == nullptr) return;
  std::lock_guard<std::mutex> owner_lock(sink->mu);
  if (sink->owner != nullptr) sink->owner->Record(std::move(e));
}

void Consumer::Record(ClientEvent&& e) {
  std::lock_guard<std::mutex> lock(events_mu_);
  if (events_.size() < kMaxBufferedEvents) events_.push_back(std::move(e));
}

void Consumer::OnError(rd_kafka_t*, int err, const char* reason, void* opaque) {
  Deliver(opaque, {kEventError, static_cast<rd_kafka_resp_err_t>(err), 0, reason ? reason : "", ""});
}

void Consumer::OnCommit(rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t*,
                        void* opaque) {
  // Results of asynchronous (and automatic) commits; synchronous ones resolve their promise.
  if (err != RD_KAFKA_RESP_ERR_NO_ERROR && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
    Deliver(opaque, {kEventCommitError, err, 0, std::string("commit: ") + rd_kafka_err2str(err), ""});
}

void Consumer::OnLog(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  Deliver(rd_kafka_opaque(rk),
          {kEventLog, RD_KAFKA_RESP_ERR_NO_ERROR, level, buf ? buf : "", fac ? fac : ""});
}

int Consumer::OnStats(rd_kafka_t*, char* json, size_t len, void* opaque) {
  Deliver(opaque, {kEventStats, RD_KAFKA_RESP_ERR_NO_ERROR, 0, std::string(json, len), ""});
  return 0;  // librdkafka frees json
}

// ---- JS-thread methods ----

Napi::Value Consumer::QueueWorker(std::function<rd_kafka_resp_err_t()> run,
                                  std::function<Napi::Value(Napi::Env)> finish) {
  ConsumerSink* sink = sink_;
  sink->inflight++;
  return PromiseWorker::Start(
      Value(),
      [sink, run = std::move(run)]() {
        rd_kafka_resp_err_t err = run();
        sink->inflight--;
        return err;
      },
      std::move(finish));
}

Napi::Value Consumer::Subscribe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_t* rk = Live(env);
  Napi::Array topics = info[0].As<Napi::Array>();
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(topics.Length())));
  for (uint32_t i = 0; i < topics.Length(); i++)
    rd_kafka_topic_partition_list_add(list.list, topics.Get(i).As<Napi::String>().Utf8Value().c_str(),
                                      RD_KAFKA_PARTITION_UA);
  rd_kafka_resp_err_t err = rd_kafka_subscribe(rk, list.list);
  if (err) ThrowKafka(env, err, std::string("subscribe: ") + rd_kafka_err2str(err));
  return env.Undefined();
}

Napi::Value Consumer::Unsubscribe(const Napi::CallbackInfo& info) {
  rd_kafka_resp_err_t err = rd_kafka_unsubscribe(Live(info.Env()));
  if (err) ThrowKafka(info.Env(), err, rd_kafka_err2str(err));
  return info.Env().Undefined();
}

Napi::Value Consumer::Assign(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_t* rk = Live(env);
  PartitionListPtr list(ToPartitionList(env, info[0]));
  rd_kafka_resp_err_t err = rd_kafka_assign(rk, list.list);
  if (err) ThrowKafka(env, err, std::string("assign: ") + rd_kafka_err2str(err));
  return env.Undefined();
}

Napi::Value Consumer::Unassign(const Napi::CallbackInfo& info) {
  rd_kafka_resp_err_t err = rd_kafka_assign(Live(info.Env()), nullptr);
  if (err) ThrowKafka(info.Env(), err, rd_kafka_err2str(err));
  return info.Env().Undefined();
}

Napi::Value Consumer::Assignment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_topic_partition_list_t* raw = nullptr;
  rd_kafka_resp_err_t err = rd_kafka_assignment(Live(env), &raw);
  PartitionListPtr list(raw);
  if (err) ThrowKafka(env, err, rd_kafka_err2str(err));
  return FromPartitionList(env, list.list);
}

// Returns { count, arena, meta, topics, headers?, errors, rebalances, events }: values and keys
// copied into one ArrayBuffer (one allocation per batch; the librdkafka messages, and the fetch
// buffers behind them, are freed at once), per-message fields in `meta` (see Meta).
namespace {

// A message's headers as a flat [name, value, name, value, ...] array (values copied).
Napi::Array HeaderRow(Napi::Env env, rd_kafka_headers_t* hdrs) {
  Napi::Array flat = Napi::Array::New(env);
  const char* name;
  const void* value;
  size_t size;
  uint32_t j = 0;
  for (size_t h = 0; rd_kafka_header_get_all(hdrs, h, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
       h++) {
    flat.Set(j++, Napi::String::New(env, name));
    flat.Set(
        j++,
        value ? Napi::Buffer<uint8_t>::Copy(env, static_cast<const uint8_t*>(value), size).As<Napi::Value>()
              : env.Null());
  }
  return flat;
}

// What one consume call hands to JavaScript for its messages: every value and key copied into
// one ArrayBuffer, one `meta` row per message (layout.h), topics by index, headers by row, and
// the per-message errors.
struct CopiedBatch {
  size_t count = 0;
  Napi::ArrayBuffer arena;
  Napi::Float64Array meta;
  Napi::Array topics;
  Napi::Array headers;  // empty unless a message has headers
  Napi::Array errors;
};

CopiedBatch CopyMessages(Napi::Env env, rd_kafka_message_t* const* msgs, size_t n) {
  CopiedBatch out;
  size_t bytes = 0;
  for (size_t i = 0; i < n; i++) {
    if (msgs[i]->err) continue;
    bytes += msgs[i]->len + msgs[i]->key_len;
    out.count++;
  }
  out.arena = Napi::ArrayBuffer::New(env, bytes);
  uint8_t* base = static_cast<uint8_t*>(out.arena.Data());
  out.meta = Napi::Float64Array::New(env, out.count * kMetaWidth);
  double* md = out.meta.Data();
  out.topics = Napi::Array::New(env);
  out.errors = Napi::Array::New(env);
  std::unordered_map<const rd_kafka_topic_t*, uint32_t> topic_index;
  size_t at = 0, k = 0;
  uint32_t header_rows = 0, error_rows = 0;
  for (size_t i = 0; i < n; i++) {
    const rd_kafka_message_t* m = msgs[i];
    if (m->err) {
      if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) continue;
      std::string where =
          m->rkt ? std::string(rd_kafka_topic_name(m->rkt)) + " [" + std::to_string(m->partition) + "]: "
                 : "";
      out.errors.Set(error_rows++, MakeError(env, m->err, where + rd_kafka_message_errstr(m)).Value());
      continue;
    }
    double* row = md + k * kMetaWidth;
    row[kPartition] = m->partition;
    row[kOffset] = static_cast<double>(m->offset);
    rd_kafka_timestamp_type_t tstype;
    row[kTimestamp] = static_cast<double>(rd_kafka_message_timestamp(m, &tstype));
    row[kValueAt] = static_cast<double>(at);
    row[kValueLen] = m->payload ? static_cast<double>(m->len) : -1;
    if (m->payload && m->len) std::memcpy(base + at, m->payload, m->len);
    at += m->payload ? m->len : 0;
    row[kKeyAt] = static_cast<double>(at);
    row[kKeyLen] = m->key ? static_cast<double>(m->key_len) : -1;
    if (m->key && m->key_len) std::memcpy(base + at, m->key, m->key_len);
    at += m->key ? m->key_len : 0;
    auto it = topic_index.find(m->rkt);
    if (it == topic_index.end()) {
      it = topic_index.emplace(m->rkt, static_cast<uint32_t>(topic_index.size())).first;
      out.topics.Set(it->second, Napi::String::New(env, rd_kafka_topic_name(m->rkt)));
    }
    row[kTopic] = it->second;
    row[kHeaders] = -1;
    rd_kafka_headers_t* hdrs = nullptr;
    if (rd_kafka_message_headers(m, &hdrs) == RD_KAFKA_RESP_ERR_NO_ERROR && hdrs != nullptr) {
      if (out.headers.IsEmpty()) out.headers = Napi::Array::New(env);
      row[kHeaders] = header_rows;
      out.headers.Set(header_rows++, HeaderRow(env, hdrs));
    }
    k++;
  }
  return out;
}

}  // namespace

Napi::Value Consumer::Consume(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Live(env);
  const uint32_t max = info[0].As<Napi::Number>().Uint32Value();
  if (scratch_.size() < max) scratch_.resize(max);
  wake_posted_.store(false);
  const ssize_t got = rd_kafka_consume_batch_queue(queue_, 0, scratch_.data(), max);
  if (got < 0) {
    rd_kafka_resp_err_t err = rd_kafka_last_error();
    ThrowKafka(env, err, std::string("consume: ") + rd_kafka_err2str(err));
  }
  const size_t n = static_cast<size_t>(got);
  // Messages are freed whatever happens below.
  struct Free {
    std::vector<rd_kafka_message_t*>& v;
    size_t n;
    ~Free() {
      for (size_t i = 0; i < n; i++) rd_kafka_message_destroy(v[i]);
    }
  } free_messages{scratch_, n};
  CopiedBatch batch = CopyMessages(env, scratch_.data(), n);

  Napi::Object out = Napi::Object::New(env);
  out.Set("count", Napi::Number::New(env, static_cast<double>(batch.count)));
  // A full take may have left entries queued, and the queue event fires only when an empty
  // queue receives something: the caller must consume again instead of waiting.
  out.Set("more", Napi::Boolean::New(env, n == max));
  out.Set("arena", batch.arena);
  out.Set("meta", batch.meta);
  out.Set("topics", batch.topics);
  if (!batch.headers.IsEmpty()) out.Set("headers", batch.headers);
  out.Set("errors", batch.errors);
  TakeCallbackRecords(env, out);
  return out;
}

void Consumer::TakeCallbackRecords(Napi::Env env, Napi::Object out) {
  // What the callbacks (served inside rd_kafka_consume_batch_queue, or on librdkafka's threads)
  // recorded since the last call.
  std::vector<Rebalance> rebalances;
  std::vector<ClientEvent> events;
  {
    std::lock_guard<std::mutex> lock(events_mu_);
    rebalances.swap(rebalances_);
    events.swap(events_);
  }
  Napi::Array rb = Napi::Array::New(env, rebalances.size());
  for (uint32_t i = 0; i < rebalances.size(); i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", Napi::String::New(env, rebalances[i].assign ? "assign" : "revoke"));
    o.Set("protocol", Napi::String::New(env, rebalances[i].protocol));
    o.Set("partitions", FromPartitionList(env, rebalances[i].partitions));
    rd_kafka_topic_partition_list_destroy(rebalances[i].partitions);
    rb.Set(i, o);
  }
  Napi::Array ev = Napi::Array::New(env, events.size());
  for (uint32_t i = 0; i < events.size(); i++) {
    const ClientEvent& e = events[i];
    Napi::Array row = Napi::Array::New(env, 3);
    row.Set(0u, Napi::Number::New(env, e.kind));
    if (e.kind == kEventError || e.kind == kEventCommitError) {
      const bool fatal = e.err == RD_KAFKA_RESP_ERR__FATAL;
      row.Set(1u, MakeError(env, e.err, e.text, fatal).Value());
    } else if (e.kind == kEventLog) {
      row.Set(1u, Napi::Number::New(env, e.level));
      row.Set(2u, Napi::String::New(env, e.facility + "\n" + e.text));
    } else {
      row.Set(1u, Napi::String::New(env, e.text));
    }
    ev.Set(i, row);
  }
  out.Set("rebalances", rb);
  out.Set("events", ev);
}

Napi::Value Consumer::SetWaiting(const Napi::CallbackInfo& info) {
  if (!released_) {
    if (info[0].ToBoolean())
      wake_.Ref(info.Env());
    else
      wake_.Unref(info.Env());
  }
  return info.Env().Undefined();
}

Napi::Value Consumer::Commit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_t* rk = Live(env);
  rd_kafka_topic_partition_list_t* list = info[0].IsArray() ? ToPartitionList(env, info[0]) : nullptr;
  if (info[1].ToBoolean()) {
    // Asynchronous: the result comes back through OnCommit as an event.
    rd_kafka_resp_err_t err = rd_kafka_commit(rk, list, 1);
    if (list) rd_kafka_topic_partition_list_destroy(list);
    if (err && err != RD_KAFKA_RESP_ERR__NO_OFFSET)
      ThrowKafka(env, err, std::string("commit: ") + rd_kafka_err2str(err));
    return env.Undefined();
  }
  return QueueWorker(
      [rk, list]() {
        rd_kafka_resp_err_t err = rd_kafka_commit(rk, list, 0);
        if (list) rd_kafka_topic_partition_list_destroy(list);
        return err == RD_KAFKA_RESP_ERR__NO_OFFSET ? RD_KAFKA_RESP_ERR_NO_ERROR : err;  // nothing to commit
      },
      nullptr);
}

Napi::Value Consumer::Seek(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_t* rk = Live(env);
  auto list = std::make_shared<PartitionListPtr>(ToPartitionList(env, info[0]));
  const int timeout = TimeoutArg(info[1]);
  return QueueWorker(
      [rk, list, timeout]() {
        rd_kafka_error_t* error = rd_kafka_seek_partitions(rk, list->list, timeout);
        if (error == nullptr) return RD_KAFKA_RESP_ERR_NO_ERROR;
        rd_kafka_resp_err_t err = rd_kafka_error_code(error);
        rd_kafka_error_destroy(error);
        return err;
      },
      [list](Napi::Env e) -> Napi::Value { return FromPartitionList(e, list->list); });
}

Napi::Value Consumer::OnPartitions(const Napi::CallbackInfo& info,
                                   rd_kafka_resp_err_t (*op)(rd_kafka_t*, rd_kafka_topic_partition_list_t*)) {
  Napi::Env env = info.Env();
  PartitionListPtr list(ToPartitionList(env, info[0]));
  rd_kafka_resp_err_t err = op(Live(env), list.list);
  if (err) ThrowKafka(env, err, rd_kafka_err2str(err));
  return FromPartitionList(env, list.list);  // with per-partition errors and offsets filled in
}

Napi::Value Consumer::Pause(const Napi::CallbackInfo& info) {
  return OnPartitions(info, rd_kafka_pause_partitions);
}

Napi::Value Consumer::Resume(const Napi::CallbackInfo& info) {
  return OnPartitions(info, rd_kafka_resume_partitions);
}

Napi::Value Consumer::Position(const Napi::CallbackInfo& info) {
  return OnPartitions(info, rd_kafka_position);
}

Napi::Value Consumer::Committed(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_t* rk = Live(env);
  auto list = std::make_shared<PartitionListPtr>(ToPartitionList(env, info[0]));
  const int timeout = TimeoutArg(info[1]);
  return QueueWorker([rk, list, timeout]() { return rd_kafka_committed(rk, list->list, timeout); },
                     [list](Napi::Env e) -> Napi::Value { return FromPartitionList(e, list->list); });
}

Napi::Value Consumer::Watermarks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_t* rk = Live(env);
  const std::string topic = info[0].As<Napi::String>().Utf8Value();
  const int32_t partition = info[1].As<Napi::Number>().Int32Value();
  const int timeout = TimeoutArg(info[2]);
  auto marks = std::make_shared<std::pair<int64_t, int64_t>>(-1, -1);
  return QueueWorker(
      [rk, topic, partition, timeout, marks]() {
        return rd_kafka_query_watermark_offsets(rk, topic.c_str(), partition, &marks->first, &marks->second,
                                                timeout);
      },
      [marks](Napi::Env e) -> Napi::Value {
        Napi::Object o = Napi::Object::New(e);
        o.Set("low", Napi::Number::New(e, static_cast<double>(marks->first)));
        o.Set("high", Napi::Number::New(e, static_cast<double>(marks->second)));
        return o;
      });
}

Napi::Value Consumer::CachedWatermarks(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_t* rk = Live(env);
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber())
    throw Napi::TypeError::New(env, "cachedWatermarks(topic, partition)");
  const std::string topic = info[0].As<Napi::String>().Utf8Value();
  int64_t low = RD_KAFKA_OFFSET_INVALID, high = RD_KAFKA_OFFSET_INVALID;
  // What the last fetch response said: no request, so -1001 until this partition was fetched.
  rd_kafka_get_watermark_offsets(rk, topic.c_str(), info[1].As<Napi::Number>().Int32Value(), &low, &high);
  Napi::Array out = Napi::Array::New(env, 2);
  out.Set(0u, Napi::Number::New(env, static_cast<double>(low)));
  out.Set(1u, Napi::Number::New(env, static_cast<double>(high)));
  return out;
}

Napi::Value Consumer::GroupMetadata(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_consumer_group_metadata_t* group = rd_kafka_consumer_group_metadata(Live(env));
  if (group == nullptr) ThrowKafka(env, RD_KAFKA_RESP_ERR__STATE, "the consumer is in no group");
  void* bytes = nullptr;
  size_t size = 0;
  rd_kafka_error_t* e = rd_kafka_consumer_group_metadata_write(group, &bytes, &size);
  rd_kafka_consumer_group_metadata_destroy(group);
  if (e != nullptr) {
    Napi::Error error = MakeError(env, e);
    rd_kafka_error_destroy(e);
    throw error;
  }
  Napi::Buffer<uint8_t> out = Napi::Buffer<uint8_t>::Copy(env, static_cast<uint8_t*>(bytes), size);
  rd_kafka_mem_free(nullptr, bytes);
  return out;
}

Napi::Value Consumer::Ping(const Napi::CallbackInfo& info) {
  rd_kafka_t* rk = Live(info.Env());
  const int timeout = TimeoutArg(info[0]);
  return QueueWorker(
      [rk, timeout]() {
        const rd_kafka_metadata_t* md = nullptr;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, nullptr, &md, timeout);
        if (md) rd_kafka_metadata_destroy(md);
        return err;
      },
      nullptr);
}

Napi::Value Consumer::Close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closing_) {
    // lib/consumer.ts closes once; a second call here settles at once rather than never.
    Napi::Promise::Deferred done = Napi::Promise::Deferred::New(env);
    done.Resolve(env.Undefined());
    return done.Promise();
  }
  closing_ = true;
  const int timeout = std::max(1, TimeoutArg(info[0]));
  return PromiseWorker::Start(
      Value(),
      [this, timeout]() {
        Teardown(timeout);
        return RD_KAFKA_RESP_ERR_NO_ERROR;
      },
      [this](Napi::Env e) -> Napi::Value {
        ReleaseJs();
        return e.Undefined();
      });
}

Napi::Value Consumer::DestroySync(const Napi::CallbackInfo& info) {
  closing_ = true;
  Teardown(0, false);
  ReleaseJs();
  return info.Env().Undefined();
}

}  // namespace turbokafka
