#include "admin_results.h"

#include "errors.h"
#include "partitions.h"

namespace turbokafka {

namespace {

Napi::Value ErrorOf(Napi::Env env, const rd_kafka_error_t* e) {
  return MakeError(env, rd_kafka_error_code(e), rd_kafka_error_string(e)).Value();
}

Napi::Value String(Napi::Env env, const char* s) {
  return s == nullptr ? env.Null() : Napi::String::New(env, s);
}

// A broker: { id, host, port }, or null.
Napi::Value Node(Napi::Env env, const rd_kafka_Node_t* node) {
  if (node == nullptr) return env.Null();
  Napi::Object o = Napi::Object::New(env);
  o.Set("id", rd_kafka_Node_id(node));
  o.Set("host", String(env, rd_kafka_Node_host(node)));
  o.Set("port", static_cast<double>(rd_kafka_Node_port(node)));
  return o;
}

// [{ topic, error? }] for topic creation, deletion and partition creation.
Napi::Value TopicResults(Napi::Env env, const rd_kafka_topic_result_t** results, size_t n) {
  Napi::Array out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("topic", rd_kafka_topic_result_name(results[i]));
    if (rd_kafka_resp_err_t err = rd_kafka_topic_result_error(results[i]))
      o.Set("error", MakeError(env, err, rd_kafka_topic_result_error_string(results[i])).Value());
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

// [{ groupId, error?, partitions }] for group deletion and the group offset requests.
Napi::Value GroupResults(Napi::Env env, const rd_kafka_group_result_t** results, size_t n) {
  Napi::Array out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("groupId", rd_kafka_group_result_name(results[i]));
    if (const rd_kafka_error_t* e = rd_kafka_group_result_error(results[i])) o.Set("error", ErrorOf(env, e));
    o.Set("partitions", FromPartitionList(env, rd_kafka_group_result_partitions(results[i])));
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

// [{ groupId, simple, state }] plus the brokers that could not answer, as errors.
Napi::Value GroupListings(Napi::Env env, const rd_kafka_ListConsumerGroups_result_t* result) {
  size_t n = 0;
  const rd_kafka_ConsumerGroupListing_t** valid = rd_kafka_ListConsumerGroups_result_valid(result, &n);
  Napi::Array groups = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    Napi::Object o = Napi::Object::New(env);
    o.Set("groupId", rd_kafka_ConsumerGroupListing_group_id(valid[i]));
    o.Set("simple", rd_kafka_ConsumerGroupListing_is_simple_consumer_group(valid[i]) != 0);
    o.Set("state", rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupListing_state(valid[i])));
    groups.Set(static_cast<uint32_t>(i), o);
  }
  const rd_kafka_error_t** errs = rd_kafka_ListConsumerGroups_result_errors(result, &n);
  Napi::Array errors = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) errors.Set(static_cast<uint32_t>(i), ErrorOf(env, errs[i]));
  Napi::Object out = Napi::Object::New(env);
  out.Set("groups", groups);
  out.Set("errors", errors);
  return out;
}

Napi::Value Member(Napi::Env env, const rd_kafka_MemberDescription_t* m) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("memberId", String(env, rd_kafka_MemberDescription_consumer_id(m)));
  o.Set("clientId", String(env, rd_kafka_MemberDescription_client_id(m)));
  o.Set("host", String(env, rd_kafka_MemberDescription_host(m)));
  o.Set("groupInstanceId", String(env, rd_kafka_MemberDescription_group_instance_id(m)));
  const rd_kafka_MemberAssignment_t* a = rd_kafka_MemberDescription_assignment(m);
  o.Set("assignment", FromPartitionList(env, a ? rd_kafka_MemberAssignment_partitions(a) : nullptr));
  return o;
}

