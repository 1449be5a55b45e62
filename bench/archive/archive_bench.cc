// archive_bench: what an incremental ParetoArchive costs per result, next to
// the brute-force recompute the coordinator used to do on every result
// (NonDominatedIndices over all candidates + Hypervolume of the front).
//
// Points are NAS-Bench-201 rows (accuracy up, latency down, energy down for
// the third objective), cycled with a small seeded multiplicative jitter so
// repeated rows differ. Prints a table; never passes or fails on time.
//
//   archive_bench [TABLE.csv] [--sizes=1k,10k,100k,1M] [--objectives=2,3]
//                 [--seed=1] [--jitter=0.001] [--accuracy_column=...]
//                 [--latency_column=...] [--energy_column=...]
//                 [--brute_sizes=1k,2k,3k] [--brute_seconds=0.5] [--repeats=3]
#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/pareto.h"
#include "coordinator/pareto_archive.h"

ABSL_FLAG(std::string, table, "",
          "NAS-Bench-201 CSV (default $EDGENAS_SHARED_DIR/data/nb201/nb201_pi5.csv, else "
          "../shared/data/nb201/nb201_pi5.csv); a positional argument works too");
ABSL_FLAG(std::string, accuracy_column, "cifar10_valid_acc_12ep", "objective 1 (maximised)");
ABSL_FLAG(std::string, latency_column, "pi5_litert_latency_ms", "objective 2 (minimised)");
ABSL_FLAG(std::string, energy_column, "pi5_litert_energy_mj", "objective 3 (minimised)");
ABSL_FLAG(std::vector<std::string>, sizes, std::vector<std::string>({"1k", "10k", "100k", "1M"}),
          "points inserted per run (k and M suffixes allowed)");
ABSL_FLAG(std::vector<std::string>, objectives, std::vector<std::string>({"2", "3"}),
          "objective counts to run (2: accuracy, latency; 3: + energy)");
ABSL_FLAG(std::vector<std::string>, brute_sizes, std::vector<std::string>({"1k", "2k", "3k"}),
          "candidate counts for the brute-force comparison");
ABSL_FLAG(double, brute_seconds, 0.5, "time cap per brute-force cell (at least one repetition)");
ABSL_FLAG(int, repeats, 3, "archive runs per cell; the median ns/insert is printed");
ABSL_FLAG(uint64_t, seed, 1, "seed of the jitter");
ABSL_FLAG(double, jitter, 0.001, "relative jitter: each value times (1 + jitter * U[-1, 1])");

namespace edgenas {
namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double>(b - a).count();
}

// Rows of the chosen columns, every value parsed and finite.
struct Table {
  std::vector<std::vector<double>> rows;  // accuracy, latency, energy
  int64_t skipped = 0;                    // rows with a missing or bad value
};

absl::StatusOr<Table> LoadTable(const std::string& path, const std::vector<std::string>& columns) {
  std::ifstream in(path);
  if (!in) {
    return absl::NotFoundError(absl::StrCat(path, ": cannot open (pass the table as an argument ",
                                            "or --table, or set EDGENAS_SHARED_DIR)"));
  }
  std::string line;
  if (!std::getline(in, line)) return absl::InvalidArgumentError(absl::StrCat(path, ": empty"));
  std::vector<std::string> header = absl::StrSplit(absl::StripSuffix(line, "\r"), ',');
  std::vector<size_t> index;
  for (const std::string& name : columns) {
    auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) {
      return absl::InvalidArgumentError(absl::StrCat(path, ": no column \"", name,
                                                     "\"; columns: ", absl::StrJoin(header, ", ")));
    }
    index.push_back(static_cast<size_t>(it - header.begin()));
  }
  Table table;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    // NAS-Bench-201 fields hold no commas (architecture strings use | ~ +).
    std::vector<absl::string_view> fields = absl::StrSplit(absl::StripSuffix(line, "\r"), ',');
    std::vector<double> row;
    for (size_t i : index) {
      double v = 0.0;
      if (i >= fields.size() || !absl::SimpleAtod(fields[i], &v) || !std::isfinite(v)) break;
      row.push_back(v);
    }
    if (row.size() == index.size()) {
      table.rows.push_back(std::move(row));
    } else {
      ++table.skipped;
    }
  }
  if (table.rows.empty()) return absl::InvalidArgumentError(absl::StrCat(path, ": no usable rows"));
  return table;
}

