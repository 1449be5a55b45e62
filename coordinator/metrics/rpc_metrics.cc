#include "coordinator/metrics/rpc_metrics.h"

#include <chrono>

#include <google/protobuf/descriptor.h>

#include "common/metrics/snapshot_collector.h"

namespace edgenas {
namespace {

using grpc::experimental::InterceptionHookPoints;

class TimingInterceptor final : public grpc::experimental::Interceptor {
 public:
  TimingInterceptor(RpcMetrics* metrics, std::string method)
      : metrics_(metrics), method_(std::move(method)), start_(std::chrono::steady_clock::now()) {}

  void Intercept(grpc::experimental::InterceptorBatchMethods* methods) override {
    if (methods->QueryInterceptionHookPoint(InterceptionHookPoints::PRE_SEND_STATUS)) {
      const double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
      metrics_->Record(method_, methods->GetSendStatus().error_code(), seconds);
    }
    methods->Proceed();
  }

 private:
  RpcMetrics* const metrics_;
  const std::string method_;
  const std::chrono::steady_clock::time_point start_;
};

class TimingFactory final : public grpc::experimental::ServerInterceptorFactoryInterface {
 public:
  explicit TimingFactory(RpcMetrics* metrics) : metrics_(metrics) {}
  grpc::experimental::Interceptor* CreateServerInterceptor(
      grpc::experimental::ServerRpcInfo* info) override {
    return new TimingInterceptor(metrics_, info->method() != nullptr ? info->method() : "");
  }

 private:
  RpcMetrics* const metrics_;
};

}  // namespace

std::string MethodLabel(const std::string& full_method) {
  // "/pkg.Service/Method"
  if (full_method.size() < 4 || full_method[0] != '/') return "other";
  const size_t slash = full_method.find('/', 1);
  if (slash == std::string::npos) return "other";
  const std::string service = full_method.substr(1, slash - 1);
  const std::string method = full_method.substr(slash + 1);
  const google::protobuf::ServiceDescriptor* descriptor =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(service);
  if (descriptor == nullptr || descriptor->FindMethodByName(method) == nullptr) return "other";
  return descriptor->name() + "/" + method;
}

std::string StatusCodeLabel(int code) {
  static const char* const kNames[] = {
      "OK",        "CANCELLED",         "UNKNOWN",        "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
      "NOT_FOUND", "ALREADY_EXISTS",    "PERMISSION_DENIED", "RESOURCE_EXHAUSTED",
      "FAILED_PRECONDITION", "ABORTED", "OUT_OF_RANGE",   "UNIMPLEMENTED",      "INTERNAL",
      "UNAVAILABLE", "DATA_LOSS",       "UNAUTHENTICATED"};
  if (code < 0 || code >= static_cast<int>(sizeof(kNames) / sizeof(kNames[0]))) return "UNKNOWN";
  return kNames[code];
}

RpcMetrics::RpcMetrics(prometheus::Registry& registry)
    : duration_(prometheus::BuildHistogram()
                    .Name("edgenas_rpc_server_duration_seconds")
                    .Help("gRPC server call time from arrival to status, by method and status "
                          "code (long polls and streams included)")
                    .Register(registry)) {}

void RpcMetrics::Record(const std::string& full_method, int code, double seconds) {
  duration_
      .Add({{"method", MethodLabel(full_method)}, {"code", StatusCodeLabel(code)}},
           ExponentialBuckets(0.0005, 4, 10))
      .Observe(seconds);
}

std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>
RpcMetrics::InterceptorFactory() {
  return std::make_unique<TimingFactory>(this);
}

}  // namespace edgenas
