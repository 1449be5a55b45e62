// Pareto front renderings (table, CSV, JSON) and the progress line.
#include "cli/front_format.h"

#include <algorithm>
#include <sstream>
#include <string>

#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "google/protobuf/util/message_differencer.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

v1::ParetoFront SampleFront() {
  v1::ParetoFront front;
  const bool ok = google::protobuf::TextFormat::ParseFromString(R"pb(
    job_id: "j1"
    objectives { metric: "accuracy" direction: MAXIMIZE }
    objectives { metric: "latency_ms" direction: MINIMIZE device_class: "cpu" }
    candidates {
      id: "c2"
      arch: "|none~0|+|skip_connect~0|none~1|"
      metrics { name: "accuracy" value: 0.85 }
      metrics { name: "latency_ms" value: 0.5 device_class: "cpu" }
      metrics { name: "params" value: 1234 }
    }
    candidates {
      id: "c1"
      arch: "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|"
      metrics { name: "accuracy" value: 0.91234 }
      metrics { name: "latency_ms" value: 1.23456 device_class: "cpu" }
      metrics { name: "params" value: 123456 }
    }
    candidates {
      id: "c3"
      arch: "odd, \"quoted\" arch"
      metrics { name: "latency_ms" value: 0.25 device_class: "cpu" }
    }
    hypervolume: 0.5
  )pb", &front);
  EXPECT_TRUE(ok);
  return front;
}

// Rows go best-first by the first objective, numbers right-aligned and
// formatted per metric, missing values as "-".
TEST(FormatFrontTable, AlignsColumnsAndFormatsPerMetric) {
  const std::string expected =
      "#  accuracy  latency_ms   params  arch\n"
      "1    91.23%       1.235  123,456  |nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|\n"
      "2    85.00%       0.500    1,234  |none~0|+|skip_connect~0|none~1|\n"
      "3         -       0.250        -  odd, \"quoted\" arch\n";
  EXPECT_EQ(FormatFrontTable(SampleFront()), expected);
}

// An empty front says so instead of printing a bare header.
TEST(FormatFrontTable, EmptyFrontSaysSo) {
  EXPECT_EQ(FormatFrontTable(v1::ParetoFront()), "(the Pareto front is empty)\n");
}

// CSV has a header, raw values, and RFC 4180 quoting for awkward fields.
TEST(FormatFrontCsv, HeaderRawValuesAndQuoting) {
  const std::string expected =
      "rank,candidate_id,accuracy,latency_ms,params,unstable,arch\r\n"
      "1,c1,0.91234,1.23456,123456,,|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|\r\n"
      "2,c2,0.85,0.5,1234,,|none~0|+|skip_connect~0|none~1|\r\n"
      "3,c3,,0.25,,,\"odd, \"\"quoted\"\" arch\"\r\n";
  EXPECT_EQ(FormatFrontCsv(SampleFront()), expected);
}

// A value an agent reported as unstable is marked in the table ('~' and a
// note), named in the CSV's unstable column, and carried in the JSON.
TEST(FormatFront, MarksUnstableValues) {
  v1::ParetoFront front = SampleFront();
  for (v1::Metric& m : *front.mutable_candidates(1)->mutable_metrics()) {
    if (m.name() == "latency_ms") {
      m.set_unstable(true);
      m.set_ci_low(1.1);
      m.set_ci_high(1.4);
    }
  }
  const std::string table = FormatFrontTable(front);
  EXPECT_THAT(table, HasSubstr("1.235~"));
  EXPECT_THAT(table, HasSubstr("0.500  "));  // the stable ones are unmarked
  EXPECT_THAT(table, HasSubstr("note: ~ marks an unstable measurement"));
  EXPECT_THAT(FormatFrontTable(SampleFront()), ::testing::Not(HasSubstr("unstable")));
  EXPECT_THAT(FormatFrontCsv(front),
              HasSubstr("1,c1,0.91234,1.23456,123456,latency_ms,|nor_conv_3x3~0|"));
  absl::StatusOr<std::string> json = FormatFrontJson(front);
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(*json, HasSubstr("\"unstable\": true"));
  EXPECT_THAT(*json, HasSubstr("\"ci_high\": 1.4"));
}

// The same metric on two devices gets device-qualified headers.
TEST(FormatFrontCsv, SameMetricOnTwoDevicesGetsQualifiedHeaders) {
  v1::ParetoFront front;
  front.add_objectives()->set_metric("latency_ms");
  front.mutable_objectives(0)->set_device_class("cpu");
  front.add_objectives()->set_metric("latency_ms");
  front.mutable_objectives(1)->set_device_class("rpi5");
  EXPECT_THAT(FormatFrontCsv(front), HasSubstr("latency_ms@cpu,latency_ms@rpi5,params"));
}

