// ListCandidates' validation, filters and page tokens without a job
// manager: hand-made candidates in sequence order.
#include "coordinator/candidate_listing.h"

#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::HasSubstr;

v1::Candidate Make(int sequence, v1::CandidateState state, std::vector<int> fidelities = {}) {
  v1::Candidate c;
  c.set_id("job-1-" + std::to_string(sequence));
  c.set_sequence(sequence);
  c.set_state(state);
  for (int f : fidelities) {
    v1::Metric* m = c.add_metrics();
    m->set_name("accuracy");
    m->set_fidelity(f);
  }
  return c;
}

// Sequences 0..5: done at rungs 0 and 1, failed, a finalist (-1), pending.
std::vector<v1::Candidate> Sample() {
  return {Make(0, v1::CANDIDATE_DONE, {0}),       Make(1, v1::CANDIDATE_DONE, {0, 1}),
          Make(2, v1::CANDIDATE_FAILED),          Make(3, v1::CANDIDATE_DONE, {0, -1}),
          Make(4, v1::CANDIDATE_PENDING),         Make(5, v1::CANDIDATE_INFEASIBLE, {0})};
}

std::vector<const v1::Candidate*> Pointers(const std::vector<v1::Candidate>& all) {
  std::vector<const v1::Candidate*> out;
  for (const v1::Candidate& c : all) out.push_back(&c);
  return out;
}

std::vector<int> Sequences(const v1::ListCandidatesResponse& page) {
  std::vector<int> out;
  for (const v1::Candidate& c : page.candidates()) out.push_back(c.sequence());
  return out;
}

v1::ListCandidatesRequest Request(int page_size = 0) {
  v1::ListCandidatesRequest r;
  r.set_job_id("job-1");
  r.set_page_size(page_size);
  return r;
}

// Following next_page_token visits every candidate once, in sequence order,
// and the last page has no token.
TEST(PageCandidates, FollowsTokensToTheEnd) {
  const std::vector<v1::Candidate> all = Sample();
  v1::ListCandidatesRequest request = Request(/*page_size=*/4);
  auto q1 = ParseCandidateQuery(request);
  ASSERT_TRUE(q1.ok()) << q1.status();
  v1::ListCandidatesResponse first = PageCandidates(*q1, Pointers(all));
  EXPECT_EQ(Sequences(first), (std::vector<int>{0, 1, 2, 3}));
  EXPECT_EQ(first.total(), 6);
  ASSERT_FALSE(first.next_page_token().empty());
  request.set_page_token(first.next_page_token());
  auto q2 = ParseCandidateQuery(request);
  ASSERT_TRUE(q2.ok()) << q2.status();
  v1::ListCandidatesResponse second = PageCandidates(*q2, Pointers(all));
  EXPECT_EQ(Sequences(second), (std::vector<int>{4, 5}));
  EXPECT_EQ(second.total(), 6);
  EXPECT_EQ(second.next_page_token(), "");
}

// A page that ends exactly at the last match carries no token.
TEST(PageCandidates, ExactLastPageHasNoToken) {
  const std::vector<v1::Candidate> all = Sample();
  auto query = ParseCandidateQuery(Request(/*page_size=*/6));
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(PageCandidates(*query, Pointers(all)).next_page_token(), "");
}

// page_size 0 means 100; an empty job gives an empty page without a token.
TEST(PageCandidates, DefaultSizeAndEmptyJob) {
  auto query = ParseCandidateQuery(Request());
  ASSERT_TRUE(query.ok());
  EXPECT_EQ(query->page_size, kDefaultCandidatePageSize);
  v1::ListCandidatesResponse page = PageCandidates(*query, {});
  EXPECT_EQ(page.candidates_size(), 0);
  EXPECT_EQ(page.total(), 0);
  EXPECT_EQ(page.next_page_token(), "");
}

// States and fidelity filter together; total counts matches, not the job.
TEST(PageCandidates, FiltersByStateAndFidelity) {
  const std::vector<v1::Candidate> all = Sample();
  v1::ListCandidatesRequest request = Request(/*page_size=*/1);
  request.add_states(v1::CANDIDATE_DONE);
  request.add_states(v1::CANDIDATE_INFEASIBLE);
  request.set_fidelity(0);
  auto query = ParseCandidateQuery(request);
  ASSERT_TRUE(query.ok()) << query.status();
  std::vector<int> seen;
  for (int guard = 0; guard < 10; ++guard) {
    v1::ListCandidatesResponse page = PageCandidates(*query, Pointers(all));
    EXPECT_EQ(page.total(), 4);
    for (int s : Sequences(page)) seen.push_back(s);
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
    query = ParseCandidateQuery(request);
    ASSERT_TRUE(query.ok()) << query.status();
  }
  EXPECT_EQ(seen, (std::vector<int>{0, 1, 3, 5}));

  v1::ListCandidatesRequest finalists = Request();
  finalists.set_fidelity(-1);
  auto fq = ParseCandidateQuery(finalists);
  ASSERT_TRUE(fq.ok());
  EXPECT_EQ(Sequences(PageCandidates(*fq, Pointers(all))), (std::vector<int>{3}));
  v1::ListCandidatesRequest rung1 = Request();
  rung1.set_fidelity(1);
  rung1.add_states(v1::CANDIDATE_DONE);
  auto rq = ParseCandidateQuery(rung1);
  ASSERT_TRUE(rq.ok());
  EXPECT_EQ(Sequences(PageCandidates(*rq, Pointers(all))), (std::vector<int>{1}));
}

