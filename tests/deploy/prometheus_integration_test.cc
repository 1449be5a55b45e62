// Every Grafana panel's PromQL against a real Prometheus server: a
// Prometheus (Debian `prometheus`) on loopback, configured from
// deploy/prometheus/prometheus.yml (1 s scrapes, targets pointed at this
// test's processes, the real alert rules), scrapes a real coordinator,
// worker and two agents (a replay agent for a board and a LibTorch agent
// that times real networks on this CPU) while a table job over NAS-Bench-201
// runs. Then each panel query of each dashboard runs through
// /api/v1/query; the test fails if any errors or returns no series. The
// results are printed (a record for operators). Skips only when the
// prometheus binary is not installed.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include <google/protobuf/struct.pb.h>
#include <google/protobuf/util/json_util.h>
#include <yaml-cpp/yaml.h>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "spaces/nb201/nb201_space.h"
#include "gtest/gtest.h"
#include "tests/common/http_get.h"
#include "tests/deploy/dashboards.h"
#include "tests/integration/cluster.h"

namespace edgenas::testing {
namespace {

using google::protobuf::Struct;
using google::protobuf::Value;

// Guards against hangs (not timing assertions).
constexpr int kReadyBoundSeconds = 120;
constexpr int kProgressBoundSeconds = 600;

std::string FindOnPath(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  std::string dir;
  while (std::getline(dirs, dir, ':')) {
    const std::string candidate = dir + "/" + name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// A loopback port that was free a moment ago (Prometheus cannot report the
// port it bound for :0, so one is picked for it).
int FreePort() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  int port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
    port = ntohs(addr.sin_port);
  }
  ::close(fd);
  return port;
}

// The shared Raspberry Pi 5 table when present (real board measurements),
// else a synthetic table of every NB201 cell.
struct Table {
  std::string path, accuracy, latency, energy;
};
Table PickTable(const std::string& dir) {
  const char* shared = std::getenv("EDGENAS_SHARED_DIR");
  const std::string real = std::string(shared != nullptr ? shared : "../shared") +
                           "/data/nb201/nb201_pi5.csv";
  if (std::filesystem::exists(real)) {
    return {real, "cifar10_valid_acc_12ep", "pi5_litert_latency_ms", "pi5_litert_energy_mj"};
  }
  const std::string path = dir + "/nb201_synthetic.csv";
  std::ofstream out(path);
  out << "arch,acc_pct,lat_ms,energy_mj\n";
  Nb201Space space;
  for (int i = 0; i < 15625; ++i) {
    out << space.Print(Nb201Space::FromIndex(i)) << ","
        << absl::StrFormat("%.4f,%.6f,%.6f", 40.0 + (i * 37 % 4000) / 100.0,
                           0.5 + (i * 13 % 997) / 100.0, 1.0 + (i * 29 % 991) / 50.0)
        << "\n";
  }
  return {path, "acc_pct", "lat_ms", "energy_mj"};
}

// A table job big enough to still be running when the queries run: accuracy
// from the table, latency and energy on "board" (replayed), and a loose
// latency cap on "cpu" so that the LibTorch agent times every candidate.
v1::JobSpec JobSpec(const Table& table) {
  v1::JobSpec spec;
  spec.set_name("prometheus-dashboards");
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name("random");
  spec.mutable_evaluation()->set_mode("table");
  spec.mutable_evaluation()->mutable_table()->set_path(table.path);
  spec.mutable_evaluation()->mutable_table()->set_accuracy_column(table.accuracy);
  auto* acc = spec.add_objectives();
  acc->set_metric("accuracy");
  acc->set_direction(v1::MAXIMIZE);
  auto* lat = spec.add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(v1::MINIMIZE);
  lat->set_device_class("board");
  auto* energy = spec.add_constraints();
  energy->set_metric("energy_mj");
  energy->set_max_value(1e9);
  energy->set_device_class("board");
  auto* cpu = spec.add_constraints();
  cpu->set_metric("latency_ms");
  cpu->set_max_value(1e9);
  cpu->set_device_class("cpu");
  spec.mutable_latency()->set_warmup_ms(10);
  spec.mutable_latency()->set_min_runs(5);
  spec.mutable_latency()->set_max_runs(20);
  spec.mutable_budget()->set_max_evaluations(3000);
  spec.set_parallelism(4);
  spec.set_seed(5);
  spec.set_lease_seconds(60);
  return spec;
}

// deploy/prometheus/prometheus.yml with 1 s intervals, the rules by
// absolute path and each scrape job pointed at this test's processes.
std::string WriteConfig(const std::string& dir, const std::map<std::string, std::vector<int>>& ports) {
  YAML::Node config = YAML::LoadFile(DeployDir() + "/prometheus/prometheus.yml");
  config["global"]["scrape_interval"] = "1s";
  config["global"]["evaluation_interval"] = "1s";
  YAML::Node rules;
  for (const auto& rule : config["rule_files"]) {
    rules.push_back(DeployDir() + "/prometheus/" + rule.as<std::string>());
  }
  config["rule_files"] = rules;
  for (auto scrape : config["scrape_configs"]) {
    const std::string job = scrape["job_name"].as<std::string>();
    YAML::Node targets;
    auto it = ports.find(job);
    if (it != ports.end()) {
      for (int port : it->second) targets.push_back(absl::StrCat("127.0.0.1:", port));
    }
    YAML::Node static_config;
    static_config["targets"] = targets;
    YAML::Node static_configs;
    static_configs.push_back(static_config);
    scrape["static_configs"] = static_configs;
    scrape.remove("file_sd_configs");
  }
  const std::string path = dir + "/prometheus.yml";
  std::ofstream out(path);
  out << config << "\n";
  return path;
}

// Runs an instant query; the parsed "data" object, or why not.
absl::StatusOr<Struct> Query(int port, const std::string& promql) {
  auto response = HttpGet(port, "/api/v1/query?query=" + UrlEncode(promql));
  if (!response.ok()) return response.status();
  Struct body;
  if (!google::protobuf::util::JsonStringToMessage(response->body, &body).ok()) {
    return absl::InternalError("not JSON: " + response->body.substr(0, 300));
  }
  if (response->status != 200 || body.fields().at("status").string_value() != "success") {
    return absl::InvalidArgumentError(absl::StrCat("HTTP ", response->status, ": ",
                                                   response->body.substr(0, 500)));
  }
  return body.fields().at("data").struct_value();
}

const google::protobuf::ListValue& Result(const Struct& data) {
  return data.fields().at("result").list_value();
}

// The first sample's value of a query ("" when there is none).
double FirstValue(const Struct& data) {
  const auto& result = Result(data);
  if (result.values_size() == 0) return -1;
  const auto& value = result.values(0).struct_value().fields().at("value").list_value();
  return std::strtod(value.values(1).string_value().c_str(), nullptr);
}

std::string Describe(const Value& series) {
  const auto& f = series.struct_value().fields();
  std::vector<std::string> labels;
  for (const auto& [name, value] : f.at("metric").struct_value().fields()) {
    if (name == "instance" || name == "__name__") continue;  // ports change per run
    labels.push_back(absl::StrCat(name, "=", value.string_value()));
  }
  std::sort(labels.begin(), labels.end());
  return absl::StrCat("{", absl::StrJoin(labels, ","), "} = ",
                      f.at("value").list_value().values(1).string_value());
}

TEST(PrometheusDashboards, EveryPanelQueryReturnsSeriesFromRealScrapes) {
  const std::string prometheus = FindOnPath("prometheus");
  if (prometheus.empty()) {
    GTEST_SKIP() << "the prometheus binary is not installed (Debian package prometheus; "
                    "scripts/install_deps.sh installs it)";
  }
  Cluster cluster;
  const Table table = PickTable(cluster.dir());
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("worker-1").ok());
  ASSERT_TRUE(cluster
                  .StartAgentWithFlags("board-agent",
                                       {"--device_class=board", "--runner=replay",
                                        "--replay_table=" + table.path,
                                        "--replay_latency_column=" + table.latency,
                                        "--replay_energy_column=" + table.energy})
                  .ok());
  ASSERT_TRUE(cluster.StartAgentWithFlags("cpu-agent", {"--device_class=cpu"}).ok());
  std::map<std::string, std::vector<int>> ports;
  for (const auto& [job, process] : std::vector<std::pair<std::string, std::string>>{
           {"edgenas-coordinator", "coordinator"},
           {"edgenas-worker", "worker-1"},
           {"edgenas-agent", "board-agent"},
           {"edgenas-agent", "cpu-agent"}}) {
    auto port = cluster.MetricsPort(process);
    ASSERT_TRUE(port.ok()) << process << ": " << port.status();
    ports[job].push_back(*port);
  }

