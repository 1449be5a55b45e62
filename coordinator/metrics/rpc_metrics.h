// RPC latency metrics for a gRPC server, as a server interceptor: every
// call's time from arrival to its status (a Lease long poll's wait and a
// WatchJob stream's life included) goes to
// edgenas_rpc_server_duration_seconds{method, code}. Handlers know nothing
// of it. The method label is "Service/Method" for methods of services
// compiled into the binary and "other" for anything else, so a client
// cannot grow the label set.
#ifndef EDGENAS_COORDINATOR_METRICS_RPC_METRICS_H_
#define EDGENAS_COORDINATOR_METRICS_RPC_METRICS_H_

#include <memory>
#include <string>

#include <grpcpp/support/server_interceptor.h>

#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace edgenas {

class RpcMetrics {
 public:
  // Registers the histogram family in `registry` (which must outlive this).
  explicit RpcMetrics(prometheus::Registry& registry);
  // Records one finished call. `full_method` is gRPC's "/pkg.Service/Method".
  void Record(const std::string& full_method, int code, double seconds);
  // An interceptor factory recording into this (which must outlive the
  // server); pass it to ServerBuilder::experimental().SetInterceptorCreators.
  std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface> InterceptorFactory();

 private:
  prometheus::Family<prometheus::Histogram>& duration_;
};

// "Service/Method" when `full_method` names a method of a service in the
// generated descriptor pool, else "other".
std::string MethodLabel(const std::string& full_method);

// The canonical name of a gRPC status code ("OK", "NOT_FOUND", ...).
std::string StatusCodeLabel(int code);

}  // namespace edgenas

#endif  // EDGENAS_COORDINATOR_METRICS_RPC_METRICS_H_
