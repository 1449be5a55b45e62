// search_quality: how well each edgenas strategy searches a NAS-Bench-201
// style table, side by side with Optuna's samplers on the same table and
// the same distinct-evaluation budgets. See bench/README.md.
//
//   search_quality --table CSV --accuracy COLUMN [--latency COLUMN]
//       [--budgets 50,100,150,300] [--seeds 20] [--strategies LIST]
//       [--peers optuna] [--json OUT] [--plot OUT.svg]
//
// With --latency: the multi-objective benchmark (max accuracy, min
// latency); without: single objective. Nothing is tuned to one table: the
// table, columns, seeds and budgets are arguments.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "bench/search_quality/report.h"
#include "bench/search_quality/runtime_driver.h"
#include "bench/search_quality/table_problem.h"
#include "spaces/nb201/nb201_space.h"
#include "coordinator/strategy/strategy.h"

ABSL_FLAG(std::string, table, "", "CSV table (required), e.g. ../shared/data/nb201/nb201_pi5.csv");
ABSL_FLAG(std::string, accuracy, "", "accuracy column (required)");
ABSL_FLAG(std::string, latency, "", "latency column; set for the multi-objective benchmark");
ABSL_FLAG(std::string, arch_column, "arch", "column with the architecture strings");
ABSL_FLAG(std::string, budgets, "50,100,150,300", "distinct-evaluation budgets to report");
ABSL_FLAG(int, seeds, 20, "seeds per strategy (0 .. seeds-1, plus --seed_offset)");
ABSL_FLAG(int, seed_offset, 0, "first seed");
ABSL_FLAG(std::string, strategies, "random,regularized_evolution,nsga2,local_search,bayesian,reinforce",
          "edgenas strategies (job-spec names); name:key=value;key=value sets strategy.params");
ABSL_FLAG(std::string, peers, "", "peers to run side by side: optuna (= optuna_nsga2,optuna_tpe,"
          "optuna_random) or a list of those names");
ABSL_FLAG(int, peer_seeds, -1, "seeds per peer (default --seeds); Optuna TPE takes minutes per seed");
ABSL_FLAG(std::string, python, "/usr/bin/python3", "interpreter with optuna");
ABSL_FLAG(std::string, peer_script, "", "optuna_peer.py (default: beside this source tree)");
ABSL_FLAG(std::string, json, "", "write per-(strategy, seed, budget) JSON Lines here");
ABSL_FLAG(std::string, plot, "", "write the SVG plot here");
ABSL_FLAG(int, jobs, 2, "searches run at once");
ABSL_FLAG(std::string, overhead, "1000,10000", "observation counts for the suggest+observe timing "
          "(empty: skip)");

namespace edgenas {
namespace {

struct StrategyRef {
  std::string label;  // as printed: name, or name:params
  std::string name;
  std::map<std::string, std::string> params;
};

absl::StatusOr<std::vector<int>> ParseInts(const std::string& text, const std::string& flag) {
  std::vector<int> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int v = 0;
    if (!absl::SimpleAtoi(part, &v) || v <= 0) {
      return absl::InvalidArgumentError(absl::StrCat("--", flag, ": bad number \"", part, "\""));
    }
    out.push_back(v);
  }
  return out;
}

absl::StatusOr<std::vector<StrategyRef>> ParseStrategies(const std::string& text) {
  std::vector<StrategyRef> out;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    StrategyRef s;
    s.label = std::string(part);
    std::vector<std::string> name_params = absl::StrSplit(part, absl::MaxSplits(':', 1));
    s.name = name_params[0];
    if (name_params.size() > 1) {
      for (absl::string_view kv : absl::StrSplit(name_params[1], ';', absl::SkipEmpty())) {
        std::vector<std::string> p = absl::StrSplit(kv, absl::MaxSplits('=', 1));
        if (p.size() != 2) {
          return absl::InvalidArgumentError(absl::StrCat("--strategies: bad setting \"", kv,
                                                         "\" (want key=value)"));
        }
        s.params[p[0]] = p[1];
      }
    }
    out.push_back(std::move(s));
  }
  return out;
}

