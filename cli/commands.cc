// Subcommand table, argument parsing and the client-side subcommands. Each
// command is a function of parsed arguments; `local` lives in local_command.cc.
#include "cli/commands.h"

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <fstream>
#include <map>
#include <optional>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/time/time.h"
#include "cli/candidates_command.h"
#include "cli/export_metadata.h"
#include "cli/dataset_classes.h"
#include "cli/front_format.h"
#include "cli/front_plot.h"
#include "cli/job_spec_yaml.h"
#include "cli/local_command.h"
#include "cli/search_client.h"
#include "cli/watch_display.h"
#include "common/artifact_names.h"
#include "common/datasets.h"
#include "common/grpc_bearer.h"
#include "common/grpc_tls.h"
#include "common/model/model_export.h"
#include "common/space_registry.h"
#include "executor/artifact_client.h"

namespace edgenas {
namespace {

struct FlagSpec {
  std::string name;
  bool takes_value;
  std::string help;
};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> flags;
  bool help = false;

  bool Has(const std::string& name) const { return flags.count(name) > 0; }
  std::string Get(const std::string& name, const std::string& fallback) const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  }
};

struct Command {
  std::string name;
  std::string synopsis;  // arguments after the command name
  std::string summary;
  size_t min_positional;
  size_t max_positional;
  std::vector<FlagSpec> flags;
  std::function<int(const Args&, const CliIo&)> run;
};

void PrintError(const CliIo& io, const absl::Status& status) {
  io.err << "error: " << absl::StatusCodeToString(status.code()) << ": " << status.message()
         << "\n";
}

std::string CoordinatorAddress(const Args& args) {
  const char* from_env = std::getenv("EDGENAS_COORDINATOR");
  return args.Get("coordinator", from_env != nullptr && *from_env ? from_env : "127.0.0.1:50051");
}

const FlagSpec& CoordinatorFlag() {
  static const FlagSpec* flag = new FlagSpec{
      "coordinator", true,
      "coordinator address HOST:PORT (default: $EDGENAS_COORDINATOR, else 127.0.0.1:50051)"};
  return *flag;
}

// --coordinator plus TLS and the bearer token: every command that talks to a
// coordinator takes these.
std::vector<FlagSpec> RemoteFlags(std::vector<FlagSpec> own = {}) {
  own.push_back(CoordinatorFlag());
  own.push_back({"tls_ca_file", true,
                 "PEM CA bundle to verify the coordinator with (TLS; default "
                 "$EDGENAS_TLS_CA_FILE, else plaintext)"});
  own.push_back({"tls_cert_file", true,
                 "PEM client certificate for mutual TLS, with --tls_key_file (default "
                 "$EDGENAS_TLS_CERT_FILE; not needed with a token)"});
  own.push_back({"tls_key_file", true, "PEM private key of --tls_cert_file (default "
                                       "$EDGENAS_TLS_KEY_FILE)"});
  own.push_back({"token", true,
                 "bearer token for a coordinator run with --search_tokens_file (default "
                 "$EDGENAS_TOKEN, which keeps it out of the process list)"});
  return own;
}

// The channel to the coordinator, with TLS and the bearer token from the
// flags or the environment; null after printing the error (a bad file or
// token; the token itself is never printed).
std::shared_ptr<grpc::Channel> Connect(const Args& args, const CliIo& io) {
  auto credentials = ClientCredentials(ClientTlsFilesFromFlagsOrEnv(
      args.Get("tls_ca_file", ""), args.Get("tls_cert_file", ""), args.Get("tls_key_file", "")));
  if (!credentials.ok()) {
    PrintError(io, credentials.status());
    return nullptr;
  }
  const std::string token = FlagOrEnv(args.Get("token", ""), kTokenEnv);
  if (!token.empty()) {
    const absl::Status valid =
        ValidateBearerToken(token, args.Get("token", "").empty() ? "$EDGENAS_TOKEN" : "--token");
    if (!valid.ok()) {
      PrintError(io, valid);
      return nullptr;
    }
  }
  return CreateChannelWithToken(CoordinatorAddress(args), *credentials, token);
}

