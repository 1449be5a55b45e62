// Compact finished candidates: a live job keeps pending candidates and the
// Pareto front's members in full, and of every other finished candidate
// only what the search reads (JobRuntime::IsCompact, CompactCandidate);
// GetCandidate, ListCandidates and GetParetoFront still answer with full
// records, read from the store, also after a restart.
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/job_spec.h"
#include "common/metric_names.h"
#include "common/status_macros.h"
#include "coordinator/job_runtime.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/coordinator/job_manager_fixture.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

double Hash01(const std::string& text, int salt) {
  return static_cast<double>((std::hash<std::string>()(text) / (salt * 7 + 1)) % 1000) / 1000.0;
}

// A normalised two-objective job record (accuracy up, latency down).
v1::Job RuntimeJob(int evaluations) {
  v1::JobSpec spec = TinySpec(evaluations);
  spec.set_parallelism(4);
  absl::Status s = NormalizeJobSpec(&spec, RegisteredJobSpecNames());
  EXPECT_TRUE(s.ok()) << s;
  v1::Job job;
  job.set_id("job-compact");
  *job.mutable_spec() = spec;
  job.set_state(v1::JOB_SEARCHING);
  return job;
}

// Answers every task with architecture-dependent results (and a note and a
// params value the search keeps) until the job has finished creating.
absl::Status RunToEnd(JobRuntime& rt) {
  int64_t now_ms = 0;
  for (int round = 0; round < 1000 && !rt.AllFinished(); ++round) {
    std::vector<JobRuntime::NewCandidate> created = rt.Fill(++now_ms);
    if (created.empty()) return absl::InternalError("nothing created, not finished");
    for (const JobRuntime::NewCandidate& nc : created) {
      for (const TaskRecord& task : nc.tasks) {
        std::vector<v1::Metric> metrics(1);
        if (task.kind == TaskKind::kAccuracy) {
          metrics[0].set_name(kMetricAccuracy);
          metrics[0].set_value(0.5 + 0.4 * Hash01(nc.candidate.arch(), 1));
        } else {
          metrics[0].set_name(kMetricLatencyMs);
          metrics[0].set_value(1.0 + Hash01(nc.candidate.arch(), 2));
        }
        metrics[0].set_source("test:hash-of-arch");
        RETURN_IF_ERROR(rt.ValidateReport(task, metrics, {"a note"}));
        AttributeMetrics(task, &metrics);
        RETURN_IF_ERROR(rt.RecordTaskResult(task, metrics, {"a note"}, now_ms).status());
      }
    }
  }
  return rt.AllFinished() ? absl::OkStatus() : absl::InternalError("job did not finish");
}

// Off the front: compact (no id, arch, notes or sources; the search's values
// kept); on the front: full.
TEST(CompactCandidates, FinishedCandidatesOffTheFrontAreHeldCompact) {
  auto rt = JobRuntime::Create(RuntimeJob(24));
  ASSERT_TRUE(rt.ok()) << rt.status();
  ASSERT_TRUE(RunToEnd(**rt).ok());
  std::set<std::string> front;
  const v1::ParetoFront pareto = (*rt)->Front();
  for (const v1::Candidate& c : pareto.candidates()) {
    front.insert(c.id());
    EXPECT_FALSE(c.arch().empty());
    EXPECT_GT(c.notes_size(), 0);
  }
  ASSERT_FALSE(front.empty());
  int compact = 0;
  for (int seq = 0; seq < 24; ++seq) {
    const std::string id = absl::StrFormat("job-compact-%04d", seq);
    const v1::Candidate* c = (*rt)->FindCandidate(id);
    ASSERT_NE(c, nullptr) << id;
    if (front.count(id) > 0) {
      EXPECT_FALSE(JobRuntime::IsCompact(*c)) << id;
      continue;
    }
    ++compact;
    EXPECT_TRUE(JobRuntime::IsCompact(*c)) << id;
    EXPECT_TRUE(c->arch().empty());
    EXPECT_EQ(c->notes_size(), 0);
    EXPECT_EQ(c->sequence(), seq);
    EXPECT_EQ(c->encoding_size(), 6);
    ASSERT_EQ(c->metrics_size(), 2);  // the search's accuracy and latency
    for (const v1::Metric& m : c->metrics()) EXPECT_TRUE(m.source().empty());
    EXPECT_TRUE(FindMetric(*c, kMetricAccuracy, "").has_value());
  }
  EXPECT_GT(compact, 0);
}

