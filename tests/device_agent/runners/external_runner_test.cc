// The external-command runner: template splitting and placeholders, latency
// parsing (trtexec-like and OpenVINO benchmark_app-like output, units), flag
// validation, and whole tasks against small scripts that print such output
// or fail in the ways real tools do (non-zero exit, no latency line, a
// garbled value, a hang, cancellation).
#include "device_agent/runners/external_runner.h"

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "common/metric_names.h"
#include "device_agent/runners/external_command.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace edgenas {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

constexpr char kArch[] =
    "|nor_conv_3x3~0|+|nor_conv_1x1~0|skip_connect~1|+|none~0|avg_pool_3x3~1|nor_conv_3x3~2|";

// What trtexec 8.x prints at the end of a run (abridged).
constexpr char kTrtexecOutput[] = R"([09/12/2024-10:01:02] [I] === Performance summary ===
[09/12/2024-10:01:02] [I] Throughput: 1625.47 qps
[09/12/2024-10:01:02] [I] Latency: min = 0.583496 ms, max = 1.49048 ms, mean = 0.609409 ms, median = 0.605469 ms, percentile(90%) = 0.620361 ms, percentile(95%) = 0.627686 ms, percentile(99%) = 0.716553 ms
[09/12/2024-10:01:02] [I] Enqueue Time: min = 0.0141602 ms, max = 0.0625 ms, mean = 0.0160938 ms, median = 0.015625 ms
[09/12/2024-10:01:02] [I] H2D Latency: min = 0.00463867 ms, max = 0.0163574 ms, mean = 0.00508398 ms, median = 0.00500488 ms
[09/12/2024-10:01:02] [I] GPU Compute Time: min = 0.567383 ms, max = 1.47461 ms, mean = 0.592871 ms, median = 0.588867 ms
&&&& PASSED TensorRT.trtexec [TensorRT v8502] # trtexec --onnx=model.onnx
)";

// What OpenVINO's benchmark_app (2023) prints at the end of a run.
constexpr char kBenchmarkAppOutput[] = R"([ INFO ] Execution Devices:['NPU']
[ INFO ] Count:            6128 iterations
[ INFO ] Duration:         60011.27 ms
[ INFO ] Latency:
[ INFO ]    Median:        9.71 ms
[ INFO ]    Average:       9.76 ms
[ INFO ]    Min:           9.12 ms
[ INFO ]    Max:           15.08 ms
[ INFO ] Throughput:   102.11 FPS
)";

TEST(SplitCommandTemplate, SplitsOnWhitespaceAndHonoursQuotesAndEscapes) {
  auto words = SplitCommandTemplate(
      "  trtexec --onnx={model}  'a b' \"c \\\"d\\\"\" e\\ f --x=''  ");
  ASSERT_TRUE(words.ok()) << words.status();
  EXPECT_THAT(*words, ElementsAre("trtexec", "--onnx={model}", "a b", "c \"d\"", "e f", "--x="));
  EXPECT_THAT(SplitCommandTemplate("sh -c 'echo hi").status().message(),
              HasSubstr("--external_command: unterminated ' quote"));
  EXPECT_THAT(SplitCommandTemplate("a \"b").status().message(), HasSubstr("\" quote"));
  EXPECT_THAT(SplitCommandTemplate("a b\\").status().message(), HasSubstr("trailing backslash"));
  EXPECT_THAT(SplitCommandTemplate("   ").status().message(), HasSubstr("empty command"));
}

TEST(ExpandPlaceholders, ReplacesKnownKeysAndRefusesUnknownOnes) {
  const std::map<std::string, std::string> values = {{"model", "/t/m.onnx"}, {"batch", "4"}};
  EXPECT_EQ(*ExpandPlaceholders("--onnx={model}", values), "--onnx=/t/m.onnx");
  EXPECT_EQ(*ExpandPlaceholders("{batch}x{batch}", values), "4x4");
  EXPECT_EQ(*ExpandPlaceholders("{{\"b\": {batch}}}", values), "{\"b\": 4}");
  EXPECT_THAT(ExpandPlaceholders("--m={modle}", values).status().message(),
              HasSubstr("--external_command: unknown placeholder {modle}"));
  EXPECT_THAT(ExpandPlaceholders("--m={model", values).status().message(), HasSubstr("unclosed"));
  EXPECT_THAT(ExpandPlaceholders("a}b", values).status().message(), HasSubstr("lone }"));
}