// Large candidates end a page early (never below one candidate), so a
// response stays under the byte cap; the token still leads to the rest.
TEST(PageCandidates, StopsBeforeTheByteCap) {
  std::vector<v1::Candidate> all;
  for (int i = 0; i < 5; ++i) {
    all.push_back(Make(i, v1::CANDIDATE_DONE, {0}));
    all.back().add_notes(std::string(kMaxCandidatePageBytes * 2 / 5, 'n'));
  }
  all[3].add_notes(std::string(kMaxCandidatePageBytes, 'x'));  // alone over the cap
  v1::ListCandidatesRequest request = Request(/*page_size=*/1000);
  std::vector<std::vector<int>> pages;
  for (int guard = 0; guard < 10; ++guard) {
    auto query = ParseCandidateQuery(request);
    ASSERT_TRUE(query.ok()) << query.status();
    v1::ListCandidatesResponse page = PageCandidates(*query, Pointers(all));
    EXPECT_EQ(page.total(), 5);
    if (page.candidates_size() > 1) EXPECT_LE(page.ByteSizeLong(), kMaxCandidatePageBytes + 1024);
    pages.push_back(Sequences(page));
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(pages, (std::vector<std::vector<int>>{{0, 1}, {2}, {3}, {4}}));
}

// page_size outside [0, 1000] is refused naming the field.
TEST(ParseCandidateQuery, RefusesPageSizeOutOfRange) {
  for (int size : {-1, 1001, 100000}) {
    auto query = ParseCandidateQuery(Request(size));
    EXPECT_EQ(query.status().code(), absl::StatusCode::kInvalidArgument) << size;
    EXPECT_THAT(query.status().message(), HasSubstr("page_size")) << size;
  }
  EXPECT_TRUE(ParseCandidateQuery(Request(kMaxCandidatePageSize)).ok());
}

// Garbage, a token of another job and a token of other filters are refused
// naming page_token.
TEST(ParseCandidateQuery, RefusesMalformedOrForeignToken) {
  const std::vector<v1::Candidate> all = Sample();
  auto query = ParseCandidateQuery(Request(/*page_size=*/2));
  ASSERT_TRUE(query.ok());
  const std::string token = PageCandidates(*query, Pointers(all)).next_page_token();
  ASSERT_FALSE(token.empty());

  const std::vector<std::string> bad = {
      "not base64 !", absl::WebSafeBase64Escape("cl1:2"), absl::WebSafeBase64Escape("cl1:x:y"),
      absl::WebSafeBase64Escape("cl1:-5:0000000000000000"), std::string(500, 'A')};
  for (const std::string& t : bad) {
    v1::ListCandidatesRequest r = Request();
    r.set_page_token(t);
    auto q = ParseCandidateQuery(r);
    EXPECT_EQ(q.status().code(), absl::StatusCode::kInvalidArgument) << t;
    EXPECT_THAT(q.status().message(), HasSubstr("page_token")) << t;
  }
  v1::ListCandidatesRequest other_job = Request();
  other_job.set_job_id("job-2");
  other_job.set_page_token(token);
  EXPECT_THAT(ParseCandidateQuery(other_job).status().message(), HasSubstr("another job"));
  v1::ListCandidatesRequest other_filter = Request();
  other_filter.add_states(v1::CANDIDATE_DONE);
  other_filter.set_page_token(token);
  EXPECT_EQ(ParseCandidateQuery(other_filter).status().code(),
            absl::StatusCode::kInvalidArgument);
  // The page size may change between pages.
  v1::ListCandidatesRequest resized = Request(/*page_size=*/10);
  resized.set_page_token(token);
  auto ok = ParseCandidateQuery(resized);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->first_sequence, 2);
}

// Unspecified or unknown states, a fidelity below -1 and an empty job id
// are refused naming the field.
TEST(ParseCandidateQuery, RefusesBadFilters) {
  v1::ListCandidatesRequest unspecified = Request();
  unspecified.add_states(v1::CANDIDATE_DONE);
  unspecified.add_states(v1::CANDIDATE_STATE_UNSPECIFIED);
  EXPECT_THAT(ParseCandidateQuery(unspecified).status().message(), HasSubstr("states[1]"));
  v1::ListCandidatesRequest unknown = Request();
  unknown.add_states(static_cast<v1::CandidateState>(42));
  EXPECT_THAT(ParseCandidateQuery(unknown).status().message(), HasSubstr("states[0]"));
  v1::ListCandidatesRequest low = Request();
  low.set_fidelity(-2);
  EXPECT_THAT(ParseCandidateQuery(low).status().message(), HasSubstr("fidelity"));
  v1::ListCandidatesRequest no_job;
  EXPECT_THAT(ParseCandidateQuery(no_job).status().message(), HasSubstr("job_id"));
}

}  // namespace
}  // namespace edgenas
