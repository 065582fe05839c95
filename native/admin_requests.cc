// The admin client's requests: JS arguments (validated by lib/admin.ts) into librdkafka's request
// objects, sent with the client's result queue (admin.cc settles them).
#include <memory>
#include <string>
#include <vector>

#include "admin.h"
#include "admin_results.h"
#include "errors.h"
#include "partitions.h"
#include "promise_worker.h"

namespace turbokafka {

namespace {

std::vector<std::string> Strings(const Napi::Value& v) {
  Napi::Array arr = v.As<Napi::Array>();
  std::vector<std::string> out;
  out.reserve(arr.Length());
  for (uint32_t i = 0; i < arr.Length(); i++) out.push_back(arr.Get(i).As<Napi::String>().Utf8Value());
  return out;
}

std::vector<const char*> Pointers(const std::vector<std::string>& strings) {
  std::vector<const char*> out;
  out.reserve(strings.size());
  for (const std::string& s : strings) out.push_back(s.c_str());
  return out;
}

std::string Str(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::String>().Utf8Value(); }
int Int(const Napi::Object& o, const char* key) { return o.Get(key).As<Napi::Number>().Int32Value(); }

// Owns an array of librdkafka request objects and destroys them with `destroy` at scope end.
template <typename T>
struct Owned {
  std::vector<T*> items;
  void (*destroy)(T**, size_t);
  explicit Owned(void (*d)(T**, size_t)) : destroy(d) {}
  ~Owned() { destroy(items.data(), items.size()); }
  Owned(const Owned&) = delete;
  Owned& operator=(const Owned&) = delete;
};

// Sends what `send` sends with request `r`'s options, then frees the options.
template <typename Fn>
Napi::Value Send(Admin* admin, const Admin::Request& r, Fn send) {
  send(admin->Handle(), r.options, admin->Queue());
  rd_kafka_AdminOptions_destroy(r.options);
  admin->Sent();
  return r.promise;
}

// Rejects a request at once with `_INVALID_ARG` (what librdkafka refused while building it).
Napi::Value Refuse(Napi::Env env, Admin* admin, const Admin::Request& r, const std::string& why) {
  rd_kafka_AdminOptions_destroy(r.options);
  admin->Sent();
  admin->Fail(env, r, RD_KAFKA_RESP_ERR__INVALID_ARG, why);
  return r.promise;
}

#if !TURBOKAFKA_ADMIN_2_3 || !TURBOKAFKA_ADMIN_2_2
Napi::Value TooOld(Napi::Env env, Admin* admin, const Admin::Request& r, const char* what,
                   const char* since) {
  rd_kafka_AdminOptions_destroy(r.options);
  admin->Sent();
  admin->Fail(
      env, r, RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED,
      std::string(what) + " needs librdkafka >= " + since + "; this build links " + rd_kafka_version_str());
  return r.promise;
}
#endif

}  // namespace

Napi::Value Admin::CreateTopics(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Request r = Begin(env, RD_KAFKA_ADMIN_OP_CREATETOPICS, TimeoutArg(info[2]), info[1].ToBoolean());
    Napi::Array items = info[0].As<Napi::Array>();
    Owned<rd_kafka_NewTopic_t> topics(rd_kafka_NewTopic_destroy_array);
    char errstr[512];
    for (uint32_t i = 0; i < items.Length(); i++) {
      Napi::Object item = items.Get(i).As<Napi::Object>();
      const std::string name = Str(item, "topic");
      rd_kafka_NewTopic_t* t = rd_kafka_NewTopic_new(name.c_str(), Int(item, "partitions"),
                                                     Int(item, "replicationFactor"), errstr, sizeof(errstr));
      if (t == nullptr) return Refuse(env, this, r, "topics[" + std::to_string(i) + "]: " + errstr);
      topics.items.push_back(t);
      Napi::Array config = item.Get("config").As<Napi::Array>();
      for (uint32_t j = 0; j < config.Length(); j++) {
        Napi::Array kv = config.Get(j).As<Napi::Array>();
        const std::string key = kv.Get(0u).As<Napi::String>().Utf8Value();
        const std::string value = kv.Get(1u).As<Napi::String>().Utf8Value();
        if (rd_kafka_NewTopic_set_config(t, key.c_str(), value.c_str()))
          return Refuse(env, this, r, "topics[" + std::to_string(i) + "].config: " + key);
      }
    }
    return Send(this, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_CreateTopics(rk, topics.items.data(), topics.items.size(), o, q);
    });
  });
}

