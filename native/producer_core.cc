#include "producer_core.h"

#include <algorithm>
#include <chrono>

namespace turbokafka {

namespace {

using Clock = std::chrono::steady_clock;

// A zero-length Buffer may report a null data pointer, which librdkafka would read as a null
// (tombstone) value; an empty but non-null value needs a non-null pointer.
const char kEmpty[1] = {0};

// How long Shutdown waits for purged messages to come back as delivery reports.
constexpr int kPurgeWaitMs = 5000;
// Events served per poller round, so one JS call never carries unbounded work.
constexpr size_t kEventsPerRound = 64;
// Messages per rd_kafka_produce_batch call.
constexpr size_t kChunk = 4096;

}  // namespace

const void* NonNullEmpty() { return kEmpty; }

std::unique_ptr<ProducerCore> ProducerCore::Create(rd_kafka_conf_t* conf, std::string* errstr) {
  // Delivery reports, statistics, errors and logs all arrive as events on the main queue, which
  // only our poller thread serves: no librdkafka callback ever runs on the JS thread, and logs
  // reach JS instead of stderr.
  rd_kafka_conf_set_events(
      conf, RD_KAFKA_EVENT_DR | RD_KAFKA_EVENT_STATS | RD_KAFKA_EVENT_ERROR | RD_KAFKA_EVENT_LOG);
  char buf[512];
  if (rd_kafka_conf_set(conf, "log.queue", "true", buf, sizeof(buf)) != RD_KAFKA_CONF_OK) {
    *errstr = buf;
    return nullptr;
  }
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, buf, sizeof(buf));
  if (rk == nullptr) {
    *errstr = buf;
    return nullptr;
  }
  rd_kafka_set_log_queue(rk, nullptr);  // nullptr: the main queue
  return std::unique_ptr<ProducerCore>(new ProducerCore(rk));
}

ProducerCore::ProducerCore(rd_kafka_t* rk) : rk_(rk), main_queue_(rd_kafka_queue_get_main(rk)) {}

ProducerCore::~ProducerCore() { Shutdown(0); }

void ProducerCore::Start(Sink sink) {
  sink_ = std::move(sink);
  poller_ = std::thread([this] { PollLoop(); });
}

rd_kafka_topic_t* ProducerCore::Topic(const std::string& name) {
  auto it = topics_.find(name);
  if (it != topics_.end()) return it->second;
  // Topic-level properties given in the global config are librdkafka's defaults for every topic.
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk_, name.c_str(), nullptr);
  if (rkt != nullptr) topics_.emplace(name, rkt);
  return rkt;
}

void ProducerCore::Submit(Batch* b, std::vector<Batch*>* settled) {
  produced_.fetch_add(b->msgs.size(), std::memory_order_relaxed);
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    live_.insert(b);
  }
  std::lock_guard<std::mutex> lock(enqueue_mu_);
  if (backlog_.empty() && EnqueueLocked(b, settled)) return;
  backlog_.push_back(b);
  backlog_waiting_.store(true, std::memory_order_release);
}

bool ProducerCore::EnqueueLocked(Batch* b, std::vector<Batch*>* settled) {
  return b->extended ? EnqueueEachLocked(b, settled) : EnqueueChunksLocked(b, settled);
}

bool ProducerCore::NeverFits() { return rd_kafka_outq_len(rk_) == 0; }

bool ProducerCore::EnqueueChunksLocked(Batch* b, std::vector<Batch*>* settled) {
  // rd_kafka_produce_batch takes librdkafka's locks once per call instead of once per message.
  // Each call covers a run of messages for one partition (or all for the partitioner): with a
  // per-message partition that does not exist, produce_batch skips the message it already
  // created without destroying it, so its queue slot is never given back (still so in
  // librdkafka 2.15.1, rdkafka_msg.c), while a call for a single partition that does not exist
  // fails every message before creating any.
  const size_t n = b->msgs.size();
  while (b->next < n) {
    size_t end = b->next + 1;
    const int32_t partition = b->msgs[b->next].partition;
    while (end < n && end - b->next < kChunk && b->msgs[end].partition == partition) end++;
    size_t accepted = 0;
    const bool all = EnqueueRunLocked(b, b->next, end - b->next, settled, &accepted);
    b->next += accepted;
    if (!all) {
      // The queue is full. If it is also empty, this message is larger than
      // queue.buffering.max.kbytes and would wait forever: fail it and go on.
      if (!NeverFits()) return false;
      failed_.fetch_add(1, std::memory_order_relaxed);
      Finalize(&b->msgs[b->next], RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE, settled);
      b->next++;
    }
  }
  return true;
}

