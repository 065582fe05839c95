// Registers the native classes and functions; each lives in its own file.
#include <librdkafka/rdkafka.h>
#include <napi.h>

#include "consumer.h"
#include "errors.h"
#include "mock_cluster.h"
#include "producer.h"

namespace turbokafka {

Napi::Value LibrdkafkaVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), rd_kafka_version_str());
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Producer", Producer::Define(env));
  exports.Set("Consumer", Consumer::Define(env));
  exports.Set("MockCluster", MockCluster::Define(env));
  exports.Set("errorCodes", Napi::Function::New<ErrorCodes>(env, "errorCodes"));
  exports.Set("librdkafkaVersion", Napi::Function::New<LibrdkafkaVersion>(env, "librdkafkaVersion"));
  return exports;
}

}  // namespace turbokafka

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  return turbokafka::Init(env, exports);
}

NODE_API_MODULE(NODE_GYP_MODULE_NAME, InitAddon)