TEST(ParseLatencyOutput, ReadsTrtexecAndBenchmarkAppOutputWithUnits) {
  // The first matching line wins: "Latency: ..." comes before "H2D Latency: ...".
  auto trt = ParseLatencyOutput(kTrtexecOutput, std::regex("Latency: min = [0-9.]+ ms, max = "
                                                           "[0-9.]+ ms, mean = ([0-9.]+) ms"),
                                "ms");
  ASSERT_TRUE(trt.ok()) << trt.status();
  EXPECT_DOUBLE_EQ(trt->ms, 0.609409);
  EXPECT_THAT(trt->line, HasSubstr("[I] Latency: min = 0.583496 ms"));
  auto median = ParseLatencyOutput(kTrtexecOutput, std::regex("median = ([0-9.]+) ms"), "ms");
  ASSERT_TRUE(median.ok());
  EXPECT_DOUBLE_EQ(median->ms, 0.605469);

  auto ov = ParseLatencyOutput(kBenchmarkAppOutput, std::regex("Median: +([0-9.]+) ms"), "ms");
  ASSERT_TRUE(ov.ok()) << ov.status();
  EXPECT_DOUBLE_EQ(ov->ms, 9.71);

  auto us = ParseLatencyOutput("latency_us=1234.5\n", std::regex("latency_us=(\\S+)"), "us");
  ASSERT_TRUE(us.ok());
  EXPECT_DOUBLE_EQ(us->ms, 1.2345);
  auto s = ParseLatencyOutput("took 0.0021 s\n", std::regex("took ([0-9.e-]+) s"), "s");
  ASSERT_TRUE(s.ok());
  EXPECT_DOUBLE_EQ(s->ms, 2.1);

  EXPECT_EQ(ParseLatencyOutput(kTrtexecOutput, std::regex("p50=([0-9.]+)"), "ms").status().code(),
            absl::StatusCode::kFailedPrecondition);
  auto garbled = ParseLatencyOutput("mean = n/a ms\n", std::regex("mean = (\\S+) ms"), "ms");
  EXPECT_EQ(garbled.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(garbled.status().message(), HasSubstr("captured \"n/a\", not a positive number"));
  EXPECT_FALSE(ParseLatencyOutput("mean = 0 ms\n", std::regex("mean = (\\S+) ms"), "ms").ok());
  EXPECT_FALSE(ParseLatencyOutput("mean = 1 ms\n", std::regex("mean = (\\S+) ms"), "ns").ok());
}

ExternalRunnerOptions ValidOptions() {
  ExternalRunnerOptions o;
  o.command = "sh -c 'exit 0' {model}";
  o.latency_pattern = "mean = ([0-9.]+) ms";
  o.name = "trtexec";
  return o;
}

// Each bad flag is refused at startup, naming the flag.
TEST(ExternalRunnerCreate, RefusesBadFlagsNamingThem) {
  ASSERT_TRUE(ExternalRunner::Create(ValidOptions()).ok());
  auto expect_error = [](ExternalRunnerOptions o, const std::string& text) {
    auto runner = ExternalRunner::Create(std::move(o));
    EXPECT_EQ(runner.status().code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_THAT(runner.status().message(), HasSubstr(text));
  };
  ExternalRunnerOptions o = ValidOptions();
  o.name = "";
  expect_error(o, "--external_name: required");
  o = ValidOptions();
  o.name = "trt exec";
  expect_error(o, "--external_name:");
  o = ValidOptions();
  o.command = "";
  expect_error(o, "--external_command: required");
  o = ValidOptions();
  o.command = "trtexec --onnx=model.onnx";
  expect_error(o, "--external_command: must name the exported model as {model}");
  o = ValidOptions();
  o.command = "sh {model} --b={batchsize}";
  expect_error(o, "--external_command: unknown placeholder {batchsize}");
  o = ValidOptions();
  o.command = "edgenas-no-such-tool-xyz --onnx={model}";
  expect_error(o, "--external_command: program \"edgenas-no-such-tool-xyz\" not found on PATH");
  o = ValidOptions();
  o.latency_pattern = "";
  expect_error(o, "--external_latency_pattern: required");
  o = ValidOptions();
  o.latency_pattern = "mean = [0-9.]+ ms";
  expect_error(o, "--external_latency_pattern: \"mean = [0-9.]+ ms\" has no capture group");
  o = ValidOptions();
  o.latency_pattern = "mean = ([0-9.+ ms";
  expect_error(o, "does not compile");
  o = ValidOptions();
  o.latency_unit = "ns";
  expect_error(o, "--external_latency_unit: \"ns\"; known: ms, us, s");
  o = ValidOptions();
  o.timeout_s = 0;
  expect_error(o, "--external_timeout_s");
}

v1::Task TinyTask() {
  v1::Task task;
  task.set_task_id("t1");
  task.set_kind(v1::TASK_LATENCY);
  task.set_space("nb201");
  task.set_arch(kArch);
  v1::JobSpec* spec = task.mutable_spec();
  spec->mutable_space()->set_name("nb201");
  spec->mutable_space()->set_channels(4);
  spec->mutable_space()->set_cells_per_stage(1);
  spec->mutable_latency()->set_threads(2);
  spec->mutable_latency()->set_batch_size(3);
  return task;
}

// Scripts standing in for the tools, written into a fresh directory.
class ExternalRunnerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = ::testing::TempDir() + "/external_runner_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Writes an executable script; returns its path.
  std::string Script(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    chmod(path.c_str(), 0755);
    return path;
  }

  absl::StatusOr<TaskOutcome> RunWith(const std::string& command, const std::string& pattern,
                                      const std::string& unit = "ms", int timeout_s = 60,
                                      const std::atomic<bool>* cancel = nullptr) {
    ExternalRunnerOptions o;
    o.command = command;
    o.latency_pattern = pattern;
    o.latency_unit = unit;
    o.name = "faketool";
    o.timeout_s = timeout_s;
    o.device_class = "jetson-orin";
    o.temp_root = dir_;
    auto runner = ExternalRunner::Create(o);
    if (!runner.ok()) return runner.status();
    return (*runner)->Run(TinyTask(), cancel);
  }

  std::string ReadFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }

  std::string dir_;
};

