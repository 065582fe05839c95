#include "config.h"

#include <string>

#include "errors.h"

namespace turbokafka {

rd_kafka_conf_t* BuildConf(Napi::Env env, Napi::Object config) {
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  Napi::Array keys = config.GetPropertyNames();
  for (uint32_t i = 0; i < keys.Length(); i++) {
    std::string key = keys.Get(i).ToString().Utf8Value();
    Napi::Value value = config.Get(key);
    if (!value.IsString()) {
      rd_kafka_conf_destroy(conf);
      Napi::Error e =
          MakeError(env, RD_KAFKA_RESP_ERR__INVALID_ARG, "config \"" + key + "\": value must be a string");
      e.Set("key", Napi::String::New(env, key));
      throw e;
    }
    std::string str = value.As<Napi::String>().Utf8Value();
    char errstr[512];
    if (rd_kafka_conf_set(conf, key.c_str(), str.c_str(), errstr, sizeof(errstr)) != RD_KAFKA_CONF_OK) {
      rd_kafka_conf_destroy(conf);
      Napi::Error e = MakeError(env, RD_KAFKA_RESP_ERR__INVALID_ARG, "config \"" + key + "\": " + errstr);
      e.Set("key", Napi::String::New(env, key));
      throw e;
    }
  }
  return conf;
}

}  // namespace turbokafka