bool ProducerCore::EnqueueRunLocked(Batch* b, size_t from, size_t count, std::vector<Batch*>* settled,
                                    size_t* accepted) {
  if (scratch_.size() < count) scratch_.resize(std::max(count, kChunk));
  for (size_t i = 0; i < count; i++) {
    const Msg& m = b->msgs[from + i];
    rd_kafka_message_t& rm = scratch_[i];
    rm.err = RD_KAFKA_RESP_ERR_NO_ERROR;
    rm.payload = const_cast<void*>(m.value);
    rm.len = m.value_len;
    rm.key = const_cast<void*>(m.key);
    rm.key_len = m.key_len;
    rm._private = const_cast<Msg*>(&m);
  }
  // Flags 0: neither COPY nor FREE. librdkafka reads the payloads in place until their reports.
  rd_kafka_produce_batch(b->rkt, b->msgs[from].partition, 0, scratch_.data(), static_cast<int>(count));
  // Once a message meets a full queue, librdkafka fails every later one of the call with
  // _QUEUE_FULL too, so what it enqueued is a prefix and order is kept: the rest is retried from
  // the first refused message.
  for (size_t i = 0; i < count; i++) {
    const rd_kafka_resp_err_t err = scratch_[i].err;
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      *accepted = i;
      return false;
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      Finalize(&b->msgs[from + i], err, settled);
    }
  }
  *accepted = count;
  return true;
}

bool ProducerCore::EnqueueEachLocked(Batch* b, std::vector<Batch*>* settled) {
  // Headers and explicit timestamps need rd_kafka_produceva, one message at a time.
  const size_t n = b->msgs.size();
  for (; b->next < n; b->next++) {
    Msg& m = b->msgs[b->next];
    MsgExtra& x = b->extra[b->next];
    rd_kafka_vu_t vu[7];
    size_t c = 0;
    vu[c].vtype = RD_KAFKA_VTYPE_RKT;
    vu[c++].u.rkt = b->rkt;
    vu[c].vtype = RD_KAFKA_VTYPE_PARTITION;
    vu[c++].u.i32 = m.partition;
    vu[c].vtype = RD_KAFKA_VTYPE_VALUE;
    vu[c].u.mem.ptr = const_cast<void*>(m.value);
    vu[c++].u.mem.size = m.value_len;
    vu[c].vtype = RD_KAFKA_VTYPE_KEY;
    vu[c].u.mem.ptr = const_cast<void*>(m.key);
    vu[c++].u.mem.size = m.key_len;
    vu[c].vtype = RD_KAFKA_VTYPE_OPAQUE;
    vu[c++].u.ptr = &m;
    if (x.timestamp != 0) {
      vu[c].vtype = RD_KAFKA_VTYPE_TIMESTAMP;
      vu[c++].u.i64 = x.timestamp;
    }
    if (x.headers != nullptr) {
      vu[c].vtype = RD_KAFKA_VTYPE_HEADERS;
      vu[c++].u.headers = x.headers;
    }
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR_NO_ERROR;
    rd_kafka_error_t* error = rd_kafka_produceva(rk_, vu, c);
    if (error == nullptr) {
      x.headers = nullptr;  // the message owns them now
    } else {
      err = rd_kafka_error_code(error);
      rd_kafka_error_destroy(error);
    }
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      if (!NeverFits()) return false;
      err = RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE;  // larger than queue.buffering.max.kbytes
    }
    if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      Finalize(&m, err, settled);
    }
  }
  return true;
}

void ProducerCore::Finalize(Msg* m, rd_kafka_resp_err_t err, std::vector<Batch*>* settled) {
  m->err = err;
  Batch* b = m->batch;
  if (b->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    {
      std::lock_guard<std::mutex> lock(live_mu_);
      live_.erase(b);
    }
    settled->push_back(b);
  }
}

void ProducerCore::DrainBacklog(Dispatch* d) {
  if (!backlog_waiting_.load(std::memory_order_acquire)) return;
  std::lock_guard<std::mutex> lock(enqueue_mu_);
  while (!backlog_.empty()) {
    if (!EnqueueLocked(backlog_.front(), &d->settled)) return;
    backlog_.pop_front();
  }
  backlog_waiting_.store(false, std::memory_order_release);
}

