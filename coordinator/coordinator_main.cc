// edgenas-coordinator: the gRPC server that runs searches (SearchService)
// and hands work to workers and device agents (TaskService), with every
// result kept in SQLite.
#include <sys/stat.h>

#include <csignal>
#include <cstdio>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/time/time.h"
#include "common/artifact_names.h"
#include "common/grpc_tls.h"
#include "common/logging.h"
#include "common/metrics/metrics_server.h"
#include "common/metrics/snapshot_collector.h"
#include "coordinator/artifacts/artifact_store.h"
#include "coordinator/auth/auth_policy.h"
#include "coordinator/job_manager.h"
#include "coordinator/metrics/coordinator_metrics.h"
#include "coordinator/metrics/rpc_metrics.h"
#include "coordinator/rpc/artifact_service_impl.h"
#include "coordinator/rpc/search_service_impl.h"
#include "coordinator/rpc/task_service_impl.h"
#include "coordinator/store/store.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve on (port 0 lets the OS choose; see --port_file)");
ABSL_FLAG(std::string, db, "edgenas.db", "SQLite database file (created if missing)");
ABSL_FLAG(std::string, artifact_dir, "",
          "folder for uploaded checkpoints (ArtifactService); default: the --db path + "
          "\".artifacts\"");
ABSL_FLAG(int, max_artifact_mb, 1024,
          "largest artifact accepted by ArtifactService in one upload, in MiB");
ABSL_FLAG(int, artifact_job_quota_mb, 4096,
          "most artifact bytes one job may keep (sum of its refs), in MiB");
ABSL_FLAG(int, artifact_disk_reserve_mb, 1024,
          "free space ArtifactService leaves on the artifact folder's file system (shared "
          "with the database by default): uploads that would leave less are refused, in MiB");
ABSL_FLAG(int64_t, db_max_bytes, 0,
          "size cap of the --db file in bytes (0: none); when full, the coordinator refuses "
          "new work and results it cannot store with RESOURCE_EXHAUSTED \"database full\", "
          "keeps every stored result, and goes on once there is room (restart with a larger cap)");
ABSL_FLAG(std::string, port_file, "", "if set, the bound port is written here once serving");
ABSL_FLAG(int, heartbeat_interval_ms, 5000, "heartbeat period told to workers and agents");
ABSL_FLAG(absl::Duration, executor_retention, absl::Hours(24),
          "forget a worker or agent not heard from for this long (memory, database and "
          "metrics; it registers again if it comes back); 0 = never, else at least 10m");
ABSL_FLAG(int, max_threads, 64,
          "upper bound on gRPC threads for synchronous services (health, reflection); "
          "TaskService and SearchService use the callback API and hold no thread per call");
ABSL_FLAG(std::string, tls_cert_file, "",
          "PEM certificate chain: serve gRPC over TLS (with --tls_key_file); empty: plaintext");
ABSL_FLAG(std::string, tls_key_file, "", "PEM private key of --tls_cert_file");
ABSL_FLAG(std::string, tls_client_ca_file, "",
          "PEM CA bundle for mutual TLS (needs --tls_cert_file): workers and agents must present "
          "a certificate signed by it naming their role (edgenas://worker, "
          "edgenas://agent/<device_class>, or CN worker / agent:<device_class>) to use "
          "TaskService and ArtifactService; CLI users need no certificate (see "
          "--search_tokens_file)");
ABSL_FLAG(std::string, search_tokens_file, "",
          "file of bearer tokens for SearchService, one \"user:token\" or \"token\" per line "
          "('#' comments); calls without \"authorization: Bearer <token>\" are refused "
          "UNAUTHENTICATED. Empty: SearchService is open");
ABSL_FLAG(std::string, metrics_listen, "127.0.0.1:9464",
          "host:port of the Prometheus /metrics endpoint (port 0 lets the OS choose; \"off\" "
          "or empty disables it)");
ABSL_FLAG(std::string, metrics_port_file, "",
          "if set, the metrics endpoint's bound port is written here once serving");

namespace {

// Largest request the server reads (bytes).
constexpr int kMaxRequestBytes = 16 << 20;

}  // namespace

