// `edgenas watch`: the progress figures (ETA, best accuracy), the bar on a
// terminal, and plain lines without control codes elsewhere.
#include "cli/watch_display.h"

#include <algorithm>
#include <sstream>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

const absl::Time kCreated = absl::FromUnixSeconds(1000000);

v1::Job Job(int done, int failed, v1::JobState state = v1::JOB_SEARCHING) {
  v1::Job job;
  job.set_id("job-7");
  job.set_state(state);
  job.set_candidates_done(done);
  job.set_candidates_failed(failed);
  job.set_front_size(3);
  job.set_hypervolume(0.4123);
  job.mutable_spec()->mutable_budget()->set_max_evaluations(100);
  job.set_created_unix_ms(absl::ToUnixMillis(kCreated));
  return job;
}

v1::JobEvent Done(const v1::Job& job, double accuracy) {
  v1::JobEvent event;
  event.set_type(v1::EVENT_CANDIDATE_DONE);
  *event.mutable_job() = job;
  auto* m = event.mutable_candidate()->add_metrics();
  m->set_name("accuracy");
  m->set_value(accuracy);
  return event;
}

// 40 of 100 finished in 2 minutes: 3 minutes left.
TEST(ComputeProgress, EtaExtrapolatesTheMeanTimePerCandidate) {
  WatchProgress p = ComputeProgress(Job(38, 2), kCreated + absl::Minutes(2), 0.9);
  EXPECT_EQ(p.finished, 40);
  ASSERT_TRUE(p.eta.has_value());
  EXPECT_EQ(*p.eta, absl::Minutes(3));
  EXPECT_FALSE(ComputeProgress(Job(0, 0), kCreated + absl::Minutes(1), {}).eta.has_value());
  EXPECT_FALSE(ComputeProgress(Job(50, 0, v1::JOB_DONE), kCreated + absl::Minutes(1), {})
                   .eta.has_value());
}

// The bar shows every figure the issue asks for.
TEST(FormatProgressBar, ShowsBudgetElapsedEtaBestHvFailures) {
  const std::string bar =
      FormatProgressBar(ComputeProgress(Job(38, 2), kCreated + absl::Seconds(123), 0.9123), 20);
  EXPECT_THAT(bar, HasSubstr("[########------------]"));
  EXPECT_THAT(bar, HasSubstr("40/100"));
  EXPECT_THAT(bar, HasSubstr("elapsed 2m03s"));
  EXPECT_THAT(bar, HasSubstr("ETA 3m04s"));
  EXPECT_THAT(bar, HasSubstr("best 91.23%"));
  EXPECT_THAT(bar, HasSubstr("hv 0.4123"));
  EXPECT_THAT(bar, HasSubstr("failed 2"));
}

// On a terminal the line is redrawn in place; the best accuracy is the
// highest seen in candidate events.
TEST(WatchDisplay, RedrawsInPlaceOnATerminal) {
  std::ostringstream out;
  WatchDisplay display(out, /*is_tty=*/true);
  display.OnEvent(Done(Job(1, 0), 0.81), kCreated + absl::Seconds(10));
  display.OnEvent(Done(Job(2, 0), 0.77), kCreated + absl::Seconds(20));
  display.Finish();
  EXPECT_EQ(display.best_accuracy(), 0.81);
  EXPECT_THAT(out.str(), HasSubstr("\r["));
  EXPECT_THAT(out.str(), HasSubstr("\x1b[K"));
  EXPECT_EQ(out.str().back(), '\n');
}

// Event snapshots without the spec still show the budget seen before.
TEST(WatchDisplay, KeepsTheBudgetWhenSnapshotsLackTheSpec) {
  std::ostringstream out;
  WatchDisplay display(out, /*is_tty=*/false);
  display.Learn(Job(0, 0));
  v1::Job bare = Job(5, 0);
  bare.clear_spec();
  display.Show(bare, kCreated + absl::Seconds(10));
  EXPECT_THAT(out.str(), HasSubstr("5/100 evaluated"));
}

// A replayed event shows the elapsed time it had, not the time of replay.
TEST(WatchDisplay, ReplayedEventsUseTheirOwnTime) {
  std::ostringstream out;
  WatchDisplay display(out, /*is_tty=*/false);
  v1::JobEvent event = Done(Job(1, 0), 0.5);
  event.set_unix_ms(absl::ToUnixMillis(kCreated + absl::Seconds(42)));
  display.OnEvent(event, kCreated + absl::Hours(5));
  EXPECT_THAT(out.str(), HasSubstr("elapsed 42s"));
}

// Elsewhere: one plain line per change, no control characters, no repeats.
TEST(WatchDisplay, PlainLinesWhenNotATerminal) {
  std::ostringstream out;
  WatchDisplay display(out, /*is_tty=*/false);
  display.OnEvent(Done(Job(1, 0), 0.5), kCreated + absl::Seconds(10));
  display.Show(Job(1, 0), kCreated + absl::Seconds(11));  // nothing changed
  display.OnEvent(Done(Job(2, 1), 0.6), kCreated + absl::Seconds(20));
  display.Finish();
  EXPECT_THAT(out.str(), Not(HasSubstr("\r")));
  EXPECT_THAT(out.str(), Not(HasSubstr("\x1b")));
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_THAT(out.str(), HasSubstr("job job-7 searching: 3/100 evaluated, 1 failed"));
  EXPECT_THAT(out.str(), HasSubstr("best 60.00%"));
}

}  // namespace
}  // namespace edgenas