int Submit(const Args& args, const CliIo& io) {
  absl::StatusOr<v1::JobSpec> spec = LoadJobSpecFile(args.positional[0]);
  if (!spec.ok()) {
    PrintError(io, spec.status());
    return kExitFailure;
  }
  absl::StatusOr<std::string> classes = FillImageFolderClasses(&*spec);
  if (!classes.ok()) {
    PrintError(io, classes.status());
    return kExitFailure;
  }
  if (!classes->empty()) io.err << *classes << "\n";
  std::shared_ptr<grpc::Channel> channel = Connect(args, io);
  if (channel == nullptr) return kExitUsage;
  SearchClient client(channel);
  absl::StatusOr<v1::Job> job = client.SubmitJob(*spec);
  if (!job.ok()) {
    PrintError(io, job.status());
    return kExitFailure;
  }
  io.out << job->id() << "\n";
  return kExitOk;
}

int Watch(const Args& args, const CliIo& io) {
  std::shared_ptr<grpc::Channel> channel = Connect(args, io);
  if (channel == nullptr) return kExitUsage;
  SearchClient client(channel);
  WatchDisplay display(io.out, io.out_is_tty);
  // The record first: it carries the spec (the budget), events may not.
  // A job that has ended is shown by the replay of its events instead.
  if (absl::StatusOr<v1::Job> first = client.GetJob(args.positional[0]); first.ok()) {
    display.Learn(*first);
    if (!IsTerminal(first->state())) display.Show(*first, absl::Now());
  }
  absl::StatusOr<v1::Job> job = client.Watch(
      args.positional[0], [&](const v1::JobEvent& event) { display.OnEvent(event, absl::Now()); });
  if (job.ok()) display.Show(*job, absl::Now());
  display.Finish();
  if (!job.ok()) {
    PrintError(io, job.status());
    return kExitFailure;
  }
  return job->state() == v1::JOB_DONE ? kExitOk : kExitFailure;
}

// Writes the SVG plot of the job's candidates and front to `path`; says so on io.err
// so that stdout stays the table, CSV or JSON.
absl::Status WritePlot(SearchClient& client, const v1::ParetoFront& front, const std::string& path,
                       const CliIo& io) {
  if (path.empty()) return absl::InvalidArgumentError("--plot: needs a file name");
  v1::ListCandidatesRequest every;  // all states, the largest pages
  every.set_job_id(front.job_id());
  every.set_page_size(1000);
  absl::StatusOr<std::vector<v1::Candidate>> all = client.ListAllCandidates(every);
  if (!all.ok()) return all.status();
  absl::StatusOr<std::string> svg = RenderFrontSvg(front, *all);
  if (!svg.ok()) return svg.status();
  std::ofstream out(path, std::ios::trunc);
  if (!(out << *svg) || !out.flush()) {
    return absl::UnavailableError(absl::StrCat("--plot: cannot write ", path));
  }
  io.err << "wrote " << path << " (" << all->size() << " candidates, " << front.candidates_size()
         << " on the front)\n";
  return absl::OkStatus();
}

int Pareto(const Args& args, const CliIo& io) {
  if (args.Has("csv") && args.Has("json")) {
    PrintError(io, absl::InvalidArgumentError("--csv and --json exclude each other"));
    return kExitUsage;
  }
  FrontFormatOptions format;
  format.source = args.Get("source", "");
  std::shared_ptr<grpc::Channel> channel = Connect(args, io);
  if (channel == nullptr) return kExitUsage;
  SearchClient client(channel);
  absl::StatusOr<v1::ParetoFront> front = client.GetParetoFront(args.positional[0]);
  if (!front.ok()) {
    PrintError(io, front.status());
    return kExitFailure;
  }
  if (args.Has("plot")) {
    if (absl::Status s = WritePlot(client, *front, args.Get("plot", ""), io); !s.ok()) {
      PrintError(io, s);
      return kExitFailure;
    }
  }
  if (args.Has("json")) {
    absl::StatusOr<std::string> json = FormatFrontJson(*front);
    if (!json.ok()) {
      PrintError(io, json.status());
      return kExitFailure;
    }
    io.out << *json << "\n";
  } else if (args.Has("csv")) {
    io.out << FormatFrontCsv(*front, format);
  } else {
    io.out << FormatFrontTable(*front, format) << "hypervolume: " << absl::StrFormat("%.6f", front->hypervolume())
           << "\n";
  }
  return kExitOk;
}

