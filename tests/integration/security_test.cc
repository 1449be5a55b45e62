// "Never let a stranger in": the real coordinator, worker, agents and CLI
// with mutual TLS and bearer tokens. A CA, the coordinator's certificate
// (SAN 127.0.0.1/localhost), a worker certificate, agent certificates for
// two device classes and a certificate from an untrusted CA are made with
// the openssl tool at test time (the tests skip only when it is missing).
// Checked: TaskService refuses a caller without a certificate, one whose
// certificate comes from another CA, an agent registering for a class its
// certificate does not name, and an executor acting for another's id;
// SearchService refuses calls without the token or with a wrong one
// (UNAUTHENTICATED, never echoing it); with the token, a table job submitted
// and watched through the CLI runs to DONE, its latencies answered by the
// agent whose certificate names the job's device class.
#include <stdlib.h>
#include <sys/stat.h>

#include <grpcpp/grpcpp.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/grpc_bearer.h"
#include "common/grpc_tls.h"
#include "coordinator/store/store.h"
#include "spaces/nb201/nb201_space.h"
#include "edgenas/v1/search_service.grpc.pb.h"
#include "edgenas/v1/task_service.grpc.pb.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/common/test_pki.h"
#include "tests/integration/cluster.h"

namespace edgenas {
namespace {

using testing::Cluster;
using testing::Ctx;
using testing::TestPki;
using testing::WaitForLogLine;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kToken[] = "8c1f0d6a52e94b7e9a3f0c2d4e6b8a10";
constexpr char kWrongToken[] = "ffffffffffffffffffffffffffffffff";
constexpr char kBoard[] = "board";
constexpr char kOtherClass[] = "jetson";
// A guard against hangs, not a timing check.
constexpr int kBoundSeconds = 600;

// The processes' info lines (registrations, who submitted) are checked
// below; CTest runs tests with EDGENAS_LOG_LEVEL=warning. Set before main,
// while the process has a single thread; children inherit it.
const bool kInfoLogs = ::setenv("EDGENAS_LOG_LEVEL", "info", 1) == 0;

// Every NB201 cell with made-up accuracy and board latency.
void WriteTable(const std::string& path) {
  std::ofstream out(path);
  out << "arch,acc_pct,lat_ms\n";
  Nb201Space space;
  for (int i = 0; i < 15625; ++i) {
    out << space.Print(Nb201Space::FromIndex(i)) << ","
        << absl::StrFormat("%.4f,%.6f", 40.0 + (i * 37 % 4000) / 100.0,
                           0.5 + (i * 13 % 997) / 100.0)
        << "\n";
  }
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class SecurityTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!TestPki::OpensslAvailable()) GTEST_SKIP() << "the openssl tool is not installed";
    ASSERT_TRUE(kInfoLogs);
    pki_dir_ = cluster_.dir() + "/pki";
    std::filesystem::create_directories(pki_dir_);
    pki_ = std::make_unique<TestPki>(pki_dir_);
    for (const char* ca : {"ca", "untrusted-ca"}) ASSERT_TRUE(pki_->MakeCa(ca).ok());
    ASSERT_TRUE(pki_->MakeLeaf("server", "ca", "localhost", {"IP:127.0.0.1", "DNS:localhost"}).ok());
    ASSERT_TRUE(pki_->MakeLeaf("worker", "ca", "gpu-host-1", {"URI:edgenas://worker"}).ok());
    // One agent by the URI convention, the other by the common-name one.
    ASSERT_TRUE(pki_->MakeLeaf("agent-board", "ca", "board-7",
                               {absl::StrCat("URI:edgenas://agent/", kBoard)}).ok());
    ASSERT_TRUE(pki_->MakeLeaf("agent-jetson", "ca", absl::StrCat("agent:", kOtherClass), {}).ok());
    ASSERT_TRUE(pki_->MakeLeaf("stranger", "untrusted-ca", absl::StrCat("agent:", kBoard),
                               {absl::StrCat("URI:edgenas://agent/", kBoard)}).ok());

    tokens_file_ = cluster_.dir() + "/tokens";
    std::ofstream(tokens_file_) << "# search users\nalice:" << kToken << "\n";
    ::chmod(tokens_file_.c_str(), 0600);
    ASSERT_TRUE(cluster_
                    .StartCoordinator(false, {"--tls_cert_file=" + pki_->Cert("server"),
                                              "--tls_key_file=" + pki_->Key("server"),
                                              "--tls_client_ca_file=" + pki_->Cert("ca"),
                                              "--search_tokens_file=" + tokens_file_})
                    .ok());
  }