// The JSON is valid and parses back into the same message.
TEST(FormatFrontJson, ParsesBackToTheSameFront) {
  const v1::ParetoFront front = SampleFront();
  absl::StatusOr<std::string> json = FormatFrontJson(front);
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_THAT(*json, HasSubstr("\"job_id\": \"j1\""));
  v1::ParetoFront parsed;
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(*json, &parsed).ok());
  EXPECT_TRUE(google::protobuf::util::MessageDifferencer::Equals(parsed, front));
}

// Per-metric formats: percent, 3 decimals, grouped integers.
TEST(FormatMetricValue, UsesMetricSpecificFormats) {
  EXPECT_EQ(FormatMetricValue("accuracy", 0.9), "90.00%");
  EXPECT_EQ(FormatMetricValue("latency_ms", 2.0), "2.000");
  EXPECT_EQ(FormatMetricValue("params", 1234567), "1,234,567");
  EXPECT_EQ(FormatMetricValue("params", 999), "999");
  EXPECT_EQ(FormatMetricValue("something", 0.5), "0.5");
}

v1::Job SampleJob(v1::JobState state) {
  v1::Job job;
  job.set_id("7f3a");
  job.set_state(state);
  job.mutable_spec()->mutable_budget()->set_max_evaluations(24);
  job.set_candidates_done(12);
  job.set_candidates_failed(1);
  job.set_candidates_pending(2);
  job.set_front_size(5);
  job.set_hypervolume(0.41234);
  job.set_created_unix_ms(1'000'000);
  job.set_updated_unix_ms(1'000'000 + 45'000);
  return job;
}

// A running job counts elapsed time up to now.
TEST(FormatProgressLine, RunningJobShowsCountsAndElapsed) {
  const absl::Time now = absl::FromUnixMillis(1'000'000 + 83'000);
  EXPECT_EQ(FormatProgressLine(SampleJob(v1::JOB_SEARCHING), now),
            "job 7f3a: searching | done 12/24 failed 1 pending 2 | front 5 | hv 0.4123 | 1m23s");
}

// An ended job stops its clock at the last update and shows why it failed.
TEST(FormatProgressLine, FailedJobShowsMessageAndFrozenClock) {
  v1::Job job = SampleJob(v1::JOB_FAILED);
  job.set_message("no worker\nregistered");
  const absl::Time now = absl::FromUnixMillis(9'000'000);
  EXPECT_EQ(FormatProgressLine(job, now),
            "job 7f3a: failed | done 12/24 failed 1 pending 2 | front 5 | hv 0.4123 | 45s"
            " | no worker registered");
}

// A job the coordinator could not load says so, with why.
TEST(FormatProgressLine, JobThatFailedToLoadSaysSoWithWhy) {
  v1::Job job = SampleJob(v1::JOB_SEARCHING);
  job.set_load_failed(true);
  job.set_message("cannot load this job (disk I/O error)");
  const absl::Time now = absl::FromUnixMillis(1'000'000 + 83'000);
  EXPECT_EQ(FormatProgressLine(job, now),
            "job 7f3a: not loaded (searching) | done 12/24 failed 1 pending 2 | front 5 | hv "
            "0.4123 | 1m23s | cannot load this job (disk I/O error)");
}

// On a terminal the line is redrawn in place; otherwise one line per change.
TEST(ProgressPrinter, RedrawsOnTtyAndAppendsOtherwise) {
  std::ostringstream tty;
  ProgressPrinter on_tty(tty, /*is_tty=*/true);
  v1::Job job = SampleJob(v1::JOB_DONE);
  on_tty.Update(job);
  on_tty.Update(job);  // unchanged: not repeated
  on_tty.Finish();
  EXPECT_EQ(tty.str(), "\r" + FormatProgressLine(job, absl::Now()) + "\x1b[K\n");

  std::ostringstream pipe;
  ProgressPrinter on_pipe(pipe, /*is_tty=*/false);
  on_pipe.Update(job);
  job.set_candidates_done(13);
  on_pipe.Update(job);
  on_pipe.Finish();
  const std::string lines = pipe.str();
  EXPECT_EQ(std::count(lines.begin(), lines.end(), '\n'), 2);
  EXPECT_EQ(lines.find('\r'), std::string::npos);
}

}  // namespace
}  // namespace edgenas

namespace edgenas {
namespace {

// What could not be measured is said under the table, once per distinct note.
TEST(FormatFrontTable, ListsUnavailableMeasurementsOnce) {
  v1::ParetoFront front;
  front.add_objectives()->set_metric("accuracy");
  for (const char* id : {"a", "b"}) {
    v1::Candidate* c = front.add_candidates();
    c->set_id(id);
    c->add_notes("latency.cpu: energy_mj unavailable: no powercap RAPL zones");
    c->add_notes("accuracy: device=cpu threads=1");
  }
  const std::string table = FormatFrontTable(front);
  EXPECT_THAT(table, ::testing::HasSubstr(
                         "note: latency.cpu: energy_mj unavailable: no powercap RAPL zones\n"));
  EXPECT_EQ(table.find("unavailable"), table.rfind("unavailable"));
  EXPECT_THAT(table, ::testing::Not(::testing::HasSubstr("threads=1")));
}

// A finalist's full-training accuracy beside the proxy the search used:
// "all" gives one column per source kind, a kind only its values, and the
// default the first (search) value; rows keep the search's order.
TEST(FormatFrontTable, ShowsValuesBySource) {
  v1::ParetoFront front;
  ASSERT_TRUE(google::protobuf::TextFormat::ParseFromString(R"pb(
    objectives { metric: "accuracy" direction: MAXIMIZE }
    candidates {
      id: "a"
      arch: "A"
      metrics { name: "accuracy" value: 0.80 source: "worker:flash_distill:cpu" }
      metrics { name: "accuracy" value: 0.90 source: "worker:full_train:cpu" }
    }
    candidates {
      id: "b"
      arch: "B"
      metrics { name: "accuracy" value: 0.85 source: "worker:flash_distill:cpu" }
    }
  )pb", &front));
  EXPECT_EQ(FormatFrontTable(front),
            "#  accuracy  params  arch\n"
            "1    85.00%       -  B\n"
            "2    80.00%       -  A\n");
  EXPECT_EQ(FormatFrontTable(front, {"all"}),
            "#  accuracy[flash_distill]  accuracy[full_train]  params  arch\n"
            "1                   85.00%                     -       -  B\n"
            "2                   80.00%                90.00%       -  A\n");
  EXPECT_THAT(FormatFrontCsv(front, {"full_train"}), HasSubstr("accuracy[full_train]"));
  EXPECT_THAT(FormatFrontCsv(front, {"full_train"}), HasSubstr(",0.9,"));
  EXPECT_EQ(SourceKind("worker:supernet:cuda"), "supernet");
  EXPECT_EQ(SourceKind("table"), "table");
}

// A winner's test_accuracy (fidelity -1, after the search) shows beside the
// search's accuracy in the table and CSV, and in the JSON with its source;
// front members without one show "-" (or an empty CSV field).
TEST(FormatFront, ShowsTestAccuracyBesideAccuracy) {
  v1::ParetoFront front = SampleFront();
  v1::Metric* test = front.mutable_candidates(1)->add_metrics();
  test->set_name("test_accuracy");
  test->set_value(0.9012);
  test->set_fidelity(-1);
  test->set_source("worker:test_eval:cpu");
  const std::string expected =
      "#  accuracy  test_accuracy  latency_ms   params  arch\n"
      "1    91.23%         90.12%       1.235  123,456  "
      "|nor_conv_3x3~0|+|nor_conv_3x3~0|nor_conv_1x1~1|\n"
      "2    85.00%              -       0.500    1,234  |none~0|+|skip_connect~0|none~1|\n"
      "3         -              -       0.250        -  odd, \"quoted\" arch\n";
  EXPECT_EQ(FormatFrontTable(front), expected);
  const std::string csv = FormatFrontCsv(front);
  EXPECT_THAT(csv, HasSubstr("rank,candidate_id,accuracy,test_accuracy,latency_ms,params,"));
  EXPECT_THAT(csv, HasSubstr("1,c1,0.91234,0.9012,1.23456,123456,"));
  EXPECT_THAT(csv, HasSubstr("2,c2,0.85,,0.5,1234,"));
  absl::StatusOr<std::string> json = FormatFrontJson(front);
  ASSERT_TRUE(json.ok());
  EXPECT_THAT(*json, HasSubstr("\"test_accuracy\""));
  EXPECT_THAT(*json, HasSubstr("worker:test_eval:cpu"));
  // Without any test_accuracy there is no column.
  EXPECT_THAT(FormatFrontTable(SampleFront()), ::testing::Not(HasSubstr("test_accuracy")));
}

TEST(JobStateName, NamesEveryStage) {
  EXPECT_EQ(JobStateName(v1::JOB_PREPARING), "preparing");
  EXPECT_EQ(JobStateName(v1::JOB_FINALIZING), "finalizing");
  EXPECT_EQ(JobStateName(v1::JOB_SEARCHING), "searching");
}

}  // namespace
}  // namespace edgenas