// Runs `work(i)` for i in [0, n) on `jobs` threads.
void ParallelFor(int n, int jobs, const std::function<void(int)>& work) {
  std::atomic<int> next{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < std::max(1, jobs); ++t) {
    threads.emplace_back([&] {
      for (int i = next++; i < n; i = next++) work(i);
    });
  }
  for (auto& t : threads) t.join();
}

// The "archs" array and "seconds" of one optuna_peer.py output line.
bool ParsePeerLine(const std::string& line, std::vector<std::string>* archs, double* seconds) {
  const size_t s = line.find("\"seconds\":");
  if (s != std::string::npos) *seconds = std::atof(line.c_str() + s + 10);
  size_t pos = line.find("\"archs\":");
  if (pos == std::string::npos) return false;
  pos = line.find('[', pos);
  const size_t end = line.find(']', pos);
  if (pos == std::string::npos || end == std::string::npos) return false;
  size_t q = line.find('"', pos);
  while (q != std::string::npos && q < end) {
    const size_t close = line.find('"', q + 1);
    if (close == std::string::npos) return false;
    archs->push_back(line.substr(q + 1, close - q - 1));
    q = line.find('"', close + 1);
  }
  return true;
}

absl::StatusOr<Trace> RunPeer(const TableProblem& problem, const std::string& sampler,
                              uint64_t seed, int budget) {
  std::string script = absl::GetFlag(FLAGS_peer_script);
  if (script.empty()) script = std::string(EDGENAS_SOURCE_DIR) + "/bench/search_quality/optuna_peer.py";
  std::string cmd = absl::StrCat(absl::GetFlag(FLAGS_python), " '", script, "' --table '",
                                 absl::GetFlag(FLAGS_table), "' --accuracy '",
                                 absl::GetFlag(FLAGS_accuracy), "' --arch_column '",
                                 absl::GetFlag(FLAGS_arch_column), "' --sampler ", sampler,
                                 " --seeds ", seed, " --budget ", budget);
  if (!absl::GetFlag(FLAGS_latency).empty()) {
    absl::StrAppend(&cmd, " --latency '", absl::GetFlag(FLAGS_latency), "'");
  }
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return absl::InternalError(absl::StrCat("cannot run ", cmd));
  std::string out;
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof(buf), pipe)) > 0) out.append(buf, n);
  const int rc = pclose(pipe);
  Trace t;
  t.strategy = absl::StrCat("optuna_", sampler);
  t.seed = seed;
  std::vector<std::string> archs;
  if (rc != 0 || !ParsePeerLine(out, &archs, &t.seconds)) {
    return absl::InternalError(absl::StrCat("peer failed (exit ", rc, "): ", cmd));
  }
  std::vector<int> rows;
  for (const std::string& a : archs) {
    auto row = problem.table().RowOf(a);
    if (!row.ok()) return row.status();
    rows.push_back(*row);
  }
  t.curve = problem.Score(rows);
  return t;
}

// Microseconds per Suggest(1) + OnPending + Observe with `observations`
// results already observed (uniform samples scored from the table).
absl::StatusOr<double> Overhead(const TableProblem& problem, const StrategyRef& ref,
                                int observations) {
  Nb201Space space;
  StrategyOptions o;
  o.name = ref.name;
  o.seed = 1;
  o.num_objectives = problem.multi_objective() ? 2 : 1;
  o.params = ref.params;
  auto strategy = CreateStrategy(o, &space);
  if (!strategy.ok()) return strategy.status();
  Rng rng(7);
  auto observe = [&](int64_t id, const Architecture& arch) {
    auto row = problem.table().RowOf(space.Print(arch));
    Observation obs;
    obs.suggestion_id = id;
    obs.arch = arch;
    obs.outcome = EvalOutcome::kOk;
    if (row.ok()) {
      obs.scores.push_back(-problem.accuracy(*row));
      if (problem.multi_objective()) obs.scores.push_back(problem.latency(*row));
    } else {
      obs.outcome = EvalOutcome::kFailed;
    }
    (*strategy)->Observe(obs);
  };
  for (int i = 0; i < observations; ++i) observe(kNoSuggestion, space.Sample(rng));
  constexpr int kCycles = 20;
  const auto start = std::chrono::steady_clock::now();
  int done = 0;
  for (int i = 0; i < kCycles; ++i) {
    SuggestBatch batch = (*strategy)->Suggest(1);
    for (const Suggestion& s : batch.suggestions) {
      (*strategy)->OnPending(s);
      observe(s.id, s.arch);
      ++done;
    }
  }
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count();
  return done > 0 ? us / done : 0.0;
}

