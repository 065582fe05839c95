// The producer's transactions: librdkafka's transactional API, its blocking calls on libuv's pool.
#include <chrono>
#include <memory>
#include <mutex>
#include <shared_mutex>

#include "errors.h"
#include "partitions.h"
#include "producer.h"
#include "promise_worker.h"

namespace turbokafka {

namespace {

using Clock = std::chrono::steady_clock;

rd_kafka_error_t* Closing() { return rd_kafka_error_new(RD_KAFKA_RESP_ERR__DESTROY, "producer is closed"); }

}  // namespace

rd_kafka_error_t* ProducerCore::InitTransactions(int timeout_ms) {
  std::shared_lock<std::shared_mutex> guard(handle_mu_);
  if (destroyed_ || closing_.load()) return Closing();
  return rd_kafka_init_transactions(rk_, timeout_ms);
}

rd_kafka_error_t* ProducerCore::BeginTransaction() {
  std::shared_lock<std::shared_mutex> guard(handle_mu_);
  if (destroyed_ || closing_.load()) return Closing();
  return rd_kafka_begin_transaction(rk_);
}

rd_kafka_error_t* ProducerCore::SendOffsetsToTransaction(const rd_kafka_topic_partition_list_t* offsets,
                                                         const rd_kafka_consumer_group_metadata_t* group,
                                                         int timeout_ms) {
  std::shared_lock<std::shared_mutex> guard(handle_mu_);
  if (destroyed_ || closing_.load()) return Closing();
  return rd_kafka_send_offsets_to_transaction(rk_, offsets, group, timeout_ms);
}

rd_kafka_error_t* ProducerCore::CommitTransaction(int timeout_ms) {
  std::shared_lock<std::shared_mutex> guard(handle_mu_);
  if (destroyed_ || closing_.load()) return Closing();
  // librdkafka flushes its own queue before committing, but not this producer's backlog: deliver
  // everything first (what fails fails the commit), then commit in the time left.
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  if (FlushLocked(timeout_ms, true) > 0) {
    if (closing_.load()) return Closing();  // close() cut the flush short
    return rd_kafka_error_new(RD_KAFKA_RESP_ERR__TIMED_OUT,
                              "messages still undelivered at the commit timeout");
  }
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return rd_kafka_commit_transaction(rk_, static_cast<int>(std::max<int64_t>(1, left)));
}

rd_kafka_error_t* ProducerCore::AbortTransaction(int timeout_ms) {
  std::shared_lock<std::shared_mutex> guard(handle_mu_);
  if (destroyed_ || closing_.load()) return Closing();
  Dispatch d;
  FailBacklog(RD_KAFKA_RESP_ERR__PURGE_QUEUE, &d.settled);
  if (!d.empty()) Deliver(new Dispatch(std::move(d)));
  return rd_kafka_abort_transaction(rk_, timeout_ms);
}

Napi::Value Producer::InitTransactions(const Napi::CallbackInfo& info) {
  ProducerCore* core = core_.get();
  const int timeout = TimeoutArg(info[0]);
  return ErrorWorker::Start(Value(), [core, timeout]() { return core->InitTransactions(timeout); });
}

Napi::Value Producer::BeginTransaction(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closing_) ThrowKafka(env, RD_KAFKA_RESP_ERR__STATE, "producer is closed");
  if (rd_kafka_error_t* e = core_->BeginTransaction()) {
    Napi::Error error = MakeError(env, e);
    rd_kafka_error_destroy(e);
    throw error;
  }
  return env.Undefined();
}

Napi::Value Producer::SendOffsets(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ProducerCore* core = core_.get();
  auto offsets = std::make_shared<PartitionListPtr>(ToPartitionList(env, info[0]));
  Napi::Buffer<uint8_t> bytes = info[1].As<Napi::Buffer<uint8_t>>();
  rd_kafka_consumer_group_metadata_t* group = nullptr;
  if (rd_kafka_error_t* e = rd_kafka_consumer_group_metadata_read(&group, bytes.Data(), bytes.Length())) {
    Napi::Error error = MakeError(env, e);
    rd_kafka_error_destroy(e);
    throw error;
  }
  std::shared_ptr<rd_kafka_consumer_group_metadata_t> owned(group, rd_kafka_consumer_group_metadata_destroy);
  const int timeout = TimeoutArg(info[2]);
  return ErrorWorker::Start(Value(), [core, offsets, owned, timeout]() {
    return core->SendOffsetsToTransaction(offsets->list, owned.get(), timeout);
  });
}

Napi::Value Producer::CommitTransaction(const Napi::CallbackInfo& info) {
  ProducerCore* core = core_.get();
  const int timeout = TimeoutArg(info[0]);
  return ErrorWorker::Start(Value(), [core, timeout]() { return core->CommitTransaction(timeout); });
}

Napi::Value Producer::AbortTransaction(const Napi::CallbackInfo& info) {
  ProducerCore* core = core_.get();
  const int timeout = TimeoutArg(info[0]);
  return ErrorWorker::Start(Value(), [core, timeout]() { return core->AbortTransaction(timeout); });
}

}  // namespace turbokafka