  // TLS flags presenting certificate `name`.
  std::vector<std::string> TlsFlags(const std::string& name) const {
    return {"--tls_ca_file=" + pki_->Cert("ca"), "--tls_cert_file=" + pki_->Cert(name),
            "--tls_key_file=" + pki_->Key(name)};
  }
  // A channel trusting the CA, presenting certificate `name` ("" none),
  // sending `token` ("" none).
  std::shared_ptr<grpc::Channel> Channel(const std::string& name, const std::string& token = "") {
    auto credentials = ClientCredentials(ClientTlsFiles{
        pki_->Cert("ca"), name.empty() ? "" : pki_->Cert(name), name.empty() ? "" : pki_->Key(name)});
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return CreateChannelWithToken(cluster_.address(), *credentials, token);
  }
  absl::StatusOr<ChildProcess*> StartBoardAgent(const std::string& name, const std::string& cert) {
    std::vector<std::string> flags = {absl::StrCat("--device_class=", kBoard), "--runner=replay",
                                      "--replay_table=" + table_, "--replay_latency_column=lat_ms"};
    for (const std::string& f : TlsFlags(cert)) flags.push_back(f);
    return cluster_.StartAgentWithFlags(name, flags);
  }
  // Runs the edgenas CLI with `env` ("NAME=value") set; its exit status and
  // output (stdout and stderr together).
  std::pair<ExitStatus, std::string> RunCli(const std::vector<std::string>& env,
                                            const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"/usr/bin/env"};
    argv.insert(argv.end(), env.begin(), env.end());
    argv.push_back(Cluster::Binary("edgenas"));
    argv.insert(argv.end(), args.begin(), args.end());
    const std::string log = absl::StrCat(cluster_.dir(), "/cli-", ++cli_runs_, ".log");
    auto child = ChildProcess::Spawn(argv, log);
    EXPECT_TRUE(child.ok()) << child.status();
    if (!child.ok()) return {ExitStatus{}, ""};
    auto exit = (*child)->Wait(absl::Seconds(kBoundSeconds));
    EXPECT_TRUE(exit.ok()) << exit.status();
    return {exit.ok() ? *exit : ExitStatus{}, ReadFile(log)};
  }

  Cluster cluster_;
  std::string pki_dir_;
  std::unique_ptr<TestPki> pki_;
  std::string tokens_file_;
  std::string table_;
  int cli_runs_ = 0;
};