int Candidates(const Args& args, const CliIo& io) {
  if (args.Has("csv") && args.Has("json")) {
    PrintError(io, absl::InvalidArgumentError("--csv and --json exclude each other"));
    return kExitUsage;
  }
  CandidatesFlags flags;
  flags.job_id = args.positional[0];
  if (args.Has("state")) flags.state = args.Get("state", "");
  if (args.Has("fidelity")) flags.fidelity = args.Get("fidelity", "");
  if (args.Has("page_size")) flags.page_size = args.Get("page_size", "");
  absl::StatusOr<v1::ListCandidatesRequest> request = CandidatesRequestFromFlags(flags);
  if (!request.ok()) {
    PrintError(io, request.status());
    return kExitUsage;
  }
  std::shared_ptr<grpc::Channel> channel = Connect(args, io);
  if (channel == nullptr) return kExitUsage;
  SearchClient client(channel);
  const CandidatesFormat format = args.Has("csv")    ? CandidatesFormat::kCsv
                                  : args.Has("json") ? CandidatesFormat::kJson
                                                     : CandidatesFormat::kTable;
  if (absl::Status s = PrintCandidates(client, *request, format, io.out); !s.ok()) {
    PrintError(io, s);
    return kExitFailure;
  }
  return kExitOk;
}

int Jobs(const Args& args, const CliIo& io) {
  std::shared_ptr<grpc::Channel> channel = Connect(args, io);
  if (channel == nullptr) return kExitUsage;
  SearchClient client(channel);
  // Summaries, page by page: the table needs no spec beyond name and budget.
  absl::StatusOr<std::vector<v1::Job>> jobs = client.ListJobs(v1::JOB_VIEW_SUMMARY);
  if (!jobs.ok()) {
    PrintError(io, jobs.status());
    return kExitFailure;
  }
  std::vector<std::vector<std::string>> rows = {
      {"ID", "NAME", "STATE", "DONE", "FAILED", "FRONT", "HV", "CREATED"}};
  for (const v1::Job& job : *jobs) {
    std::string done = absl::StrCat(job.candidates_done());
    if (job.spec().budget().max_evaluations() > 0) {
      absl::StrAppend(&done, "/", job.spec().budget().max_evaluations());
    }
    rows.push_back({job.id(), job.spec().name(), JobStateName(job.state()), done,
                    absl::StrCat(job.candidates_failed()), absl::StrCat(job.front_size()),
                    absl::StrFormat("%.4f", job.hypervolume()),
                    job.created_unix_ms() > 0
                        ? absl::FormatTime("%Y-%m-%d %H:%M:%S",
                                           absl::FromUnixMillis(job.created_unix_ms()),
                                           absl::LocalTimeZone())
                        : "-"});
  }
  std::vector<size_t> widths(rows[0].size(), 0);
  for (const auto& row : rows) {
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i]);
      if (i + 1 < row.size()) line.append(widths[i] - row[i].size() + 2, ' ');
    }
    io.out << line << "\n";
  }
  return kExitOk;
}

int Cancel(const Args& args, const CliIo& io) {
  std::shared_ptr<grpc::Channel> channel = Connect(args, io);
  if (channel == nullptr) return kExitUsage;
  SearchClient client(channel);
  absl::StatusOr<v1::Job> job = client.CancelJob(args.positional[0]);
  if (!job.ok()) {
    PrintError(io, job.status());
    return kExitFailure;
  }
  io.out << "job " << job->id() << ": " << JobStateName(job->state()) << "\n";
  return kExitOk;
}

int Local(const Args& args, const CliIo& io) {
  LocalOptions options;
  options.spec_path = args.positional[0];
  options.db_path = args.Get("db", options.db_path);
  options.workdir = args.Get("workdir", options.workdir);
  if (args.Has("threads") &&
      (!absl::SimpleAtoi(args.Get("threads", ""), &options.threads) || options.threads < 1)) {
    PrintError(io, absl::InvalidArgumentError(absl::StrCat(
                       "--threads: expected a positive integer, got \"", args.Get("threads", ""),
                       "\"")));
    return kExitUsage;
  }
  options.agent_device_class = args.Get("agent_device_class", options.agent_device_class);
  options.agent_runner = args.Get("agent_runner", options.agent_runner);
  options.replay_table = args.Get("replay_table", "");
  options.replay_latency_column = args.Get("replay_latency_column", "");
  options.replay_energy_column = args.Get("replay_energy_column", "");
  options.replay_arch_column = args.Get("replay_arch_column", "");
  options.agent_cpus = args.Get("agent_cpus", "");
  options.worker_cpus = args.Get("worker_cpus", "");
  if (args.Has("agent_speed_reference") && args.Has("no_agent_speed_reference")) {
    PrintError(io, absl::InvalidArgumentError(
                       "--agent_speed_reference and --no_agent_speed_reference: give one"));
    return kExitUsage;
  }
  // On by default for the libtorch runner (LocalOptions::agent_speed_reference).
  options.agent_speed_reference =
      !args.Has("no_agent_speed_reference") && options.agent_runner == "libtorch";
  if (args.Has("agent_speed_reference") && options.agent_runner != "libtorch") {
    PrintError(io, absl::InvalidArgumentError(absl::StrCat(
                       "--agent_speed_reference: only with --agent_runner=libtorch, got \"",
                       options.agent_runner, "\"")));
    return kExitUsage;
  }
  return RunLocal(options, io);
}