// A trtexec-like tool: it gets the exported model and the placeholders as
// single arguments (no shell splitting of the architecture's '|'), its
// latency is reported with source, method and device, and the per-task
// directory is gone afterwards.
TEST_F(ExternalRunnerTest, MeasuresWithATrtexecLikeTool) {
  const std::string out = dir_ + "/trtexec.out";
  std::ofstream(out) << kTrtexecOutput;
  const std::string args = dir_ + "/args.txt";
  const std::string tool = Script(
      "fake_trtexec",
      "for a in \"$@\"; do echo \"$a\"; done > " + args + "\n"
      "pwd >> " + args + "\n"
      "m=\"${1#--onnx=}\"\n"
      "test -s \"$m\" || { echo \"[E] cannot read $m\"; exit 3; }\n"
      "head -c 64 \"$m\" | grep -q edgenas || { echo '[E] not an edgenas ONNX model'; exit 4; }\n"
      "echo '[I] building engine...' >&2\n"
      "cat " + out + "\n");
  auto outcome = RunWith(tool + " --onnx={model} --batch={batch} --threads={threads} "
                                "--arch={arch} --shapes={input_name}:{input_shape} --dir={dir}",
                         "\\[I\\] Latency: min = [0-9.]+ ms, max = [0-9.]+ ms, mean = ([0-9.]+) ms");
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  std::map<std::string, v1::Metric> m;
  for (const v1::Metric& metric : outcome->metrics) m[metric.name()] = metric;
  ASSERT_TRUE(m.count(kMetricLatencyMs));
  const v1::Metric& latency = m[kMetricLatencyMs];
  EXPECT_DOUBLE_EQ(latency.value(), 0.609409);
  EXPECT_EQ(latency.source(), "agent:external:faketool");
  EXPECT_EQ(latency.device_class(), "jetson-orin");
  EXPECT_EQ(latency.device().runner(), "external:faketool");
  EXPECT_EQ(latency.device().threads(), 2);
  EXPECT_THAT(latency.method(), HasSubstr("mean = 0.609409 ms"));
  EXPECT_EQ(latency.ci_low(), 0.0);  // not estimated
  ASSERT_TRUE(m.count(kMetricParams));
  EXPECT_GT(m[kMetricParams].value(), 0);
  EXPECT_FALSE(m.count(kMetricLatencyP90Ms));

  const std::vector<std::string> lines = absl::StrSplit(ReadFile(args), '\n');
  ASSERT_GE(lines.size(), 7u);
  EXPECT_TRUE(absl::StartsWith(lines[0], "--onnx=" + dir_ + "/edgenas-external-"));
  EXPECT_TRUE(absl::EndsWith(lines[0], "/model.onnx"));
  EXPECT_EQ(lines[1], "--batch=3");
  EXPECT_EQ(lines[2], "--threads=2");
  EXPECT_EQ(lines[3], std::string("--arch=") + kArch);
  EXPECT_EQ(lines[4], "--shapes=input:3x1x28x28");
  const std::string task_dir = lines[5].substr(std::string("--dir=").size());
  // The command runs in the task's directory.
  EXPECT_EQ(fs::path(lines[6]).lexically_normal(), fs::path(task_dir).lexically_normal());
  EXPECT_FALSE(fs::exists(task_dir));
}

