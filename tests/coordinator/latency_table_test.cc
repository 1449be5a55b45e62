// Latency tables in the coordinator: PutLatencyTable's permission and
// validation rules, GetLatencyTable, the job-spec rules of
// latency.screen_with_table / screen_margin, and screening of candidates
// before dispatch (JobManager with a hand-made table).
#include <set>
#include <string>
#include <vector>

#include "common/job_spec.h"
#include "common/latency_ops.h"
#include "coordinator/evaluators/evaluator.h"
#include "spaces/nb201/nb201_space.h"
#include "coordinator/screening.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

constexpr int64_t kTableTime = 1700000000000;  // 2023-11-14 22:13 UTC

// A table for nb201 (channels 16, any cell count) on `device_class` where
// nor_conv_3x3 costs 10 ms and everything else 0.01 ms: any network with a
// live 3x3 convolution is predicted >= 30 ms, any other well below 5 ms.
v1::LatencyTable ConvHeavyTable(const std::string& device_class = "cpu") {
  v1::LatencyTable table;
  table.set_space("nb201");
  table.set_device_class(device_class);
  table.set_batch_size(1);
  table.set_threads(1);
  table.set_overhead_ms(0.1);
  table.set_created_unix_ms(kTableTime);
  table.mutable_device()->set_cpu_model("Test CPU");
  SpaceConfig space{"nb201", {{"channels", "16"}, {"cells_per_stage", "1"}}};
  auto shapes = RequiredOpShapes(space);
  EXPECT_TRUE(shapes.ok()) << shapes.status();
  for (const OpShape& s : *shapes) {
    v1::LatencyTableEntry* e = table.add_entries();
    e->set_op(s.op);
    e->set_in_channels(s.in_channels);
    e->set_out_channels(s.out_channels);
    e->set_resolution(s.resolution);
    e->set_stride(s.stride);
    e->set_latency_ms(s.op == "nor_conv_3x3" ? 10.0 : 0.01);
  }
  return table;
}

v1::JobSpec ScreeningSpec(int evaluations) {
  v1::JobSpec spec = TinySpec(evaluations);
  auto* k = spec.add_constraints();
  k->set_metric(kMetricLatencyMs);
  k->set_max_value(5.0);
  k->set_device_class("cpu");
  spec.mutable_latency()->set_screen_with_table(true);
  return spec;
}

bool HasLiveConv3x3(const std::string& arch_text) {
  auto arch = Nb201Space().Parse(arch_text);
  EXPECT_TRUE(arch.ok());
  const std::vector<bool> live = Nb201LiveEdges(*arch);
  for (int e = 0; e < kNb201NumEdges; ++e) {
    if (live[e] && arch->genes[e] == static_cast<int>(Nb201Op::kConv3x3)) return true;
  }
  return false;
}

class LatencyTableTest : public JobManagerTest {
 protected:
  absl::Status Put(const std::string& executor, const v1::LatencyTable& table) {
    v1::PutLatencyTableRequest req;
    req.set_executor_id(executor);
    *req.mutable_table() = table;
    return manager_->PutLatencyTable(req).status();
  }
  absl::StatusOr<v1::LatencyTable> Get(const std::string& space, const std::string& dc) {
    v1::GetLatencyTableRequest req;
    req.set_space(space);
    req.set_device_class(dc);
    return manager_->GetLatencyTable(req);
  }
  // Leases and completes every task; records which candidates got tasks.
  void DrainRecording(const std::string& worker, const std::string& agent, int max_rounds,
                      std::set<std::string>* dispatched) {
    for (int round = 0; round < max_rounds; ++round) {
      bool any = false;
      for (const auto& ex : {worker, agent}) {
        for (const v1::Task& t : LeaseNow(ex)) {
          any = true;
          dispatched->insert(t.candidate_id());
          ASSERT_TRUE(CompleteTask(ex, t).ok());
        }
      }
      if (!any) return;
    }
  }
};