// `n` points of `dims` objectives, flat: row i % rows, each value jittered.
std::vector<double> JitteredPoints(const Table& table, size_t dims, int64_t n, uint64_t seed,
                                   double jitter) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::vector<double> flat(static_cast<size_t>(n) * dims);
  for (int64_t i = 0; i < n; ++i) {
    const std::vector<double>& row = table.rows[static_cast<size_t>(i) % table.rows.size()];
    for (size_t d = 0; d < dims; ++d) flat[i * dims + d] = row[d] * (1.0 + jitter * u(rng));
  }
  return flat;
}

std::vector<Sense> SensesFor(size_t dims) {
  std::vector<Sense> senses = {Sense::kMaximize, Sense::kMinimize, Sense::kMinimize};
  senses.resize(dims);
  return senses;
}

// A value of /proc/self/status in kB (VmRSS, VmHWM), or -1.
int64_t ProcStatusKb(const std::string& key) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view rest = line;
    if (absl::ConsumePrefix(&rest, key + ":")) return std::atoll(std::string(rest).c_str());
  }
  return -1;
}

std::string CpuModel() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const size_t colon = line.find(':');
      if (colon != std::string::npos) return line.substr(colon + 2);
    }
  }
  return "unknown";
}

std::string SizeLabel(int64_t n) {
  if (n >= 1000000 && n % 1000000 == 0) return absl::StrCat(n / 1000000, "M");
  if (n >= 1000 && n % 1000 == 0) return absl::StrCat(n / 1000, "k");
  return absl::StrCat(n);
}

absl::StatusOr<std::vector<int64_t>> ParseCounts(const std::vector<std::string>& items,
                                                 const std::string& flag) {
  std::vector<int64_t> out;
  for (const std::string& item : items) {
    absl::string_view s = item;
    int64_t scale = 1;
    if (absl::ConsumeSuffix(&s, "k")) scale = 1000;
    if (absl::ConsumeSuffix(&s, "M")) scale = 1000000;
    int64_t v = 0;
    if (!absl::SimpleAtoi(s, &v) || v <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": bad count \"", s, "\""));
    }
    out.push_back(v * scale);
  }
  return out;
}

volatile double g_sink = 0.0;  // keeps timed results alive

// One improved copy of a front member: better by a hair in the first
// objective, equal elsewhere, so it dominates the member and joins the front.
Point Nudged(const ArchiveMember& m, const std::vector<Sense>& senses, double direction) {
  Point p = m.point;
  const double step = std::max(std::fabs(p[0]) * 1e-9, 1e-12);
  p[0] += (senses[0] == Sense::kMaximize ? step : -step) * direction;
  return p;
}

double Median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// Fills a fresh archive with the n points of `flat`; returns seconds spent.
double FillArchive(ParetoArchive& archive, const std::vector<double>& flat, size_t dims,
                   int64_t n, int64_t* joined) {
  Point p(dims);
  std::string id;
  *joined = 0;
  const auto t0 = Clock::now();
  for (int64_t i = 0; i < n; ++i) {
    std::copy_n(flat.begin() + i * dims, dims, p.begin());
    id = absl::StrCat(i);
    *joined += archive.Insert(id, p);
  }
  return Seconds(t0, Clock::now());
}