// Strangers are refused on every service; an agent's certificate decides
// the device class it may register for.
TEST_F(SecurityTest, RefusesStrangersOnEveryService) {
  v1::RegisterRequest reg;
  reg.set_kind(v1::DEVICE_AGENT);
  reg.set_name("probe");
  reg.set_device_class(kBoard);
  v1::RegisterResponse registered;

  // TLS without a client certificate: UNAUTHENTICATED from TaskService.
  auto anonymous = v1::TaskService::NewStub(Channel(""));
  grpc::Status no_cert = anonymous->Register(Ctx().get(), reg, &registered);
  EXPECT_EQ(no_cert.error_code(), grpc::StatusCode::UNAUTHENTICATED) << no_cert.error_message();
  EXPECT_THAT(no_cert.error_message(), HasSubstr("requires a client certificate"));

  // A certificate from another CA never gets past the handshake, even though
  // it names the right class.
  auto stranger = v1::TaskService::NewStub(Channel("stranger"));
  grpc::Status untrusted = stranger->Register(Ctx().get(), reg, &registered);
  EXPECT_EQ(untrusted.error_code(), grpc::StatusCode::UNAVAILABLE) << untrusted.error_message();
  // Nor does plaintext.
  auto plain = v1::TaskService::NewStub(
      grpc::CreateChannel(cluster_.address(), grpc::InsecureChannelCredentials()));
  EXPECT_EQ(plain->Register(Ctx(5).get(), reg, &registered).error_code(),
            grpc::StatusCode::UNAVAILABLE);

  // The real agent binary with class B's certificate asking for class A
  // stops with the coordinator's reason.
  auto wrong_class = cluster_.StartAgentWithFlags(
      "agent-wrong-class", [&] {
        std::vector<std::string> flags = {absl::StrCat("--device_class=", kBoard)};
        for (const std::string& f : TlsFlags("agent-jetson")) flags.push_back(f);
        return flags;
      }());
  ASSERT_TRUE(wrong_class.ok()) << wrong_class.status();
  auto wrong_exit = (*wrong_class)->Wait(absl::Seconds(kBoundSeconds));
  ASSERT_TRUE(wrong_exit.ok()) << wrong_exit.status();
  EXPECT_FALSE(wrong_exit->Success());
  const std::string wrong_log = ReadFile((*wrong_class)->log_file_path());
  EXPECT_THAT(wrong_log, HasSubstr("PERMISSION_DENIED"));
  EXPECT_THAT(wrong_log, HasSubstr(absl::StrCat("needs a certificate naming edgenas://agent/",
                                                kBoard)));
  EXPECT_THAT(wrong_log, HasSubstr(absl::StrCat("grants agent for ", kOtherClass)));
  EXPECT_THAT(wrong_log, Not(HasSubstr("registered executor_id=")));

  // The agent binary with the untrusted certificate keeps failing the
  // handshake and never registers.
  auto untrusted_agent = cluster_.StartAgentWithFlags(
      "agent-untrusted", [&] {
        std::vector<std::string> flags = {absl::StrCat("--device_class=", kBoard)};
        for (const std::string& f : TlsFlags("stranger")) flags.push_back(f);
        return flags;
      }());
  ASSERT_TRUE(untrusted_agent.ok());
  EXPECT_TRUE(WaitForLogLine(*untrusted_agent, "register failed", kBoundSeconds));
  EXPECT_THAT(ReadFile((*untrusted_agent)->log_file_path()),
              Not(HasSubstr("registered executor_id=")));

  // SearchService: no token, a wrong token (even with a valid certificate).
  v1::ListJobsResponse jobs;
  auto no_token = v1::SearchService::NewStub(Channel(""));
  grpc::Status missing = no_token->ListJobs(Ctx().get(), v1::ListJobsRequest(), &jobs);
  EXPECT_EQ(missing.error_code(), grpc::StatusCode::UNAUTHENTICATED) << missing.error_message();
  auto wrong_token = v1::SearchService::NewStub(Channel("worker", kWrongToken));
  grpc::Status wrong = wrong_token->ListJobs(Ctx().get(), v1::ListJobsRequest(), &jobs);
  EXPECT_EQ(wrong.error_code(), grpc::StatusCode::UNAUTHENTICATED) << wrong.error_message();
  EXPECT_THAT(wrong.error_message(), Not(HasSubstr(kWrongToken)));
  auto with_token = v1::SearchService::NewStub(Channel("", kToken));
  EXPECT_TRUE(with_token->ListJobs(Ctx().get(), v1::ListJobsRequest(), &jobs).ok());

  // The CLI says why and never prints the token it was given.
  const std::string ca_env = absl::StrCat("EDGENAS_TLS_CA_FILE=", pki_->Cert("ca"));
  auto [no_token_exit, no_token_out] =
      RunCli({ca_env}, {"jobs", "--coordinator=" + cluster_.address()});
  EXPECT_EQ(no_token_exit.code, 1) << no_token_out;
  EXPECT_THAT(no_token_out, HasSubstr("UNAUTHENTICATED"));
  auto [wrong_exit_cli, wrong_out] = RunCli(
      {ca_env, absl::StrCat("EDGENAS_TOKEN=", kWrongToken)},
      {"jobs", "--coordinator=" + cluster_.address()});
  EXPECT_EQ(wrong_exit_cli.code, 1) << wrong_out;
  EXPECT_THAT(wrong_out, HasSubstr("UNAUTHENTICATED: unknown bearer token"));
  EXPECT_THAT(wrong_out, Not(HasSubstr(kWrongToken)));
  // The coordinator's log holds no token either.
  const std::string coordinator_log = ReadFile(cluster_.coordinator()->log_file_path());
  EXPECT_THAT(coordinator_log, Not(HasSubstr(kToken)));
  EXPECT_THAT(coordinator_log, Not(HasSubstr(kWrongToken)));
  EXPECT_THAT(coordinator_log, HasSubstr("mutual_tls=on search_tokens=on"));
}