// Only a registered device agent of the table's own class may store it.
TEST_F(LatencyTableTest, PutIsRefusedForOtherExecutorsAndClasses) {
  const std::string worker = RegisterExecutor(v1::WORKER);
  const std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  EXPECT_EQ(Put("agent-unknown", ConvHeavyTable()).code(), absl::StatusCode::kNotFound);
  absl::Status by_worker = Put(worker, ConvHeavyTable());
  EXPECT_EQ(by_worker.code(), absl::StatusCode::kPermissionDenied) << by_worker;
  absl::Status other_class = Put(agent, ConvHeavyTable("rpi5"));
  EXPECT_EQ(other_class.code(), absl::StatusCode::kPermissionDenied) << other_class;
  EXPECT_NE(other_class.message().find("table.device_class"), std::string::npos);
  EXPECT_EQ(Get("nb201", "rpi5").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(Get("nb201", "cpu").status().code(), absl::StatusCode::kNotFound);
}

// A bad entry is refused naming it; nothing is stored.
TEST_F(LatencyTableTest, PutValidatesEntries) {
  const std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  v1::LatencyTable bad = ConvHeavyTable();
  bad.mutable_entries(5)->set_latency_ms(-2.0);
  absl::Status s = Put(agent, bad);
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("table.entries[5].latency_ms"), std::string::npos) << s;
  bad = ConvHeavyTable();
  bad.mutable_entries(0)->set_op("conv_7x7");
  s = Put(agent, bad);
  EXPECT_NE(s.message().find("table.entries[0].op"), std::string::npos) << s;
  EXPECT_EQ(Get("nb201", "cpu").status().code(), absl::StatusCode::kNotFound);
}

// A stored table is returned as stored, survives a restart, and a later
// put replaces it.
TEST_F(LatencyTableTest, PutThenGetReplacesAndSurvivesRestart) {
  const std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  ASSERT_TRUE(Put(agent, ConvHeavyTable()).ok());
  auto got = Get("nb201", "cpu");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->entries_size(), ConvHeavyTable().entries_size());
  EXPECT_EQ(got->created_unix_ms(), kTableTime);
  v1::LatencyTable second = ConvHeavyTable();
  second.set_overhead_ms(0.25);
  ASSERT_TRUE(Put(agent, second).ok());
  Open();
  got = Get("nb201", "cpu");
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_DOUBLE_EQ(got->overhead_ms(), 0.25);
  EXPECT_EQ(Get("", "cpu").status().code(), absl::StatusCode::kInvalidArgument);
}

// The two new spec fields are validated and the margin gets its default.
TEST(LatencyScreeningSpec, ValidatesScreenFields) {
  v1::JobSpec spec = ScreeningSpec(4);
  ASSERT_TRUE(NormalizeJobSpec(&spec, RegisteredJobSpecNames()).ok());
  EXPECT_DOUBLE_EQ(spec.latency().screen_margin(), 0.1);

  v1::JobSpec no_bound = TinySpec(4);
  no_bound.mutable_latency()->set_screen_with_table(true);
  absl::Status s = NormalizeJobSpec(&no_bound, RegisteredJobSpecNames());
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(s.message().find("job.latency.screen_with_table"), std::string::npos) << s;

  v1::JobSpec negative = ScreeningSpec(4);
  negative.mutable_latency()->set_screen_margin(-0.5);
  s = NormalizeJobSpec(&negative, RegisteredJobSpecNames());
  EXPECT_NE(s.message().find("job.latency.screen_margin"), std::string::npos) << s;

  v1::JobSpec unused = TinySpec(4);
  unused.mutable_latency()->set_screen_margin(0.2);
  s = NormalizeJobSpec(&unused, RegisteredJobSpecNames());
  EXPECT_NE(s.message().find("job.latency.screen_margin"), std::string::npos) << s;
}

