#include "errors.h"

namespace turbokafka {

bool IsRetriable(rd_kafka_resp_err_t err) {
  switch (err) {
    // Local, transient conditions.
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT_QUEUE:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR__WAIT_COORD:
    case RD_KAFKA_RESP_ERR__PARTITION_EOF:
    case RD_KAFKA_RESP_ERR__RESOLVE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    // Broker errors the Kafka protocol marks retriable.
    case RD_KAFKA_RESP_ERR_INVALID_MSG:  // CORRUPT_MESSAGE in the protocol
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REPLICA_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NETWORK_EXCEPTION:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS_AFTER_APPEND:
    case RD_KAFKA_RESP_ERR_NOT_CONTROLLER:
    case RD_KAFKA_RESP_ERR_KAFKA_STORAGE_ERROR:
    case RD_KAFKA_RESP_ERR_FETCH_SESSION_ID_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_INVALID_FETCH_SESSION_EPOCH:
    case RD_KAFKA_RESP_ERR_LISTENER_NOT_FOUND:
    case RD_KAFKA_RESP_ERR_FENCED_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_UNKNOWN_LEADER_EPOCH:
    case RD_KAFKA_RESP_ERR_OFFSET_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_PREFERRED_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_ELIGIBLE_LEADERS_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_CONCURRENT_TRANSACTIONS:
    case RD_KAFKA_RESP_ERR_THROTTLING_QUOTA_EXCEEDED:
      return true;
    default:
      return false;
  }
}

Napi::Error MakeError(Napi::Env env, rd_kafka_resp_err_t err, const std::string& message, bool fatal) {
  Napi::Error e = Napi::Error::New(env, message.empty() ? rd_kafka_err2str(err) : message);
  e.Set("code", Napi::String::New(env, rd_kafka_err2name(err)));
  e.Set("errno", Napi::Number::New(env, static_cast<double>(err)));
  e.Set("retriable", Napi::Boolean::New(env, IsRetriable(err)));
  e.Set("fatal", Napi::Boolean::New(env, fatal));
  return e;
}

Napi::Error MakeError(Napi::Env env, const rd_kafka_error_t* error) {
  const rd_kafka_resp_err_t err = rd_kafka_error_code(error);
  Napi::Error e = MakeError(env, err, rd_kafka_error_string(error), rd_kafka_error_is_fatal(error) != 0);
  // A timeout of this client's own making (rd_kafka_error_new) carries no flags: it is retriable.
  const bool retriable = rd_kafka_error_is_retriable(error) != 0 || err == RD_KAFKA_RESP_ERR__TIMED_OUT;
  e.Set("retriable", Napi::Boolean::New(env, retriable));
  e.Set("abortable", Napi::Boolean::New(env, rd_kafka_error_txn_requires_abort(error) != 0));
  return e;
}

void ThrowKafka(Napi::Env env, rd_kafka_resp_err_t err, const std::string& message) {
  throw MakeError(env, err, message);
}

Napi::Value ErrorCodes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const struct rd_kafka_err_desc* descs = nullptr;
  size_t count = 0;
  rd_kafka_get_err_descs(&descs, &count);
  Napi::Array out = Napi::Array::New(env);
  uint32_t n = 0;
  for (size_t i = 0; i < count; i++) {
    if (descs[i].name == nullptr) continue;  // the table has holes between code ranges
    Napi::Array row = Napi::Array::New(env, 4);
    row.Set(0u, Napi::Number::New(env, descs[i].code));
    row.Set(1u, Napi::String::New(env, rd_kafka_err2name(descs[i].code)));
    row.Set(2u, Napi::String::New(env, descs[i].desc ? descs[i].desc : ""));
    row.Set(3u, Napi::Boolean::New(env, IsRetriable(descs[i].code)));
    out.Set(n++, row);
  }
  return out;
}

}  // namespace turbokafka
