// The coordinator's authentication rules as plain data: the search token
// file, certificate names to executor roles, and CoordinatorAuth's
// decisions (who may register as what, who may act for an executor id,
// artifacts, search), plus the warnings for a coordinator off loopback.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "coordinator/auth/auth_identity.h"
#include "coordinator/auth/auth_policy.h"
#include "coordinator/auth/auth_tokens.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::SizeIs;

constexpr char kAlice[] = "alice-0123456789abcdef";
constexpr char kBob[] = "bob-fedcba9876543210";
constexpr char kBare[] = "bare-token-00000000000";

TokenSet Tokens() {
  auto set = TokenSet::Parse(
      absl::StrCat("# users\nalice:", kAlice, "\n\n  bob : ", kBob, "  \n", kBare, "\n"),
      "tokens");
  EXPECT_TRUE(set.ok()) << set.status();
  return *set;
}

TEST(TokenSetTest, NamesTheUserOfEachTokenAndRefusesOthers) {
  TokenSet tokens = Tokens();
  EXPECT_EQ(tokens.size(), 3u);
  EXPECT_EQ(*tokens.Authenticate(absl::StrCat("Bearer ", kAlice)), "alice");
  EXPECT_EQ(*tokens.Authenticate(absl::StrCat("bearer ", kBob)), "bob");
  EXPECT_EQ(*tokens.Authenticate(absl::StrCat("Bearer ", kBare)), "token@line5");

  auto missing = tokens.Authenticate(std::nullopt);
  EXPECT_EQ(missing.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(missing.status().message()), HasSubstr("Bearer"));
  auto wrong = tokens.Authenticate("Bearer alice-0123456789abcdeX");
  EXPECT_EQ(wrong.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(wrong.status().message()), Not(HasSubstr("alice-0123")));
  // A prefix or extension of a real token is not that token.
  EXPECT_FALSE(tokens.Authenticate("Bearer alice-0123456789abcde").ok());
  EXPECT_FALSE(tokens.Authenticate(absl::StrCat("Bearer ", kAlice, "0")).ok());
  // Not the Bearer scheme, or the bare token.
  EXPECT_EQ(tokens.Authenticate(kAlice).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(tokens.Authenticate(absl::StrCat("Basic ", kAlice)).ok());
  EXPECT_FALSE(tokens.Authenticate("Bearer ").ok());
}

TEST(TokenSetTest, RefusesBadFilesNamingTheLineWithoutQuotingTokens) {
  struct Case {
    std::string text;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"", "holds no token"},
           {"# only a comment\n\n", "holds no token"},
           {"alice:short\n", "line 1: token shorter than 16"},
           {absl::StrCat("a\n"), "line 1: token shorter than 16"},
           {absl::StrCat("alice:", kAlice, "\nbob:", kAlice, "\n"), "line 2: the same token"},
           {absl::StrCat("al ice:", kAlice, "\n"), "line 1: the user before ':'"},
           {absl::StrCat(":", kAlice, "\n"), "line 1: the user before ':'"},
           {absl::StrCat("alice:", "tok en with spaces inside\n"), "line 1: token character 4"},
       }) {
    auto set = TokenSet::Parse(c.text, "tokens.txt");
    ASSERT_FALSE(set.ok()) << c.text;
    EXPECT_EQ(set.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(set.status().message()), HasSubstr(c.expected)) << c.text;
    EXPECT_THAT(std::string(set.status().message()), HasSubstr("tokens.txt"));
    EXPECT_THAT(std::string(set.status().message()), Not(HasSubstr(kAlice)));
  }
  auto unreadable = TokenSet::Load("/nonexistent/tokens");
  EXPECT_THAT(std::string(unreadable.status().message()), HasSubstr("--search_tokens_file"));
}

TEST(ConstantTimeEqualsTest, ComparesWholeStrings) {
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_TRUE(ConstantTimeEquals("", ""));
}

TEST(GrantFromNamesTest, UrisFirstThenCommonName) {
  EXPECT_TRUE(GrantFromNames("worker", {}).worker);
  EXPECT_THAT(GrantFromNames("agent:rpi5", {}).agent_classes, ElementsAre("rpi5"));
  ExecutorGrant uris = GrantFromNames(
      "board-17", {"DNS:ignored", "edgenas://agent/rpi5", "edgenas://agent/jetson", "x"});
  EXPECT_FALSE(uris.worker);
  EXPECT_THAT(uris.agent_classes, ElementsAre("jetson", "rpi5"));
  EXPECT_EQ(uris.Describe(), "agent for jetson, rpi5");
  // An edgenas:// URI makes the common name irrelevant.
  ExecutorGrant both = GrantFromNames("agent:rpi5", {"edgenas://worker"});
  EXPECT_TRUE(both.worker);
  EXPECT_THAT(both.agent_classes, IsEmpty());
  // Names that are not the convention grant nothing.
  for (const auto& [cn, sans] : std::vector<std::pair<std::string, std::vector<std::string>>>{
           {"alice", {}},
           {"agent:", {}},
           {"Worker", {}},
           {"worker", {"edgenas://agent/"}},
           {"x", {"edgenas://workers", "https://edgenas/worker"}}}) {
    EXPECT_FALSE(GrantFromNames(cn, sans).any()) << cn;
  }
  EXPECT_EQ(GrantFromNames("alice", {}).Describe(), "no executor role");
}

