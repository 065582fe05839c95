// Registers the native classes and functions; each lives in its own file.
#include <librdkafka/rdkafka.h>
#include <napi.h>

#include "admin.h"
#include "consumer.h"
#include "errors.h"
#include "layout.h"
#include "mock_cluster.h"
#include "producer.h"

namespace turbokafka {

#ifndef TURBOKAFKA_FINGERPRINT
#define TURBOKAFKA_FINGERPRINT unknown
#endif
#define TURBOKAFKA_STRINGIFY2(x) #x
#define TURBOKAFKA_STRINGIFY(x) TURBOKAFKA_STRINGIFY2(x)

Napi::Value LibrdkafkaVersion(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), rd_kafka_version_str());
}

// JS: buildInfo() -> { fingerprint, linkage, librdkafka, features }. The fingerprint is
// scripts/fingerprint.js's digest of the sources and build files this binary was made from.
Napi::Value BuildInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("fingerprint", TURBOKAFKA_STRINGIFY(TURBOKAFKA_FINGERPRINT));
#ifdef TURBOKAFKA_STATIC
  out.Set("linkage", "static");
#else
  out.Set("linkage", "dynamic");
#endif
  out.Set("librdkafka", rd_kafka_version_str());
  char features[512] = "";
  size_t size = sizeof(features);
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  if (rd_kafka_conf_get(conf, "builtin.features", features, &size) != RD_KAFKA_CONF_OK) features[0] = '\0';
  rd_kafka_conf_destroy(conf);
  out.Set("features", features);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("Producer", Producer::Define(env));
  exports.Set("Consumer", Consumer::Define(env));
  exports.Set("Admin", Admin::Define(env));
  exports.Set("MockCluster", MockCluster::Define(env));
  exports.Set("errorCodes", Napi::Function::New<ErrorCodes>(env, "errorCodes"));
  exports.Set("librdkafkaVersion", Napi::Function::New<LibrdkafkaVersion>(env, "librdkafkaVersion"));
  exports.Set("buildInfo", Napi::Function::New<BuildInfo>(env, "buildInfo"));
  exports.Set("layouts", Napi::Function::New<Layouts>(env, "layouts"));
  return exports;
}

}  // namespace turbokafka

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) { return turbokafka::Init(env, exports); }

NODE_API_MODULE(NODE_GYP_MODULE_NAME, InitAddon)