void ProducerCore::FailBacklog(rd_kafka_resp_err_t err, std::vector<Batch*>* settled) {
  std::lock_guard<std::mutex> lock(enqueue_mu_);
  for (Batch* b : backlog_) {
    for (; b->next < b->msgs.size(); b->next++) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      Finalize(&b->msgs[b->next], err, settled);
    }
  }
  backlog_.clear();
  backlog_waiting_.store(false, std::memory_order_release);
}

void ProducerCore::PollLoop() {
  while (!stop_.load(std::memory_order_acquire)) {
    Dispatch d;
    // While batches wait for room, poll briefly so the backlog moves as soon as reports free it.
    ServeRound(backlog_waiting_.load(std::memory_order_acquire) ? 5 : 100, kEventsPerRound, &d);
    DrainBacklog(&d);
    if (!d.empty()) Deliver(new Dispatch(std::move(d)));
  }
}

void ProducerCore::ServeRound(int timeout_ms, size_t max_events, Dispatch* d) {
  size_t served = 0;
  rd_kafka_event_t* ev = rd_kafka_queue_poll(main_queue_, timeout_ms);
  while (ev != nullptr) {
    HandleEvent(ev, d);
    rd_kafka_event_destroy(ev);  // frees the messages, and with them room in librdkafka's queue
    if (++served >= max_events) break;
    ev = rd_kafka_queue_poll(main_queue_, 0);
  }
  if (served > 0) {
    std::lock_guard<std::mutex> lock(settle_mu_);
    settle_cv_.notify_all();
  }
}

void ProducerCore::HandleEvent(rd_kafka_event_t* ev, Dispatch* d) {
  switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_DR: {
      uint64_t ok = 0, bad = 0, bytes = 0;
      const rd_kafka_message_t* rkm;
      while ((rkm = rd_kafka_event_message_next(ev)) != nullptr) {
        Msg* m = static_cast<Msg*>(rkm->_private);
        if (m == nullptr) continue;
        Batch* b = m->batch;
        if (!b->offsets.empty()) {
          // A report comes only for an enqueued message: its requested partition is no longer read.
          m->partition = rkm->partition;
          if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR && rkm->offset >= 0)
            b->offsets[static_cast<size_t>(m - b->msgs.data())] = rkm->offset;
        }
        if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          ok++;
          bytes += rkm->len;
        } else {
          bad++;
        }
        Finalize(m, rkm->err, &d->settled);
      }
      bytes_delivered_.fetch_add(bytes, std::memory_order_relaxed);
      delivered_.fetch_add(ok, std::memory_order_relaxed);
      failed_.fetch_add(bad, std::memory_order_release);
      break;
    }
    case RD_KAFKA_EVENT_STATS:
      d->stats.emplace_back(rd_kafka_event_stats(ev));
      break;
    case RD_KAFKA_EVENT_ERROR: {
      Dispatch::ClientError e{rd_kafka_event_error(ev), rd_kafka_event_error_string(ev),
                              rd_kafka_event_error_is_fatal(ev) != 0};
      if (e.fatal) {
        // The event only says "_FATAL"; the underlying cause is kept by the handle.
        char buf[512];
        e.err = rd_kafka_fatal_error(rk_, buf, sizeof(buf));
        e.message = buf;
      }
      d->errors.push_back(std::move(e));
      break;
    }
    case RD_KAFKA_EVENT_LOG: {
      const char* fac = nullptr;
      const char* str = nullptr;
      int level = 0;
      if (rd_kafka_event_log(ev, &fac, &str, &level) == 0)
        d->logs.push_back({level, fac ? fac : "", str ? str : ""});
      break;
    }
    default:
      break;
  }
}

void ProducerCore::Deliver(Dispatch* d) {
  if (sink_ && sink_(d)) return;
  // JS is gone (environment teardown): nobody can be told, so just free the batches.
  for (Batch* b : d->settled) delete b;
  delete d;
}

uint64_t ProducerCore::Unsettled() const {
  uint64_t done = failed_.load(std::memory_order_acquire) + delivered_.load(std::memory_order_acquire);
  uint64_t produced = produced_.load(std::memory_order_acquire);
  return produced > done ? produced - done : 0;
}

