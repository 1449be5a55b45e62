// Turns SIGINT and SIGTERM into a callback on a dedicated thread, so that
// `edgenas local` can cancel its RPCs and stop its child processes in order
// instead of dying with them still running.
#ifndef EDGENAS_CLI_INTERRUPT_WATCHER_H_
#define EDGENAS_CLI_INTERRUPT_WATCHER_H_

#include <signal.h>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>

#include "absl/status/statusor.h"

namespace edgenas {

class InterruptWatcher {
 public:
  // Blocks SIGINT and SIGTERM in the calling thread (threads created later
  // inherit that) and calls `on_signal(signo)` on a watcher thread for each
  // one received. Call before any other thread starts (gRPC's included), or
  // a signal may still reach a thread that has it unblocked.
  static absl::StatusOr<std::unique_ptr<InterruptWatcher>> Start(
      std::function<void(int signo)> on_signal);

  InterruptWatcher(const InterruptWatcher&) = delete;
  InterruptWatcher& operator=(const InterruptWatcher&) = delete;
  // Stops the watcher thread and restores the previous signal mask.
  ~InterruptWatcher();

  // How many signals have arrived so far.
  int count() const { return count_.load(); }

 private:
  InterruptWatcher(int signal_fd, int stop_fd, sigset_t old_mask,
                   std::function<void(int)> on_signal);
  void Run();

  const int signal_fd_;
  const int stop_fd_;
  const sigset_t old_mask_;
  const std::function<void(int)> on_signal_;
  std::atomic<int> count_{0};
  std::thread thread_;
};

}  // namespace edgenas

#endif  // EDGENAS_CLI_INTERRUPT_WATCHER_H_