Napi::Value Admin::DeleteTopics(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Request r = Begin(env, RD_KAFKA_ADMIN_OP_DELETETOPICS, TimeoutArg(info[1]));
    Owned<rd_kafka_DeleteTopic_t> topics(rd_kafka_DeleteTopic_destroy_array);
    for (const std::string& name : Strings(info[0]))
      topics.items.push_back(rd_kafka_DeleteTopic_new(name.c_str()));
    return Send(this, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_DeleteTopics(rk, topics.items.data(), topics.items.size(), o, q);
    });
  });
}

Napi::Value Admin::CreatePartitions(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Request r = Begin(env, RD_KAFKA_ADMIN_OP_CREATEPARTITIONS, TimeoutArg(info[2]), info[1].ToBoolean());
    Napi::Array items = info[0].As<Napi::Array>();
    Owned<rd_kafka_NewPartitions_t> parts(rd_kafka_NewPartitions_destroy_array);
    char errstr[512];
    for (uint32_t i = 0; i < items.Length(); i++) {
      Napi::Object item = items.Get(i).As<Napi::Object>();
      rd_kafka_NewPartitions_t* p = rd_kafka_NewPartitions_new(
          Str(item, "topic").c_str(), static_cast<size_t>(Int(item, "count")), errstr, sizeof(errstr));
      if (p == nullptr) return Refuse(env, this, r, "partitions[" + std::to_string(i) + "]: " + errstr);
      parts.items.push_back(p);
    }
    return Send(this, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_CreatePartitions(rk, parts.items.data(), parts.items.size(), o, q);
    });
  });
}

Napi::Value Admin::ListTopics(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) ThrowKafka(env, RD_KAFKA_RESP_ERR__STATE, "admin is closed");
  // No admin request lists topics: a metadata request on the pool, which close() waits for.
  rd_kafka_t* rk = rk_;
  const int timeout = TimeoutArg(info[0]);
  auto names = std::make_shared<std::vector<std::string>>();
  inflight_++;
  std::atomic<int>* inflight = &inflight_;
  return PromiseWorker::Start(
      Value(),
      [rk, timeout, names, inflight]() {
        const rd_kafka_metadata_t* md = nullptr;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, timeout);
        if (md != nullptr) {
          for (int i = 0; i < md->topic_cnt; i++) names->push_back(md->topics[i].topic);
          rd_kafka_metadata_destroy(md);
        }
        (*inflight)--;
        return err;
      },
      [names](Napi::Env e) -> Napi::Value {
        Napi::Array out = Napi::Array::New(e, names->size());
        for (size_t i = 0; i < names->size(); i++) out.Set(static_cast<uint32_t>(i), (*names)[i]);
        return out;
      });
}

namespace {

struct PartitionMeta {
  int32_t id, leader;
  std::vector<int32_t> replicas, isrs;
};
struct TopicMeta {
  std::string name;
  rd_kafka_resp_err_t err;
  std::vector<PartitionMeta> partitions;
};

Napi::Array Int32s(Napi::Env env, const std::vector<int32_t>& v) {
  Napi::Array out = Napi::Array::New(env, v.size());
  for (size_t i = 0; i < v.size(); i++) out.Set(static_cast<uint32_t>(i), v[i]);
  return out;
}

Napi::Value TopicMetaToJs(Napi::Env env, const TopicMeta& t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("topic", t.name);
  if (t.err != RD_KAFKA_RESP_ERR_NO_ERROR)
    o.Set("error", MakeError(env, t.err, rd_kafka_err2str(t.err)).Value());
  Napi::Array parts = Napi::Array::New(env, t.partitions.size());
  for (size_t j = 0; j < t.partitions.size(); j++) {
    const PartitionMeta& p = t.partitions[j];
    Napi::Object po = Napi::Object::New(env);
    po.Set("partition", p.id);
    po.Set("leader", p.leader);
    po.Set("replicas", Int32s(env, p.replicas));
    po.Set("isr", Int32s(env, p.isrs));
    parts.Set(static_cast<uint32_t>(j), po);
  }
  o.Set("partitions", parts);
  return o;
}

}  // namespace