CallerInfo Caller(const std::string& cn, const std::string& fingerprint) {
  CallerInfo caller;
  caller.has_certificate = true;
  caller.common_name = cn;
  caller.certificate_sha256 = fingerprint;
  caller.grant = GrantFromNames(cn, {});
  return caller;
}

AuthOptions MutualTls() {
  AuthOptions options;
  options.mutual_tls = true;
  return options;
}

TEST(CoordinatorAuthTest, WithoutMutualTlsExecutorsAreNotChecked) {
  CoordinatorAuth auth{AuthOptions{}};
  CallerInfo nobody;
  EXPECT_TRUE(auth.AuthorizeRegister(nobody, ExecutorRole::kAgent, "rpi5").ok());
  EXPECT_TRUE(auth.AuthorizeExecutorCall(nobody, "agent-1").ok());
  EXPECT_TRUE(auth.AuthorizeArtifactUpload(nobody).ok());
  EXPECT_TRUE(auth.AuthorizeArtifactRead(nobody).ok());
  EXPECT_EQ(*auth.AuthorizeSearch(nobody), "");
}

TEST(CoordinatorAuthTest, RegisterNeedsTheRoleAndClassTheCertificateNames) {
  CoordinatorAuth auth(MutualTls());
  auto none = auth.AuthorizeRegister(CallerInfo{}, ExecutorRole::kWorker, "");
  EXPECT_EQ(none.code(), absl::StatusCode::kUnauthenticated);
  EXPECT_THAT(std::string(none.message()), HasSubstr("--tls_cert_file"));

  const CallerInfo rpi = Caller("agent:rpi5", "aa");
  EXPECT_TRUE(auth.AuthorizeRegister(rpi, ExecutorRole::kAgent, "rpi5").ok());
  auto other_class = auth.AuthorizeRegister(rpi, ExecutorRole::kAgent, "jetson");
  EXPECT_EQ(other_class.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(other_class.message()),
              HasSubstr("DEVICE_AGENT for device_class \"jetson\" needs a certificate naming "
                        "edgenas://agent/jetson"));
  EXPECT_THAT(std::string(other_class.message()), HasSubstr("grants agent for rpi5"));
  auto as_worker = auth.AuthorizeRegister(rpi, ExecutorRole::kWorker, "");
  EXPECT_EQ(as_worker.code(), absl::StatusCode::kPermissionDenied);

  const CallerInfo worker = Caller("worker", "bb");
  EXPECT_TRUE(auth.AuthorizeRegister(worker, ExecutorRole::kWorker, "").ok());
  EXPECT_EQ(auth.AuthorizeRegister(worker, ExecutorRole::kAgent, "rpi5").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(auth.AuthorizeRegister(Caller("alice", "cc"), ExecutorRole::kWorker, "").code(),
            absl::StatusCode::kPermissionDenied);
}

TEST(CoordinatorAuthTest, AnExecutorIdBelongsToTheCertificateThatRegisteredIt) {
  CoordinatorAuth auth(MutualTls());
  const CallerInfo rpi_a = Caller("agent:rpi5", "aa");
  const CallerInfo rpi_b = Caller("agent:rpi5", "ab");  // same class, another board
  const CallerInfo jetson = Caller("agent:jetson", "cc");
  auth.BindExecutor("agent-1", rpi_a);
  EXPECT_TRUE(auth.AuthorizeExecutorCall(rpi_a, "agent-1").ok());
  for (const CallerInfo& other : {rpi_b, jetson}) {
    auto refused = auth.AuthorizeExecutorCall(other, "agent-1");
    EXPECT_EQ(refused.code(), absl::StatusCode::kPermissionDenied);
    EXPECT_THAT(std::string(refused.message()), HasSubstr("belongs to the certificate CN=agent:rpi5"));
  }
  EXPECT_EQ(auth.AuthorizeExecutorCall(CallerInfo{}, "agent-1").code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(auth.AuthorizeExecutorCall(rpi_a, "agent-2").code(), absl::StatusCode::kNotFound);
}

TEST(CoordinatorAuthTest, ExecutorsFromBeforeARestartAreClaimedByAMatchingCertificateOnce) {
  AuthOptions options = MutualTls();
  options.registered_before_start["agent-1"] = {ExecutorRole::kAgent, "rpi5"};
  options.registered_before_start["worker-1"] = {ExecutorRole::kWorker, ""};
  CoordinatorAuth auth(std::move(options));
  const CallerInfo jetson = Caller("agent:jetson", "cc");
  auto wrong_class = auth.AuthorizeExecutorCall(jetson, "agent-1");
  EXPECT_EQ(wrong_class.code(), absl::StatusCode::kPermissionDenied);
  EXPECT_THAT(std::string(wrong_class.message()),
              HasSubstr("is a DEVICE_AGENT for device_class \"rpi5\""));
  EXPECT_EQ(auth.AuthorizeExecutorCall(jetson, "worker-1").code(),
            absl::StatusCode::kPermissionDenied);
  const CallerInfo rpi_a = Caller("agent:rpi5", "aa");
  EXPECT_TRUE(auth.AuthorizeExecutorCall(rpi_a, "agent-1").ok());
  EXPECT_TRUE(auth.AuthorizeExecutorCall(rpi_a, "agent-1").ok());
  // Claimed: another board of the same class may not take it over.
  EXPECT_EQ(auth.AuthorizeExecutorCall(Caller("agent:rpi5", "ab"), "agent-1").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(auth.AuthorizeExecutorCall(Caller("worker", "bb"), "worker-1").ok());
}

// An executor id stored with the certificate that registered it stays that
// certificate's after a restart: another one with the same grant cannot
// claim it first (before, the first matching certificate took it over).
TEST(CoordinatorAuthTest, ExecutorsFromBeforeARestartStayBoundToTheirCertificate) {
  AuthOptions options = MutualTls();
  options.registered_before_start["agent-1"] = {ExecutorRole::kAgent, "rpi5", "aa"};
  options.registered_before_start["agent-2"] = {ExecutorRole::kAgent, "rpi5", "ab"};
  CoordinatorAuth auth(std::move(options));
  const CallerInfo rpi_b = Caller("agent:rpi5", "ab");
  auto claim = auth.AuthorizeExecutorCall(rpi_b, "agent-1");
  EXPECT_EQ(claim.code(), absl::StatusCode::kPermissionDenied) << claim;
  EXPECT_THAT(std::string(claim.message()), HasSubstr("bound to the certificate"));
  EXPECT_THAT(std::string(claim.message()), ::testing::Not(HasSubstr("agent-2")));
  EXPECT_TRUE(auth.AuthorizeExecutorCall(Caller("agent:rpi5", "aa"), "agent-1").ok());
  EXPECT_EQ(auth.AuthorizeExecutorCall(rpi_b, "agent-1").code(),
            absl::StatusCode::kPermissionDenied);
  EXPECT_TRUE(auth.AuthorizeExecutorCall(rpi_b, "agent-2").ok());
}

TEST(CoordinatorAuthTest, ArtifactsAndSearch) {
  AuthOptions options = MutualTls();
  options.search_tokens = Tokens();
  CoordinatorAuth auth(std::move(options));
  const CallerInfo worker = Caller("worker", "bb");
  const CallerInfo user_cert = Caller("alice", "dd");
  CallerInfo token_only;
  token_only.authorization = absl::StrCat("Bearer ", kAlice);
  EXPECT_TRUE(auth.AuthorizeArtifactUpload(worker).ok());
  EXPECT_EQ(auth.AuthorizeArtifactUpload(user_cert).code(), absl::StatusCode::kPermissionDenied);
  EXPECT_EQ(auth.AuthorizeArtifactUpload(token_only).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(auth.AuthorizeArtifactRead(worker).ok());
  EXPECT_TRUE(auth.AuthorizeArtifactRead(user_cert).ok());
  EXPECT_TRUE(auth.AuthorizeArtifactRead(token_only).ok());
  EXPECT_EQ(auth.AuthorizeArtifactRead(CallerInfo{}).code(), absl::StatusCode::kUnauthenticated);

  EXPECT_EQ(*auth.AuthorizeSearch(token_only), "alice");
  // A certificate is no substitute for a token on SearchService.
  EXPECT_EQ(auth.AuthorizeSearch(worker).status().code(), absl::StatusCode::kUnauthenticated);
}

TEST(ExposureWarningsTest, LoudOffLoopbackForEachMissingProtection) {
  EXPECT_THAT(ExposureWarnings("127.0.0.1:50051", false, false, false), IsEmpty());
  EXPECT_THAT(ExposureWarnings("localhost:0", false, false, false), IsEmpty());
  EXPECT_THAT(ExposureWarnings("[::1]:50051", false, false, false), IsEmpty());
  EXPECT_THAT(ExposureWarnings("0.0.0.0:50051", true, true, true), IsEmpty());
  std::vector<std::string> all = ExposureWarnings("0.0.0.0:50051", false, false, false);
  ASSERT_THAT(all, SizeIs(3));
  EXPECT_THAT(all[0], HasSubstr("WARNING: listening on 0.0.0.0:50051 beyond loopback WITHOUT TLS"));
  EXPECT_THAT(all[1], HasSubstr("--tls_client_ca_file"));
  EXPECT_THAT(all[2], HasSubstr("--search_tokens_file"));
  EXPECT_THAT(ExposureWarnings("[::]:50051", true, false, true), SizeIs(1));
  EXPECT_THAT(ExposureWarnings("coordinator.lab:50051", true, true, false), SizeIs(1));
}

}  // namespace
}  // namespace edgenas
