// ExternalRunner: the agent's --runner=external. Each TASK_LATENCY task's
// network is exported to ONNX into a fresh temporary directory, a configured
// command measures it (e.g. `trtexec --onnx={model}` on a Jetson,
// `benchmark_app -m {model} -d NPU` on an Intel NPU host) and a configured
// pattern picks the latency out of the command's output. Results are
// labelled "agent:external:<name>"; nothing is invented: a command that
// fails, times out or prints no parsable latency fails the task with the
// command's last output lines.
//
// The command template is split into arguments here, never by a shell:
// words are separated by whitespace; '...' keeps its content literally,
// "..." keeps it with \" and \\ escapes, and a backslash outside quotes
// escapes the next character. Placeholders are replaced inside each
// argument after splitting (so a value never splits or gets interpreted):
// {model} (path of the .onnx, required), {dir} (the temporary directory,
// also the working directory), {batch}, {threads}, {arch} (the
// architecture string), {input_name} ("input"), {input_shape} (the
// exported input, batch x channels x height x width from the job's dataset,
// e.g. "1x3x32x32"); "{{" and "}}" stand for literal braces. To use shell
// features, make the command `sh -c '...'` and mind the quoting yourself.
#ifndef EDGENAS_DEVICE_AGENT_RUNNERS_EXTERNAL_RUNNER_H_
#define EDGENAS_DEVICE_AGENT_RUNNERS_EXTERNAL_RUNNER_H_

#include <atomic>
#include <map>
#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/task_outcome.h"
#include "device_agent/runners/latency_runner.h"
#include "edgenas/v1/common.pb.h"
#include "edgenas/v1/task_service.pb.h"

namespace edgenas {

// Named after the agent's flags, which errors name.
struct ExternalRunnerOptions {
  std::string command;          // --external_command (required)
  std::string latency_pattern;  // --external_latency_pattern: ECMAScript regex, group 1 = value
  std::string latency_unit = "ms";  // --external_latency_unit: ms, us or s
  std::string name;             // --external_name: [A-Za-z0-9._-]+ (required)
  int timeout_s = 600;          // --external_timeout_s
  std::string device_class = "cpu";
  int default_threads = 1;      // {threads} when the job's latency.threads is 0
  // Copied into the latency metric with runner "external:<name>".
  v1::DeviceDescriptor device;
  // Where the per-task directories are made ("" = $TMPDIR or /tmp).
  std::string temp_root;
};

// The template's words (see the file comment). INVALID_ARGUMENT naming
// --external_command for an unterminated quote, a trailing backslash or an
// empty command.
absl::StatusOr<std::vector<std::string>> SplitCommandTemplate(const std::string& command);

// `word` with each {key} replaced by values.at(key) and {{ / }} by braces.
// INVALID_ARGUMENT naming --external_command for an unknown or unclosed
// placeholder (listing the known ones).
absl::StatusOr<std::string> ExpandPlaceholders(const std::string& word,
                                               const std::map<std::string, std::string>& values);

// The latency (in ms) from the first line of `output` that `pattern`
// matches (group 1, a positive number, scaled from `unit`), and that line.
// FAILED_PRECONDITION when no line matches or the captured text is not a
// positive finite number.
struct ParsedLatency {
  double ms = 0;
  std::string line;
};
absl::StatusOr<ParsedLatency> ParseLatencyOutput(const std::string& output,
                                                 const std::regex& pattern,
                                                 const std::string& unit);

class ExternalRunner : public LatencyRunner {
 public:
  // Checks the flags: a name, a template that splits, holds {model} and only
  // known placeholders, whose program exists (on PATH or as a path); a
  // pattern that compiles with at least one group; a known unit; a positive
  // timeout. INVALID_ARGUMENT naming the flag otherwise.
  static absl::StatusOr<std::unique_ptr<ExternalRunner>> Create(ExternalRunnerOptions options);

  const std::string& name() const { return options_.name; }
  // "agent:external:<name>".
  std::string Source() const;

  const RunnerInfo& info() const override { return info_; }

  // Exports task.arch() (the job's batch size, the input shape of its
  // dataset, seeded initial weights), runs the command and reports
  // latency_ms (as parsed, with the matched line as its method) and params.
  // INVALID_ARGUMENT for a bad spec or architecture; for the command: as
  // RunExternalCommand, INTERNAL when it exits non-zero or by a signal,
  // FAILED_PRECONDITION when its output has no parsable latency; messages
  // quote the command's last output lines. CANCELLED (the command killed)
  // when *stop becomes true.
  absl::StatusOr<TaskOutcome> Run(const v1::Task& task, const std::atomic<bool>* stop) override;

 private:
  ExternalRunner(ExternalRunnerOptions options, std::vector<std::string> words,
                 std::regex pattern);

  const ExternalRunnerOptions options_;
  RunnerInfo info_;
  const std::vector<std::string> words_;
  const std::regex pattern_;
};

// The registry's factory (runner_registry.h): an ExternalRunner from the
// --external_* flags and the agent's context. INVALID_ARGUMENT naming the
// flag, as Create.
absl::StatusOr<std::unique_ptr<LatencyRunner>> CreateExternalRunnerFromFlags(
    const RunnerContext& context);

// INVALID_ARGUMENT naming the first --external_* flag set although
// --runner=`selected` names another runner (a forgotten --runner must not go
// unnoticed); OK otherwise.
absl::Status ExternalFlagsUnused(const std::string& selected);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_RUNNERS_EXTERNAL_RUNNER_H_
