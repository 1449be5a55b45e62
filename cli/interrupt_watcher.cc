// signalfd + eventfd: the watcher thread sleeps in poll() until a signal
// arrives or the destructor asks it to stop.
#include "cli/interrupt_watcher.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace edgenas {

absl::StatusOr<std::unique_ptr<InterruptWatcher>> InterruptWatcher::Start(
    std::function<void(int signo)> on_signal) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigset_t old_mask;
  if (const int error = pthread_sigmask(SIG_BLOCK, &set, &old_mask); error != 0) {
    return absl::InternalError(absl::StrCat("pthread_sigmask: ", std::strerror(error)));
  }
  const int signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
  const int stop_fd = eventfd(0, EFD_CLOEXEC);
  if (signal_fd < 0 || stop_fd < 0) {
    const int error = errno;
    if (signal_fd >= 0) close(signal_fd);
    if (stop_fd >= 0) close(stop_fd);
    pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
    return absl::InternalError(absl::StrCat("signalfd/eventfd: ", std::strerror(error)));
  }
  return std::unique_ptr<InterruptWatcher>(
      new InterruptWatcher(signal_fd, stop_fd, old_mask, std::move(on_signal)));
}

InterruptWatcher::InterruptWatcher(int signal_fd, int stop_fd, sigset_t old_mask,
                                   std::function<void(int)> on_signal)
    : signal_fd_(signal_fd), stop_fd_(stop_fd), old_mask_(old_mask),
      on_signal_(std::move(on_signal)) {
  thread_ = std::thread([this] { Run(); });
}

InterruptWatcher::~InterruptWatcher() {
  const uint64_t one = 1;
  ssize_t ignored = write(stop_fd_, &one, sizeof(one));
  (void)ignored;
  thread_.join();
  close(signal_fd_);
  close(stop_fd_);
  pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
}

void InterruptWatcher::Run() {
  while (true) {
    struct pollfd fds[2] = {{signal_fd_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[1].revents != 0) return;
    if (fds[0].revents != 0) {
      struct signalfd_siginfo info;
      if (read(signal_fd_, &info, sizeof(info)) == static_cast<ssize_t>(sizeof(info))) {
        count_.fetch_add(1);
        on_signal_(static_cast<int>(info.ssi_signo));
      }
    }
  }
}

}  // namespace edgenas
