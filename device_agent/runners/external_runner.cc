#include "device_agent/runners/external_runner.h"

#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <utility>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/logging.h"
#include "common/metric_names.h"
#include "common/model/onnx_export.h"
#include "common/status_macros.h"
#include "device_agent/runners/external_command.h"

ABSL_FLAG(std::string, external_command, "",
          "--runner=external: the measuring command, split into arguments without a shell; "
          "placeholders {model} (required: the exported .onnx), {dir}, {batch}, {threads}, "
          "{arch}, {input_name}, {input_shape}; e.g. 'trtexec --onnx={model}' or "
          "'benchmark_app -m {model} -d NPU -hint latency'");
ABSL_FLAG(std::string, external_latency_pattern, "",
          "--runner=external: regular expression (ECMAScript) whose group 1 is the latency; the "
          "first matching output line is used, e.g. 'Median: +([0-9.]+) ms'");
ABSL_FLAG(std::string, external_latency_unit, "ms",
          "--runner=external: unit of the captured value: ms, us or s");
ABSL_FLAG(std::string, external_name, "",
          "--runner=external: the tool's name; results are labelled agent:external:<name>");
ABSL_FLAG(int, external_timeout_s, 600,
          "--runner=external: seconds before the command is killed and the task fails");

namespace edgenas {
namespace {

constexpr char kCommandFlag[] = "--external_command";
// Lines longer than this are cut before matching (std::regex recurses).
constexpr size_t kMaxMatchedLine = 4096;

const std::vector<std::string>& KnownPlaceholders() {
  static const auto* known = new std::vector<std::string>{
      "model", "dir", "batch", "threads", "arch", "input_name", "input_shape"};
  return *known;
}

absl::Status CommandError(const std::string& why) {
  return absl::InvalidArgumentError(absl::StrCat(kCommandFlag, ": ", why));
}

// True when `program` would be found by posix_spawnp.
bool ProgramExists(const std::string& program) {
  if (program.find('/') != std::string::npos) return access(program.c_str(), X_OK) == 0;
  const char* path = std::getenv("PATH");
  for (absl::string_view dir : absl::StrSplit(path != nullptr ? path : "/usr/bin:/bin", ':')) {
    const std::string candidate = absl::StrCat(dir.empty() ? "." : dir, "/", program);
    if (access(candidate.c_str(), X_OK) == 0) return true;
  }
  return false;
}

// A fresh directory, removed with everything in it on scope exit.
class TempDir {
 public:
  static absl::StatusOr<std::unique_ptr<TempDir>> Create(const std::string& root) {
    std::string base = root;
    if (base.empty()) {
      const char* tmp = std::getenv("TMPDIR");
      base = (tmp != nullptr && *tmp != '\0') ? tmp : "/tmp";
    }
    std::string templ = absl::StrCat(base, "/edgenas-external-XXXXXX");
    if (mkdtemp(templ.data()) == nullptr) {
      return absl::InternalError(absl::StrCat("external runner: cannot create a directory in ",
                                              base, ": ", std::strerror(errno)));
    }
    return std::unique_ptr<TempDir>(new TempDir(templ));
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string path) : path_(std::move(path)) {}
  const std::string path_;
};

absl::Status WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) return absl::InternalError(absl::StrCat("external runner: cannot write ", path));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::vector<std::string>> SplitCommandTemplate(const std::string& command) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  for (size_t i = 0; i < command.size(); ++i) {
    const char c = command[i];
    if (c == '\'') {
      const size_t end = command.find('\'', i + 1);
      if (end == std::string::npos) return CommandError("unterminated ' quote");
      word.append(command, i + 1, end - i - 1);
      in_word = true;
      i = end;
    } else if (c == '"') {
      size_t j = i + 1;
      for (; j < command.size() && command[j] != '"'; ++j) {
        if (command[j] == '\\' && j + 1 < command.size() &&
            (command[j + 1] == '"' || command[j + 1] == '\\')) {
          ++j;
        }
        word.push_back(command[j]);
      }
      if (j >= command.size()) return CommandError("unterminated \" quote");
      in_word = true;
      i = j;
    } else if (c == '\\') {
      if (i + 1 >= command.size()) return CommandError("trailing backslash");
      word.push_back(command[++i]);
      in_word = true;
    } else if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      if (in_word) words.push_back(std::move(word));
      word.clear();
      in_word = false;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words.push_back(std::move(word));
  if (words.empty() || words[0].empty()) return CommandError("empty command");
  return words;
}

absl::StatusOr<std::string> ExpandPlaceholders(const std::string& word,
                                               const std::map<std::string, std::string>& values) {
  std::string out;
  for (size_t i = 0; i < word.size(); ++i) {
    const char c = word[i];
    if ((c == '{' || c == '}') && i + 1 < word.size() && word[i + 1] == c) {
      out.push_back(c);
      ++i;
    } else if (c == '{') {
      const size_t end = word.find('}', i + 1);
      if (end == std::string::npos) {
        return CommandError(absl::StrCat("unclosed placeholder in \"", word, "\""));
      }
      const std::string key = word.substr(i + 1, end - i - 1);
      const auto it = values.find(key);
      if (it == values.end()) {
        return CommandError(absl::StrCat("unknown placeholder {", key, "}; known: {",
                                         absl::StrJoin(KnownPlaceholders(), "}, {"),
                                         "} ({{ and }} for literal braces)"));
      }
      out += it->second;
      i = end;
    } else if (c == '}') {
      return CommandError(absl::StrCat("lone } in \"", word, "\" (}} for a literal brace)"));
    } else {
      out.push_back(c);
    }
  }
  return out;
}

absl::StatusOr<ParsedLatency> ParseLatencyOutput(const std::string& output,
                                                 const std::regex& pattern,
                                                 const std::string& unit) {
  double scale = 1.0;
  if (unit == "us") {
    scale = 1e-3;
  } else if (unit == "s") {
    scale = 1e3;
  } else if (unit != "ms") {
    return absl::InvalidArgumentError(
        absl::StrCat("--external_latency_unit: \"", unit, "\"; known: ms, us, s"));
  }
  for (absl::string_view raw : absl::StrSplit(output, absl::ByAnyChar("\r\n"))) {
    const std::string line(raw.substr(0, kMaxMatchedLine));
    std::smatch match;
    if (!std::regex_search(line, match, pattern)) continue;
    const std::string text = match.size() > 1 ? match[1].str() : std::string();
    double value = 0;
    if (!absl::SimpleAtod(absl::StripAsciiWhitespace(text), &value) || !std::isfinite(value) ||
        value <= 0) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--external_latency_pattern: captured \"", text,
          "\", not a positive number, in the line \"", absl::StripAsciiWhitespace(line), "\""));
    }
    return ParsedLatency{value * scale, std::string(absl::StripAsciiWhitespace(line))};
  }
  return absl::FailedPreconditionError(
      absl::StrCat("--external_latency_pattern: no line of the output matches"));
}