Napi::Value Admin::Metadata(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closed_) ThrowKafka(env, RD_KAFKA_RESP_ERR__STATE, "admin is closed");
  if (info.Length() < 2 || !info[0].IsArray()) throw Napi::TypeError::New(env, "metadata(topics, timeoutMs)");
  // A metadata request (what every client asks, controller or not), on the pool like ListTopics.
  rd_kafka_t* rk = rk_;
  const int timeout = TimeoutArg(info[1]);
  auto wanted = std::make_shared<std::vector<std::string>>(Strings(info[0]));
  auto topics = std::make_shared<std::vector<TopicMeta>>();
  inflight_++;
  std::atomic<int>* inflight = &inflight_;
  return PromiseWorker::Start(
      Value(),
      [rk, timeout, wanted, topics, inflight]() {
        const rd_kafka_metadata_t* md = nullptr;
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 1, nullptr, &md, timeout);
        for (const std::string& name : *wanted) {
          TopicMeta t{name, RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART, {}};
          for (int i = 0; md != nullptr && i < md->topic_cnt; i++) {
            const rd_kafka_metadata_topic_t& mt = md->topics[i];
            if (name != mt.topic) continue;
            t.err = mt.err;
            for (int j = 0; j < mt.partition_cnt; j++) {
              const rd_kafka_metadata_partition_t& mp = mt.partitions[j];
              t.partitions.push_back({mp.id, mp.leader,
                                      std::vector<int32_t>(mp.replicas, mp.replicas + mp.replica_cnt),
                                      std::vector<int32_t>(mp.isrs, mp.isrs + mp.isr_cnt)});
            }
          }
          topics->push_back(std::move(t));
        }
        if (md != nullptr) rd_kafka_metadata_destroy(md);
        (*inflight)--;
        return err;
      },
      [topics](Napi::Env e) -> Napi::Value {
        Napi::Array out = Napi::Array::New(e, topics->size());
        for (size_t i = 0; i < topics->size(); i++)
          out.Set(static_cast<uint32_t>(i), TopicMetaToJs(e, (*topics)[i]));
        return out;
      });
}

Napi::Value Admin::DescribeTopics(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
#if TURBOKAFKA_ADMIN_2_3
    Request r = Begin(env, RD_KAFKA_ADMIN_OP_DESCRIBETOPICS, TimeoutArg(info[1]));
    const std::vector<std::string> names = Strings(info[0]);
    std::vector<const char*> ptrs = Pointers(names);
    rd_kafka_TopicCollection_t* topics = rd_kafka_TopicCollection_of_topic_names(ptrs.data(), ptrs.size());
    Napi::Value promise = Send(this, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_DescribeTopics(rk, topics, o, q);
    });
    rd_kafka_TopicCollection_destroy(topics);
    return promise;
#else
    return TooOld(env, this, Begin(env, RD_KAFKA_ADMIN_OP_ANY, TimeoutArg(info[1])), "describeTopics", "2.3");
#endif
  });
}

Napi::Value Admin::DescribeCluster(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
#if TURBOKAFKA_ADMIN_2_3
    Request r = Begin(env, RD_KAFKA_ADMIN_OP_DESCRIBECLUSTER, TimeoutArg(info[0]));
    return Send(this, r, [](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_DescribeCluster(rk, o, q);
    });
#else
    return TooOld(env, this, Begin(env, RD_KAFKA_ADMIN_OP_ANY, TimeoutArg(info[0])), "describeCluster", "2.3");
#endif
  });
}

Napi::Value Admin::ListGroups(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Request r = Begin(info.Env(), RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPS, TimeoutArg(info[0]));
    return Send(this, r, [](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_ListConsumerGroups(rk, o, q);
    });
  });
}

