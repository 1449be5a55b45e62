#include "common/metrics/metrics_server.h"

#include <cstdio>
#include <exception>
#include <fstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/metrics/process_metrics.h"
#include "common/metrics/snapshot_collector.h"
#include "prometheus/exposer.h"

namespace edgenas {

bool MetricsServer::IsDisabled(const std::string& listen) {
  return listen.empty() || listen == "off";
}

MetricsServer::MetricsServer(std::unique_ptr<prometheus::Exposer> exposer, int port,
                             std::shared_ptr<prometheus::Registry> registry)
    : exposer_(std::move(exposer)), port_(port), registry_(std::move(registry)) {}

MetricsServer::~MetricsServer() {
  // Stop serving before the collectables go away.
  exposer_.reset();
}

absl::StatusOr<std::unique_ptr<MetricsServer>> MetricsServer::Start(
    const std::string& listen, std::shared_ptr<prometheus::Registry> registry) {
  const size_t colon = listen.rfind(':');
  int requested = 0;
  if (colon == std::string::npos || colon == 0 ||
      !absl::SimpleAtoi(listen.substr(colon + 1), &requested) || requested < 0 ||
      requested > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("\"", listen.substr(0, 200), "\" is not host:port (or \"off\")"));
  }
  std::unique_ptr<prometheus::Exposer> exposer;
  try {
    // One thread: a scrape every few seconds needs no more.
    exposer = std::make_unique<prometheus::Exposer>(listen, /*num_threads=*/1);
  } catch (const std::exception& e) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen, ": ", e.what()));
  }
  const std::vector<int> ports = exposer->GetListeningPorts();
  if (ports.empty()) {
    return absl::UnavailableError(absl::StrCat("cannot serve metrics on ", listen));
  }
  exposer->RegisterCollectable(registry);
  auto server = std::unique_ptr<MetricsServer>(
      new MetricsServer(std::move(exposer), ports.front(), std::move(registry)));
  server->Add(std::make_shared<SnapshotCollector>(ProcessFamilies));
  return server;
}

void MetricsServer::Add(std::shared_ptr<prometheus::Collectable> collectable) {
  exposer_->RegisterCollectable(collectable);
  extra_.push_back(std::move(collectable));
}

bool WritePortFileAtomically(const std::string& path, int port) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    if (!out) return false;
    out << port << "\n";
    if (!out.flush()) return false;
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

absl::StatusOr<std::unique_ptr<MetricsServer>> StartMetricsFromFlags(
    const std::string& listen, const std::string& port_file,
    std::shared_ptr<prometheus::Registry> registry) {
  if (MetricsServer::IsDisabled(listen)) return std::unique_ptr<MetricsServer>();
  auto server = MetricsServer::Start(listen, std::move(registry));
  if (!server.ok()) {
    return absl::Status(server.status().code(),
                        absl::StrCat("--metrics_listen: ", server.status().message()));
  }
  if (!port_file.empty() && !WritePortFileAtomically(port_file, (*server)->port())) {
    return absl::UnavailableError(
        absl::StrCat("--metrics_port_file: cannot write ", port_file));
  }
  return server;
}

}  // namespace edgenas
