// Turns SIGTERM / SIGINT into a clean stop: the signals are blocked in every
// thread and a dedicated thread waits for them with sigwait, so no work is
// done in an async signal handler. Used by the worker and agent binaries.
#ifndef EDGENAS_EXECUTOR_SIGNAL_STOP_H_
#define EDGENAS_EXECUTOR_SIGNAL_STOP_H_

#include <atomic>
#include <functional>
#include <thread>

#include "absl/status/status.h"

namespace edgenas {

// Blocks SIGTERM and SIGINT in the calling thread; threads created afterwards
// inherit the mask. Call first thing in main, before any thread exists.
absl::Status BlockTerminationSignals();

// Waits for SIGTERM / SIGINT on its own thread. The first signal calls
// `on_stop`; a second one ends the process at once (exit code 128 + signal).
// Requires BlockTerminationSignals() to have run in the creating thread.
class SignalStopper {
 public:
  explicit SignalStopper(std::function<void()> on_stop);
  // Ends the waiting thread (without calling on_stop) and joins it.
  ~SignalStopper();
  SignalStopper(const SignalStopper&) = delete;
  SignalStopper& operator=(const SignalStopper&) = delete;

  // The signal that triggered on_stop, or 0.
  int received_signal() const { return received_.load(); }

 private:
  void Wait();

  std::function<void()> on_stop_;
  std::atomic<bool> done_{false};
  std::atomic<int> received_{0};
  std::thread thread_;
};

}  // namespace edgenas

#endif  // EDGENAS_EXECUTOR_SIGNAL_STOP_H_