Napi::Value Admin::DescribeGroups(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Request r = Begin(info.Env(), RD_KAFKA_ADMIN_OP_DESCRIBECONSUMERGROUPS, TimeoutArg(info[1]));
    const std::vector<std::string> ids = Strings(info[0]);
    std::vector<const char*> ptrs = Pointers(ids);
    return Send(this, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_DescribeConsumerGroups(rk, ptrs.data(), ptrs.size(), o, q);
    });
  });
}

Napi::Value Admin::DeleteGroups(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Request r = Begin(info.Env(), RD_KAFKA_ADMIN_OP_DELETEGROUPS, TimeoutArg(info[1]));
    Owned<rd_kafka_DeleteGroup_t> groups(rd_kafka_DeleteGroup_destroy_array);
    for (const std::string& id : Strings(info[0]))
      groups.items.push_back(rd_kafka_DeleteGroup_new(id.c_str()));
    return Send(this, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_DeleteGroups(rk, groups.items.data(), groups.items.size(), o, q);
    });
  });
}

Napi::Value Admin::ListOffsets(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
#if TURBOKAFKA_ADMIN_2_3
    Request r = Begin(env, RD_KAFKA_ADMIN_OP_LISTOFFSETS, TimeoutArg(info[2]));
    // Each partition's offset field holds what to look up: -2 earliest, -1 latest, or a timestamp.
    PartitionListPtr list(ToPartitionList(env, info[0]));
    if (info[1].ToBoolean()) {
      if (rd_kafka_error_t* e =
              rd_kafka_AdminOptions_set_isolation_level(r.options, RD_KAFKA_ISOLATION_LEVEL_READ_COMMITTED))
        rd_kafka_error_destroy(e);
    }
    return Send(this, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_ListOffsets(rk, list.list, o, q);
    });
#else
    return TooOld(env, this, Begin(env, RD_KAFKA_ADMIN_OP_ANY, TimeoutArg(info[2])), "listOffsets", "2.3");
#endif
  });
}

namespace {

template <typename T>
Napi::Value OneGroupRequest(Admin* admin, const Admin::Request& r, T* request, void (*destroy)(T**, size_t),
                            void (*send)(rd_kafka_t*, T**, size_t, const rd_kafka_AdminOptions_t*,
                                         rd_kafka_queue_t*)) {
  Napi::Value promise = Send(admin, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
    send(rk, &request, 1, o, q);
  });
  destroy(&request, 1);
  return promise;
}

}  // namespace

Napi::Value Admin::GroupOffsets(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    // (what: 'list' | 'alter' | 'delete', group, partitions | null, timeoutMs): one group at a time,
    // as librdkafka takes them.
    Napi::Env env = info.Env();
    const std::string what = info[0].As<Napi::String>().Utf8Value();
    const std::string group = info[1].As<Napi::String>().Utf8Value();
    const int timeout = TimeoutArg(info[3]);
    PartitionListPtr list(info[2].IsNull() ? nullptr : ToPartitionList(env, info[2]));
    if (what != "list" && list.list == nullptr) throw Napi::TypeError::New(env, "partitions");
    if (what == "list") {
      Request r = Begin(env, RD_KAFKA_ADMIN_OP_LISTCONSUMERGROUPOFFSETS, timeout);
      return OneGroupRequest(this, r, rd_kafka_ListConsumerGroupOffsets_new(group.c_str(), list.list),
                             rd_kafka_ListConsumerGroupOffsets_destroy_array,
                             rd_kafka_ListConsumerGroupOffsets);
    }
    if (what == "alter") {
      Request r = Begin(env, RD_KAFKA_ADMIN_OP_ALTERCONSUMERGROUPOFFSETS, timeout);
      return OneGroupRequest(this, r, rd_kafka_AlterConsumerGroupOffsets_new(group.c_str(), list.list),
                             rd_kafka_AlterConsumerGroupOffsets_destroy_array,
                             rd_kafka_AlterConsumerGroupOffsets);
    }
    Request r = Begin(env, RD_KAFKA_ADMIN_OP_DELETECONSUMERGROUPOFFSETS, timeout);
    return OneGroupRequest(this, r, rd_kafka_DeleteConsumerGroupOffsets_new(group.c_str(), list.list),
                           rd_kafka_DeleteConsumerGroupOffsets_destroy_array,
                           rd_kafka_DeleteConsumerGroupOffsets);
  });
}

