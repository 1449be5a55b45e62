// JobRuntime with the objective modes, constraints and strategy params:
// scalarized jobs hand the strategy one score (the negated MnasNet reward),
// lexicographic jobs run to the end, broken constraints make candidates
// INFEASIBLE (kept off the front, reported to the strategy as such), and
// strategy.params reach the strategy or are refused naming the key.
//
// What the strategy was told is checked by replay: the runtime's strategy
// log is fed to a fresh strategy built by hand, with observations computed
// here from the candidates' metrics; it must suggest exactly what the
// runtime's strategy did. A control replay with a wrong observation (or
// wrong options) must not, which shows the check can tell them apart.
#include <cmath>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "common/job_spec.h"
#include "common/metric_names.h"
#include "common/search_space.h"
#include "common/status_macros.h"
#include "coordinator/evaluators/evaluator.h"
#include "coordinator/job_runtime.h"
#include "coordinator/strategy/strategy.h"
#include "common/fnv1a.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

constexpr char kAgentClass[] = "rpi5";  // latency on it is 3x the cpu one

// Deterministic, architecture-dependent results: accuracy in [0.5, 0.9),
// cpu latency in [1, 10) ms, independent of each other.
double AccuracyOf(const std::string& arch) {
  return 0.5 + 0.4 * static_cast<double>(Fnv1a64(arch) % 1000) / 1000.0;
}
double CpuLatencyOf(const std::string& arch) {
  return 1.0 + 9.0 * static_cast<double>(Fnv1a64(arch) / 1000 % 1000) / 1000.0;
}
double LatencyOf(const std::string& arch, const std::string& device_class) {
  return CpuLatencyOf(arch) * (device_class == kAgentClass ? 3.0 : 1.0);
}

v1::JobSpec BaseSpec(const std::string& strategy, int evaluations) {
  v1::JobSpec spec;
  spec.set_name("runtime-modes");
  spec.mutable_space()->set_name("nb201");
  spec.mutable_strategy()->set_name(strategy);
  auto* acc = spec.add_objectives();
  acc->set_metric(kMetricAccuracy);
  acc->set_direction(v1::MAXIMIZE);
  auto* lat = spec.add_objectives();
  lat->set_metric(kMetricLatencyMs);
  lat->set_direction(v1::MINIMIZE);
  spec.mutable_budget()->set_max_evaluations(evaluations);
  spec.set_parallelism(2);
  spec.set_seed(11);
  return spec;
}

v1::JobSpec ScalarizedSpec(const std::string& strategy, int evaluations) {
  v1::JobSpec spec = BaseSpec(strategy, evaluations);
  spec.set_objective_mode(v1::SCALARIZED);
  spec.mutable_objectives(1)->set_target(5.0);
  spec.mutable_objectives(1)->set_weight(-0.07);
  return spec;
}

// Normalises `spec` into a SEARCHING job record.
v1::Job MakeJob(v1::JobSpec spec) {
  v1::Job job;
  job.set_id("job-rt");
  absl::Status s = NormalizeJobSpec(&spec, RegisteredJobSpecNames());
  EXPECT_TRUE(s.ok()) << s;
  *job.mutable_spec() = std::move(spec);
  job.set_state(v1::JOB_SEARCHING);
  return job;
}

std::unique_ptr<JobRuntime> MustCreate(const v1::Job& job) {
  auto rt = JobRuntime::Create(job);
  EXPECT_TRUE(rt.ok()) << rt.status();
  return rt.ok() ? std::move(*rt) : nullptr;
}

v1::Metric Metric(const std::string& name, double value) {
  v1::Metric m;
  m.set_name(name);
  m.set_value(value);
  return m;
}