// The candidate id as given, or "<job>-NNNN" for a bare sequence number.
std::string CandidateId(const std::string& job_id, const std::string& text) {
  int sequence = 0;
  if (absl::SimpleAtoi(text, &sequence) && sequence >= 0) {
    return absl::StrFormat("%s-%04d", job_id, sequence);
  }
  return text;
}

// Why a candidate may have no stored weights, by the job's evaluation mode.
std::string WhichWeightsAreKept(const v1::Job& job) {
  const std::string& mode = job.spec().evaluation().mode();
  if (mode.empty() || mode == "full_train") {
    return "full_train jobs keep the weights of the candidates on the Pareto front only "
           "(check `edgenas pareto`)";
  }
  if (mode == "table") return "table jobs train nothing";
  return "this mode keeps the weights of the finalists fully trained in FINALIZING "
         "(evaluation.finalize.top_k) only";
}

int Export(const Args& args, const CliIo& io) {
  const std::string& job_id = args.positional[0];
  const std::string format = args.Get("format", "torchscript");
  if (format != "torchscript" && format != "state_dict" && format != "onnx") {
    PrintError(io, absl::InvalidArgumentError(absl::StrCat(
                       "--format: expected torchscript, state_dict or onnx, got \"", format,
                       "\"")));
    return kExitUsage;
  }
  ModelExportOptions export_options;
  export_options.dynamic_batch = args.Has("dynamic_batch");
  if (export_options.dynamic_batch && format != "onnx") {
    PrintError(io, absl::InvalidArgumentError(absl::StrCat(
                       "--dynamic_batch: only with --format onnx (TorchScript takes any batch), "
                       "got --format ", format)));
    return kExitUsage;
  }
  const std::string candidate_id = CandidateId(job_id, args.positional[1]);
  const std::string out = args.Get(
      "out", absl::StrCat(candidate_id, format == "torchscript" ? ".pt"
                                        : format == "onnx"      ? ".onnx"
                                                                : ".state_dict.pt"));
  std::shared_ptr<grpc::Channel> channel = Connect(args, io);
  if (channel == nullptr) return kExitUsage;
  SearchClient client(channel);
  absl::StatusOr<v1::Job> job = client.GetJob(job_id);
  absl::StatusOr<v1::Candidate> candidate =
      job.ok() ? client.GetCandidate(job_id, candidate_id) : job.status();
  if (!candidate.ok()) {
    PrintError(io, candidate.status());
    return kExitFailure;
  }
  absl::StatusOr<SpaceConfig> space = SpaceConfigFromSpec(job->spec().space(), candidate->space());
  if (!space.ok()) {
    PrintError(io, space.status());
    return kExitFailure;
  }
  absl::StatusOr<InputShape> input = InputShapeOf(job->spec().dataset());
  if (!input.ok()) {
    PrintError(io, input.status());
    return kExitFailure;
  }
  const std::string name = CandidateWeightsArtifactName(job_id, candidate_id);
  ArtifactClient artifacts(channel);
  absl::StatusOr<std::string> weights = artifacts.Download(job_id, name, int64_t{4} << 30);
  if (!weights.ok()) {
    if (absl::IsNotFound(weights.status())) {
      PrintError(io, absl::NotFoundError(absl::StrCat(
                         "no trained weights for ", candidate_id, " (artifact ", name, "): ",
                         WhichWeightsAreKept(*job))));
    } else {
      PrintError(io, weights.status());
    }
    return kExitFailure;
  }
  // The dataset card says what the workers really read; the spec is the
  // fallback for jobs whose workers wrote none.
  std::optional<v1::DatasetCard> card;
  absl::StatusOr<std::string> card_json =
      artifacts.Download(job_id, kArtifactDatasetCard, int64_t{1} << 20);
  if (card_json.ok()) {
    absl::StatusOr<v1::DatasetCard> parsed = ParseDatasetCard(*card_json);
    if (!parsed.ok()) {
      PrintError(io, parsed.status());
      return kExitFailure;
    }
    card = std::move(*parsed);
  } else if (!absl::IsNotFound(card_json.status())) {
    PrintError(io, card_json.status());
    return kExitFailure;
  }
  InputShape network_input = *input;
  if (absl::StatusOr<std::unique_ptr<SearchSpace>> s = CreateSearchSpace(*space); s.ok()) {
    if (absl::StatusOr<Architecture> arch = (*s)->Parse(candidate->arch()); arch.ok()) {
      network_input = NetworkInputShape(*space, *arch, *input);
    }
  }
  export_options.metadata =
      ExportMetadata(*job, *candidate, network_input, card ? &*card : nullptr);
  if (absl::Status s = ExportTrainedModel(*space, candidate->arch(), *weights, format, out, *input,
                                          export_options);
      !s.ok()) {
    PrintError(io, s);
    return kExitFailure;
  }
  io.out << "wrote " << out << " (" << format << ", " << candidate->arch() << ")\n";
  return kExitOk;
}