Napi::Value Admin::DeleteRecords(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Request r = Begin(env, RD_KAFKA_ADMIN_OP_DELETERECORDS, TimeoutArg(info[1]));
    PartitionListPtr list(ToPartitionList(env, info[0]));
    Owned<rd_kafka_DeleteRecords_t> records(rd_kafka_DeleteRecords_destroy_array);
    records.items.push_back(rd_kafka_DeleteRecords_new(list.list));
    return Send(this, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_DeleteRecords(rk, records.items.data(), 1, o, q);
    });
  });
}

Napi::Value Admin::DescribeConfigs(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    Napi::Env env = info.Env();
    Request r = Begin(env, RD_KAFKA_ADMIN_OP_DESCRIBECONFIGS, TimeoutArg(info[1]));
    Napi::Array items = info[0].As<Napi::Array>();
    Owned<rd_kafka_ConfigResource_t> resources(rd_kafka_ConfigResource_destroy_array);
    for (uint32_t i = 0; i < items.Length(); i++) {
      Napi::Object item = items.Get(i).As<Napi::Object>();
      rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(
          static_cast<rd_kafka_ResourceType_t>(Int(item, "type")), Str(item, "name").c_str());
      if (res == nullptr)
        return Refuse(env, this, r, "resources[" + std::to_string(i) + "]: refused by librdkafka");
      resources.items.push_back(res);
    }
    return Send(this, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_DescribeConfigs(rk, resources.items.data(), resources.items.size(), o, q);
    });
  });
}

Napi::Value Admin::AlterConfigs(const Napi::CallbackInfo& info) {
  return Guarded(info.Env(), [&]() -> Napi::Value {
    // resources: [{ type, name, ops: [[name, op (0 set, 1 delete, 2 append, 3 subtract), value|null]] }]
    Napi::Env env = info.Env();
#if TURBOKAFKA_ADMIN_2_2
    Request r =
        Begin(env, RD_KAFKA_ADMIN_OP_INCREMENTALALTERCONFIGS, TimeoutArg(info[2]), info[1].ToBoolean());
    Napi::Array items = info[0].As<Napi::Array>();
    Owned<rd_kafka_ConfigResource_t> resources(rd_kafka_ConfigResource_destroy_array);
    for (uint32_t i = 0; i < items.Length(); i++) {
      Napi::Object item = items.Get(i).As<Napi::Object>();
      rd_kafka_ConfigResource_t* res = rd_kafka_ConfigResource_new(
          static_cast<rd_kafka_ResourceType_t>(Int(item, "type")), Str(item, "name").c_str());
      if (res == nullptr)
        return Refuse(env, this, r, "resources[" + std::to_string(i) + "]: refused by librdkafka");
      resources.items.push_back(res);
      Napi::Array ops = item.Get("ops").As<Napi::Array>();
      for (uint32_t j = 0; j < ops.Length(); j++) {
        Napi::Array op = ops.Get(j).As<Napi::Array>();
        const std::string name = op.Get(0u).As<Napi::String>().Utf8Value();
        Napi::Value v = op.Get(2u);
        const std::string value = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
        rd_kafka_error_t* e = rd_kafka_ConfigResource_add_incremental_config(
            res, name.c_str(),
            static_cast<rd_kafka_AlterConfigOpType_t>(op.Get(1u).As<Napi::Number>().Int32Value()),
            v.IsString() ? value.c_str() : nullptr);
        if (e != nullptr) {
          const std::string why = rd_kafka_error_string(e);
          rd_kafka_error_destroy(e);
          return Refuse(env, this, r, "resources[" + std::to_string(i) + "]." + name + ": " + why);
        }
      }
    }
    return Send(this, r, [&](rd_kafka_t* rk, rd_kafka_AdminOptions_t* o, rd_kafka_queue_t* q) {
      rd_kafka_IncrementalAlterConfigs(rk, resources.items.data(), resources.items.size(), o, q);
    });
#else
    return TooOld(env, this, Begin(env, RD_KAFKA_ADMIN_OP_ANY, TimeoutArg(info[2])), "alterConfigs", "2.2");
#endif
  });
}

}  // namespace turbokafka