// Inserts n jittered points into fresh archives (`repeats` times, the median
// of the per-run means is printed: this machine is shared), then times front
// queries on the last archive; prints one table row.
void RunArchive(const Table& table, size_t dims, int64_t n, uint64_t seed, double jitter,
                int repeats) {
  const std::vector<Sense> senses = SensesFor(dims);
  std::vector<double> flat = JitteredPoints(table, dims, n, seed, jitter);
  const Point reference =
      DeriveReference(senses, {}, Point(flat.begin(), flat.begin() + dims));
  std::unique_ptr<ParetoArchive> archive;
  std::vector<double> ns_per_insert;
  int64_t joined = 0;
  for (int r = 0; r < repeats; ++r) {
    archive = std::make_unique<ParetoArchive>(senses, reference);
    ns_per_insert.push_back(FillArchive(*archive, flat, dims, n, &joined) * 1e9 / n);
  }
  std::vector<double>().swap(flat);
  const size_t front_size = archive->FrontSize();
  const double hypervolume = archive->Hypervolume();

  // Queries after an insert that changed the front (a member improved by a
  // hair) and after one that did not (a member worsened by a hair).
  const int kMaxQueries = 200;
  std::vector<double> changed_us, unchanged_ns;
  const auto budget_end = Clock::now() + std::chrono::milliseconds(500);
  for (int q = 0; q < kMaxQueries && (q < 5 || Clock::now() < budget_end); ++q) {
    const ArchiveMember member = archive->Front()[static_cast<size_t>(q) % archive->FrontSize()];
    if (archive->Insert(absl::StrCat("better", q), Nudged(member, senses, +1.0))) {
      const auto a = Clock::now();
      g_sink = g_sink + archive->Front().size() + archive->Hypervolume();
      changed_us.push_back(Seconds(a, Clock::now()) * 1e6);
    }
    const ArchiveMember& again = archive->Front()[static_cast<size_t>(q) % archive->FrontSize()];
    if (!archive->Insert(absl::StrCat("worse", q), Nudged(again, senses, -1.0))) {
      const auto a = Clock::now();
      g_sink = g_sink + archive->Front().size() + archive->Hypervolume();
      unchanged_ns.push_back(Seconds(a, Clock::now()) * 1e9);
    }
  }
  std::printf("%4zu %8s %11.1f %8" PRId64 " %7zu %14.6g %14.2f %16.1f %8.1f\n", dims,
              SizeLabel(n).c_str(), Median(ns_per_insert), joined, front_size, hypervolume,
              Median(changed_us), Median(unchanged_ns), ProcStatusKb("VmRSS") / 1024.0);
  std::fflush(stdout);
}

// The old per-result cost with n candidates stored: the front from all of
// them, then the hypervolume of the front. Repeated until `cap_s`.
void RunBruteForce(const Table& table, size_t dims, int64_t n, uint64_t seed, double jitter,
                   double cap_s) {
  const std::vector<Sense> senses = SensesFor(dims);
  const std::vector<double> flat = JitteredPoints(table, dims, n, seed, jitter);
  std::vector<Point> points;
  for (int64_t i = 0; i < n; ++i) {
    points.emplace_back(flat.begin() + i * dims, flat.begin() + (i + 1) * dims);
  }
  const Point reference = DeriveReference(senses, {}, points[0]);
  int reps = 0;
  size_t front_size = 0;
  const auto t0 = Clock::now();
  do {
    std::vector<Point> front;
    for (int i : NonDominatedIndices(points, senses)) front.push_back(points[i]);
    auto hv = edgenas::Hypervolume(front, reference, senses);
    g_sink = g_sink + (hv.ok() ? *hv : 0.0);
    front_size = front.size();
    ++reps;
  } while (Seconds(t0, Clock::now()) < cap_s);
  const double per_result_ms = Seconds(t0, Clock::now()) * 1e3 / reps;
  std::printf("%4zu %8s %13.3f %6d %7zu\n", dims, SizeLabel(n).c_str(), per_result_ms, reps,
              front_size);
  std::fflush(stdout);
}

