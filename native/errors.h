// Translation of librdkafka error codes into values the TypeScript layer turns into KafkaError.
#pragma once

#include <librdkafka/rdkafka.h>
#include <napi.h>

#include <string>

namespace turbokafka {

// Whether retrying the same operation may succeed. librdkafka only classifies errors that come as
// rd_kafka_error_t; per-message delivery errors are plain codes, so the Kafka protocol's own
// classification (and librdkafka's transient local errors) is kept here.
bool IsRetriable(rd_kafka_resp_err_t err);

// A JS Error whose `code` is librdkafka's name for `err` (e.g. "MSG_SIZE_TOO_LARGE", "_QUEUE_FULL"),
// with `errno`, `retriable` and `fatal`. lib/errors.ts rewraps it as KafkaError.
Napi::Error MakeError(Napi::Env env, rd_kafka_resp_err_t err, const std::string& message, bool fatal = false);

// The same for an rd_kafka_error_t (transactions), which also says whether the transaction must
// be aborted (`abortable`) and whether the producer is unusable (`fatal`).
Napi::Error MakeError(Napi::Env env, const rd_kafka_error_t* error);

// Throws MakeError(...) as a C++ exception (node-addon-api converts it into a JS throw).
[[noreturn]] void ThrowKafka(Napi::Env env, rd_kafka_resp_err_t err, const std::string& message);

// JS: errorCodes() -> Array<[errno, name, description, retriable]> for every code librdkafka knows.
Napi::Value ErrorCodes(const Napi::CallbackInfo& info);

}  // namespace turbokafka