const std::vector<Command>& Commands() {
  static const std::vector<Command>* commands = new std::vector<Command>{
      {"submit", "JOB.yaml", "Submit a job spec; prints the job id.", 1, 1, RemoteFlags(),
       Submit},
      {"watch", "JOB_ID",
       "Follow a job until it ends; exit 0 when DONE, 1 when FAILED or CANCELLED.", 1, 1,
       RemoteFlags(), Watch},
      {"pareto", "JOB_ID", "Print a job's Pareto front (table by default).", 1, 1,
       RemoteFlags({{"csv", false, "print CSV (header + one row per candidate)"},
        {"json", false, "print the ParetoFront message as JSON"},
        {"plot", true,
         "also write an SVG scatter plot of every candidate with the front highlighted "
         "(e.g. --plot front.svg)"},
        {"source", true,
         "which values to show where several exist: a source kind (full_train, "
         "flash_distill, supernet, table) or all (proxy and truth side by side)"}}),
       Pareto},
      {"candidates", "JOB_ID",
       "Print every candidate of a job with all its metrics (table by default).\n"
       "  --csv: one row per candidate; columns id, sequence, state, arch, then per metric\n"
       "  K (name, or name@device_class) K, K.source, K.fidelity, K.unstable (and\n"
       "  K.std_error, K.ci_low, K.ci_high when measured), K#F per fidelity F when there\n"
       "  are several, created_unix_ms, finished_unix_ms, failure_reason, notes.\n"
       "  See docs/candidates.md.",
       1, 1,
       RemoteFlags({{"csv", false, "print CSV (header + one row per candidate)"},
                    {"json", false, "print a JSON array of Candidate messages"},
                    {"state", true,
                     "only these states, comma-separated: pending, done, failed, infeasible, "
                     "screened"},
                    {"fidelity", true,
                     "only candidates with a value at this fidelity (-1 finalists' full "
                     "training, 0 first rung, k rung k)"},
                    {"page_size", true, "candidates per request, 1 to 1000 (default 100)"}}),
       Candidates},
      {"jobs", "", "List jobs.", 0, 0, RemoteFlags(), Jobs},
      {"export", "JOB_ID CANDIDATE",
       "Write a trained winner out (CANDIDATE: its id or sequence number): a Pareto-front\n"
       "  member of a full_train job, or a finalist of the other modes.\n"
       "  Metadata (job, candidate, arch, input shape, class names, mean/std, dataset):\n"
       "  ONNX metadata_props, TorchScript extra file edgenas.json, state_dict FILE.json.\n"
       "  torchscript: torch.jit.load(FILE) in Python or torch::jit::load in C++ (inference,\n"
       "  batch norm in eval mode); state_dict: torch.load(FILE), tensors by parameter name;\n"
       "  onnx: ONNX opset 13, input \"input\" [1, C, H, W] and output \"logits\" [1, classes]\n"
       "  (the job's dataset shape, or the candidate's own resolution in a space whose\n"
       "  architectures choose one; with --dynamic_batch a symbolic batch \"batch\"), for\n"
       "  TensorRT (trtexec --onnx=FILE), OpenVINO (benchmark_app -m FILE), ONNX Runtime.",
       2, 2,
       RemoteFlags({{"format", true, "torchscript (default), state_dict or onnx"},
                    {"dynamic_batch", false,
                     "onnx only: a symbolic batch dimension (dim_param \"batch\") instead of 1"},
                    {"out", true,
                     "output file (default CANDIDATE.pt, CANDIDATE.state_dict.pt or "
                     "CANDIDATE.onnx)"}}),
       Export},
      {"cancel", "JOB_ID", "Cancel a job.", 1, 1, RemoteFlags(), Cancel},
      {"local", "JOB.yaml",
       "Run a job here with a local coordinator, worker and cpu agent.\n"
       "  Starts edgenas-coordinator, one edgenas-worker and one edgenas-agent (device class\n"
       "  cpu) from this binary's directory, shows progress, prints the Pareto front and\n"
       "  stops them all (also on Ctrl-C). Exit 0 when the job ends DONE.\n"
       "  The agent can serve another device class by replaying a board's measurements\n"
       "  from a table, e.g. for a job whose objectives are measured on rpi5 boards:\n"
       "    --agent_device_class=rpi5 --agent_runner=replay\n"
       "    --replay_table=BOARD_MEASUREMENTS.csv\n"
       "    --replay_latency_column=pi5_litert_latency_ms\n"
       "    --replay_energy_column=pi5_litert_energy_mj\n"
       "  Relative paths (here and in the job's evaluation.table.path) are read from the\n"
       "  current directory.",
       1, 1,
       {{"db", true, "SQLite database (default edgenas-local.db)"},
        {"workdir", true, "directory for logs and the port file (default ./edgenas-local)"},
        {"threads", true, "threads for the worker and the agent (default 1)"},
        {"agent_device_class", true, "device class the agent serves (default cpu)"},
        {"agent_runner", true,
         "libtorch (measure on this machine, default) or replay (answer from --replay_table)"},
        {"replay_table", true, "replay: CSV of board measurements, one row per architecture"},
        {"replay_latency_column", true, "replay: column with latency in ms (required)"},
        {"replay_energy_column", true, "replay: column with energy in mJ (optional)"},
        {"replay_arch_column", true, "replay: column with architecture strings (default arch)"},
        {"agent_cpus", true,
         "cores the agent measures on (default: the last core, when there are >= 2)"},
        {"worker_cpus", true, "cores the worker trains on (default: all but the agent's)"},
        {"agent_speed_reference", false,
         "libtorch agent: report latency normalised to a reference kernel timed between "
         "blocks (edgenas-agent --speed_reference); the default here, where the agent "
         "shares the machine with the worker"},
        {"no_agent_speed_reference", false,
         "libtorch agent: report raw medians (no speed reference), e.g. on an idle "
         "dedicated machine"}},
       Local},
  };
  return *commands;
}

