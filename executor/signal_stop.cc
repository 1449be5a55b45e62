#include "executor/signal_stop.h"

#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/str_cat.h"
#include "common/logging.h"

namespace edgenas {
namespace {

sigset_t TerminationSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

absl::Status BlockTerminationSignals() {
  const sigset_t set = TerminationSignals();
  const int rc = pthread_sigmask(SIG_BLOCK, &set, nullptr);
  if (rc != 0) {
    return absl::InternalError(absl::StrCat("pthread_sigmask: ", std::strerror(rc)));
  }
  return absl::OkStatus();
}

SignalStopper::SignalStopper(std::function<void()> on_stop)
    : on_stop_(std::move(on_stop)), thread_([this] { Wait(); }) {}

SignalStopper::~SignalStopper() {
  done_.store(true);
  // Wakes sigwait; the thread sees done_ and returns without acting.
  pthread_kill(thread_.native_handle(), SIGTERM);
  thread_.join();
}

void SignalStopper::Wait() {
  const sigset_t set = TerminationSignals();
  while (true) {
    int sig = 0;
    if (sigwait(&set, &sig) != 0) continue;
    if (done_.load()) return;
    if (received_.load() != 0) {
      EDGENAS_LOG(kWarning, "signal", "second signal ", sig, "; exiting now");
      std::_Exit(128 + sig);
    }
    received_.store(sig);
    EDGENAS_LOG(kInfo, "signal", "received signal ", sig, "; stopping");
    on_stop_();
  }
}

}  // namespace edgenas