// An OpenVINO benchmark_app-like tool; the pattern reads its median.
TEST_F(ExternalRunnerTest, MeasuresWithABenchmarkAppLikeTool) {
  const std::string out = dir_ + "/ov.out";
  std::ofstream(out) << kBenchmarkAppOutput;
  const std::string tool = Script("benchmark_app", "test -s \"$2\" || exit 2\ncat " + out + "\n");
  auto outcome = RunWith(tool + " -m {model} -d NPU -hint latency", "Median: +([0-9.]+) ms");
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_DOUBLE_EQ(outcome->metrics[0].value(), 9.71);
}

// A tool that reports microseconds, read with --external_latency_unit=us.
TEST_F(ExternalRunnerTest, ScalesMicroseconds) {
  const std::string tool = Script("us_tool", "echo 'avg latency: 2500 us'\n");
  auto outcome = RunWith(tool + " {model}", "avg latency: ([0-9.]+) us", "us");
  ASSERT_TRUE(outcome.ok()) << outcome.status();
  EXPECT_DOUBLE_EQ(outcome->metrics[0].value(), 2.5);
}

// Non-zero exit: the task fails quoting the tool's last lines.
TEST_F(ExternalRunnerTest, FailsOnNonZeroExitQuotingTheOutput) {
  const std::string tool = Script(
      "failing", "echo '[I] parsing model'\necho '[E] Error[4]: unsupported op Foo' >&2\nexit 1\n");
  auto outcome = RunWith(tool + " {model}", "mean = ([0-9.]+) ms");
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(outcome.status().message(), HasSubstr("exited with code 1"));
  EXPECT_THAT(outcome.status().message(),
              HasSubstr("[I] parsing model | [E] Error[4]: unsupported op Foo"));
}

// Killed by a signal: said so.
TEST_F(ExternalRunnerTest, FailsWhenTheToolIsKilledBySignal) {
  const std::string tool = Script("crashing", "echo about to crash\nkill -SEGV $$\n");
  auto outcome = RunWith(tool + " {model}", "mean = ([0-9.]+) ms");
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kInternal);
  EXPECT_THAT(outcome.status().message(), HasSubstr("killed by signal 11"));
}