absl::StatusOr<std::unique_ptr<ExternalRunner>> ExternalRunner::Create(
    ExternalRunnerOptions options) {
  if (options.name.empty()) {
    return absl::InvalidArgumentError(
        "--external_name: required with --runner=external (e.g. trtexec); it labels the "
        "results agent:external:<name>");
  }
  for (char c : options.name) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' &&
        c != '-') {
      return absl::InvalidArgumentError(absl::StrCat(
          "--external_name: \"", options.name, "\" may hold only letters, digits, '.', '_', '-'"));
    }
  }
  if (options.command.empty()) {
    return absl::InvalidArgumentError(
        "--external_command: required with --runner=external, e.g. 'trtexec --onnx={model}'");
  }
  ASSIGN_OR_RETURN(std::vector<std::string> words, SplitCommandTemplate(options.command));
  // Every placeholder must be known: expand with dummy values now, so that a
  // typo fails at startup rather than in every task.
  std::map<std::string, std::string> dummy;
  for (const std::string& key : KnownPlaceholders()) dummy[key] = "x";
  bool has_model = false;
  for (const std::string& word : words) {
    RETURN_IF_ERROR(ExpandPlaceholders(word, dummy).status());
    if (word.find("{model}") != std::string::npos) has_model = true;
  }
  if (!has_model) {
    return CommandError("must name the exported model as {model}, e.g. 'trtexec --onnx={model}'");
  }
  if (words[0].find('{') == std::string::npos && !ProgramExists(words[0])) {
    return CommandError(absl::StrCat("program \"", words[0], "\" not found",
                                     words[0].find('/') == std::string::npos
                                         ? " on PATH"
                                         : " or not executable"));
  }
  if (options.latency_pattern.empty()) {
    return absl::InvalidArgumentError(
        "--external_latency_pattern: required with --runner=external, e.g. "
        "'mean = ([0-9.]+) ms' (group 1 is the latency)");
  }
  std::regex pattern;
  try {
    pattern = std::regex(options.latency_pattern, std::regex::ECMAScript);
  } catch (const std::regex_error& e) {
    return absl::InvalidArgumentError(absl::StrCat("--external_latency_pattern: \"",
                                                   options.latency_pattern,
                                                   "\" does not compile: ", e.what()));
  }
  if (pattern.mark_count() < 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--external_latency_pattern: \"", options.latency_pattern,
        "\" has no capture group; put the number in ( ), e.g. 'mean = ([0-9.]+) ms'"));
  }
  if (options.latency_unit != "ms" && options.latency_unit != "us" &&
      options.latency_unit != "s") {
    return absl::InvalidArgumentError(absl::StrCat(
        "--external_latency_unit: \"", options.latency_unit, "\"; known: ms, us, s"));
  }
  if (options.timeout_s < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("--external_timeout_s: must be >= 1, got ", options.timeout_s));
  }
  return std::unique_ptr<ExternalRunner>(
      new ExternalRunner(std::move(options), std::move(words), std::move(pattern)));
}