int Main(int argc, char** argv) {
  absl::SetProgramUsageMessage("search quality of edgenas strategies and Optuna on a NAS table");
  absl::ParseCommandLine(argc, argv);
  const std::string table = absl::GetFlag(FLAGS_table);
  if (table.empty() || absl::GetFlag(FLAGS_accuracy).empty()) {
    std::cerr << "--table and --accuracy are required\n";
    return 2;
  }
  auto problem = TableProblem::Load(table, absl::GetFlag(FLAGS_arch_column),
                                    absl::GetFlag(FLAGS_accuracy), absl::GetFlag(FLAGS_latency));
  if (!problem.ok()) {
    std::cerr << problem.status() << "\n";
    return 2;
  }
  auto budgets = ParseInts(absl::GetFlag(FLAGS_budgets), "budgets");
  auto strategies = ParseStrategies(absl::GetFlag(FLAGS_strategies));
  if (!budgets.ok() || budgets->empty() || !strategies.ok()) {
    std::cerr << (budgets.ok() ? strategies.status() : budgets.status()) << "\n";
    return 2;
  }
  const int max_budget = *std::max_element(budgets->begin(), budgets->end());
  const int seeds = absl::GetFlag(FLAGS_seeds);
  const int offset = absl::GetFlag(FLAGS_seed_offset);
  std::vector<std::string> peers;
  for (absl::string_view p : absl::StrSplit(absl::GetFlag(FLAGS_peers), ',', absl::SkipEmpty())) {
    if (p == "optuna") {
      for (const char* s : {"nsga2", "tpe", "random"}) peers.push_back(s);
    } else if (absl::ConsumePrefix(&p, "optuna_") && (p == "nsga2" || p == "tpe" || p == "random")) {
      peers.push_back(std::string(p));
    } else {
      std::cerr << "--peers: unknown peer \"" << p << "\"\n";
      return 2;
    }
  }
  const int peer_seeds = absl::GetFlag(FLAGS_peer_seeds) < 0 ? seeds : absl::GetFlag(FLAGS_peer_seeds);

  std::cout << absl::StrFormat(
      "# search_quality: %s, accuracy %s%s\n%d rows; %s; budgets %s; %d seeds (from %d)%s\n",
      table, absl::GetFlag(FLAGS_accuracy),
      problem->multi_objective() ? absl::StrCat(", latency ", absl::GetFlag(FLAGS_latency)) : "",
      problem->NumRows(),
      problem->multi_objective()
          ? absl::StrFormat("true front %d points, hypervolume %.6f (normalised, ref 1.1)",
                            problem->true_front_size(), problem->true_hypervolume())
          : absl::StrFormat("optimum %.4f", problem->optimum()),
      absl::GetFlag(FLAGS_budgets), seeds, offset,
      peers.empty() ? "" : absl::StrFormat("; peers %d seeds", peer_seeds));

  // Work items: (strategy or peer, seed).
  struct Item {
    int strategy = -1;  // index into *strategies, or -1 for a peer
    std::string peer;
    uint64_t seed = 0;
  };
  std::vector<Item> items;
  for (int s = 0; s < static_cast<int>(strategies->size()); ++s) {
    for (int k = 0; k < seeds; ++k) items.push_back({s, "", static_cast<uint64_t>(offset + k)});
  }
  for (const std::string& p : peers) {
    for (int k = 0; k < peer_seeds; ++k) items.push_back({-1, p, static_cast<uint64_t>(offset + k)});
  }
  std::vector<Trace> traces(items.size());
  std::vector<std::string> errors;
  std::mutex mu;
  std::atomic<int> finished{0};
  ParallelFor(static_cast<int>(items.size()), absl::GetFlag(FLAGS_jobs), [&](int i) {
    const Item& item = items[i];
    const auto start = std::chrono::steady_clock::now();
    absl::StatusOr<Trace> trace;
    if (item.strategy >= 0) {
      const StrategyRef& ref = (*strategies)[item.strategy];
      SearchRun run{ref.name, ref.params, item.seed, max_budget, table,
                    absl::GetFlag(FLAGS_arch_column), absl::GetFlag(FLAGS_accuracy),
                    absl::GetFlag(FLAGS_latency)};
      auto rows = RunSearch(*problem, run);
      if (rows.ok()) {
        Trace t;
        t.strategy = ref.label;
        t.seed = item.seed;
        t.curve = problem->Score(*rows);
        t.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        trace = std::move(t);
      } else {
        trace = absl::Status(rows.status().code(),
                             absl::StrCat(ref.label, " seed ", item.seed, ": ", rows.status().message()));
      }
    } else {
      trace = RunPeer(*problem, item.peer, item.seed, max_budget);
    }
    std::lock_guard<std::mutex> lock(mu);
    if (trace.ok()) {
      traces[i] = std::move(*trace);
    } else {
      errors.push_back(std::string(trace.status().message()));
    }
    const int n = ++finished;
    if (n % 20 == 0 || n == static_cast<int>(items.size())) {
      std::cerr << "  " << n << "/" << items.size() << " searches done\n";
    }
  });
  for (const std::string& e : errors) std::cerr << "error: " << e << "\n";
  traces.erase(std::remove_if(traces.begin(), traces.end(),
                              [](const Trace& t) { return t.strategy.empty(); }),
               traces.end());

  std::vector<std::string> order;
  for (const StrategyRef& s : *strategies) order.push_back(s.label);
  for (const std::string& p : peers) order.push_back("optuna_" + p);
  std::cout << MarkdownSummary(*problem, traces, order, *budgets);

  // Wall time per search (this machine; peers include interpreter start-up).
  std::cout << "\n**Seconds per search** (median, budget " << max_budget << ")\n\n";
  for (const std::string& name : order) {
    std::vector<double> v;
    for (const Trace& t : traces) {
      if (t.strategy == name) v.push_back(t.seconds);
    }
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    std::cout << absl::StrFormat("- %s: %.2f s\n", name, v[v.size() / 2]);
  }

  auto counts = ParseInts(absl::GetFlag(FLAGS_overhead), "overhead");
  if (counts.ok() && !counts->empty()) {
    std::cout << "\n**Strategy overhead**: Suggest(1)+OnPending+Observe, mean of 20, after N "
                 "observations\n\n| strategy |";
    for (int c : *counts) std::cout << " N=" << c << " |";
    std::cout << "\n|---|";
    for (size_t i = 0; i < counts->size(); ++i) std::cout << "---|";
    std::cout << "\n";
    for (const StrategyRef& s : *strategies) {
      std::cout << "| " << s.label << " |";
      for (int c : *counts) {
        auto us = Overhead(*problem, s, c);
        std::cout << " " << (us.ok() ? absl::StrFormat("%.3f ms", *us / 1000.0)
                                     : std::string(us.status().message()))
                  << " |";
      }
      std::cout << "\n";
    }
  }

  if (!absl::GetFlag(FLAGS_json).empty()) {
    std::ofstream(absl::GetFlag(FLAGS_json)) << JsonRecords(*problem, traces, *budgets);
  }
  if (!absl::GetFlag(FLAGS_plot).empty()) {
    const std::string title = absl::StrCat(
        absl::GetFlag(FLAGS_accuracy),
        problem->multi_objective() ? absl::StrCat(" / ", absl::GetFlag(FLAGS_latency)) : "",
        " — median over seeds");
    std::ofstream(absl::GetFlag(FLAGS_plot))
        << SvgPlot(*problem, traces, order, max_budget, title);
  }
  return errors.empty() ? 0 : 1;
}

}  // namespace
}  // namespace edgenas

int main(int argc, char** argv) { return edgenas::Main(argc, argv); }
