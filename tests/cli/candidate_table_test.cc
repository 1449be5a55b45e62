// `edgenas candidates` renderings (CSV layout, table, JSON), its flags, and
// the paging loop over a fake server.
#include "cli/candidate_table.h"

#include <string>
#include <vector>

#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "cli/candidates_command.h"
#include "cli/search_client.h"
#include "gmock/gmock.h"
#include "google/protobuf/text_format.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

v1::Candidate Parse(const std::string& text) {
  v1::Candidate c;
  EXPECT_TRUE(google::protobuf::TextFormat::ParseFromString(text, &c)) << text;
  return c;
}

// A finalist with a proxy and a full-training accuracy, an unstable CPU
// latency with its interval; a rung-0 candidate; a failed one with notes.
std::vector<v1::Candidate> Sample() {
  return {
      Parse(R"pb(
        id: "job-1-0000" sequence: 0 state: CANDIDATE_DONE arch: "|a~0|"
        created_unix_ms: 1000 finished_unix_ms: 2000
        metrics {
          name: "accuracy" value: 0.8 source: "worker:flash_distill:cpu" fidelity: 0
          std_error: 0.01
        }
        metrics { name: "accuracy" value: 0.9 source: "worker:full_train:cpu" fidelity: -1 }
        metrics { name: "latency_ms" value: 1.5 source: "agent:libtorch-cpu" device_class: "cpu"
                  unstable: true ci_low: 1.4 ci_high: 1.6 }
        notes: "latency.cpu: energy_mj unavailable: no meter"
      )pb"),
      Parse(R"pb(
        id: "job-1-0001" sequence: 1 state: CANDIDATE_DONE arch: "|b~0|"
        created_unix_ms: 1100 finished_unix_ms: 2100
        metrics { name: "accuracy" value: 0.7 source: "worker:flash_distill:cpu" fidelity: 0 }
        metrics { name: "latency_ms" value: 2 source: "agent:libtorch-cpu" device_class: "cpu" }
      )pb"),
      Parse(R"pb(
        id: "job-1-0002" sequence: 2 state: CANDIDATE_FAILED arch: "odd, \"arch\""
        created_unix_ms: 1200 failure_reason: "worker: out of memory"
        notes: "first note" notes: "second, note"
      )pb"),
  };
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines = absl::StrSplit(text, "\r\n");
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  return lines;
}

// The header follows the documented layout: fixed columns, then per metric
// the search's value with source, fidelity, unstable and the statistics
// present, then a group per fidelity when there are several, then times,
// reason and notes.
TEST(CandidateCsv, HeaderFollowsTheDocumentedLayout) {
  EXPECT_EQ(absl::StrJoin(CandidateCsvHeader(Sample()), ","),
            "id,sequence,state,arch,"
            "accuracy,accuracy.source,accuracy.fidelity,accuracy.unstable,accuracy.std_error,"
            "accuracy#0,accuracy#0.source,accuracy#0.unstable,accuracy#0.std_error,"
            "accuracy#-1,accuracy#-1.source,accuracy#-1.unstable,"
            "latency_ms@cpu,latency_ms@cpu.source,latency_ms@cpu.fidelity,"
            "latency_ms@cpu.unstable,latency_ms@cpu.ci_low,latency_ms@cpu.ci_high,"
            "created_unix_ms,finished_unix_ms,failure_reason,notes");
}

// Every candidate is one row with raw values; missing values are empty;
// notes are joined with " | " and quoted when needed.
TEST(CandidateCsv, OneRowPerCandidateWithRawValues) {
  const std::vector<std::string> lines = Lines(FormatCandidatesCsv(Sample()));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[1],
            "job-1-0000,0,done,|a~0|,"
            "0.8,worker:flash_distill:cpu,0,false,0.01,"
            "0.8,worker:flash_distill:cpu,false,0.01,"
            "0.9,worker:full_train:cpu,false,"
            "1.5,agent:libtorch-cpu,0,true,1.4,1.6,"
            "1000,2000,,latency.cpu: energy_mj unavailable: no meter");
  EXPECT_EQ(lines[2],
            "job-1-0001,1,done,|b~0|,"
            "0.7,worker:flash_distill:cpu,0,false,,"
            "0.7,worker:flash_distill:cpu,false,,"
            ",,,"
            "2,agent:libtorch-cpu,0,false,,,"
            "1100,2100,,");
  EXPECT_EQ(lines[3],
            "job-1-0002,2,failed,\"odd, \"\"arch\"\"\","
            ",,,,,,,,,,,,,,,,,,"
            "1200,,worker: out of memory,\"first note | second, note\"");
}

