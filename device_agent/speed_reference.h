// Speed normalisation against a reference kernel, for shared or noisy hosts.
//
// On a virtual machine the host's other tenants change how fast this vCPU
// runs (another VM on the SMT sibling, shared cache and memory bandwidth)
// for seconds to minutes at a time, and the guest cannot see it: no steal
// time, no load. A latency measured during such an episode is precise (a
// tight CI) but 5-100% slower than the same candidate measured a minute
// later. The agent's --speed_reference option times a fixed reference
// kernel (ReLU-Conv3x3-BN, 16 channels, batch 1, at the task's image size:
// the dominant operator of the cell networks, on the same working-set size
// as the candidate) before the first block of every measurement and after
// each block, and scales each block's runs by baseline / (the reference's
// time around that block), where the baseline is the reference's
// quiet-machine time: calibrated once per image size and thread count when
// the agent first needs it (the fastest of three spaced rounds) and merged
// with the fastest calibration on record for this kernel, thread count and
// CPU model in a small file (so that an agent started during a slow spell
// still reports at the machine's quiet speed, and two runs on the same
// machine share a scale); see LatencyOptions::reference_baseline_ms. The
// kernel's name carries its shape and keys the record, so calibrations of
// different image sizes never stand in for each other, and entries written
// before the kernel followed the task (at the default dataset's size, under
// the same name) still serve tasks of that size. The value reported is then
// "the latency at this agent's reference speed"; the method line says so and
// gives the raw median, the reference's time during the measurement and
// the baseline, so the raw figure is never lost.
//
// The scaling is exact only for slowdowns that hit the candidate and the
// reference alike; it is off by default and meant for shared machines,
// never for a dedicated board.
#ifndef EDGENAS_DEVICE_AGENT_SPEED_REFERENCE_H_
#define EDGENAS_DEVICE_AGENT_SPEED_REFERENCE_H_

#include <atomic>
#include <map>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "device_agent/latency.h"

namespace edgenas {

// How a measurement was normalised, for its method line (kept short: the
// whole line must fit kMaxMetricMethodChars): "normalised block by block to
// the reference speed: raw median R ms -> M ms (<kernel>: X ms now, Y ms
// baseline)".
std::string DescribeSpeedNormalization(double raw_median_ms, double normalised_median_ms,
                                       double reference_ms, double baseline_ms,
                                       const std::string& kernel);

// The reference kernel and its calibrated baselines. Not thread-safe: the
// agent measures one task at a time. LibTorch stays in the .cc.
class SpeedReference {
 public:
  // Builds the kernel (weights and input fixed by seed 0) for `height` x
  // `width` inputs (0: the default dataset's image size). `record_path`
  // ("" = none) is the file of fastest calibrations (lines
  // "<kernel>\t<threads>\t<machine>\t<baseline ms>", the kernel being
  // name()), `machine` the CPU model they are kept for. INVALID_ARGUMENT for
  // a size out of range.
  static absl::StatusOr<std::unique_ptr<SpeedReference>> Create(
      const std::string& record_path = "", const std::string& machine = "", int height = 0,
      int width = 0);
  ~SpeedReference();

  // Short name for method lines and the record's key, with the kernel's
  // shape, e.g. "relu-conv3x3-bn 16ch 32x32".
  const std::string& name() const { return name_; }

  // One forward pass with the current intra-op thread count (the caller
  // sets it and the no-grad mode).
  absl::Status RunOnce();

  // The baseline for `threads` intra-op threads: calibrated on first use
  // (three rounds of MeasureLatency with `options`' stopping rule, 300 ms
  // apart, the fastest round's median kept), then the lower of that and the
  // record's entry; a faster calibration is written back (temporary file and
  // rename; a record that cannot be read or written is ignored, and
  // baseline_note() says so). Remembered for the process. The caller has
  // already set the thread count. CANCELLED when *cancel turns true.
  absl::StatusOr<double> BaselineMs(int threads, const LatencyOptions& options,
                                    const std::atomic<bool>* cancel);

  // Where the last baseline came from, short, for method lines: "calibrated
  // now", "calibrated now, fastest on record", "fastest on record (now X
  // ms)" or "calibrated now (record not kept)" (record_error() says why).
  const std::string& baseline_note() const { return baseline_note_; }
  const std::string& record_error() const { return record_error_; }
  const std::string& record_path() const { return record_path_; }

 private:
  struct Impl;
  SpeedReference(std::unique_ptr<Impl> impl, std::string record_path, std::string machine);
  std::unique_ptr<Impl> impl_;
  std::string name_;
  std::string record_path_;
  std::string machine_;
  std::string baseline_note_;
  std::string record_error_;
  std::map<int, double> baselines_;
};

// The fastest-calibration record: reads `path`'s entry for (kernel,
// threads, machine); NOT_FOUND when there is none or no file.
absl::StatusOr<double> ReadSpeedRecord(const std::string& path, const std::string& kernel,
                                       int threads, const std::string& machine);

// Sets that entry to `baseline_ms` (other entries kept), creating the file
// and its folder when needed; written to a temporary file and renamed.
absl::Status WriteSpeedRecord(const std::string& path, const std::string& kernel, int threads,
                              const std::string& machine, double baseline_ms);

}  // namespace edgenas

#endif  // EDGENAS_DEVICE_AGENT_SPEED_REFERENCE_H_