Napi::Value GroupDescriptions(Napi::Env env, const rd_kafka_DescribeConsumerGroups_result_t* result) {
  size_t n = 0;
  const rd_kafka_ConsumerGroupDescription_t** groups =
      rd_kafka_DescribeConsumerGroups_result_groups(result, &n);
  Napi::Array out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    const rd_kafka_ConsumerGroupDescription_t* g = groups[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("groupId", rd_kafka_ConsumerGroupDescription_group_id(g));
    if (const rd_kafka_error_t* e = rd_kafka_ConsumerGroupDescription_error(g))
      o.Set("error", ErrorOf(env, e));
    o.Set("simple", rd_kafka_ConsumerGroupDescription_is_simple_consumer_group(g) != 0);
    o.Set("protocol", String(env, rd_kafka_ConsumerGroupDescription_partition_assignor(g)));
    o.Set("state", rd_kafka_consumer_group_state_name(rd_kafka_ConsumerGroupDescription_state(g)));
    o.Set("coordinator", Node(env, rd_kafka_ConsumerGroupDescription_coordinator(g)));
    const size_t count = rd_kafka_ConsumerGroupDescription_member_count(g);
    Napi::Array members = Napi::Array::New(env, count);
    for (size_t j = 0; j < count; j++)
      members.Set(static_cast<uint32_t>(j), Member(env, rd_kafka_ConsumerGroupDescription_member(g, j)));
    o.Set("members", members);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Value ConfigEntry(Napi::Env env, const rd_kafka_ConfigEntry_t* e, bool with_synonyms) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("name", rd_kafka_ConfigEntry_name(e));
  // librdkafka gives no value for a sensitive entry (a password): none is ever passed on.
  o.Set("value",
        rd_kafka_ConfigEntry_is_sensitive(e) ? env.Null() : String(env, rd_kafka_ConfigEntry_value(e)));
  o.Set("source", rd_kafka_ConfigSource_name(rd_kafka_ConfigEntry_source(e)));
  o.Set("readOnly", rd_kafka_ConfigEntry_is_read_only(e) != 0);
  o.Set("isDefault", rd_kafka_ConfigEntry_is_default(e) != 0);
  o.Set("sensitive", rd_kafka_ConfigEntry_is_sensitive(e) != 0);
  if (!with_synonyms) return o;
  size_t n = 0;
  const rd_kafka_ConfigEntry_t** synonyms = rd_kafka_ConfigEntry_synonyms(e, &n);
  Napi::Array list = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) list.Set(static_cast<uint32_t>(i), ConfigEntry(env, synonyms[i], false));
  o.Set("synonyms", list);
  return o;
}