ExternalRunner::ExternalRunner(ExternalRunnerOptions options, std::vector<std::string> words,
                               std::regex pattern)
    : options_(std::move(options)), words_(std::move(words)), pattern_(std::move(pattern)) {
  info_.name = "external";
  info_.capabilities.push_back(absl::StrCat("latency:external:", options_.name));
  info_.device = options_.device;
}

std::string ExternalRunner::Source() const { return absl::StrCat("agent:external:", name()); }

absl::StatusOr<TaskOutcome> ExternalRunner::Run(const v1::Task& task,
                                                const std::atomic<bool>* stop) {
  if (task.kind() != v1::TASK_LATENCY) {
    return absl::InvalidArgumentError("task.kind: the external runner answers latency tasks only");
  }
  RETURN_IF_ERROR(CheckNotStopped(stop, "external latency task"));
  ASSIGN_OR_RETURN(const Candidate c, CandidateOf(task, options_.default_threads));
  const int threads = c.threads;
  const int batch = c.batch;
  OnnxExportOptions export_options;
  export_options.batch = batch;
  export_options.in_channels = c.shape.channels;
  export_options.height = c.shape.height;
  export_options.width = c.shape.width;
  export_options.num_classes = c.shape.classes;
  ASSIGN_OR_RETURN(const OnnxModel model,
                   ExportOnnx(c.space, c.arch, /*checkpoint=*/"", export_options));

  ASSIGN_OR_RETURN(const std::unique_ptr<TempDir> dir, TempDir::Create(options_.temp_root));
  const std::string model_path = absl::StrCat(dir->path(), "/model.onnx");
  RETURN_IF_ERROR(WriteFile(model_path, model.bytes));
  const std::map<std::string, std::string> values = {
      {"model", model_path},
      {"dir", dir->path()},
      {"batch", absl::StrCat(batch)},
      {"threads", absl::StrCat(threads)},
      {"arch", task.arch()},
      {"input_name", model.input_name},
      {"input_shape", absl::StrJoin(model.input_dims, "x")},
  };
  std::vector<std::string> argv;
  for (const std::string& word : words_) {
    ASSIGN_OR_RETURN(std::string arg, ExpandPlaceholders(word, values));
    argv.push_back(std::move(arg));
  }
  ASSIGN_OR_RETURN(const CommandRun run,
                   RunExternalCommand(argv, dir->path(), absl::Seconds(options_.timeout_s), stop));
  const std::string what = absl::StrCat("external command \"", options_.name, "\" (", argv[0], ")");
  if (run.signal != 0 || run.exit_code != 0) {
    return absl::InternalError(absl::StrCat(
        what, run.signal != 0 ? absl::StrCat(" killed by signal ", run.signal)
                              : absl::StrCat(" exited with code ", run.exit_code),
        "; last output: ", LastOutputLines(run.output, 5)));
  }
  absl::StatusOr<ParsedLatency> parsed =
      ParseLatencyOutput(run.output, pattern_, options_.latency_unit);
  if (!parsed.ok()) {
    return absl::FailedPreconditionError(
        absl::StrCat(what, ": ", parsed.status().message(), " ('", options_.latency_pattern,
                     "'); last output: ", LastOutputLines(run.output, 5)));
  }

  v1::DeviceDescriptor device = options_.device;
  device.set_runner(absl::StrCat("external:", options_.name));
  device.set_threads(threads);
  if (device.device_class().empty()) device.set_device_class(options_.device_class);
  TaskOutcome outcome;
  v1::Metric latency;
  latency.set_name(kMetricLatencyMs);
  latency.set_value(parsed->ms);
  latency.set_source(Source());
  latency.set_device_class(options_.device_class);
  latency.set_method(absl::StrCat(
      "reported by ", options_.name, ": '", parsed->line, "' (pattern '",
      options_.latency_pattern, "', unit ", options_.latency_unit,
      "); statistic and run count as the tool defines them; no interval estimated"));
  *latency.mutable_device() = std::move(device);
  outcome.metrics.push_back(std::move(latency));
  v1::Metric params;
  params.set_name(kMetricParams);
  params.set_value(static_cast<double>(model.params));
  params.set_source(Source());
  outcome.metrics.push_back(std::move(params));
  AddAnalyticFlops(c, &outcome);
  outcome.notes.push_back(absl::StrCat("latency from `", absl::StrJoin(argv, " "), "`: ",
                                       parsed->line, "; batch ", batch, ", threads ", threads));
  outcome.notes.push_back(absl::StrCat(
      "latency_p90_ms, latency_cv unavailable: ", options_.name,
      " is read for one figure; energy_mj unavailable: the external runner reads no meter"));
  EDGENAS_LOG(kInfo, "agent", "external latency task=", task.task_id(), " ", options_.name,
              " ms=", parsed->ms);
  return outcome;
}