// A metric seen only at one fidelity gets no per-fidelity columns, and a
// metric known only from finalists fills the main column.
TEST(CandidateCsv, SingleFidelityAndFinalistOnlyMetrics) {
  const std::vector<v1::Candidate> candidates = {Parse(R"pb(
    id: "c" sequence: 0 state: CANDIDATE_DONE
    metrics { name: "test_accuracy" value: 0.88 source: "worker:test" fidelity: -1 }
    metrics { name: "params" value: 12345 source: "worker:table" }
  )pb")};
  EXPECT_THAT(CandidateCsvHeader(candidates),
              ElementsAre("id", "sequence", "state", "arch", "params", "params.source",
                          "params.fidelity", "params.unstable", "test_accuracy",
                          "test_accuracy.source", "test_accuracy.fidelity",
                          "test_accuracy.unstable", "created_unix_ms", "finished_unix_ms",
                          "failure_reason", "notes"));
  EXPECT_THAT(FormatCandidatesCsv(candidates),
              HasSubstr("12345,worker:table,0,false,0.88,worker:test,-1,false"));
}

// The table shows the value columns formatted per metric, marks unstable
// values, lists reasons below and counts the rows.
TEST(CandidateTable, AlignsValuesAndListsReasons) {
  const std::string expected =
      "seq  state   accuracy  accuracy#0  accuracy#-1  latency_ms@cpu  arch\n"
      "  0  done      80.00%      80.00%       90.00%          1.500~  |a~0|\n"
      "  1  done      70.00%      70.00%            -           2.000  |b~0|\n"
      "  2  failed         -           -            -               -  odd, \"arch\"\n"
      "#2 failed: worker: out of memory\n"
      "note: ~ marks an unstable measurement: its 95% confidence interval stayed wider than "
      "latency.target_ci_rel even after a re-measurement\n"
      "3 candidates; sources, fidelities, notes and times: --csv or --json\n";
  EXPECT_EQ(FormatCandidatesTable(Sample()), expected);
  EXPECT_EQ(FormatCandidatesTable({}), "(no candidates)\n");
}

// JSON is an array of Candidate messages that parse back unchanged.
TEST(CandidateJson, ArrayOfCandidatesRoundTrips) {
  absl::StatusOr<std::string> json = FormatCandidatesJson(Sample());
  ASSERT_TRUE(json.ok()) << json.status();
  EXPECT_EQ(json->front(), '[');
  v1::ListCandidatesResponse wrapped;  // parse the array through a wrapper
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  absl::StrCat("{\"candidates\": ", *json, "}"), &wrapped)
                  .ok());
  ASSERT_EQ(wrapped.candidates_size(), 3);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(wrapped.candidates(i).SerializeAsString(), Sample()[i].SerializeAsString()) << i;
  }
  EXPECT_THAT(*json, HasSubstr("\"failure_reason\""));
  EXPECT_EQ(*FormatCandidatesJson({}), "[]\n");
}

// --state takes known names in any case; unknown ones are refused naming
// the flag; --fidelity and --page_size are checked before any RPC.
TEST(CandidatesFlags, ParsesAndRefusesNamingTheFlag) {
  CandidatesFlags flags;
  flags.job_id = "job-1";
  flags.state = "done, FAILED,done";
  flags.fidelity = "-1";
  flags.page_size = "50";
  absl::StatusOr<v1::ListCandidatesRequest> request = CandidatesRequestFromFlags(flags);
  ASSERT_TRUE(request.ok()) << request.status();
  EXPECT_THAT(request->states(), ElementsAre(v1::CANDIDATE_DONE, v1::CANDIDATE_FAILED));
  EXPECT_EQ(request->fidelity(), -1);
  EXPECT_EQ(request->page_size(), 50);

  flags.state = "done,finished";
  EXPECT_THAT(CandidatesRequestFromFlags(flags).status().message(), HasSubstr("--state"));
  flags.state.reset();
  flags.fidelity = "-2";
  EXPECT_THAT(CandidatesRequestFromFlags(flags).status().message(), HasSubstr("--fidelity"));
  flags.fidelity.reset();
  for (const char* bad : {"0", "1001", "ten"}) {
    flags.page_size = bad;
    EXPECT_THAT(CandidatesRequestFromFlags(flags).status().message(), HasSubstr("--page_size"))
        << bad;
  }
  flags.page_size.reset();
  absl::StatusOr<v1::ListCandidatesRequest> plain = CandidatesRequestFromFlags(flags);
  ASSERT_TRUE(plain.ok());
  EXPECT_FALSE(plain->has_fidelity());
  EXPECT_EQ(plain->states_size(), 0);
}

// The paging loop follows tokens to the end, passing each one back with the
// same filters, and stops on a token that makes no progress.
TEST(CollectCandidatePages, FollowsTokensAndStopsOnARepeatedOne) {
  const std::vector<v1::Candidate> all = Sample();
  std::vector<std::string> tokens_seen;
  using Page = absl::StatusOr<v1::ListCandidatesResponse>;
  auto fake = [&](const v1::ListCandidatesRequest& r) -> Page {
    tokens_seen.push_back(r.page_token());
    EXPECT_EQ(r.states_size(), 1);
    v1::ListCandidatesResponse page;
    const size_t at = r.page_token().empty() ? 0 : std::stoul(r.page_token());
    *page.add_candidates() = all[at];
    if (at + 1 < all.size()) page.set_next_page_token(std::to_string(at + 1));
    return page;
  };
  v1::ListCandidatesRequest request;
  request.set_job_id("job-1");
  request.add_states(v1::CANDIDATE_DONE);
  absl::StatusOr<std::vector<v1::Candidate>> got = CollectCandidatePages(request, fake);
  ASSERT_TRUE(got.ok()) << got.status();
  ASSERT_EQ(got->size(), 3u);
  EXPECT_EQ((*got)[2].id(), "job-1-0002");
  EXPECT_THAT(tokens_seen, ElementsAre("", "1", "2"));

  auto stuck = [](const v1::ListCandidatesRequest&) -> Page {
    v1::ListCandidatesResponse page;
    page.add_candidates()->set_id("x");
    page.set_next_page_token("same");
    return page;
  };
  EXPECT_EQ(CollectCandidatePages(request, stuck).status().code(), absl::StatusCode::kInternal);
  auto refused = [](const v1::ListCandidatesRequest&) -> Page {
    return absl::NotFoundError("job_id: no job");
  };
  EXPECT_EQ(CollectCandidatePages(request, refused).status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace edgenas