// Runs the job as workers and agents would: Fill, then each task answered
// with the architecture's results (validated and attributed like Complete),
// until every candidate is finished. Each finished candidate's full record
// (the runtime keeps those off the front compact, as the store would have
// them in full) goes to *finished when given.
absl::Status RunToEnd(JobRuntime& rt, std::map<std::string, v1::Candidate>* finished = nullptr) {
  int64_t now_ms = 0;
  for (int round = 0; round < 1000 && !rt.AllFinished(); ++round) {
    std::vector<JobRuntime::NewCandidate> created = rt.Fill(++now_ms);
    if (created.empty()) {
      return absl::InternalError(
          absl::StrCat("nothing created, not finished: ", rt.job().message()));
    }
    for (const JobRuntime::NewCandidate& nc : created) {
      const std::string& arch = nc.candidate.arch();
      for (const TaskRecord& task : nc.tasks) {
        std::vector<v1::Metric> metrics;
        if (task.kind == TaskKind::kAccuracy) {
          metrics.push_back(Metric(kMetricAccuracy, AccuracyOf(arch)));
        } else {
          metrics.push_back(Metric(kMetricLatencyMs, LatencyOf(arch, task.device_class)));
        }
        RETURN_IF_ERROR(rt.ValidateReport(task, metrics, {}));
        AttributeMetrics(task, &metrics);
        ASSIGN_OR_RETURN(const JobRuntime::Update update,
                         rt.RecordTaskResult(task, metrics, {}, now_ms));
        if (finished != nullptr && update.finished) {
          (*finished)[update.candidate.id()] = update.candidate;
        }
      }
    }
  }
  return rt.AllFinished() ? absl::OkStatus() : absl::InternalError("job did not finish");
}

using ObserveFn = std::function<Observation(const v1::Candidate&)>;

// An observation as a strategy should get it, with the given outcome/scores.
Observation Obs(const v1::Candidate& c, EvalOutcome outcome, std::vector<double> scores) {
  Observation o;
  o.suggestion_id = c.suggestion_id();
  o.arch = Architecture{std::vector<int>(c.encoding().begin(), c.encoding().end())};
  o.outcome = outcome;
  o.scores = std::move(scores);
  o.failure_reason = c.failure_reason();
  return o;
}

double Measured(const v1::Candidate& c, const std::string& metric, const std::string& dc = "") {
  auto v = FindMetric(c, metric, dc);
  EXPECT_TRUE(v.has_value()) << c.id() << " lacks " << metric << " " << dc;
  return v.value_or(0.0);
}

// Feeds the runtime's strategy log to a fresh strategy made from `options`,
// with `observe(candidate)` wherever the runtime handed over an observation;
// returns how many of the runtime's candidates the replayed strategy
// suggested differently (0: it was told what `observe` says).
int ReplayMismatches(const JobRuntime& rt, const std::vector<StrategyCall>& log,
                     const StrategyOptions& options, const ObserveFn& observe) {
  auto space = CreateSearchSpace("nb201");
  EXPECT_TRUE(space.ok()) << space.status();
  if (!space.ok()) return -1;
  auto strategy = CreateStrategy(options, space->get());
  EXPECT_TRUE(strategy.ok()) << strategy.status();
  if (!strategy.ok()) return -1;
  Strategy& s = **strategy;
  std::map<int64_t, Suggestion> suggested;
  int mismatches = 0;
  for (const StrategyCall& call : log) {
    const v1::Candidate* c =
        call.candidate_id.empty() ? nullptr : rt.FindCandidate(call.candidate_id);
    switch (call.type) {
      case StrategyCallType::kSuggest:
        for (Suggestion& sg : s.Suggest(static_cast<int>(call.number)).suggestions) {
          suggested[sg.id] = std::move(sg);
        }
        break;
      case StrategyCallType::kPending:
        if (c == nullptr || suggested.count(call.number) == 0 ||
            std::vector<int>(c->encoding().begin(), c->encoding().end()) !=
                suggested[call.number].arch.genes) {
          ++mismatches;
        }
        if (suggested.count(call.number) > 0) s.OnPending(suggested[call.number]);
        break;
      case StrategyCallType::kDuplicate:
        if (suggested.count(call.number) == 0) {
          ++mismatches;
        } else if (call.known_finished && c != nullptr) {
          const Observation known = observe(*c);
          s.OnDuplicate(suggested[call.number], &known);
        } else {
          s.OnDuplicate(suggested[call.number], nullptr);
        }
        break;
      case StrategyCallType::kObserve:
        if (c == nullptr) {
          ++mismatches;
        } else {
          s.Observe(observe(*c));
        }
        break;
      case StrategyCallType::kCancelled:
        s.OnCancelled(call.number);
        break;
    }
  }
  return mismatches;
}

