#include "validate/rtapp_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

namespace scx {
namespace {

// The child: waits for the go byte, then becomes rt-app. Only async-signal-safe calls.
[[noreturn]] void child(int go_fd, const std::string& rt_app, const std::string& workload, const std::string& workdir,
                        const std::string& log) {
  char c = 0;
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || ::read(go_fd, &c, 1) != 1) ::_exit(126);
  if (::chdir(workdir.c_str()) != 0) ::_exit(126);
  const int out = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (out < 0 || ::dup2(out, 1) < 0 || ::dup2(out, 2) < 0) ::_exit(126);
  ::execl(rt_app.c_str(), "rt-app", workload.c_str(), static_cast<char*>(nullptr));
  ::_exit(127);
}

// Waits for `pid` up to `limit`; -1000 when it is still running. `cpu_time` gets the CPU time
// (user + system) of the process and all its threads.
int wait_for(int pid, Ns limit, Ns* cpu_time) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::nanoseconds(limit);
  for (;;) {
    int status = 0;
    struct rusage ru {};
    const int r = ::wait4(pid, &status, WNOHANG, &ru);
    if (r == pid) {
      auto ns = [](const timeval& t) { return static_cast<Ns>(t.tv_sec) * kNsPerSec + static_cast<Ns>(t.tv_usec) * 1000; };
      *cpu_time = ns(ru.ru_utime) + ns(ru.ru_stime);
      return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
    }
    if (r < 0 && errno != EINTR) return -SIGKILL;
    if (std::chrono::steady_clock::now() > deadline) return -1000;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

Result<RtAppExit> run_rtapp(const std::string& rt_app, const std::string& workload, const std::string& workdir,
                            Ns time_limit, const std::function<Status(int pid)>& prepare) {
  int go[2];
  if (::pipe2(go, O_CLOEXEC) != 0) return Status::Errorf("validate", "pipe: {}", std::strerror(errno));
  const std::string log = workdir + "/rt-app.out";
  const pid_t pid = ::fork();
  if (pid < 0) return Status::Errorf("validate", "fork: {}", std::strerror(errno));
  if (pid == 0) {
    ::close(go[1]);
    child(go[0], rt_app, workload, workdir, log);
  }
  ::close(go[0]);
  Status st = prepare(pid);
  if (st.ok() && ::write(go[1], "g", 1) != 1) st = Status::Errorf("validate", "cannot start rt-app: {}", std::strerror(errno));
  ::close(go[1]);
  if (!st.ok()) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    return st;
  }
  RtAppExit out;
  out.pid = pid;
  out.status = wait_for(pid, time_limit, &out.cpu_time);
  if (out.status == -1000) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, nullptr, 0);
    out.timed_out = true;
  }
  out.output = slurp(log);
  return out;
}

}  // namespace scx
