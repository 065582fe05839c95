// librdkafka's admin results as the JS values lib/engines/native/admin.ts reads.
#pragma once

#include <librdkafka/rdkafka.h>
#include <napi.h>

namespace turbokafka {

// DescribeTopics, DescribeCluster and ListOffsets came in librdkafka 2.3, IncrementalAlterConfigs
// in 2.2: a source build against an older system librdkafka answers them with _NOT_IMPLEMENTED.
#define TURBOKAFKA_ADMIN_2_2 (RD_KAFKA_VERSION >= 0x02020000)
#define TURBOKAFKA_ADMIN_2_3 (RD_KAFKA_VERSION >= 0x02030000)

// Resolves `deferred` with the result `ev` carries, or rejects it with the request's error.
void SettleAdminResult(Napi::Env env, Napi::Promise::Deferred deferred, rd_kafka_event_t* ev);

}  // namespace turbokafka