// [{ type, name, error?, entries }] (entries empty for an alteration).
Napi::Value ConfigResources(Napi::Env env, const rd_kafka_ConfigResource_t** resources, size_t n) {
  Napi::Array out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    const rd_kafka_ConfigResource_t* r = resources[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("type", static_cast<double>(rd_kafka_ConfigResource_type(r)));
    o.Set("name", rd_kafka_ConfigResource_name(r));
    if (rd_kafka_resp_err_t err = rd_kafka_ConfigResource_error(r))
      o.Set("error", MakeError(env, err, rd_kafka_ConfigResource_error_string(r) ?: "").Value());
    size_t count = 0;
    const rd_kafka_ConfigEntry_t** entries = rd_kafka_ConfigResource_configs(r, &count);
    Napi::Array list = Napi::Array::New(env, count);
    for (size_t j = 0; j < count; j++) list.Set(static_cast<uint32_t>(j), ConfigEntry(env, entries[j], true));
    o.Set("entries", list);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

// The group offset requests (list, alter, delete) all answer with group results.
Napi::Value GroupOffsetResults(Napi::Env env, rd_kafka_event_t* ev) {
  size_t n = 0;
  const rd_kafka_group_result_t** list = nullptr;
  if (auto* listed = rd_kafka_event_ListConsumerGroupOffsets_result(ev))
    list = rd_kafka_ListConsumerGroupOffsets_result_groups(listed, &n);
  else if (auto* altered = rd_kafka_event_AlterConsumerGroupOffsets_result(ev))
    list = rd_kafka_AlterConsumerGroupOffsets_result_groups(altered, &n);
  else if (auto* deleted = rd_kafka_event_DeleteConsumerGroupOffsets_result(ev))
    list = rd_kafka_DeleteConsumerGroupOffsets_result_groups(deleted, &n);
  return GroupResults(env, list, n);
}

#if TURBOKAFKA_ADMIN_2_3
Napi::Value TopicDescriptions(Napi::Env env, const rd_kafka_DescribeTopics_result_t* result);
Napi::Value Cluster(Napi::Env env, const rd_kafka_DescribeCluster_result_t* result);
Napi::Value OffsetInfos(Napi::Env env, const rd_kafka_ListOffsets_result_t* result);
#endif

// The result `ev` carries (its request-level error already checked). Each list is read into a
// variable first: `n` is set by the call that returns it.
Napi::Value Convert(Napi::Env env, rd_kafka_event_t* ev) {
  size_t n = 0;
  switch (rd_kafka_event_type(ev)) {
    case RD_KAFKA_EVENT_CREATETOPICS_RESULT: {
      auto list = rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
      return TopicResults(env, list, n);
    }
    case RD_KAFKA_EVENT_DELETETOPICS_RESULT: {
      auto list = rd_kafka_DeleteTopics_result_topics(rd_kafka_event_DeleteTopics_result(ev), &n);
      return TopicResults(env, list, n);
    }
    case RD_KAFKA_EVENT_CREATEPARTITIONS_RESULT: {
      auto list = rd_kafka_CreatePartitions_result_topics(rd_kafka_event_CreatePartitions_result(ev), &n);
      return TopicResults(env, list, n);
    }
    case RD_KAFKA_EVENT_LISTCONSUMERGROUPS_RESULT:
      return GroupListings(env, rd_kafka_event_ListConsumerGroups_result(ev));
    case RD_KAFKA_EVENT_DESCRIBECONSUMERGROUPS_RESULT:
      return GroupDescriptions(env, rd_kafka_event_DescribeConsumerGroups_result(ev));
    case RD_KAFKA_EVENT_DELETEGROUPS_RESULT: {
      auto list = rd_kafka_DeleteGroups_result_groups(rd_kafka_event_DeleteGroups_result(ev), &n);
      return GroupResults(env, list, n);
    }
    case RD_KAFKA_EVENT_LISTCONSUMERGROUPOFFSETS_RESULT:
    case RD_KAFKA_EVENT_ALTERCONSUMERGROUPOFFSETS_RESULT:
    case RD_KAFKA_EVENT_DELETECONSUMERGROUPOFFSETS_RESULT:
      return GroupOffsetResults(env, ev);
    case RD_KAFKA_EVENT_DELETERECORDS_RESULT:
      return FromPartitionList(
          env, rd_kafka_DeleteRecords_result_offsets(rd_kafka_event_DeleteRecords_result(ev)));
    case RD_KAFKA_EVENT_DESCRIBECONFIGS_RESULT: {
      auto list = rd_kafka_DescribeConfigs_result_resources(rd_kafka_event_DescribeConfigs_result(ev), &n);
      return ConfigResources(env, list, n);
    }
#if TURBOKAFKA_ADMIN_2_2
    case RD_KAFKA_EVENT_INCREMENTALALTERCONFIGS_RESULT: {
      auto* r = rd_kafka_event_IncrementalAlterConfigs_result(ev);
      auto list = rd_kafka_IncrementalAlterConfigs_result_resources(r, &n);
      return ConfigResources(env, list, n);
    }
#endif
#if TURBOKAFKA_ADMIN_2_3
    case RD_KAFKA_EVENT_DESCRIBETOPICS_RESULT:
      return TopicDescriptions(env, rd_kafka_event_DescribeTopics_result(ev));
    case RD_KAFKA_EVENT_DESCRIBECLUSTER_RESULT:
      return Cluster(env, rd_kafka_event_DescribeCluster_result(ev));
    case RD_KAFKA_EVENT_LISTOFFSETS_RESULT:
      return OffsetInfos(env, rd_kafka_event_ListOffsets_result(ev));
#endif
    default:
      return env.Undefined();
  }
}

#if TURBOKAFKA_ADMIN_2_3
Napi::Array Nodes(Napi::Env env, const rd_kafka_Node_t** nodes, size_t n) {
  Napi::Array out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) out.Set(static_cast<uint32_t>(i), Node(env, nodes[i]));
  return out;
}

Napi::Value PartitionInfo(Napi::Env env, const rd_kafka_TopicPartitionInfo_t* p) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("partition", rd_kafka_TopicPartitionInfo_partition(p));
  const rd_kafka_Node_t* leader = rd_kafka_TopicPartitionInfo_leader(p);
  o.Set("leader", leader ? rd_kafka_Node_id(leader) : -1);
  size_t n = 0;
  const rd_kafka_Node_t** replicas = rd_kafka_TopicPartitionInfo_replicas(p, &n);
  Napi::Array ids = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) ids.Set(static_cast<uint32_t>(i), rd_kafka_Node_id(replicas[i]));
  o.Set("replicas", ids);
  const rd_kafka_Node_t** isr = rd_kafka_TopicPartitionInfo_isr(p, &n);
  Napi::Array in_sync = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) in_sync.Set(static_cast<uint32_t>(i), rd_kafka_Node_id(isr[i]));
  o.Set("isr", in_sync);
  return o;
}

