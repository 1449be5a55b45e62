// The Grafana dashboards and their provisioning are well formed: valid JSON,
// unique uids, every panel with a unique id, a grid position, the
// provisioned Prometheus datasource and at least one PromQL query over
// edgenas metrics. (Whether each query runs is prometheus_integration_test.)
#include <set>
#include <string>

#include <yaml-cpp/yaml.h>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/deploy/dashboards.h"

namespace edgenas::testing {
namespace {

using ::testing::HasSubstr;

std::string ProvisionedDatasourceUid() {
  YAML::Node node =
      YAML::LoadFile(DeployDir() + "/grafana/provisioning/datasources/edgenas.yml");
  return node["datasources"][0]["uid"].as<std::string>();
}

// The three dashboards exist and are valid JSON with distinct uids.
TEST(Dashboards, ThreeValidDashboardsWithUniqueUids) {
  auto dashboards = LoadDashboards(DeployDir() + "/grafana/dashboards");
  ASSERT_TRUE(dashboards.ok()) << dashboards.status();
  std::set<std::string> uids, titles;
  for (const DashboardFile& d : *dashboards) {
    const auto& f = d.json.fields();
    ASSERT_TRUE(f.count("uid") && f.count("title") && f.count("panels")) << d.path;
    EXPECT_TRUE(uids.insert(f.at("uid").string_value()).second) << d.path;
    titles.insert(f.at("title").string_value());
  }
  EXPECT_THAT(titles, ::testing::UnorderedElementsAre("edgenas / Search progress",
                                                      "edgenas / Fleet", "edgenas / Devices"));
}

// Every panel: unique id, grid position, the provisioned datasource, and
// queries with unique refIds and an expression over edgenas (or up) series.
TEST(Dashboards, EveryPanelHasIdDatasourceAndQuery) {
  const std::string uid = ProvisionedDatasourceUid();
  auto dashboards = LoadDashboards(DeployDir() + "/grafana/dashboards");
  ASSERT_TRUE(dashboards.ok()) << dashboards.status();
  for (const DashboardFile& d : *dashboards) {
    std::set<int> ids;
    const auto& panels = d.json.fields().at("panels").list_value().values();
    ASSERT_FALSE(panels.empty()) << d.path;
    for (const auto& panel : panels) {
      const auto& p = panel.struct_value().fields();
      const std::string where = d.path + " panel " + (p.count("title") ? p.at("title").string_value() : "?");
      ASSERT_TRUE(p.count("id")) << where;
      EXPECT_TRUE(ids.insert(static_cast<int>(p.at("id").number_value())).second)
          << where << ": duplicate id";
      EXPECT_TRUE(p.count("gridPos")) << where;
      ASSERT_TRUE(p.count("datasource")) << where;
      EXPECT_EQ(p.at("datasource").struct_value().fields().at("uid").string_value(), uid) << where;
      ASSERT_TRUE(p.count("targets")) << where;
      const auto& targets = p.at("targets").list_value().values();
      ASSERT_FALSE(targets.empty()) << where << ": no query";
      std::set<std::string> ref_ids;
      for (const auto& target : targets) {
        const auto& t = target.struct_value().fields();
        ASSERT_TRUE(t.count("expr")) << where;
        const std::string expr = t.at("expr").string_value();
        EXPECT_FALSE(expr.empty()) << where;
        EXPECT_TRUE(expr.find("edgenas_") != std::string::npos ||
                    expr.find("up{") != std::string::npos)
            << where << ": " << expr;
        ASSERT_TRUE(t.count("refId")) << where;
        EXPECT_TRUE(ref_ids.insert(t.at("refId").string_value()).second) << where;
        if (t.count("datasource")) {
          EXPECT_EQ(t.at("datasource").struct_value().fields().at("uid").string_value(), uid);
        }
      }
    }
  }
}

// The dashboards provider points at a folder and the datasource at Prometheus.
TEST(Dashboards, ProvisioningFilesAreConsistent) {
  YAML::Node providers =
      YAML::LoadFile(DeployDir() + "/grafana/provisioning/dashboards/edgenas.yml");
  EXPECT_EQ(providers["apiVersion"].as<int>(), 1);
  EXPECT_EQ(providers["providers"][0]["type"].as<std::string>(), "file");
  EXPECT_FALSE(providers["providers"][0]["options"]["path"].as<std::string>().empty());
  YAML::Node sources =
      YAML::LoadFile(DeployDir() + "/grafana/provisioning/datasources/edgenas.yml");
  EXPECT_EQ(sources["datasources"][0]["type"].as<std::string>(), "prometheus");
}

// Grafana variables become PromQL Prometheus accepts.
TEST(Dashboards, ExpandVariablesForPrometheus) {
  EXPECT_EQ(ExpandVariables("rate(x{job_id=~\"$job_id\"}[$__rate_interval])", "1m"),
            "rate(x{job_id=~\".+\"}[1m])");
  EXPECT_THAT(ExpandVariables("a$__interval", "30s"), HasSubstr("a30s"));
}

}  // namespace
}  // namespace edgenas::testing
