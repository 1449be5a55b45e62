#include "device_agent/energy/energy_tegrastats.h"

#include <algorithm>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace edgenas {
namespace {

bool IsRailName(absl::string_view s) {
  if (s.empty() || !absl::ascii_isalpha(s[0])) return false;
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_isalnum(c) || c == '_'; });
}

// "<N>mW/<M>mW" or "<N>/<M>" -> N (milliwatts); false for anything else.
bool ParsePowerPair(absl::string_view s, int64_t* mw) {
  const std::pair<absl::string_view, absl::string_view> parts = absl::StrSplit(s, '/');
  absl::string_view now = parts.first;
  absl::string_view avg = parts.second;
  if (avg.empty()) return false;
  const bool now_mw = absl::ConsumeSuffix(&now, "mW");
  const bool avg_mw = absl::ConsumeSuffix(&avg, "mW");
  if (now_mw != avg_mw) return false;
  const auto digits = [](absl::string_view d) {
    return !d.empty() && std::all_of(d.begin(), d.end(), absl::ascii_isdigit);
  };
  return digits(now) && digits(avg) && absl::SimpleAtoi(now, mw);
}

}  // namespace

std::vector<RailPower> ParseTegrastatsLine(absl::string_view line) {
  const std::vector<absl::string_view> tokens =
      absl::StrSplit(line, absl::ByAnyChar(" \t\r"), absl::SkipEmpty());
  std::vector<RailPower> rails;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) {
    int64_t mw = 0;
    if (IsRailName(tokens[i]) && ParsePowerPair(tokens[i + 1], &mw)) {
      rails.push_back(RailPower{std::string(tokens[i]), static_cast<double>(mw) * 1000.0});
      ++i;
    }
  }
  return rails;
}

TegrastatsMeter::TegrastatsMeter(TegrastatsOptions options)
    : path_(std::move(options.path)),
      interval_ms_(options.interval_ms),
      requested_(std::move(options.rails)),
      now_ns_(options.now_ns ? std::move(options.now_ns) : NowNsFn(SteadyNowNs)) {}

absl::StatusOr<std::unique_ptr<TegrastatsMeter>> TegrastatsMeter::Start(
    TegrastatsOptions options) {
  if (options.interval_ms < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("tegrastats interval: must be >= 1 ms, got ", options.interval_ms));
  }
  const absl::Duration timeout = options.first_line_timeout;
  std::unique_ptr<TegrastatsMeter> meter(new TegrastatsMeter(std::move(options)));
  TegrastatsMeter* m = meter.get();
  absl::StatusOr<std::unique_ptr<LineStreamChild>> child = LineStreamChild::Start(
      {m->path_, "--interval", absl::StrCat(m->interval_ms_)},
      [m](absl::string_view line) { m->OnLine(line); }, [m] { m->OnExit(); });
  if (!child.ok()) return child.status();
  meter->child_ = *std::move(child);

  absl::MutexLock lock(&m->mu_);
  const auto started = [m]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(m->mu_) {
    return m->integrator_.samples() > 0 || !m->select_error_.ok() || m->exited_;
  };
  m->mu_.AwaitWithTimeout(absl::Condition(&started), timeout);
  if (!m->select_error_.ok()) return m->select_error_;
  if (m->integrator_.samples() > 0) return std::move(meter);
  const std::string last = m->last_other_line_.empty()
                               ? "no output"
                               : absl::StrCat("last line: \"", m->last_other_line_.substr(0, 200),
                                              "\"");
  return absl::UnavailableError(absl::StrCat(
      m->path_, m->exited_ ? " exited" : absl::StrCat(" printed no power rails within ",
                                                      absl::FormatDuration(timeout)),
      " (", last, ")"));
}

TegrastatsMeter::~TegrastatsMeter() { child_.reset(); }

void TegrastatsMeter::OnLine(absl::string_view line) {
  const std::vector<RailPower> parsed = ParseTegrastatsLine(line);
  absl::MutexLock lock(&mu_);
  if (!select_error_.ok()) return;
  if (rails_.empty() && !parsed.empty()) {
    std::vector<std::string> names;
    for (const RailPower& r : parsed) names.push_back(r.name);
    absl::StatusOr<std::vector<size_t>> chosen = SelectRails(names, requested_);
    if (!chosen.ok()) {
      select_error_ = absl::Status(chosen.status().code(),
                                   absl::StrCat("tegrastats: ", chosen.status().message()));
      return;
    }
    for (size_t i : *chosen) rails_.push_back(names[i]);
  }
  double uw = 0;
  size_t found = 0;
  for (const std::string& rail : rails_) {
    for (const RailPower& r : parsed) {
      if (r.name == rail) {
        uw += r.microwatts;
        ++found;
        break;
      }
    }
  }
  if (rails_.empty() || found != rails_.size()) {
    last_other_line_ = std::string(line.substr(0, 1024));
    return;
  }
  integrator_.Add(now_ns_(), uw);
}

void TegrastatsMeter::OnExit() {
  absl::MutexLock lock(&mu_);
  exited_ = true;
}

std::string TegrastatsMeter::Name() const {
  absl::MutexLock lock(&mu_);
  return absl::StrCat("tegrastats(", DescribeRails(rails_), ")");
}

absl::StatusOr<uint64_t> TegrastatsMeter::Read() {
  absl::MutexLock lock(&mu_);
  if (exited_) {
    return absl::UnavailableError(
        absl::StrCat(path_, " exited", last_other_line_.empty() ? "" : ": ",
                     last_other_line_.substr(0, 200)));
  }
  const double total = integrator_.TotalUj();
  return total <= 0 ? uint64_t{0} : static_cast<uint64_t>(total);
}

bool TegrastatsMeter::WaitForSamples(int64_t n, absl::Duration timeout) {
  absl::MutexLock lock(&mu_);
  const auto done = [this, n]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    return integrator_.samples() >= n || exited_;
  };
  mu_.AwaitWithTimeout(absl::Condition(&done), timeout);
  return integrator_.samples() >= n;
}

}  // namespace edgenas
