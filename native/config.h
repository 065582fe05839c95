// Building librdkafka configuration objects from the plain objects the TypeScript layer passes.
#pragma once

#include <librdkafka/rdkafka.h>
#include <napi.h>

namespace turbokafka {

// Builds an rd_kafka_conf_t from `config`, whose values lib/config.ts has already turned into
// strings. Throws a KafkaError-shaped error (code _INVALID_ARG, property `key`) naming the first
// key librdkafka rejects. The caller owns the result until rd_kafka_new() takes it.
rd_kafka_conf_t* BuildConf(Napi::Env env, Napi::Object config);

}  // namespace turbokafka