std::string MainUsage() {
  std::string text =
      "usage: edgenas <command> [arguments] [--flags]\n\n"
      "Hardware-aware neural architecture search client.\n\ncommands:\n";
  for (const Command& command : Commands()) {
    const std::string head = absl::StrCat(command.name, " ", command.synopsis);
    const std::string first_line = command.summary.substr(0, command.summary.find('\n'));
    absl::StrAppend(&text, "  ", head, std::string(head.size() < 18 ? 18 - head.size() : 1, ' '),
                    first_line, "\n");
  }
  absl::StrAppend(&text, "  help [COMMAND]    Show this text or a command's flags.\n\n",
                  "Run 'edgenas help COMMAND' for a command's flags.\n",
                  "The coordinator is --coordinator=HOST:PORT, else $EDGENAS_COORDINATOR, else "
                  "127.0.0.1:50051.\n",
                  "TLS: --tls_ca_file (and --tls_cert_file/--tls_key_file), else "
                  "$EDGENAS_TLS_CA_FILE,\n$EDGENAS_TLS_CERT_FILE, $EDGENAS_TLS_KEY_FILE; a bearer "
                  "token: --token, else $EDGENAS_TOKEN.\n\n",
                  "exit codes: 0 success (watch, local: the job ended DONE); 1 an RPC or file "
                  "failed, or the job\n",
                  "ended FAILED or CANCELLED; 2 usage error (unknown command or flag, wrong "
                  "arguments);\n130 interrupted (Ctrl-C).\n");
  return text;
}