// Without a table for the constraint's class the job is refused at submit.
TEST_F(LatencyTableTest, SubmitWithoutTableIsRefused) {
  auto job = manager_->SubmitJob(ScreeningSpec(4));
  ASSERT_FALSE(job.ok());
  EXPECT_EQ(job.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(job.status().message().find("job.latency.screen_with_table"), std::string::npos)
      << job.status();
  // A table of other space options does not cover the job's shapes.
  const std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  ASSERT_TRUE(Put(agent, ConvHeavyTable()).ok());
  v1::JobSpec wider = ScreeningSpec(4);
  (*wider.mutable_space()->mutable_options())["channels"] = "8";
  job = manager_->SubmitJob(wider);
  ASSERT_FALSE(job.ok());
  EXPECT_NE(job.status().message().find("has no entry for"), std::string::npos) << job.status();
}

// Candidates predicted over the bound are screened: recorded with a note,
// never dispatched, not counted in the budget; the job still evaluates its
// whole budget, only of candidates predicted within the bound.
TEST_F(LatencyTableTest, ScreensPredictedViolatorsAndStillCompletesBudget) {
  const std::string worker = RegisterExecutor(v1::WORKER);
  const std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  ASSERT_TRUE(Put(agent, ConvHeavyTable()).ok());
  constexpr int kBudget = 10;
  auto job = manager_->SubmitJob(ScreeningSpec(kBudget));
  ASSERT_TRUE(job.ok()) << job.status();
  std::set<std::string> dispatched;
  DrainRecording(worker, agent, 200, &dispatched);
  auto done = manager_->GetJob(job->id());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::JOB_DONE) << done->message();
  EXPECT_EQ(done->candidates_done() + done->candidates_failed(), kBudget);

  auto candidates = store_->ListCandidates(job->id());
  ASSERT_TRUE(candidates.ok());
  int screened = 0, evaluated = 0;
  for (const v1::Candidate& c : *candidates) {
    if (c.state() == v1::CANDIDATE_SCREENED) {
      ++screened;
      EXPECT_TRUE(HasLiveConv3x3(c.arch())) << c.arch();
      EXPECT_EQ(dispatched.count(c.id()), 0u) << c.id() << " was dispatched";
      EXPECT_EQ(c.metrics_size(), 0);
      ASSERT_EQ(c.notes_size(), 1);
      const std::string& note = c.notes(0);
      EXPECT_EQ(note.rfind("screened: predicted latency_ms ", 0), 0u) << note;
      EXPECT_NE(note.find("max_value 5"), std::string::npos) << note;
      EXPECT_NE(note.find("nb201 on cpu (Test CPU, profiled 2023-11-14"), std::string::npos)
          << note;
      EXPECT_EQ(c.failure_reason(), note);
    } else {
      ++evaluated;
      EXPECT_FALSE(HasLiveConv3x3(c.arch())) << c.arch();
      EXPECT_EQ(dispatched.count(c.id()), 1u);
      bool predicted = false;
      for (const std::string& n : c.notes()) {
        predicted |= n.find("predicted latency_ms") != std::string::npos;
      }
      EXPECT_TRUE(predicted) << c.arch();
    }
  }
  EXPECT_EQ(evaluated, kBudget);
  EXPECT_GT(screened, 0);
  EXPECT_NE(done->message().find(absl::StrCat(screened, " screened by the latency table")),
            std::string::npos)
      << done->message();
  // Watchers saw each screened candidate as a finished (not done) one.
  auto events = store_->ListEvents(job->id(), 0, 0);
  ASSERT_TRUE(events.ok());
  int screened_events = 0;
  for (const v1::JobEvent& e : *events) {
    if (e.type() == v1::EVENT_CANDIDATE_FAILED &&
        e.candidate().state() == v1::CANDIDATE_SCREENED) {
      ++screened_events;
    }
  }
  EXPECT_EQ(screened_events, screened);
}

// A restart mid-job replays the strategy log with its screened candidates
// and the job goes on screening and finishes its budget.
TEST_F(LatencyTableTest, ScreenedJobResumesAfterRestart) {
  std::string worker = RegisterExecutor(v1::WORKER);
  std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  ASSERT_TRUE(Put(agent, ConvHeavyTable()).ok());
  constexpr int kBudget = 8;
  auto job = manager_->SubmitJob(ScreeningSpec(kBudget));
  ASSERT_TRUE(job.ok()) << job.status();
  std::set<std::string> dispatched;
  DrainRecording(worker, agent, 3, &dispatched);
  Open();  // executors keep their ids
  DrainRecording(worker, agent, 200, &dispatched);
  auto done = manager_->GetJob(job->id());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::JOB_DONE) << done->message();
  auto candidates = store_->ListCandidates(job->id());
  ASSERT_TRUE(candidates.ok());
  int evaluated = 0;
  for (const v1::Candidate& c : *candidates) {
    if (c.state() != v1::CANDIDATE_SCREENED) {
      ++evaluated;
      EXPECT_FALSE(HasLiveConv3x3(c.arch())) << c.arch();
    }
  }
  EXPECT_EQ(evaluated, kBudget);
}