StrategyOptions OptionsOf(const v1::JobSpec& spec) {
  StrategyOptions o;
  o.name = spec.strategy().name();
  o.seed = spec.seed();
  o.num_objectives = spec.objectives_size();
  o.population_size = spec.strategy().population_size();
  o.sample_size = spec.strategy().sample_size();
  o.params.insert(spec.strategy().params().begin(), spec.strategy().params().end());
  return o;
}

// Pareto-style observation: every DONE candidate kOk, scores {-acc, lat}.
Observation ParetoObs(const v1::Candidate& c) {
  return Obs(c, EvalOutcome::kOk,
             {-Measured(c, kMetricAccuracy), Measured(c, kMetricLatencyMs, "cpu")});
}

// ---------------------------------------------------------------------------
// ScalarizedReward

// The reward is values[0] x prod (values[i] / target_i)^weight_i.
TEST(ScalarizedReward, MultipliesFirstValueByWeightedRatios) {
  v1::JobSpec spec = ScalarizedSpec("random", 4);
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
  EXPECT_DOUBLE_EQ(ScalarizedReward(spec, {0.8, 5.0}), 0.8);  // on target: no change
  EXPECT_DOUBLE_EQ(ScalarizedReward(spec, {0.8, 10.0}), 0.8 * std::pow(2.0, -0.07));
  EXPECT_DOUBLE_EQ(ScalarizedReward(spec, {0.8, 2.5}), 0.8 * std::pow(0.5, -0.07));
  EXPECT_LT(ScalarizedReward(spec, {0.8, 10.0}), ScalarizedReward(spec, {0.8, 2.5}));

  auto* energy = spec.add_objectives();
  energy->set_metric(kMetricEnergyMj);
  energy->set_direction(v1::MINIMIZE);
  energy->set_device_class("cpu");
  energy->set_target(2.0);
  energy->set_weight(-0.5);
  EXPECT_DOUBLE_EQ(ScalarizedReward(spec, {0.9, 2.5, 8.0}),
                   0.9 * std::pow(0.5, -0.07) * std::pow(4.0, -0.5));
}

// A non-positive measurement counts as on target rather than inf/NaN.
TEST(ScalarizedReward, NonPositiveValueCountsAsOnTarget) {
  v1::JobSpec spec = ScalarizedSpec("random", 4);
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
  EXPECT_DOUBLE_EQ(ScalarizedReward(spec, {0.7, 0.0}), 0.7);
}

// ---------------------------------------------------------------------------
// Scalarized mode

// The strategy of a scalarized job sees one objective, scored
// -acc x (lat / 5)^-0.07; the front is still over both objectives.
TEST(JobRuntimeObjectiveMode, ScalarizedStrategyGetsOneNegatedReward) {
  v1::JobSpec spec = ScalarizedSpec("regularized_evolution", 14);
  spec.mutable_strategy()->set_population_size(4);
  spec.mutable_strategy()->set_sample_size(2);
  const v1::Job job = MakeJob(spec);
  auto rt = MustCreate(job);
  ASSERT_NE(rt, nullptr);
  ASSERT_TRUE(RunToEnd(*rt).ok());
  EXPECT_EQ(rt->job().candidates_done(), 14);
  EXPECT_EQ(rt->job().candidates_failed(), 0);
  const v1::ParetoFront front = rt->Front();
  EXPECT_EQ(front.objectives_size(), 2);
  EXPECT_EQ(front.reference_point_size(), 2);
  EXPECT_GE(front.candidates_size(), 1);

  const std::vector<StrategyCall> log = rt->TakeStrategyCalls();
  StrategyOptions options = OptionsOf(job.spec());
  options.num_objectives = 1;
  const ObserveFn reward = [](const v1::Candidate& c) {
    const double acc = Measured(c, kMetricAccuracy);
    const double lat = Measured(c, kMetricLatencyMs, "cpu");
    return Obs(c, EvalOutcome::kOk, {-acc * std::pow(lat / 5.0, -0.07)});
  };
  EXPECT_EQ(ReplayMismatches(*rt, log, options, reward), 0);
  // Controls: the reward with the wrong sign, or two scores, steer differently.
  const ObserveFn negated = [&reward](const v1::Candidate& c) {
    Observation o = reward(c);
    o.scores[0] = -o.scores[0];
    return o;
  };
  EXPECT_GT(ReplayMismatches(*rt, log, options, negated), 0);
  EXPECT_GT(ReplayMismatches(*rt, log, options, ParetoObs), 0);
}