// Exit 0 but no latency line, or a value that is not a number: fails,
// quoting the output, never a made-up number.
TEST_F(ExternalRunnerTest, FailsWhenTheOutputHasNoParsableLatency) {
  const std::string quiet = Script("quiet", "echo 'done, 42 iterations'\n");
  auto outcome = RunWith(quiet + " {model}", "mean = ([0-9.]+) ms");
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(outcome.status().message(), HasSubstr("no line of the output matches"));
  EXPECT_THAT(outcome.status().message(), HasSubstr("done, 42 iterations"));

  const std::string garbled = Script("garbled", "echo 'mean = -nan ms'\n");
  outcome = RunWith(garbled + " {model}", "mean = (\\S+) ms");
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_THAT(outcome.status().message(), HasSubstr("captured \"-nan\""));
}

// A tool that hangs is killed at the timeout (its children too).
TEST_F(ExternalRunnerTest, KillsAToolThatRunsPastTheTimeout) {
  const std::string tool = Script("hanging", "echo warming up\nsleep 60 &\nwait\n");
  auto outcome = RunWith(tool + " {model}", "mean = ([0-9.]+) ms", "ms", /*timeout_s=*/1);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_THAT(outcome.status().message(), HasSubstr("--external_timeout_s"));
  EXPECT_THAT(outcome.status().message(), HasSubstr("warming up"));
}

// Cancellation stops the tool.
TEST_F(ExternalRunnerTest, StopsWhenCancelled) {
  const std::string tool = Script("slow", "sleep 60\n");
  std::atomic<bool> cancel{true};
  auto outcome = RunWith(tool + " {model}", "mean = ([0-9.]+) ms", "ms", 60, &cancel);
  EXPECT_EQ(outcome.status().code(), absl::StatusCode::kCancelled);
}

// A bad architecture is the task's fault: INVALID_ARGUMENT (not retried),
// and the tool never runs.
TEST_F(ExternalRunnerTest, RefusesABadArchitectureWithoutRunningTheTool) {
  const std::string marker = dir_ + "/ran";
  const std::string tool = Script("marker", "touch " + marker + "\n");
  ExternalRunnerOptions o;
  o.command = tool + " {model}";
  o.latency_pattern = "mean = ([0-9.]+) ms";
  o.name = "faketool";
  o.temp_root = dir_;
  auto runner = ExternalRunner::Create(o);
  ASSERT_TRUE(runner.ok()) << runner.status();
  v1::Task task = TinyTask();
  task.set_arch("|bogus~0|");
  EXPECT_EQ((*runner)->Run(task, nullptr).status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_FALSE(fs::exists(marker));
}

TEST(RunExternalCommand, ReportsAMissingProgramAsNotFound) {
  auto run = RunExternalCommand({"/nonexistent/tool"}, "", absl::Seconds(5), nullptr);
  EXPECT_EQ(run.status().code(), absl::StatusCode::kNotFound);
  auto ok = RunExternalCommand({"sh", "-c", "echo out; echo err >&2; exit 7"}, "",
                               absl::Seconds(5), nullptr);
  ASSERT_TRUE(ok.ok()) << ok.status();
  EXPECT_EQ(ok->exit_code, 7);
  EXPECT_THAT(ok->output, HasSubstr("out"));
  EXPECT_THAT(ok->output, HasSubstr("err"));
  auto tail = RunExternalCommand({"sh", "-c", "seq 1 100000"}, "", absl::Seconds(20), nullptr,
                                 /*max_output=*/64);
  ASSERT_TRUE(tail.ok());
  EXPECT_TRUE(tail->truncated);
  EXPECT_LE(tail->output.size(), 64u);
  EXPECT_THAT(tail->output, HasSubstr("100000"));
}

}  // namespace
}  // namespace edgenas