  const int web_port = FreePort();
  ASSERT_GT(web_port, 0);
  auto server = ChildProcess::Spawn(
      {prometheus, "--config.file=" + WriteConfig(cluster.dir(), ports),
       "--storage.tsdb.path=" + cluster.dir() + "/tsdb",
       absl::StrCat("--web.listen-address=127.0.0.1:", web_port)},
      cluster.dir() + "/prometheus.log");
  ASSERT_TRUE(server.ok()) << server.status();
  bool ready = false;
  for (int i = 0; i < kReadyBoundSeconds * 10 && !ready; ++i) {
    auto r = HttpGet(web_port, "/-/ready");
    ready = r.ok() && r->status == 200;
    if (!ready) {
      ASSERT_TRUE((*server)->IsRunning()) << "prometheus exited; see " << cluster.dir();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));  // polling another process
    }
  }
  ASSERT_TRUE(ready) << "prometheus never became ready";

  const std::string job_id = Submit(cluster, JobSpec(table));
  ASSERT_FALSE(job_id.empty());
  // Wait until Prometheus holds enough of the job for rates and quantiles:
  // every target scraped at least 15 times while candidates finished.
  bool enough = false;
  for (int i = 0; i < kProgressBoundSeconds && !enough; ++i) {
    std::this_thread::sleep_for(std::chrono::seconds(1));  // polling Prometheus
    auto done = Query(web_port, "sum(edgenas_job_candidates{state=\"done\"})");
    auto scrapes = Query(web_port, "min(count_over_time(up[5m]))");
    auto cv = Query(web_port, "sum(edgenas_agent_measurement_cv_ratio_count)");
    enough = done.ok() && scrapes.ok() && cv.ok() && FirstValue(*done) >= 20 &&
             FirstValue(*scrapes) >= 15 && FirstValue(*cv) >= 5;
  }
  ASSERT_TRUE(enough) << "the job made too little progress; logs in " << cluster.dir();

  auto dashboards = LoadDashboards(DeployDir() + "/grafana/dashboards");
  ASSERT_TRUE(dashboards.ok()) << dashboards.status();
  int checked = 0;
  std::vector<std::string> failures;
  std::cout << "PromQL check against Prometheus scraping the real binaries (job " << job_id
            << "):\n";
  for (const DashboardFile& dashboard : *dashboards) {
    for (const PanelQuery& q : PanelQueries(dashboard)) {
      const std::string expr = ExpandVariables(q.expr, "1m");
      auto data = Query(web_port, expr);
      const std::string where =
          absl::StrCat(q.dashboard, " #", q.panel_id, " \"", q.panel_title, "\"");
      ++checked;
      if (!data.ok()) {
        failures.push_back(absl::StrCat(where, ": ", data.status().message(), "\n    ", expr));
        std::cout << "  [ERROR] " << where << ": " << data.status().message() << "\n";
        continue;
      }
      const auto& result = Result(*data);
      if (result.values_size() == 0) {
        failures.push_back(absl::StrCat(where, ": no series\n    ", expr));
        std::cout << "  [EMPTY] " << where << "\n    " << expr << "\n";
        continue;
      }
      // NaN (e.g. a quantile of a histogram with no observations yet) is a
      // series, as Grafana shows it; printed so that a reader sees it.
      std::cout << "  [ok] " << where << ": " << result.values_size() << " series\n";
      for (int i = 0; i < std::min(result.values_size(), 4); ++i) {
        std::cout << "       " << Describe(result.values(i)) << "\n";
      }
    }
  }
  std::cout << checked << " panel queries checked, " << failures.size() << " failed\n"
            << std::flush;
  EXPECT_GE(checked, 30);
  EXPECT_TRUE(failures.empty()) << absl::StrJoin(failures, "\n");

  // The real alert rules loaded and evaluate without errors.
  auto rules = HttpGet(web_port, "/api/v1/rules");
  ASSERT_TRUE(rules.ok()) << rules.status();
  EXPECT_NE(rules->body.find("EdgenasJobStalled"), std::string::npos);
  EXPECT_NE(rules->body.find("EdgenasDeviceClassWithoutAgent"), std::string::npos);
  EXPECT_NE(rules->body.find("EdgenasLeaseExpiryRateRising"), std::string::npos);
  EXPECT_EQ(rules->body.find("\"health\":\"err\""), std::string::npos) << rules->body;

  v1::CancelJobRequest cancel;
  cancel.set_job_id(job_id);
  v1::Job cancelled;
  EXPECT_TRUE(cluster.search()->CancelJob(Ctx().get(), cancel, &cancelled).ok());
  (void)(*server)->Terminate(absl::Seconds(10));
}

}  // namespace
}  // namespace edgenas::testing