// Scalarized jobs run to the end with every strategy (one objective each).
TEST(JobRuntimeObjectiveMode, ScalarizedRunsToEndWithEveryStrategy) {
  for (const std::string strategy : {"regularized_evolution", "bayesian", "local_search",
                                     "reinforce", "nsga2", "random"}) {
    SCOPED_TRACE(strategy);
    v1::JobSpec spec = ScalarizedSpec(strategy, 10);
    if (strategy == "bayesian") (*spec.mutable_strategy()->mutable_params())["initial"] = "3";
    spec.mutable_strategy()->set_population_size(4);
    spec.mutable_strategy()->set_sample_size(2);
    auto rt = MustCreate(MakeJob(spec));
    ASSERT_NE(rt, nullptr);
    ASSERT_TRUE(RunToEnd(*rt).ok());
    EXPECT_EQ(rt->job().candidates_done(), 10);
    EXPECT_EQ(rt->job().candidates_pending(), 0);
    EXPECT_GT(rt->job().hypervolume(), 0.0);
  }
}

// ---------------------------------------------------------------------------
// Lexicographic mode

// Lexicographic jobs run to the end with nsga2 and bayesian, whose
// strategies rank lexicographically (a Pareto-ranking replay diverges).
TEST(JobRuntimeObjectiveMode, LexicographicRunsToEndWithNsga2AndBayesian) {
  for (const std::string strategy : {"nsga2", "bayesian"}) {
    SCOPED_TRACE(strategy);
    v1::JobSpec spec = BaseSpec(strategy, 16);
    spec.set_objective_mode(v1::LEXICOGRAPHIC);
    spec.mutable_strategy()->set_population_size(4);
    spec.mutable_strategy()->set_sample_size(2);
    if (strategy == "bayesian") (*spec.mutable_strategy()->mutable_params())["initial"] = "3";
    const v1::Job job = MakeJob(spec);
    auto rt = MustCreate(job);
    ASSERT_NE(rt, nullptr);
    ASSERT_TRUE(RunToEnd(*rt).ok());
    EXPECT_EQ(rt->job().candidates_done(), 16);
    EXPECT_GE(rt->Front().candidates_size(), 1);

    const std::vector<StrategyCall> log = rt->TakeStrategyCalls();
    StrategyOptions options = OptionsOf(job.spec());
    options.lexicographic = true;
    EXPECT_EQ(ReplayMismatches(*rt, log, options, ParetoObs), 0);
    options.lexicographic = false;
    EXPECT_GT(ReplayMismatches(*rt, log, options, ParetoObs), 0);
  }
}

// ---------------------------------------------------------------------------
// Constraints

