// MetricsServer and SnapshotCollector: what a Prometheus scrape of an
// edgenas binary's endpoint returns.
#include "common/metrics/metrics_server.h"

#include <filesystem>
#include <fstream>

#include "common/metrics/snapshot_collector.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "prometheus/counter.h"
#include "prometheus/text_serializer.h"
#include "tests/common/http_get.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A registry counter shows up in the text exposition of GET /metrics.
TEST(MetricsServer, ServesRegistryOnOsChosenPort) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto& family = prometheus::BuildCounter()
                     .Name("edgenas_test_events_total")
                     .Help("events seen by the test")
                     .Register(*registry);
  family.Add({{"kind", "a"}}).Increment(3);
  auto server = MetricsServer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_GT((*server)->port(), 0);
  auto response = testing::HttpGet((*server)->port(), "/metrics");
  ASSERT_TRUE(response.ok()) << response.status();
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(response->body, HasSubstr("# TYPE edgenas_test_events_total counter"));
  EXPECT_THAT(response->body, HasSubstr("edgenas_test_events_total{kind=\"a\"} 3"));
  // Process metrics come with every endpoint.
  EXPECT_THAT(response->body, HasSubstr("# TYPE edgenas_process_cpu_seconds_total counter"));
  EXPECT_THAT(response->body, HasSubstr("edgenas_process_resident_memory_bytes "));
}

// Snapshot families are rebuilt at every scrape: a series that is gone from
// the state is gone from the next scrape.
TEST(MetricsServer, SnapshotSeriesFollowTheStateAtEachScrape) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto server = MetricsServer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(server.ok()) << server.status();
  auto jobs = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"job-1", "job-2"});
  (*server)->Add(std::make_shared<SnapshotCollector>([jobs] {
    GaugeFamilyBuilder family("edgenas_test_job_progress_ratio", "progress per job");
    for (const std::string& id : *jobs) family.Add({{"job_id", id}}, 0.5);
    return std::vector<prometheus::MetricFamily>{std::move(family).Build()};
  }));
  auto first = testing::HttpGet((*server)->port(), "/metrics");
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_THAT(first->body, HasSubstr("edgenas_test_job_progress_ratio{job_id=\"job-1\"} 0.5"));
  EXPECT_THAT(first->body, HasSubstr("edgenas_test_job_progress_ratio{job_id=\"job-2\"} 0.5"));
  jobs->pop_back();
  auto second = testing::HttpGet((*server)->port(), "/metrics");
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_THAT(second->body, HasSubstr("job_id=\"job-1\""));
  EXPECT_THAT(second->body, Not(HasSubstr("job_id=\"job-2\"")));
}

// "" and "off" disable the endpoint: no server, no error.
TEST(MetricsServer, OffAndEmptyDisable) {
  auto registry = std::make_shared<prometheus::Registry>();
  for (const char* listen : {"", "off"}) {
    auto server = StartMetricsFromFlags(listen, "", registry);
    ASSERT_TRUE(server.ok()) << server.status();
    EXPECT_EQ(*server, nullptr);
  }
}

// A malformed address is INVALID_ARGUMENT naming the flag; a taken port is
// UNAVAILABLE (the binary refuses to start rather than run blind).
TEST(MetricsServer, BadOrTakenAddressIsAnError) {
  auto registry = std::make_shared<prometheus::Registry>();
  auto bad = StartMetricsFromFlags("localhost", "", registry);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(bad.status().message()), HasSubstr("--metrics_listen"));
  auto first = MetricsServer::Start("127.0.0.1:0", registry);
  ASSERT_TRUE(first.ok()) << first.status();
  auto taken = MetricsServer::Start("127.0.0.1:" + std::to_string((*first)->port()), registry);
  ASSERT_FALSE(taken.ok());
  EXPECT_EQ(taken.status().code(), absl::StatusCode::kUnavailable);
}

// The bound port is written to the port file for tests and supervisors.
TEST(MetricsServer, WritesBoundPortToPortFile) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("metrics-port-" + std::to_string(::getpid())))
          .string();
  auto server = StartMetricsFromFlags("127.0.0.1:0", path, std::make_shared<prometheus::Registry>());
  ASSERT_TRUE(server.ok()) << server.status();
  ASSERT_NE(*server, nullptr);
  std::ifstream in(path);
  int port = 0;
  in >> port;
  EXPECT_EQ(port, (*server)->port());
  std::filesystem::remove(path);
}

// Exponential bucket bounds are start * factor^i.
TEST(ExponentialBuckets, MultipliesByFactor) {
  EXPECT_THAT(ExponentialBuckets(0.001, 10, 4),
              ::testing::ElementsAre(::testing::DoubleEq(0.001), ::testing::DoubleEq(0.01),
                                     ::testing::DoubleEq(0.1), ::testing::DoubleEq(1.0)));
}

}  // namespace
}  // namespace edgenas
