// What Complete accepts of a measurement's quality fields: a finite
// interval around the value (or none), a bounded method and descriptor;
// refusals name the field.
#include <limits>
#include <string>
#include <vector>

#include "coordinator/job_runtime.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

v1::Metric Latency(double value, double lo, double hi) {
  v1::Metric m;
  m.set_name("latency_ms");
  m.set_value(value);
  m.set_ci_low(lo);
  m.set_ci_high(hi);
  return m;
}

void ExpectRefused(const v1::Metric& m, const std::string& field) {
  absl::Status s = ValidateReportValues({m}, {});
  EXPECT_TRUE(absl::IsInvalidArgument(s)) << field << ": " << s;
  EXPECT_EQ(s.message().rfind(field, 0), 0u) << s;
}

TEST(MetricQuality, AcceptsIntervalAroundValueOrNone) {
  EXPECT_TRUE(ValidateReportValues({Latency(1.5, 1.4, 1.7)}, {}).ok());
  EXPECT_TRUE(ValidateReportValues({Latency(1.5, 0, 0)}, {}).ok());
  v1::Metric m = Latency(1.5, 1.5, 1.5);
  m.set_unstable(true);
  m.set_method("median of 20 runs");
  m.mutable_device()->set_cpu_model("Cortex-A76");
  EXPECT_TRUE(ValidateReportValues({m}, {}).ok());
}

TEST(MetricQuality, RefusesNonFiniteOrMisplacedIntervalsAndOversizedText) {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  ExpectRefused(Latency(1.5, nan, 1.7), "metrics[0].ci_low");
  ExpectRefused(Latency(1.5, 1.4, inf), "metrics[0].ci_high");
  ExpectRefused(Latency(1.5, 1.6, 1.7), "metrics[0].ci_low");  // value outside
  v1::Metric m = Latency(1.5, 0, 0);
  m.set_method(std::string(600, 'x'));
  ExpectRefused(m, "metrics[0].method");
  m = Latency(1.5, 0, 0);
  m.mutable_device()->set_cpu_model(std::string(300, 'x'));
  ExpectRefused(m, "metrics[0].device.cpu_model");
  m = Latency(1.5, 0, 0);
  m.mutable_device()->set_cores(-1);
  ExpectRefused(m, "metrics[0].device");
}

}  // namespace
}  // namespace edgenas