// A candidate whose rpi5 latency breaks the constraint is INFEASIBLE (not
// failed, not done), never on the front, counted with the failed ones, and
// observed by the strategy as kInfeasible.
TEST(JobRuntimeObjectiveMode, BrokenConstraintMakesCandidateInfeasible) {
  constexpr double kMaxRpi5Ms = 12.0;  // rpi5 latencies span [3, 30)
  v1::JobSpec spec = BaseSpec("regularized_evolution", 16);
  spec.mutable_strategy()->set_population_size(3);
  spec.mutable_strategy()->set_sample_size(2);
  auto* k = spec.add_constraints();
  k->set_metric(kMetricLatencyMs);
  k->set_max_value(kMaxRpi5Ms);
  k->set_device_class(kAgentClass);
  const v1::Job job = MakeJob(spec);
  auto rt = MustCreate(job);
  ASSERT_NE(rt, nullptr);
  std::map<std::string, v1::Candidate> finished;
  ASSERT_TRUE(RunToEnd(*rt, &finished).ok());

  const std::vector<StrategyCall> log = rt->TakeStrategyCalls();
  std::set<std::string> infeasible;
  int feasible = 0;
  for (const StrategyCall& call : log) {
    if (call.type != StrategyCallType::kPending) continue;
    ASSERT_EQ(finished.count(call.candidate_id), 1u) << call.candidate_id;
    const v1::Candidate* c = &finished.at(call.candidate_id);
    const double rpi5 = Measured(*c, kMetricLatencyMs, kAgentClass);
    // Both device classes were measured, each under its own class.
    EXPECT_DOUBLE_EQ(rpi5, 3.0 * Measured(*c, kMetricLatencyMs, "cpu"));
    if (rpi5 > kMaxRpi5Ms) {
      EXPECT_EQ(c->state(), v1::CANDIDATE_INFEASIBLE) << c->arch();
      EXPECT_THAT(c->failure_reason(), HasSubstr("constraint: latency_ms"));
      EXPECT_THAT(c->failure_reason(), HasSubstr("exceeds max_value 12"));
      infeasible.insert(c->id());
    } else {
      EXPECT_EQ(c->state(), v1::CANDIDATE_DONE) << c->arch();
      ++feasible;
    }
  }
  ASSERT_GT(infeasible.size(), 0u) << "the test needs some infeasible candidates";
  ASSERT_GT(feasible, 0) << "the test needs some feasible candidates";
  EXPECT_EQ(rt->job().candidates_failed(), static_cast<int>(infeasible.size()));
  EXPECT_EQ(rt->job().candidates_done(), feasible);
  const v1::ParetoFront front = rt->Front();
  ASSERT_GE(front.candidates_size(), 1);
  for (const v1::Candidate& c : front.candidates()) {
    EXPECT_EQ(infeasible.count(c.id()), 0u) << c.id() << " is infeasible but on the front";
    EXPECT_EQ(c.state(), v1::CANDIDATE_DONE);
  }

  const StrategyOptions options = OptionsOf(job.spec());
  const ObserveFn told = [](const v1::Candidate& c) {
    Observation o = ParetoObs(c);
    if (c.state() == v1::CANDIDATE_INFEASIBLE) o.outcome = EvalOutcome::kInfeasible;
    return o;
  };
  EXPECT_EQ(ReplayMismatches(*rt, log, options, told), 0);
  // Control: had the strategy been told kOk, its population would differ.
  EXPECT_GT(ReplayMismatches(*rt, log, options, ParetoObs), 0);
}

// ---------------------------------------------------------------------------
// Strategy params

// Params from the spec reach the strategy: bayesian with initial=2 leaves
// random sampling after two results, unlike the default (10).
TEST(JobRuntimeStrategyParams, ParamsReachTheStrategy) {
  v1::JobSpec spec = BaseSpec("bayesian", 8);
  spec.set_parallelism(1);
  (*spec.mutable_strategy()->mutable_params())["initial"] = "2";
  (*spec.mutable_strategy()->mutable_params())["acquisition"] = "ucb";
  const v1::Job job = MakeJob(spec);
  auto rt = MustCreate(job);
  ASSERT_NE(rt, nullptr);
  ASSERT_TRUE(RunToEnd(*rt).ok());
  EXPECT_EQ(rt->job().candidates_done(), 8);

  const std::vector<StrategyCall> log = rt->TakeStrategyCalls();
  StrategyOptions options = OptionsOf(job.spec());
  EXPECT_EQ(ReplayMismatches(*rt, log, options, ParetoObs), 0);
  options.params.clear();
  EXPECT_GT(ReplayMismatches(*rt, log, options, ParetoObs), 0);
}

