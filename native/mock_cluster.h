// librdkafka's embedded mock cluster: real Kafka-protocol listeners on 127.0.0.1, in process.
#pragma once

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <napi.h>

#include "teardown_hook.h"

namespace turbokafka {

class MockCluster : public Napi::ObjectWrap<MockCluster> {
 public:
  static Napi::Function Define(Napi::Env env);

  // new MockCluster(brokers: number)
  explicit MockCluster(const Napi::CallbackInfo& info);
  ~MockCluster() override;

 private:
  Napi::Value Bootstraps(const Napi::CallbackInfo& info);
  // createTopic(name, partitions, replicationFactor)
  Napi::Value CreateTopic(const Napi::CallbackInfo& info);
  // setBrokerDown(id) / setBrokerUp(id): stop or resume accepting connections
  Napi::Value SetBrokerDown(const Napi::CallbackInfo& info);
  Napi::Value SetBrokerUp(const Napi::CallbackInfo& info);
  // pushRequestErrors(apiKey, Int32Array codes): the next requests of that kind fail in order
  Napi::Value PushRequestErrors(const Napi::CallbackInfo& info);
  // setTopicError(topic, errno): metadata requests report this error for the topic (0 clears it)
  Napi::Value SetTopicError(const Napi::CallbackInfo& info);
  // setGroupInitialRebalanceDelay(ms): how long a new classic group waits for more members before
  // its first assignment (Kafka's group.initial.rebalance.delay.ms; librdkafka >= 2.12 only)
  Napi::Value SetGroupInitialRebalanceDelay(const Napi::CallbackInfo& info);
  Napi::Value Close(const Napi::CallbackInfo& info);

  rd_kafka_mock_cluster_t* Live(Napi::Env env);
  void Destroy();
  static void OnEnvTeardown(void* arg);

  rd_kafka_t* rk_ = nullptr;  // the mock cluster needs a handle to exist; it sends nothing
  rd_kafka_mock_cluster_t* cluster_ = nullptr;
  TeardownHook teardown_hook_;
};

}  // namespace turbokafka