// The compact form is much smaller than the record it stands for.
TEST(CompactCandidates, CompactFormIsASmallPartOfTheRecord) {
  v1::Candidate c;
  c.set_id("job-3fa9c2d1e0b4-0042");
  c.set_job_id("job-3fa9c2d1e0b4");
  c.set_space("nb201");
  c.set_arch("|nor_conv_3x3~0|+|nor_conv_1x1~0|none~1|+|skip_connect~0|avg_pool_3x3~1|none~2|");
  c.set_canonical_key(c.arch());
  for (int g : {1, 2, 3, 4, 0, 1}) c.add_encoding(g);
  c.set_state(v1::CANDIDATE_DONE);
  c.set_sequence(42);
  c.add_notes("latency.cpu: energy_mj unavailable: no meter");
  for (const char* name : {kMetricAccuracy, kMetricLatencyMs}) {
    v1::Metric* m = c.add_metrics();
    m->set_name(name);
    m->set_value(0.7);
    m->set_source("worker:cifar10/train-200-epochs");
    m->mutable_device()->set_cpu_model("Cortex-A76");
  }
  const v1::Candidate compact = CompactCandidate(c);
  EXPECT_TRUE(JobRuntime::IsCompact(compact));
  EXPECT_EQ(FindMetric(compact, kMetricLatencyMs, ""), FindMetric(c, kMetricLatencyMs, ""));
  EXPECT_LT(compact.SpaceUsedLong() * 2, c.SpaceUsedLong());
}

class CompactCandidatesManagerTest : public JobManagerTest {};

// GetCandidate, ListCandidates and GetParetoFront of a live job answer with
// full records whether memory holds a candidate compact or not, before and
// after a restart.
TEST_F(CompactCandidatesManagerTest, LiveJobStillAnswersWithFullRecords) {
  v1::JobSpec spec = TinySpec(12);
  spec.mutable_budget()->set_max_evaluations(14);
  auto job = manager_->SubmitJob(spec);
  ASSERT_TRUE(job.ok()) << job.status();
  const std::string worker = RegisterExecutor(v1::WORKER);
  const std::string agent = RegisterExecutor(v1::DEVICE_AGENT);
  // Finish a dozen candidates, leaving the job live.
  for (int i = 0; i < 40; ++i) {
    auto got = manager_->GetJob(job->id());
    ASSERT_TRUE(got.ok());
    if (got->candidates_done() + got->candidates_failed() >= 10) break;
    for (const auto& ex : {worker, agent}) {
      for (const v1::Task& t : LeaseNow(ex)) ASSERT_TRUE(CompleteTask(ex, t).ok());
    }
  }
  for (int pass = 0; pass < 2; ++pass) {
    auto state = manager_->GetJob(job->id());
    ASSERT_TRUE(state.ok());
    ASSERT_NE(state->state(), v1::JOB_DONE) << "the job must still be live";
    v1::ListCandidatesRequest request;
    request.set_job_id(job->id());
    request.set_page_size(1000);
    auto page = manager_->ListCandidates(request);
    ASSERT_TRUE(page.ok()) << page.status();
    int finished = 0;
    for (const v1::Candidate& c : page->candidates()) {
      EXPECT_FALSE(c.arch().empty()) << c.id();
      EXPECT_EQ(c.job_id(), job->id());
      if (c.state() != v1::CANDIDATE_DONE) continue;
      ++finished;
      EXPECT_THAT(c.notes(), ::testing::Contains(HasSubstr("energy_mj unavailable")));
      auto one = manager_->GetCandidate(job->id(), c.id());
      ASSERT_TRUE(one.ok()) << one.status();
      EXPECT_EQ(one->SerializeAsString(), c.SerializeAsString()) << c.id();
    }
    EXPECT_GE(finished, 5);
    auto front = manager_->GetParetoFront(job->id());
    ASSERT_TRUE(front.ok());
    ASSERT_GT(front->candidates_size(), 0);
    for (const v1::Candidate& c : front->candidates()) EXPECT_FALSE(c.arch().empty());
    Open();  // the restored job compacts its finished candidates too
  }
}

}  // namespace
}  // namespace edgenas
