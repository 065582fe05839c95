// Conversions between librdkafka topic-partition lists and JS arrays of
// { topic, partition, offset?, error? }.
#pragma once

#include <librdkafka/rdkafka.h>
#include <napi.h>

namespace turbokafka {

// From [{ topic, partition, offset? }]; offset absent means RD_KAFKA_OFFSET_INVALID. The caller
// owns the result (rd_kafka_topic_partition_list_destroy).
rd_kafka_topic_partition_list_t* ToPartitionList(Napi::Env env, Napi::Value value);

// To [{ topic, partition, offset, error? }]; error is a KafkaError-shaped Error when set.
Napi::Array FromPartitionList(Napi::Env env, const rd_kafka_topic_partition_list_t* list);

// Owns a list for the span of a scope.
struct PartitionListPtr {
  rd_kafka_topic_partition_list_t* list;
  explicit PartitionListPtr(rd_kafka_topic_partition_list_t* l) : list(l) {}
  ~PartitionListPtr() {
    if (list) rd_kafka_topic_partition_list_destroy(list);
  }
  PartitionListPtr(const PartitionListPtr&) = delete;
  PartitionListPtr& operator=(const PartitionListPtr&) = delete;
  rd_kafka_topic_partition_list_t* release() {
    auto* l = list;
    list = nullptr;
    return l;
  }
};

}  // namespace turbokafka