int main(int argc, char** argv) {
  absl::ParseCommandLine(argc, argv);
  using edgenas::LogLevel;

  // Block the stop signals before any thread starts; one thread waits for them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  auto store = edgenas::Store::Open(absl::GetFlag(FLAGS_db));
  if (!store.ok()) {
    std::fprintf(stderr, "edgenas-coordinator: cannot open database %s: %s\n",
                 absl::GetFlag(FLAGS_db).c_str(), store.status().ToString().c_str());
    return 1;
  }
  if (const int64_t cap = absl::GetFlag(FLAGS_db_max_bytes); cap != 0) {
    auto in_effect = (*store)->SetMaxBytes(cap);
    if (!in_effect.ok()) {
      std::fprintf(stderr, "edgenas-coordinator: --db_max_bytes: %s\n",
                   std::string(in_effect.status().message()).c_str());
      return 2;
    }
    EDGENAS_LOG(kInfo, "coordinator", "database size cap ", *in_effect, " bytes (--db_max_bytes=",
                cap, ")");
  }
  // Who may call what (coordinator/auth/auth_policy.h): mutual TLS for executors,
  // bearer tokens for SearchService.
  edgenas::AuthOptions auth_options;
  auth_options.mutual_tls = !absl::GetFlag(FLAGS_tls_client_ca_file).empty();
  if (const std::string tokens_file = absl::GetFlag(FLAGS_search_tokens_file);
      !tokens_file.empty()) {
    auto tokens = edgenas::TokenSet::Load(tokens_file);
    if (!tokens.ok()) {
      std::fprintf(stderr, "edgenas-coordinator: %s\n", std::string(tokens.status().message()).c_str());
      return 2;
    }
    struct stat info {};
    if (::stat(tokens_file.c_str(), &info) == 0 && (info.st_mode & S_IRWXO) != 0) {
      EDGENAS_LOG(kWarning, "coordinator", "WARNING: --search_tokens_file ", tokens_file,
                  " is open to all users of this host (chmod o= it)");
    }
    EDGENAS_LOG(kInfo, "coordinator", "SearchService requires a bearer token (", tokens->size(),
                " tokens from ", tokens_file, ")");
    auth_options.search_tokens = *std::move(tokens);
  }
  if (auth_options.mutual_tls) {
    // Executors registered before this start keep their ids, bound to the
    // certificate that registered them (older records: claimed by the first
    // certificate matching their kind and device class).
    auto executors = (*store)->ListExecutors();
    if (!executors.ok()) {
      std::fprintf(stderr, "edgenas-coordinator: cannot read executors: %s\n",
                   executors.status().ToString().c_str());
      return 1;
    }
    for (const edgenas::ExecutorRecord& e : *executors) {
      auth_options.registered_before_start[e.id] = edgenas::RegisteredExecutor{
          e.kind == edgenas::v1::WORKER         ? edgenas::ExecutorRole::kWorker
          : e.kind == edgenas::v1::DEVICE_AGENT ? edgenas::ExecutorRole::kAgent
                                                : edgenas::ExecutorRole::kUnknown,
          e.device_class, e.owner_identity};
    }
  }
  auto credentials = edgenas::ServerCredentials(absl::GetFlag(FLAGS_tls_cert_file),
                                                absl::GetFlag(FLAGS_tls_key_file),
                                                absl::GetFlag(FLAGS_tls_client_ca_file));
  if (!credentials.ok()) {
    std::fprintf(stderr, "edgenas-coordinator: %s\n",
                 std::string(credentials.status().message()).c_str());
    return 2;
  }
  edgenas::CoordinatorAuth auth(std::move(auth_options));

  auto registry = std::make_shared<prometheus::Registry>();
  edgenas::CoordinatorMetrics coordinator_metrics(*registry);
  edgenas::RpcMetrics rpc_metrics(*registry);
  edgenas::ArtifactStoreOptions artifact_options;
  artifact_options.root = absl::GetFlag(FLAGS_artifact_dir);
  if (artifact_options.root.empty()) {
    artifact_options.root = absl::GetFlag(FLAGS_db) + ".artifacts";
  }
  artifact_options.max_size_bytes =
      int64_t{absl::GetFlag(FLAGS_max_artifact_mb)} * (int64_t{1} << 20);
  artifact_options.max_job_bytes =
      int64_t{absl::GetFlag(FLAGS_artifact_job_quota_mb)} * (int64_t{1} << 20);
  artifact_options.disk_reserve_bytes =
      int64_t{absl::GetFlag(FLAGS_artifact_disk_reserve_mb)} * (int64_t{1} << 20);
  for (const auto& [flag, value] :
       {std::pair<const char*, int>{"--max_artifact_mb", absl::GetFlag(FLAGS_max_artifact_mb)},
        {"--artifact_job_quota_mb", absl::GetFlag(FLAGS_artifact_job_quota_mb)},
        {"--artifact_disk_reserve_mb", absl::GetFlag(FLAGS_artifact_disk_reserve_mb)}}) {
    if (value < 0) {
      std::fprintf(stderr, "edgenas-coordinator: %s: must be >= 0, got %d\n", flag, value);
      return 2;
    }
  }
  auto artifacts = edgenas::ArtifactStore::Open(artifact_options);
  if (!artifacts.ok()) {
    std::fprintf(stderr, "edgenas-coordinator: cannot open artifact folder %s: %s\n",
                 artifact_options.root.c_str(), artifacts.status().ToString().c_str());
    return 1;
  }

  edgenas::JobManagerOptions options;
  options.store = store->get();
  options.observer = &coordinator_metrics;
  options.heartbeat_interval_ms = absl::GetFlag(FLAGS_heartbeat_interval_ms);
  options.executor_retention_ms = absl::ToInt64Milliseconds(absl::GetFlag(FLAGS_executor_retention));
  if (absl::Status retention =
          edgenas::ValidateExecutorRetention(options.executor_retention_ms, "--executor_retention");
      !retention.ok()) {
    std::fprintf(stderr, "edgenas-coordinator: %s\n", std::string(retention.message()).c_str());
    return 2;
  }
  // Trained weights are kept for the Pareto front only.
  options.release_weights = [kept = artifacts->get()](const std::string& job_id,
                                                       const std::string& candidate_id) {
    const std::string name = edgenas::CandidateWeightsArtifactName(job_id, candidate_id);
    absl::Status deleted = kept->Delete(job_id, name);
    if (deleted.ok()) {
      EDGENAS_LOG(kDebug, "coordinator", "deleted ", job_id, "/", name, ": off the Pareto front");
    } else if (!absl::IsNotFound(deleted)) {
      EDGENAS_LOG(kWarning, "coordinator", "cannot delete ", job_id, "/", name, ": ",
                  deleted.ToString());
    }
  };
  auto manager = edgenas::JobManager::Create(options);
  if (!manager.ok()) {
    std::fprintf(stderr, "edgenas-coordinator: cannot start: %s\n",
                 manager.status().ToString().c_str());
    return 1;
  }

  auto metrics_server = edgenas::StartMetricsFromFlags(
      absl::GetFlag(FLAGS_metrics_listen), absl::GetFlag(FLAGS_metrics_port_file), registry);
  if (!metrics_server.ok()) {
    std::fprintf(stderr, "edgenas-coordinator: %s\n",
                 std::string(metrics_server.status().message()).c_str());
    return 1;
  }
  if (*metrics_server != nullptr) {
    edgenas::JobManager* core = manager->get();
    (*metrics_server)->Add(std::make_shared<edgenas::SnapshotCollector>(
        [core] { return edgenas::SnapshotFamilies(core->Snapshot()); }));
    EDGENAS_LOG(kInfo, "coordinator", "metrics on port ", (*metrics_server)->port());
  }

  edgenas::SearchServiceImpl search(manager->get(), &auth);
  edgenas::TaskServiceImpl tasks(manager->get(), &auth);
  edgenas::ArtifactServiceImpl artifact_service(
      artifacts->get(),
      [core = manager->get()](const edgenas::ArtifactWriteClaim& claim) {
        return core->CheckArtifactWriter(claim);
      },
      &auth);
  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(absl::GetFlag(FLAGS_listen), *credentials, &port);
  builder.RegisterService(&search);
  builder.RegisterService(&tasks);
  builder.RegisterService(&artifact_service);
  grpc::ResourceQuota quota("edgenas-coordinator");
  quota.SetMaxThreads(absl::GetFlag(FLAGS_max_threads));
  builder.SetResourceQuota(quota);
  // Above gRPC's 4 MiB default, so that an oversized job spec or result
  // reaches validation and is refused naming its field (job specs are
  // bounded at kMaxJobSpecBytes, results by ValidateReportValues).
  builder.SetMaxReceiveMessageSize(kMaxRequestBytes);
  std::vector<std::unique_ptr<grpc::experimental::ServerInterceptorFactoryInterface>> interceptors;
  interceptors.push_back(rpc_metrics.InterceptorFactory());
  builder.experimental().SetInterceptorCreators(std::move(interceptors));
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) {
    std::fprintf(stderr, "edgenas-coordinator: cannot listen on %s\n",
                 absl::GetFlag(FLAGS_listen).c_str());
    return 1;
  }
  server->GetHealthCheckService()->SetServingStatus(true);
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty() && !edgenas::WritePortFileAtomically(port_file, port)) {
    std::fprintf(stderr, "edgenas-coordinator: cannot write port file %s\n", port_file.c_str());
    server->Shutdown();
    return 1;
  }
  EDGENAS_LOG(kInfo, "coordinator", "serving on port ", port, " db=", absl::GetFlag(FLAGS_db),
              " tls=", absl::GetFlag(FLAGS_tls_cert_file).empty() ? "off" : "on",
              " mutual_tls=", auth.mutual_tls() ? "on" : "off",
              " search_tokens=", auth.search_tokens() ? "on" : "off");
  for (const std::string& warning :
       edgenas::ExposureWarnings(absl::GetFlag(FLAGS_listen),
                                 !absl::GetFlag(FLAGS_tls_cert_file).empty(), auth.mutual_tls(),
                                 auth.search_tokens())) {
    EDGENAS_LOG(kWarning, "coordinator", warning);
  }

  std::thread signal_thread([&] {
    int sig = 0;
    sigwait(&stop_signals, &sig);
    EDGENAS_LOG(kInfo, "coordinator", "signal ", sig, ": draining");
    server->GetHealthCheckService()->SetServingStatus(false);
    (*manager)->Shutdown();
    search.StopStreams();
    server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  });
  server->Wait();
  signal_thread.join();
  metrics_server->reset();  // its collector reads the manager
  manager->reset();
  EDGENAS_LOG(kInfo, "coordinator", "stopped");
  return 0;
}