std::string CommandUsage(const Command& command) {
  std::string text = absl::StrCat("usage: edgenas ", command.name,
                                  command.synopsis.empty() ? "" : " ", command.synopsis);
  if (!command.flags.empty()) absl::StrAppend(&text, " [flags]");
  absl::StrAppend(&text, "\n  ", command.summary, "\n");
  if (!command.flags.empty()) absl::StrAppend(&text, "flags:\n");
  for (const FlagSpec& flag : command.flags) {
    const std::string name = absl::StrCat("--", flag.name, flag.takes_value ? "=VALUE" : "");
    absl::StrAppend(&text, "  ", name, std::string(name.size() < 20 ? 20 - name.size() : 1, ' '),
                    flag.help, "\n");
  }
  return text;
}

// Parses everything after the command name; INVALID_ARGUMENT says what is wrong.
absl::StatusOr<Args> ParseArgs(const Command& command, const std::vector<std::string>& argv) {
  Args args;
  for (size_t i = 1; i < argv.size(); ++i) {
    const std::string& arg = argv[i];
    if (arg == "--") {
      args.positional.insert(args.positional.end(), argv.begin() + i + 1, argv.end());
      break;
    }
    if (arg == "-h" || arg == "--help") {
      args.help = true;
      continue;
    }
    if (!absl::StartsWith(arg, "-") || arg == "-") {
      args.positional.push_back(arg);
      continue;
    }
    if (!absl::StartsWith(arg, "--")) return absl::InvalidArgumentError("unknown flag " + arg);
    const size_t equals = arg.find('=');
    const std::string name = arg.substr(2, equals == std::string::npos ? equals : equals - 2);
    const FlagSpec* spec = nullptr;
    for (const FlagSpec& flag : command.flags) {
      if (flag.name == name) spec = &flag;
    }
    if (spec == nullptr) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag --", name, " for '",
                                                     command.name, "'"));
    }
    if (!spec->takes_value) {
      if (equals != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat("flag --", name, " takes no value"));
      }
      args.flags[name] = "";
    } else if (equals != std::string::npos) {
      args.flags[name] = arg.substr(equals + 1);
    } else if (i + 1 < argv.size()) {
      args.flags[name] = argv[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat("flag --", name, " needs a value"));
    }
  }
  if (args.help) return args;
  if (args.positional.size() < command.min_positional ||
      args.positional.size() > command.max_positional) {
    return absl::InvalidArgumentError(
        command.synopsis.empty()
            ? absl::StrCat("'", command.name, "' takes no arguments")
            : absl::StrCat("'", command.name, "' expects ", command.synopsis, ", got ",
                           args.positional.size(), " arguments"));
  }
  return args;
}

const Command* FindCommand(const std::string& name) {
  for (const Command& command : Commands()) {
    if (command.name == name) return &command;
  }
  return nullptr;
}

}  // namespace

int RunCli(const std::vector<std::string>& args, const CliIo& io) {
  if (args.empty()) {
    io.err << MainUsage();
    return kExitUsage;
  }
  const std::string& name = args[0];
  if (name == "help" || name == "-h" || name == "--help") {
    if (args.size() < 2) {
      io.out << MainUsage();
      return kExitOk;
    }
    const Command* command = FindCommand(args[1]);
    if (command == nullptr) {
      io.err << "error: unknown command '" << args[1] << "'\n\n" << MainUsage();
      return kExitUsage;
    }
    io.out << CommandUsage(*command);
    return kExitOk;
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    io.err << "error: unknown command '" << name << "'\n\n" << MainUsage();
    return kExitUsage;
  }
  absl::StatusOr<Args> parsed = ParseArgs(*command, args);
  if (!parsed.ok()) {
    io.err << "error: " << parsed.status().message() << "\n\n" << CommandUsage(*command);
    return kExitUsage;
  }
  if (parsed->help) {
    io.out << CommandUsage(*command);
    return kExitOk;
  }
  return command->run(*parsed, io);
}

}  // namespace edgenas