// A job screens with the tables it was submitted with: a re-profile that
// would screen nothing, then a restart, changes nothing (before, the
// restarted job screened with the new table and dispatched conv3x3 networks).
TEST_F(LatencyTableTest, RestartAfterReprofileScreensWithTheSnapshot) {
  std::string worker = RegisterExecutor(v1::WORKER);
  std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  ASSERT_TRUE(Put(agent, ConvHeavyTable()).ok());
  constexpr int kBudget = 12;
  auto job = manager_->SubmitJob(ScreeningSpec(kBudget));
  ASSERT_TRUE(job.ok()) << job.status();
  std::set<std::string> dispatched;
  DrainRecording(worker, agent, 2, &dispatched);
  v1::LatencyTable cheap = ConvHeavyTable();
  for (v1::LatencyTableEntry& e : *cheap.mutable_entries()) e.set_latency_ms(0.01);
  cheap.set_created_unix_ms(kTableTime + 86400000);
  ASSERT_TRUE(Put(agent, cheap).ok());  // re-profiled: nothing would be screened
  Open();
  DrainRecording(worker, agent, 300, &dispatched);
  auto done = manager_->GetJob(job->id());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::JOB_DONE) << done->message();
  EXPECT_EQ(done->message().find("without latency-table screening"), std::string::npos)
      << done->message();
  auto candidates = store_->ListCandidates(job->id());
  ASSERT_TRUE(candidates.ok());
  int screened = 0;
  for (const v1::Candidate& c : *candidates) {
    if (c.state() == v1::CANDIDATE_SCREENED) {
      ++screened;
      EXPECT_NE(c.notes(0).find("profiled 2023-11-14"), std::string::npos) << c.notes(0);
    } else {
      EXPECT_FALSE(HasLiveConv3x3(c.arch())) << c.arch() << " was dispatched";
    }
  }
  EXPECT_GT(screened, 0);
  // New jobs take the new table.
  auto later = Get("nb201", "cpu");
  ASSERT_TRUE(later.ok());
  EXPECT_EQ(later->created_unix_ms(), kTableTime + 86400000);
}

// A constraint that every suggestion breaks ends the job after the cap of
// screened candidates, with the reason, instead of screening forever.
TEST_F(LatencyTableTest, HopelessConstraintStopsAfterScreenCap) {
  const std::string worker = RegisterExecutor(v1::WORKER);
  const std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  ASSERT_TRUE(Put(agent, ConvHeavyTable()).ok());
  v1::JobSpec spec = ScreeningSpec(2);
  spec.mutable_constraints(0)->set_max_value(0.001);  // below the overhead alone
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  std::set<std::string> dispatched;
  DrainRecording(worker, agent, 50, &dispatched);
  auto done = manager_->GetJob(job->id());
  ASSERT_TRUE(done.ok());
  EXPECT_EQ(done->state(), v1::JOB_FAILED);
  EXPECT_NE(done->message().find("screened by the latency table"), std::string::npos)
      << done->message();
  EXPECT_TRUE(dispatched.empty());
  auto candidates = store_->ListCandidates(job->id());
  ASSERT_TRUE(candidates.ok());
  // The cap is checked after each suggestion batch (of at most parallelism).
  EXPECT_GE(static_cast<int>(candidates->size()), CandidateScreener::MaxScreened(2));
  EXPECT_LE(static_cast<int>(candidates->size()), CandidateScreener::MaxScreened(2) + 1);
}

}  // namespace
}  // namespace edgenas