absl::StatusOr<std::unique_ptr<LatencyRunner>> CreateExternalRunnerFromFlags(
    const RunnerContext& context) {
  ExternalRunnerOptions external;
  external.command = absl::GetFlag(FLAGS_external_command);
  external.latency_pattern = absl::GetFlag(FLAGS_external_latency_pattern);
  external.latency_unit = absl::GetFlag(FLAGS_external_latency_unit);
  external.name = absl::GetFlag(FLAGS_external_name);
  external.timeout_s = absl::GetFlag(FLAGS_external_timeout_s);
  external.device_class = context.device_class;
  external.default_threads = context.default_threads;
  external.device = context.Describe(absl::StrCat("external:", external.name), "", "");
  ASSIGN_OR_RETURN(std::unique_ptr<ExternalRunner> runner,
                   ExternalRunner::Create(std::move(external)));
  EDGENAS_LOG(kInfo, "agent", "external runner ", runner->name(), ": ",
              absl::GetFlag(FLAGS_external_command));
  return runner;
}

absl::Status ExternalFlagsUnused(const std::string& selected) {
  const std::pair<const char*, bool> flags[] = {
      {"--external_command", !absl::GetFlag(FLAGS_external_command).empty()},
      {"--external_latency_pattern", !absl::GetFlag(FLAGS_external_latency_pattern).empty()},
      {"--external_latency_unit", absl::GetFlag(FLAGS_external_latency_unit) != "ms"},
      {"--external_name", !absl::GetFlag(FLAGS_external_name).empty()},
      {"--external_timeout_s", absl::GetFlag(FLAGS_external_timeout_s) != 600},
  };
  for (const auto& [flag, set] : flags) {
    if (set) {
      return absl::InvalidArgumentError(
          absl::StrCat(flag, ": only used with --runner=external (got --runner=", selected, ")"));
    }
  }
  return absl::OkStatus();
}

}  // namespace edgenas