ProducerCounters ProducerCore::Counters() const {
  ProducerCounters c;
  c.delivered = delivered_.load(std::memory_order_relaxed);
  c.failed = failed_.load(std::memory_order_relaxed);
  c.bytes_delivered = bytes_delivered_.load(std::memory_order_relaxed);
  c.produced = produced_.load(std::memory_order_relaxed);
  c.backlog = 0;
  {
    std::lock_guard<std::mutex> lock(enqueue_mu_);
    for (const Batch* b : backlog_) c.backlog += b->msgs.size() - b->next;
  }
  return c;
}

rd_kafka_resp_err_t ProducerCore::Ping(int timeout_ms) {
  std::shared_lock<std::shared_mutex> guard(handle_mu_);
  if (destroyed_ || closing_.load()) return RD_KAFKA_RESP_ERR__DESTROY;
  // In slices, so that a close waiting for handle_mu_ waits at most one slice.
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  rd_kafka_resp_err_t err;
  do {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    const int slice = static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(left.count(), 500)));
    const rd_kafka_metadata_t* md = nullptr;
    err = rd_kafka_metadata(rk_, 0, nullptr, &md, slice);
    if (md != nullptr) rd_kafka_metadata_destroy(md);
  } while (err == RD_KAFKA_RESP_ERR__TIMED_OUT && !closing_.load() && Clock::now() < deadline);
  return err;
}

uint64_t ProducerCore::Flush(int timeout_ms) {
  std::shared_lock<std::shared_mutex> guard(handle_mu_);
  if (destroyed_) return Unsettled();
  return FlushLocked(timeout_ms, true);
}

uint64_t ProducerCore::FlushLocked(int timeout_ms, bool yield_to_close) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (Unsettled() > 0 && !(yield_to_close && closing_.load())) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) break;
    // rd_kafka_flush() ignores linger.ms while it runs and returns once librdkafka's own queue is
    // empty; messages still in our backlog need the poller to enqueue them, hence the loop.
    rd_kafka_flush(rk_, static_cast<int>(std::min<int64_t>(left.count(), 100)));
    std::unique_lock<std::mutex> lock(settle_mu_);
    settle_cv_.wait_for(lock, std::min(left, std::chrono::milliseconds(10)),
                        [this] { return Unsettled() == 0; });
  }
  return Unsettled();
}

void ProducerCore::Shutdown(int flush_timeout_ms) {
  closing_.store(true);
  {
    std::lock_guard<std::mutex> lock(settle_mu_);
    settle_cv_.notify_all();  // a flush waiting on another thread gives way
  }
  std::unique_lock<std::shared_mutex> guard(handle_mu_);
  if (destroyed_) return;
  if (flush_timeout_ms > 0) FlushLocked(flush_timeout_ms, false);
  const bool polling = poller_.joinable();
  if (Unsettled() > 0) {
    Dispatch d;
    FailBacklog(RD_KAFKA_RESP_ERR__PURGE_QUEUE, &d.settled);
    if (!d.empty()) Deliver(new Dispatch(std::move(d)));
    // Purged messages come back as delivery reports with _PURGE_QUEUE/_PURGE_INFLIGHT.
    rd_kafka_purge(rk_, RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    if (polling) {
      std::unique_lock<std::mutex> lock(settle_mu_);
      settle_cv_.wait_for(lock, std::chrono::milliseconds(kPurgeWaitMs), [this] { return Unsettled() == 0; });
    }
  }
  stop_.store(true, std::memory_order_release);
  if (polling) poller_.join();

  // Serve whatever the poller left in the queue, then close the handle.
  for (;;) {
    Dispatch d;
    ServeRound(0, kEventsPerRound, &d);
    if (d.empty()) break;
    Deliver(new Dispatch(std::move(d)));
  }
  for (auto& t : topics_) rd_kafka_topic_destroy(t.second);
  topics_.clear();
  rd_kafka_queue_destroy(main_queue_);
  main_queue_ = nullptr;
  rd_kafka_destroy(rk_);
  rk_ = nullptr;
  destroyed_ = true;

  // A message librdkafka never reported on can no longer be: fail it explicitly so that every
  // accepted message ends delivered or failed.
  Dispatch d;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    for (Batch* b : live_) {
      for (Msg& m : b->msgs) {
        if (m.err != kPending) continue;
        m.err = RD_KAFKA_RESP_ERR__DESTROY;
        failed_.fetch_add(1, std::memory_order_relaxed);
      }
      b->remaining.store(0, std::memory_order_release);
      d.settled.push_back(b);
    }
    live_.clear();
  }
  if (!d.empty()) Deliver(new Dispatch(std::move(d)));
}

}  // namespace turbokafka