Napi::Value TopicDescriptions(Napi::Env env, const rd_kafka_DescribeTopics_result_t* result) {
  size_t n = 0;
  const rd_kafka_TopicDescription_t** topics = rd_kafka_DescribeTopics_result_topics(result, &n);
  Napi::Array out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    const rd_kafka_TopicDescription_t* t = topics[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("topic", rd_kafka_TopicDescription_name(t));
    const rd_kafka_error_t* e = rd_kafka_TopicDescription_error(t);
    if (e != nullptr && rd_kafka_error_code(e)) o.Set("error", ErrorOf(env, e));
    const rd_kafka_Uuid_t* id = rd_kafka_TopicDescription_topic_id(t);
    o.Set("topicId", id ? String(env, rd_kafka_Uuid_base64str(id)) : env.Null());
    o.Set("internal", rd_kafka_TopicDescription_is_internal(t) != 0);
    size_t count = 0;
    const rd_kafka_TopicPartitionInfo_t** parts = rd_kafka_TopicDescription_partitions(t, &count);
    Napi::Array list = Napi::Array::New(env, count);
    for (size_t j = 0; j < count; j++) list.Set(static_cast<uint32_t>(j), PartitionInfo(env, parts[j]));
    o.Set("partitions", list);
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}

Napi::Value Cluster(Napi::Env env, const rd_kafka_DescribeCluster_result_t* result) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("clusterId", String(env, rd_kafka_DescribeCluster_result_cluster_id(result)));
  const rd_kafka_Node_t* controller = rd_kafka_DescribeCluster_result_controller(result);
  o.Set("controller", controller ? rd_kafka_Node_id(controller) : -1);
  size_t n = 0;
  const rd_kafka_Node_t** nodes = rd_kafka_DescribeCluster_result_nodes(result, &n);
  o.Set("brokers", Nodes(env, nodes, n));
  return o;
}

Napi::Value OffsetInfos(Napi::Env env, const rd_kafka_ListOffsets_result_t* result) {
  size_t n = 0;
  const rd_kafka_ListOffsetsResultInfo_t** infos = rd_kafka_ListOffsets_result_infos(result, &n);
  Napi::Array out = Napi::Array::New(env, n);
  for (size_t i = 0; i < n; i++) {
    const rd_kafka_topic_partition_t* tp = rd_kafka_ListOffsetsResultInfo_topic_partition(infos[i]);
    Napi::Object o = Napi::Object::New(env);
    o.Set("topic", tp->topic);
    o.Set("partition", tp->partition);
    o.Set("offset", static_cast<double>(tp->offset));
    o.Set("timestamp", static_cast<double>(rd_kafka_ListOffsetsResultInfo_timestamp(infos[i])));
    if (tp->err) o.Set("error", MakeError(env, tp->err, rd_kafka_err2str(tp->err)).Value());
    out.Set(static_cast<uint32_t>(i), o);
  }
  return out;
}
#endif

}  // namespace

void SettleAdminResult(Napi::Env env, Napi::Promise::Deferred deferred, rd_kafka_event_t* ev) {
  // A worker thread may be tearing down: settling then fails, and nobody is left to tell.
  // Anything else that fails while reading the answer rejects the promise with what it was.
  try {
    if (rd_kafka_resp_err_t err = rd_kafka_event_error(ev)) {
      const char* why = rd_kafka_event_error_string(ev);
      deferred.Reject(MakeError(env, err, why ? why : rd_kafka_err2str(err)).Value());
    } else {
      deferred.Resolve(Convert(env, ev));
    }
  } catch (const std::exception& e) {
    try {
      deferred.Reject(
          MakeError(env, RD_KAFKA_RESP_ERR__FAIL, std::string("reading the answer: ") + e.what()).Value());
    } catch (const std::exception&) {
    }
  }
}

}  // namespace turbokafka
