// zero_cost_bench: scores a seeded sample of an NB201 table's cells with
// zero-cost proxies of untrained networks (worker/zero_cost/) and prints,
// per proxy and accuracy column, Spearman's rho and Kendall's tau-b between
// score and accuracy, with seconds per cell, beside the published figures.
//
//   zero_cost_bench --table ../shared/data/nb201/nb201_pi5.csv
//       --accuracy cifar100_test_acc_200ep --classes 100 --input 3x32x32
//       [--cells 1000] [--seed 1] [--proxies synflow,jacob_cov,...]
//       [--arch_column arch] [--channels 16] [--cells_per_stage 5]
//       [--batch 64] [--json OUT]
#include <cstdio>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "bench/zero_cost/bench_report.h"
#include "common/atomic_file.h"
#include "common/csv_table.h"
#include "common/field_error.h"
#include "common/random.h"
#include "common/status_macros.h"
#include "worker/zero_cost/zero_cost.h"

ABSL_FLAG(std::string, table, "", "CSV table of NB201 cells (read in place, never copied)");
ABSL_FLAG(std::string, accuracy, "", "accuracy column(s), comma-separated");
ABSL_FLAG(int, classes, 0, "classes of the networks' classifier");
ABSL_FLAG(std::string, input, "", "input image shape CxHxW, e.g. 3x32x32");
ABSL_FLAG(int, cells, 1000, "cells drawn from the table (0: all)");
ABSL_FLAG(int, seed, 1, "draws the cells; seeds each network's init and data batch");
ABSL_FLAG(std::string, proxies, "", "proxies to score, comma-separated (default: all)");
ABSL_FLAG(std::string, arch_column, "arch", "the table's architecture column");
ABSL_FLAG(int, channels, 16, "NB201 first-stage width the networks are built with");
ABSL_FLAG(int, cells_per_stage, 5, "NB201 cells per stage the networks are built with");
ABSL_FLAG(int, batch, 64, "batch of the data proxies (seeded Gaussian images)");
ABSL_FLAG(std::string, json, "", "write the rows here as JSON");

namespace edgenas {
namespace {

absl::StatusOr<InputShape> ParseInput(const std::string& text, int classes) {
  std::vector<std::string> parts = absl::StrSplit(text, 'x');
  InputShape shape;
  int* dims[] = {&shape.channels, &shape.height, &shape.width};
  if (parts.size() != 3) {
    return FieldError("--input", absl::StrCat("want CxHxW, got \"", text, "\""));
  }
  for (int i = 0; i < 3; ++i) {
    if (!absl::SimpleAtoi(parts[i], dims[i]) || *dims[i] < 1) {
      return FieldError("--input", absl::StrCat("want positive CxHxW, got \"", text, "\""));
    }
  }
  if (classes < 2) {
    return FieldError("--classes", absl::StrCat("must be at least 2, got ", classes));
  }
  shape.classes = classes;
  return shape;
}

// A seeded draw of `count` distinct rows of `rows` (all, shuffled, when
// count is 0 or at least rows).
std::vector<int> DrawRows(int rows, int count, uint64_t seed) {
  std::vector<int> order(rows);
  for (int i = 0; i < rows; ++i) order[i] = i;
  Rng rng(seed);
  for (int i = rows - 1; i > 0; --i) std::swap(order[i], order[rng.UniformInt(i + 1)]);
  if (count > 0 && count < rows) order.resize(count);
  return order;
}

absl::Status Run() {
  const std::string table_path = absl::GetFlag(FLAGS_table);
  if (table_path.empty()) return FieldError("--table", "required");
  const std::vector<std::string> columns =
      absl::StrSplit(absl::GetFlag(FLAGS_accuracy), ',', absl::SkipEmpty());
  if (columns.empty()) return FieldError("--accuracy", "name at least one column");
  ASSIGN_OR_RETURN(const InputShape input,
                   ParseInput(absl::GetFlag(FLAGS_input), absl::GetFlag(FLAGS_classes)));
  const int cells = absl::GetFlag(FLAGS_cells);
  if (cells < 0) return FieldError("--cells", absl::StrCat("must be >= 0, got ", cells));
  std::vector<std::string> proxies =
      absl::StrSplit(absl::GetFlag(FLAGS_proxies), ',', absl::SkipEmpty());
  if (proxies.empty()) proxies = ZeroCostProxyNames();
  for (const std::string& p : proxies) {
    if (absl::Status s = CheckZeroCostProxy(p); !s.ok()) return PrefixFieldError("--proxies", s);
  }
  const std::string arch_column = absl::GetFlag(FLAGS_arch_column);
  ASSIGN_OR_RETURN(const CsvTable table, CsvTable::Load(table_path, arch_column));
  std::vector<std::vector<double>> accuracy;
  for (const std::string& c : columns) {
    ASSIGN_OR_RETURN(std::vector<double> values, table.NumericColumn(c));
    accuracy.push_back(std::move(values));
  }
  const uint64_t seed = static_cast<uint64_t>(absl::GetFlag(FLAGS_seed));
  const std::vector<int> rows = DrawRows(table.NumRows(), cells, seed);

  ZeroCostRequest request;
  request.space.name = "nb201";
  request.space.options = {
      {"channels", std::to_string(absl::GetFlag(FLAGS_channels))},
      {"cells_per_stage", std::to_string(absl::GetFlag(FLAGS_cells_per_stage))}};
  request.input = input;
  request.batch = absl::GetFlag(FLAGS_batch);
  std::printf("zero_cost_bench: table %s (%d rows), %zu cells drawn with seed %llu, NB201 "
              "channels=%d cells_per_stage=%d, input %s, batch %d (seeded Gaussian images)\n",
              table_path.c_str(), table.NumRows(), rows.size(),
              static_cast<unsigned long long>(seed), absl::GetFlag(FLAGS_channels),
              absl::GetFlag(FLAGS_cells_per_stage), input.ToString().c_str(), request.batch);

  std::vector<ZeroCostRow> report;
  for (const std::string& proxy : proxies) {
    std::vector<double> scores;
    scores.reserve(rows.size());
    const absl::Time start = absl::Now();
    for (int row : rows) {
      request.arch = table.Keys()[row];
      request.seed = seed * 1000003ULL + static_cast<uint64_t>(row);
      absl::StatusOr<double> score = ZeroCostScore(proxy, request);
      if (!score.ok()) {
        return absl::Status(score.status().code(),
                            absl::StrCat(table.source(), " row ", row, " (", request.arch,
                                         "): ", score.status().message()));
      }
      scores.push_back(*score);
    }
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start) / rows.size();
    for (size_t c = 0; c < columns.size(); ++c) {
      std::vector<double> acc;
      acc.reserve(rows.size());
      for (int row : rows) acc.push_back(accuracy[c][row]);
      ASSIGN_OR_RETURN(ZeroCostRow r, CorrelateProxy(proxy, columns[c], scores, acc, seconds));
      std::printf("%s\n", FormatRow(r, seed).c_str());
      std::fflush(stdout);
      report.push_back(std::move(r));
    }
    const std::string published = PublishedFigure(proxy);
    if (!published.empty()) std::printf("          %s\n", published.c_str());
  }
  const std::string json = absl::GetFlag(FLAGS_json);
  if (!json.empty()) RETURN_IF_ERROR(WriteFileAtomically(json, RowsToJson(report)));
  return absl::OkStatus();
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  const absl::Status status = edgenas::Run();
  if (!status.ok()) {
    std::fprintf(stderr, "zero_cost_bench: %s\n", std::string(status.message()).c_str());
    return 1;
  }
  return 0;
}
