// The `edgenas` CLI against the real binaries, as a script would use it:
// `watch` on a pipe prints plain progress lines and exits 0 once the job is
// DONE; `pareto --plot` writes an SVG with every candidate and the front;
// `--csv` and `--json` print the front; `candidates --csv` lists every
// candidate with its metrics; exit codes are 0 / 1 / 2 as
// documented (`edgenas help`).
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "cli/process.h"
#include "spaces/nb201/nb201_space.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/integration/cluster.h"

namespace edgenas {
namespace {

using testing::Cluster;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr int kEvaluations = 12;

struct CliRun {
  int code = -1;
  std::string out;  // stdout and stderr together
};

// Runs `edgenas args...` to its end (bounded, as a guard against hangs).
CliRun Edgenas(const Cluster& cluster, const std::vector<std::string>& args, const std::string& tag) {
  std::vector<std::string> argv = {Cluster::Binary("edgenas")};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.push_back("--coordinator=" + cluster.address());
  const std::string log = cluster.dir() + "/cli-" + tag + ".log";
  CliRun run;
  auto child = ChildProcess::Spawn(argv, log);
  if (!child.ok()) return run;
  auto status = (*child)->Wait(absl::Seconds(600));
  if (status.ok() && status->Exited()) run.code = status->code;
  std::ifstream in(log);
  std::stringstream text;
  text << in.rdbuf();
  run.out = text.str();
  return run;
}

int Count(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t at = text.find(needle); at != std::string::npos; at = text.find(needle, at + 1)) ++n;
  return n;
}

// The fields of one RFC 4180 CSV line (quoted fields may hold commas).
std::vector<std::string> CsvFields(const std::string& line) {
  std::vector<std::string> fields(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted && c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
      fields.back() += '"';
      ++i;
    } else if (c == '"') {
      quoted = !quoted;
    } else if (c == ',' && !quoted) {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  return fields;
}

v1::JobSpec TableJob(const std::string& table) {
  v1::JobSpec spec;
  spec.set_name("cli-session");
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name("random");
  spec.mutable_evaluation()->set_mode("table");
  spec.mutable_evaluation()->mutable_table()->set_path(table);
  spec.mutable_evaluation()->mutable_table()->set_accuracy_column("acc_pct");
  auto* acc = spec.add_objectives();
  acc->set_metric("accuracy");
  acc->set_direction(v1::MAXIMIZE);
  auto* lat = spec.add_objectives();
  lat->set_metric("latency_ms");
  lat->set_direction(v1::MINIMIZE);
  lat->set_device_class("board");
  spec.mutable_budget()->set_max_evaluations(kEvaluations);
  spec.set_parallelism(3);
  spec.set_seed(21);
  return spec;
}

TEST(CliSession, WatchPlotCsvJsonAndExitCodes) {
  Cluster cluster;
  const std::string table = cluster.dir() + "/nb201.csv";
  {
    std::ofstream out(table);
    out << "arch,acc_pct,lat_ms\n";
    Nb201Space space;
    for (int i = 0; i < 15625; ++i) {
      out << space.Print(Nb201Space::FromIndex(i)) << ","
          << absl::StrFormat("%.3f,%.4f", 40.0 + (i * 37 % 4000) / 100.0,
                             0.5 + (i * 13 % 997) / 100.0)
          << "\n";
    }
  }
  ASSERT_TRUE(cluster.StartCoordinator().ok());
  ASSERT_TRUE(cluster.StartWorker("worker-1").ok());
  ASSERT_TRUE(cluster
                  .StartAgentWithFlags("board-1", {"--device_class=board", "--runner=replay",
                                                   "--replay_table=" + table,
                                                   "--replay_latency_column=lat_ms"})
                  .ok());
  const std::string job_id = testing::Submit(cluster, TableJob(table));
  ASSERT_FALSE(job_id.empty());

  // A pipe is not a terminal: plain lines, no redraws, exit 0 on DONE.
  const CliRun watch = Edgenas(cluster, {"watch", job_id}, "watch");
  EXPECT_EQ(watch.code, 0) << watch.out;
  EXPECT_THAT(watch.out, HasSubstr(absl::StrCat("job ", job_id, " done: ", kEvaluations, "/",
                                                kEvaluations, " evaluated, 0 failed")));
  EXPECT_THAT(watch.out, HasSubstr("best "));
  EXPECT_THAT(watch.out, Not(HasSubstr("\r")));
  EXPECT_THAT(watch.out, Not(HasSubstr("\x1b[")));

  // --plot: every candidate drawn once, front members highlighted.
  const std::string svg_path = cluster.dir() + "/front.svg";
  const CliRun plot = Edgenas(cluster, {"pareto", job_id, "--csv", "--plot", svg_path}, "plot");
  EXPECT_EQ(plot.code, 0) << plot.out;
  std::ifstream in(svg_path);
  std::stringstream svg;
  svg << in.rdbuf();
  const int front = Count(svg.str(), "class=\"front\"");
  EXPECT_GE(front, 1);
  EXPECT_EQ(Count(svg.str(), "class=\"candidate\"") + front, kEvaluations) << svg.str();
  EXPECT_THAT(svg.str(), HasSubstr("latency_ms on board (ms)"));
  EXPECT_THAT(svg.str(), HasSubstr("accuracy (%)"));
  // The CSV has a header and one row per front member.
  EXPECT_THAT(plot.out, HasSubstr("rank,candidate_id,accuracy,latency_ms"));
  EXPECT_EQ(Count(plot.out, absl::StrCat(",", job_id, "-")), front) << plot.out;

  const CliRun json = Edgenas(cluster, {"pareto", job_id, "--json"}, "json");
  EXPECT_EQ(json.code, 0);
  EXPECT_THAT(json.out, HasSubstr(absl::StrCat("\"job_id\": \"", job_id, "\"")));

  // candidates --csv: every candidate once (three pages of 5), each with
  // its accuracy and its measured latency.
  const CliRun csv =
      Edgenas(cluster, {"candidates", job_id, "--csv", "--page_size", "5"}, "candidates");
  EXPECT_EQ(csv.code, 0) << csv.out;
  const std::vector<std::string> lines = absl::StrSplit(csv.out, "\r\n", absl::SkipEmpty());
  ASSERT_EQ(lines.size(), static_cast<size_t>(kEvaluations) + 1) << csv.out;
  const std::vector<std::string> header = CsvFields(lines[0]);
  const auto column = [&header](const std::string& name) {
    return std::find(header.begin(), header.end(), name) - header.begin();
  };
  ASSERT_EQ(column("id"), 0);
  const size_t accuracy = column("accuracy");
  const size_t latency = column("latency_ms@board");
  const size_t source = column("latency_ms@board.source");
  ASSERT_LT(accuracy, header.size()) << lines[0];
  ASSERT_LT(latency, header.size()) << lines[0];
  ASSERT_LT(source, header.size()) << lines[0];
  for (int i = 0; i < kEvaluations; ++i) {
    const std::vector<std::string> row = CsvFields(lines[i + 1]);
    ASSERT_EQ(row.size(), header.size()) << lines[i + 1];
    EXPECT_EQ(row[0], absl::StrFormat("%s-%04d", job_id, i));
    EXPECT_EQ(row[1], absl::StrCat(i));
    EXPECT_EQ(row[2], "done");
    double value = 0;
    EXPECT_TRUE(absl::SimpleAtod(row[accuracy], &value)) << lines[i + 1];
    EXPECT_TRUE(absl::SimpleAtod(row[latency], &value)) << lines[i + 1];
    EXPECT_THAT(row[source], HasSubstr("replay")) << lines[i + 1];
  }
  EXPECT_EQ(Edgenas(cluster, {"candidates", "job-nope"}, "candidates-missing").code, 1);
  const CliRun bad_state =
      Edgenas(cluster, {"candidates", job_id, "--state", "finished"}, "candidates-usage");
  EXPECT_EQ(bad_state.code, 2) << bad_state.out;

  // Exit codes: 1 for a refused RPC, 2 for a usage error.
  EXPECT_EQ(Edgenas(cluster, {"pareto", "job-nope"}, "missing").code, 1);
  EXPECT_EQ(Edgenas(cluster, {"pareto", job_id, "--cvs"}, "usage").code, 2);
  const CliRun cancel = Edgenas(cluster, {"cancel", job_id}, "cancel-done");
  EXPECT_EQ(cancel.code, 1) << "a finished job cannot be cancelled: " << cancel.out;
}

}  // namespace
}  // namespace edgenas
