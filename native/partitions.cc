#include "partitions.h"

#include <string>

#include "errors.h"

namespace turbokafka {

rd_kafka_topic_partition_list_t* ToPartitionList(Napi::Env env, Napi::Value value) {
  if (!value.IsArray()) throw Napi::TypeError::New(env, "expected an array of topic partitions");
  Napi::Array arr = value.As<Napi::Array>();
  PartitionListPtr list(rd_kafka_topic_partition_list_new(static_cast<int>(arr.Length())));
  for (uint32_t i = 0; i < arr.Length(); i++) {
    Napi::Value v = arr.Get(i);
    if (!v.IsObject()) throw Napi::TypeError::New(env, "topic partition " + std::to_string(i));
    Napi::Object o = v.As<Napi::Object>();
    Napi::Value topic = o.Get("topic");
    Napi::Value partition = o.Get("partition");
    if (!topic.IsString() || !partition.IsNumber())
      throw Napi::TypeError::New(env, "topic partition " + std::to_string(i) + " needs topic and partition");
    rd_kafka_topic_partition_t* tp = rd_kafka_topic_partition_list_add(
        list.list, topic.As<Napi::String>().Utf8Value().c_str(), partition.As<Napi::Number>().Int32Value());
    Napi::Value offset = o.Get("offset");
    tp->offset = offset.IsNumber() ? offset.As<Napi::Number>().Int64Value() : RD_KAFKA_OFFSET_INVALID;
  }
  return list.release();
}

Napi::Array FromPartitionList(Napi::Env env, const rd_kafka_topic_partition_list_t* list) {
  const int n = list ? list->cnt : 0;
  Napi::Array out = Napi::Array::New(env, n);
  for (int i = 0; i < n; i++) {
    const rd_kafka_topic_partition_t& tp = list->elems[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("topic", Napi::String::New(env, tp.topic));
    o.Set("partition", Napi::Number::New(env, tp.partition));
    o.Set("offset", Napi::Number::New(env, static_cast<double>(tp.offset)));
    if (tp.err) o.Set("error", MakeError(env, tp.err, rd_kafka_err2str(tp.err)).Value());
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

}  // namespace turbokafka
