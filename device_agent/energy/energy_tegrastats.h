// Jetson power from `tegrastats --interval <ms>`: a child process prints one
// line per interval with each rail's instantaneous and average power; the
// chosen rails' instantaneous power is integrated (trapezoid) into energy.
// Both line formats are understood:
//   JetPack 5/6: "... VDD_IN 5012mW/4980mW VDD_CPU_GPU_CV 1234mW/1200mW ..."
//   JetPack 4:   "... POM_5V_IN 3456/3410 POM_5V_GPU 0/0 POM_5V_CPU 531/520"
#ifndef EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_TEGRASTATS_H_
#define EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_TEGRASTATS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "device_agent/energy/energy_meter.h"
#include "device_agent/energy/energy_power.h"
#include "device_agent/energy/energy_process.h"
#include "device_agent/energy/energy_rails.h"

namespace edgenas {

// The rails in one tegrastats line, in order, with their instantaneous
// power: every "<NAME> <N>mW/<M>mW" or "<NAME> <N>/<M>" pair (memory fields
// such as "RAM 2200/7620MB" carry a unit and are not rails). Empty when the
// line has none.
std::vector<RailPower> ParseTegrastatsLine(absl::string_view line);

struct TegrastatsOptions {
  std::string path = "/usr/bin/tegrastats";
  int interval_ms = 100;          // tegrastats --interval, >= 1
  std::vector<std::string> rails;  // empty: see SelectRails
  NowNsFn now_ns;                  // time of each line; empty: SteadyNowNs
  absl::Duration first_line_timeout = absl::Seconds(5);
};

class TegrastatsMeter : public EnergyMeter {
 public:
  // Starts tegrastats and waits for its first line with power rails.
  // NOT_FOUND when it cannot be started; UNAVAILABLE when it exits or prints
  // no rails within first_line_timeout (with its last line); INVALID_ARGUMENT
  // for a requested rail it does not print.
  static absl::StatusOr<std::unique_ptr<TegrastatsMeter>> Start(TegrastatsOptions options);
  ~TegrastatsMeter() override;

  std::string Name() const override;
  // Energy integrated up to the latest line (lines come every interval_ms,
  // hence MinWindowMs); UNAVAILABLE once tegrastats has exited.
  absl::StatusOr<uint64_t> Read() override;
  int MinWindowMs() const override { return 20 * interval_ms_; }

  // Waits until at least `n` lines were integrated; false on timeout or exit.
  bool WaitForSamples(int64_t n, absl::Duration timeout);

 private:
  explicit TegrastatsMeter(TegrastatsOptions options);
  void OnLine(absl::string_view line);
  void OnExit();

  const std::string path_;
  const int interval_ms_;
  const std::vector<std::string> requested_;
  const NowNsFn now_ns_;
  mutable absl::Mutex mu_;
  std::vector<std::string> rails_ ABSL_GUARDED_BY(mu_);  // chosen at the first line
  absl::Status select_error_ ABSL_GUARDED_BY(mu_);
  PowerIntegrator integrator_ ABSL_GUARDED_BY(mu_);
  std::string last_other_line_ ABSL_GUARDED_BY(mu_);  // last line without the rails
  bool exited_ ABSL_GUARDED_BY(mu_) = false;
  std::unique_ptr<LineStreamChild> child_;  // last: stopped before the rest goes
};

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_ENERGY_ENERGY_TEGRASTATS_H_