std::string DefaultTablePath() {
  if (const char* shared = std::getenv("EDGENAS_SHARED_DIR"); shared && *shared) {
    return absl::StrCat(shared, "/data/nb201/nb201_pi5.csv");
  }
  return "../shared/data/nb201/nb201_pi5.csv";
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "archive_bench [TABLE.csv] [--flags]: incremental Pareto archive vs. brute force");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  std::string path = absl::GetFlag(FLAGS_table);
  if (positional.size() > 2 || (positional.size() == 2 && !path.empty())) {
    std::fprintf(stderr, "archive_bench: give the table once (--table or one argument)\n");
    return 2;
  }
  if (positional.size() == 2) path = positional[1];
  if (path.empty()) path = DefaultTablePath();

  auto sizes = ParseCounts(absl::GetFlag(FLAGS_sizes), "sizes");
  auto brute_sizes = ParseCounts(absl::GetFlag(FLAGS_brute_sizes), "brute_sizes");
  auto objective_counts = ParseCounts(absl::GetFlag(FLAGS_objectives), "objectives");
  for (const auto* s : {&sizes, &brute_sizes, &objective_counts}) {
    if (!s->ok()) {
      std::fprintf(stderr, "archive_bench: %s\n", s->status().ToString().c_str());
      return 2;
    }
  }
  for (int64_t d : *objective_counts) {
    if (d != 2 && d != 3) {
      std::fprintf(stderr, "archive_bench: --objectives: 2 or 3, got %" PRId64 "\n", d);
      return 2;
    }
  }
  const std::vector<std::string> columns = {absl::GetFlag(FLAGS_accuracy_column),
                                            absl::GetFlag(FLAGS_latency_column),
                                            absl::GetFlag(FLAGS_energy_column)};
  absl::StatusOr<Table> table = LoadTable(path, columns);
  if (!table.ok()) {
    std::fprintf(stderr, "archive_bench: %s\n", table.status().ToString().c_str());
    return 1;
  }
  const uint64_t seed = absl::GetFlag(FLAGS_seed);
  const double jitter = absl::GetFlag(FLAGS_jitter);
  const int repeats = std::max(1, absl::GetFlag(FLAGS_repeats));

  std::printf("archive_bench: incremental ParetoArchive vs. brute-force recompute\n");
  std::printf("table:   %s (%zu rows used, %" PRId64 " skipped)\n", path.c_str(),
              table->rows.size(), table->skipped);
  std::printf("columns: %s (max), %s (min), %s (min, 3rd objective)\n", columns[0].c_str(),
              columns[1].c_str(), columns[2].c_str());
  std::printf("points:  row i %% rows, each value x (1 + %g * U[-1,1]), seed %" PRIu64 "\n",
              jitter, seed);
  std::printf("ref:     DeriveReference from the first point (0 for max, 2x for min)\n");
  std::printf("machine: %s, %u logical CPUs, single-threaded run\n\n", CpuModel().c_str(),
              std::thread::hardware_concurrency());

  std::printf("incremental archive: ns/insert = mean over the n inserts (median of %d runs); "
              "q_* = median time of Front() + Hypervolume()\n"
              "after an insert that changed the front / one that did not (up to 200 each)\n",
              repeats);
  std::printf("%4s %8s %11s %8s %7s %14s %14s %16s %8s\n", "objs", "n", "ns/insert", "joined",
              "front", "hypervolume", "q_changed_us", "q_unchanged_ns", "rss_MiB");
  for (int64_t d : *objective_counts) {
    for (int64_t n : *sizes) {
      RunArchive(*table, static_cast<size_t>(d), n, seed, jitter, repeats);
    }
  }
  std::printf("(rss_MiB: VmRSS right after the row, archive alive, input points freed; "
              "peak VmHWM %.1f MiB)\n\n",
              ProcStatusKb("VmHWM") / 1024.0);

  std::printf("brute force per result (old coordinator): NonDominatedIndices over all n + "
              "Hypervolume of the front\n");
  std::printf("%4s %8s %13s %6s %7s\n", "objs", "n", "ms/result", "reps", "front");
  const double cap_s = absl::GetFlag(FLAGS_brute_seconds);
  for (int64_t d : *objective_counts) {
    for (int64_t n : *brute_sizes) {
      RunBruteForce(*table, static_cast<size_t>(d), n, seed, jitter, cap_s);
    }
  }
  return 0;
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) { return edgenas::Main(argc, argv); }