// An unknown key is refused naming strategy.params.<key>.
TEST(JobRuntimeStrategyParams, UnknownKeyRefusedNamingIt) {
  for (const std::string strategy : {"bayesian", "regularized_evolution", "nsga2"}) {
    SCOPED_TRACE(strategy);
    v1::JobSpec spec = BaseSpec(strategy, 4);
    (*spec.mutable_strategy()->mutable_params())["nope"] = "1";
    auto rt = JobRuntime::Create(MakeJob(spec));
    ASSERT_FALSE(rt.ok());
    EXPECT_EQ(rt.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(rt.status().message(), HasSubstr("strategy.params.nope"));
  }
}

// A bad value is refused naming its key.
TEST(JobRuntimeStrategyParams, BadValueRefusedNamingKey) {
  v1::JobSpec spec = BaseSpec("bayesian", 4);
  (*spec.mutable_strategy()->mutable_params())["acquisition"] = "foo";
  auto rt = JobRuntime::Create(MakeJob(spec));
  ASSERT_FALSE(rt.ok());
  EXPECT_EQ(rt.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(rt.status().message(), HasSubstr("strategy.params.acquisition"));

  spec = BaseSpec("bayesian", 4);
  (*spec.mutable_strategy()->mutable_params())["initial"] = "0";
  rt = JobRuntime::Create(MakeJob(spec));
  ASSERT_FALSE(rt.ok());
  EXPECT_THAT(rt.status().message(), HasSubstr("strategy.params.initial"));
}

// ---------------------------------------------------------------------------
// Through the job manager

// Scalarized and lexicographic jobs run to DONE through leases.
TEST_F(JobManagerTest, ObjectiveModesRunToDone) {
  struct Case {
    v1::ObjectiveMode mode;
    std::string strategy;
  };
  const std::string w = RegisterExecutor(v1::WORKER);
  const std::string a = RegisterExecutor(v1::DEVICE_AGENT);
  for (const Case& c : {Case{v1::SCALARIZED, "regularized_evolution"},
                        Case{v1::SCALARIZED, "bayesian"}, Case{v1::LEXICOGRAPHIC, "nsga2"},
                        Case{v1::LEXICOGRAPHIC, "bayesian"}}) {
    SCOPED_TRACE(absl::StrCat(v1::ObjectiveMode_Name(c.mode), " ", c.strategy));
    v1::JobSpec spec = TinySpec(6);
    spec.mutable_strategy()->set_name(c.strategy);
    spec.mutable_strategy()->set_population_size(3);
    spec.mutable_strategy()->set_sample_size(2);
    if (c.strategy == "bayesian") (*spec.mutable_strategy()->mutable_params())["initial"] = "3";
    spec.set_objective_mode(c.mode);
    auto* acc = spec.add_objectives();
    acc->set_metric(kMetricAccuracy);
    acc->set_direction(v1::MAXIMIZE);
    auto* lat = spec.add_objectives();
    lat->set_metric(kMetricLatencyMs);
    lat->set_direction(v1::MINIMIZE);
    if (c.mode == v1::SCALARIZED) lat->set_target(1.5);
    auto job = manager_->SubmitJob(spec);
    ASSERT_TRUE(job.ok()) << job.status();
    EXPECT_EQ(job->spec().objective_mode(), c.mode);
    Drain(w, a);
    auto done = manager_->GetJob(job->id());
    ASSERT_TRUE(done.ok());
    EXPECT_EQ(done->state(), v1::JOB_DONE) << done->message();
    EXPECT_EQ(done->candidates_done(), 6);
  }
}

// Submission refuses strategy params the strategy does not accept.
TEST_F(JobManagerTest, SubmitRefusesBadStrategyParams) {
  v1::JobSpec spec = TinySpec(4);
  spec.mutable_strategy()->set_name("bayesian");
  (*spec.mutable_strategy()->mutable_params())["nope"] = "1";
  auto job = manager_->SubmitJob(spec);
  EXPECT_EQ(job.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(job.status().message(), HasSubstr("strategy.params.nope"));
  EXPECT_EQ(manager_->ListJobs()->jobs_size(), 0);
}

}  // namespace
}  // namespace edgenas
