#include "mock_cluster.h"

#include <string>
#include <vector>

#include "errors.h"

namespace turbokafka {

Napi::Function MockCluster::Define(Napi::Env env) {
  return DefineClass(
      env, "NativeMockCluster",
      {
          InstanceMethod<&MockCluster::Bootstraps>("bootstraps"),
          InstanceMethod<&MockCluster::CreateTopic>("createTopic"),
          InstanceMethod<&MockCluster::SetBrokerDown>("setBrokerDown"),
          InstanceMethod<&MockCluster::SetBrokerUp>("setBrokerUp"),
          InstanceMethod<&MockCluster::PushRequestErrors>("pushRequestErrors"),
          InstanceMethod<&MockCluster::SetTopicError>("setTopicError"),
          InstanceMethod<&MockCluster::SetGroupInitialRebalanceDelay>("setGroupInitialRebalanceDelay"),
          InstanceMethod<&MockCluster::Close>("close"),
      });
}

MockCluster::MockCluster(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MockCluster>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsNumber()) throw Napi::TypeError::New(env, "brokers");
  const int brokers = info[0].As<Napi::Number>().Int32Value();
  char errstr[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  // The helper handle never connects anywhere; keep it quiet.
  rd_kafka_conf_set(conf, "log_level", "0", errstr, sizeof(errstr));
  rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
  if (rk_ == nullptr) {
    rd_kafka_conf_destroy(conf);
    ThrowKafka(env, RD_KAFKA_RESP_ERR__FAIL, errstr);
  }
  cluster_ = rd_kafka_mock_cluster_new(rk_, brokers);
  if (cluster_ == nullptr) {
    rd_kafka_destroy(rk_);
    rk_ = nullptr;
    ThrowKafka(env, RD_KAFKA_RESP_ERR__FAIL, "could not start the mock cluster");
  }
  teardown_hook_.Install(env, OnEnvTeardown, this);
}

MockCluster::~MockCluster() {
  teardown_hook_.Remove();
  Destroy();
}

void MockCluster::OnEnvTeardown(void* arg) {
  MockCluster* self = static_cast<MockCluster*>(arg);
  self->Destroy();
}

void MockCluster::Destroy() {
  if (cluster_ != nullptr) rd_kafka_mock_cluster_destroy(cluster_);
  cluster_ = nullptr;
  if (rk_ != nullptr) rd_kafka_destroy(rk_);
  rk_ = nullptr;
}

rd_kafka_mock_cluster_t* MockCluster::Live(Napi::Env env) {
  if (cluster_ == nullptr) ThrowKafka(env, RD_KAFKA_RESP_ERR__STATE, "mock cluster is closed");
  return cluster_;
}

Napi::Value MockCluster::Bootstraps(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), rd_kafka_mock_cluster_bootstraps(Live(info.Env())));
}

Napi::Value MockCluster::CreateTopic(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_mock_cluster_t* c = Live(env);
  const std::string name = info[0].As<Napi::String>().Utf8Value();
  rd_kafka_resp_err_t err = rd_kafka_mock_topic_create(
      c, name.c_str(), info[1].As<Napi::Number>().Int32Value(), info[2].As<Napi::Number>().Int32Value());
  if (err) ThrowKafka(env, err, "createTopic \"" + name + "\": " + rd_kafka_err2str(err));
  return env.Undefined();
}

namespace {
using BrokerOp = rd_kafka_resp_err_t (*)(rd_kafka_mock_cluster_t*, int32_t);

Napi::Value ApplyToBroker(const Napi::CallbackInfo& info, rd_kafka_mock_cluster_t* c, BrokerOp op) {
  rd_kafka_resp_err_t err = op(c, info[0].As<Napi::Number>().Int32Value());
  if (err) ThrowKafka(info.Env(), err, rd_kafka_err2str(err));
  return info.Env().Undefined();
}
}  // namespace

Napi::Value MockCluster::SetBrokerDown(const Napi::CallbackInfo& info) {
  return ApplyToBroker(info, Live(info.Env()), rd_kafka_mock_broker_set_down);
}

Napi::Value MockCluster::SetBrokerUp(const Napi::CallbackInfo& info) {
  return ApplyToBroker(info, Live(info.Env()), rd_kafka_mock_broker_set_up);
}

Napi::Value MockCluster::PushRequestErrors(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_mock_cluster_t* c = Live(env);
  const int16_t api_key = static_cast<int16_t>(info[0].As<Napi::Number>().Int32Value());
  Napi::Int32Array codes = info[1].As<Napi::Int32Array>();
  std::vector<rd_kafka_resp_err_t> errs(codes.ElementLength());
  for (size_t i = 0; i < errs.size(); i++) errs[i] = static_cast<rd_kafka_resp_err_t>(codes[i]);
  rd_kafka_mock_push_request_errors_array(c, api_key, errs.size(), errs.data());
  return env.Undefined();
}

Napi::Value MockCluster::SetTopicError(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_mock_cluster_t* c = Live(env);
  const std::string topic = info[0].As<Napi::String>().Utf8Value();
  rd_kafka_mock_topic_set_error(c, topic.c_str(),
                                static_cast<rd_kafka_resp_err_t>(info[1].As<Napi::Number>().Int32Value()));
  return env.Undefined();
}

Napi::Value MockCluster::SetGroupInitialRebalanceDelay(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  rd_kafka_mock_cluster_t* c = Live(env);
#if RD_KAFKA_VERSION >= 0x020c0000
  rd_kafka_mock_group_initial_rebalance_delay_ms(c, info[0].As<Napi::Number>().Int32Value());
#else
  (void)c;
  ThrowKafka(
      env, RD_KAFKA_RESP_ERR__NOT_IMPLEMENTED,
      std::string(
          "the mock cluster's group initial rebalance delay needs librdkafka 2.12 or newer; this is ") +
          rd_kafka_version_str());
#endif
  return env.Undefined();
}

Napi::Value MockCluster::Close(const Napi::CallbackInfo& info) {
  Destroy();
  return info.Env().Undefined();
}

}  // namespace turbokafka
