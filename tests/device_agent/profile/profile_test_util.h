// Fast profiling settings for tests: a handful of runs per operator, no
// warm-up to speak of (nothing here asserts on time).
#ifndef EDGENAS_TESTS_DEVICE_AGENT_PROFILE_PROFILE_TEST_UTIL_H_
#define EDGENAS_TESTS_DEVICE_AGENT_PROFILE_PROFILE_TEST_UTIL_H_

#include "device_agent/profile/profile_ops.h"

namespace edgenas {

inline ProfileSettings FastProfileSettings() {
  ProfileSettings s;
  s.latency.warmup_ms = 1;
  s.latency.min_runs = 6;
  s.latency.max_runs = 12;
  s.latency.max_measure_ms = 200;
  s.latency.blocks = 1;
  s.latency.block_pause_ms = 0;
  s.latency.target_ci_rel = 0.5;
  s.latency.remeasure_unstable = false;
  return s;
}

}  // namespace edgenas

#endif  // EDGENAS_TESTS_DEVICE_AGENT_PROFILE_PROFILE_TEST_UTIL_H_
