// Reading the Grafana dashboards in deploy/grafana/dashboards for tests:
// their panels and every PromQL expression, with Grafana's variables
// expanded so that Prometheus can run them.
#ifndef EDGENAS_TESTS_DEPLOY_DASHBOARDS_H_
#define EDGENAS_TESTS_DEPLOY_DASHBOARDS_H_

#include <string>
#include <vector>

#include <google/protobuf/struct.pb.h>

#include "absl/status/statusor.h"

namespace edgenas::testing {

struct DashboardFile {
  std::string path;
  google::protobuf::Struct json;
};

// Every *.json file under `dir`, parsed; INVALID_ARGUMENT naming the file
// when one is not valid JSON.
absl::StatusOr<std::vector<DashboardFile>> LoadDashboards(const std::string& dir);

struct PanelQuery {
  std::string dashboard;  // title
  int panel_id = 0;
  std::string panel_title;
  std::string expr;  // as written in the dashboard
};

// The queries of every panel (targets[].expr) of `dashboard`.
std::vector<PanelQuery> PanelQueries(const DashboardFile& dashboard);

// `expr` with Grafana's variables replaced: $__rate_interval and
// $__interval by `rate_interval`, any other $name (a template variable set
// to "All") by ".+".
std::string ExpandVariables(const std::string& expr, const std::string& rate_interval);

// The source tree's deploy/ folder.
std::string DeployDir();

}  // namespace edgenas::testing

#endif  // EDGENAS_TESTS_DEPLOY_DASHBOARDS_H_
