// MetricsServer: serves a process's Prometheus metrics over HTTP
// (GET /metrics, text exposition format) from one prometheus-cpp Registry
// plus any extra collectables (state read at scrape time). Every edgenas
// binary owns one, configured by its --metrics_listen flag.
#ifndef EDGENAS_COMMON_METRICS_METRICS_SERVER_H_
#define EDGENAS_COMMON_METRICS_METRICS_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "prometheus/collectable.h"
#include "prometheus/registry.h"

namespace prometheus {
class Exposer;
}  // namespace prometheus

namespace edgenas {

class MetricsServer {
 public:
  // True when `listen` asks for no metrics endpoint ("" or "off").
  static bool IsDisabled(const std::string& listen);

  // Starts serving `registry` (and the process metrics, process_metrics.h)
  // on `listen` ("host:port"; port 0 lets the OS
  // choose). INVALID_ARGUMENT for an address without a port, UNAVAILABLE
  // when it cannot be bound; never throws. Call only when !IsDisabled.
  static absl::StatusOr<std::unique_ptr<MetricsServer>> Start(
      const std::string& listen, std::shared_ptr<prometheus::Registry> registry);
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // Adds a collectable (e.g. a snapshot of live state) to /metrics. The
  // server keeps it alive until destroyed.
  void Add(std::shared_ptr<prometheus::Collectable> collectable);

  // The port actually bound (the OS's choice for port 0).
  int port() const { return port_; }

 private:
  MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, int port,
                std::shared_ptr<prometheus::Registry> registry);

  std::unique_ptr<prometheus::Exposer> exposer_;
  const int port_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::vector<std::shared_ptr<prometheus::Collectable>> extra_;
};

// Writes `port` to `path` atomically (write a temporary file, rename), so
// that a reader never sees a partial number. False on any I/O error.
bool WritePortFileAtomically(const std::string& path, int port);

// Starts the metrics endpoint a binary's flags ask for: nullptr (OK) when
// `listen` is "" or "off"; otherwise the started server, with its bound port
// written to `port_file` when that is non-empty. Errors name the flag
// (--metrics_listen / --metrics_port_file).
absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsFromFlags(
    const std::string& listen, const std::string& port_file,
    std::shared_ptr<prometheus::Registry> registry);

}  // namespace edgenas

#endif  // EDGENAS_COMMON_METRICS_METRICS_SERVER_H_