// With the right certificates and the token, a job runs to DONE through
// the CLI; an executor cannot act for another's id.
TEST_F(SecurityTest, JobRunsToDoneThroughMutualTlsAndToken) {
  table_ = cluster_.dir() + "/board_table.csv";
  WriteTable(table_);
  ASSERT_TRUE(cluster_.StartWorkerWithFlags("worker-1", TlsFlags("worker")).ok());
  auto agent = StartBoardAgent("agent-board", "agent-board");
  ASSERT_TRUE(agent.ok()) << agent.status();
  ASSERT_TRUE(WaitForLogLine(*agent, "registered executor_id=", kBoundSeconds))
      << ReadFile((*agent)->log_file_path());
  std::smatch match;
  const std::string agent_log = ReadFile((*agent)->log_file_path());
  ASSERT_TRUE(std::regex_search(agent_log, match, std::regex("registered executor_id=(\\S+)")));
  const std::string agent_id = match[1];

  // The worker's certificate (and another class's agent certificate, which
  // may register for its own class) cannot lease the board agent's tasks.
  v1::LeaseRequest lease;
  lease.set_executor_id(agent_id);
  lease.set_wait_ms(0);
  v1::LeaseResponse leased;
  for (const char* other : {"worker", "agent-jetson"}) {
    auto stub = v1::TaskService::NewStub(Channel(other));
    grpc::Status s = stub->Lease(Ctx().get(), lease, &leased);
    EXPECT_EQ(s.error_code(), grpc::StatusCode::PERMISSION_DENIED) << other;
    EXPECT_THAT(s.error_message(), HasSubstr("belongs to the certificate CN=board-7"));
    v1::CompleteRequest complete;
    complete.set_executor_id(agent_id);
    complete.set_task_id("any");
    v1::CompleteResponse completed;
    EXPECT_EQ(stub->Complete(Ctx().get(), complete, &completed).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }

  const std::string spec = cluster_.dir() + "/job.yaml";
  std::ofstream(spec) << "name: security-e2e\n"
                      << "space: {name: nb201}\n"
                      << "strategy: {name: random}\n"
                      << "objectives:\n"
                      << "  - {metric: accuracy, direction: maximize}\n"
                      << "  - {metric: latency_ms, direction: minimize, device_class: " << kBoard
                      << "}\n"
                      << "evaluation:\n"
                      << "  mode: table\n"
                      << "  table: {path: " << table_ << ", accuracy_column: acc_pct}\n"
                      << "budget: {max_evaluations: 8}\n"
                      << "parallelism: 4\n"
                      << "seed: 5\n";
  // Token and CA from the environment for submit, from flags for watch.
  auto [submit_exit, submit_out] = RunCli(
      {absl::StrCat("EDGENAS_TLS_CA_FILE=", pki_->Cert("ca")),
       absl::StrCat("EDGENAS_TOKEN=", kToken)},
      {"submit", spec, "--coordinator=" + cluster_.address()});
  ASSERT_TRUE(submit_exit.Success()) << submit_out;
  const std::string job_id(absl::StripAsciiWhitespace(submit_out));
  ASSERT_FALSE(job_id.empty());
  auto [watch_exit, watch_out] =
      RunCli({}, {"watch", job_id, "--coordinator=" + cluster_.address(),
                  "--tls_ca_file=" + pki_->Cert("ca"), std::string("--token=") + kToken});
  EXPECT_TRUE(watch_exit.Success()) << watch_out;
  EXPECT_THAT(watch_out, Not(HasSubstr(kToken)));

  // Every candidate has the board's latency, answered by the agent.
  v1::Job job;
  v1::GetJobRequest get;
  get.set_job_id(job_id);
  auto search = v1::SearchService::NewStub(Channel("", kToken));
  ASSERT_TRUE(search->GetJob(Ctx().get(), get, &job).ok());
  EXPECT_EQ(job.state(), v1::JOB_DONE) << job.message();
  EXPECT_EQ(job.candidates_done(), 8);
  EXPECT_EQ(job.candidates_failed(), 0);
  v1::GetParetoFrontRequest front_request;
  front_request.set_job_id(job_id);
  v1::ParetoFront front;
  ASSERT_TRUE(search->GetParetoFront(Ctx().get(), front_request, &front).ok());
  ASSERT_GT(front.candidates_size(), 0);
  for (const v1::Candidate& c : front.candidates()) {
    bool has_latency = false;
    for (const v1::Metric& m : c.metrics()) {
      if (m.name() == "latency_ms" && m.device_class() == kBoard) has_latency = true;
    }
    EXPECT_TRUE(has_latency) << c.id();
  }
  EXPECT_TRUE(WaitForLogLine(cluster_.coordinator(),
                             absl::StrCat("job ", job_id, " submitted by user alice"), 10));
}

}  // namespace
}  // namespace edgenas
