#include "calibrate/probes.h"

#include "calibrate/sched_trace.h"

#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

namespace scx::calib {
namespace {

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error(what + ": " + std::strerror(errno));
}

void pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) fail("sched_setaffinity(cpu " + std::to_string(cpu) + ")");
}

// SCHED_FIFO 50 for the calling thread, so that other load on the host does not run in the middle
// of a measurement and a wakee always preempts a SCHED_OTHER spinner; else 1 ns of timer slack.
void prefer_fifo() {
  sched_param sp{};
  sp.sched_priority = 50;
  if (sched_setscheduler(0, SCHED_FIFO, &sp) != 0) prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);
}

struct Channel {
  int fd[2] = {-1, -1};
  Channel(bool socket) {
    const int rc = socket ? socketpair(AF_UNIX, SOCK_STREAM, 0, fd) : pipe(fd);
    if (rc != 0) fail(socket ? "socketpair" : "pipe");
  }
  ~Channel() {
    close(fd[0]);
    close(fd[1]);
  }
  Channel(const Channel&) = delete;
  Channel& operator=(const Channel&) = delete;
};

void write_all(int fd, const void* buf, size_t n) {
  if (write(fd, buf, n) != static_cast<ssize_t>(n)) fail("write");
}
void read_all(int fd, void* buf, size_t n) {
  if (read(fd, buf, n) != static_cast<ssize_t>(n)) fail("read");
}

// A SCHED_OTHER thread spinning on one CPU while it lives.
class Spinner {
 public:
  explicit Spinner(int cpu) : thread_([this, cpu] {
    pin_self(cpu);
    while (!stop_.load(std::memory_order_relaxed)) {}
  }) {}
  ~Spinner() {
    stop_ = true;
    thread_.join();
  }

 private:
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

// Runs fn on a new thread and rethrows what it threw.
template <typename Fn>
void on_thread(Fn fn) {
  std::exception_ptr error;
  std::thread t([&] {
    try {
      fn();
    } catch (...) {
      error = std::current_exception();
    }
  });
  t.join();
  if (error) std::rethrow_exception(error);
}

timespec to_timespec(long long ns) {
  return timespec{static_cast<time_t>(ns / 1000000000LL), static_cast<long>(ns % 1000000000LL)};
}

// The echo side of a ping-pong: returns each byte until it reads 'q'.
void echo_loop(int in, int out, int cpu) {
  pin_self(cpu);
  prefer_fifo();
  char c = 0;
  for (;;) {
    read_all(in, &c, 1);
    if (c == 'q') return;
    write_all(out, &c, 1);
  }
}

MessageCost message(bool socket, int bytes, int batch) {
  MessageCost out;
  on_thread([&] {
    pin_self(allowed_cpus().front());
    prefer_fifo();
    Channel ch(socket);
    std::string buf(static_cast<size_t>(bytes), 'x');
    for (int round = 0; round < 2; ++round) {  // the first round warms up
      const long long t0 = now_ns();
      for (int i = 0; i < batch; ++i) write_all(ch.fd[1], buf.data(), buf.size());
      const long long t1 = now_ns();
      for (int i = 0; i < batch; ++i) read_all(ch.fd[0], buf.data(), buf.size());
      const long long t2 = now_ns();
      out = {static_cast<double>(t1 - t0) / batch, static_cast<double>(t2 - t1) / batch};
    }
  });
  return out;
}

}  // namespace

long long now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<long long>(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::vector<int> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) fail("sched_getaffinity");
  std::vector<int> out;
  for (int c = 0; c < CPU_SETSIZE; ++c)
    if (CPU_ISSET(c, &set)) out.push_back(c);
  return out;
}

double syscall_ns(int calls) {
  double out = 0;
  on_thread([&] {
    pin_self(allowed_cpus().front());
    prefer_fifo();
    for (int round = 0; round < 2; ++round) {
      const long long t0 = now_ns();
      for (int i = 0; i < calls; ++i) syscall(SYS_getppid);
      out = static_cast<double>(now_ns() - t0) / calls;
    }
  });
  return out;
}

MessageCost pipe_message(int bytes, int batch) { return message(false, bytes, batch); }
MessageCost socket_message(int bytes, int batch) { return message(true, bytes, batch); }

double pingpong_half_ns(int cpu, int rounds, bool processes) {
  Channel ping(false), pong(false);
  double out = 0;
  std::exception_ptr echo_error;
  std::thread echo;
  pid_t child = -1;
  if (processes) {
    child = fork();
    if (child < 0) fail("fork");
    if (child == 0) {
      try {
        echo_loop(ping.fd[0], pong.fd[1], cpu);
      } catch (...) {
        _exit(1);
      }
      _exit(0);
    }
  } else {
    echo = std::thread([&] {
      try {
        echo_loop(ping.fd[0], pong.fd[1], cpu);
      } catch (...) {
        echo_error = std::current_exception();
      }
    });
  }
  std::exception_ptr error;
  std::thread driver([&] {
    try {
      pin_self(cpu);
      prefer_fifo();
      char c = 'p';
      const int warmup = rounds / 10 + 1;
      long long t0 = 0;
      for (int i = 0; i < warmup + rounds; ++i) {
        if (i == warmup) t0 = now_ns();
        write_all(ping.fd[1], &c, 1);
        read_all(pong.fd[0], &c, 1);
      }
      out = static_cast<double>(now_ns() - t0) / rounds / 2;
    } catch (...) {
      error = std::current_exception();
    }
    const char q = 'q';
    if (write(ping.fd[1], &q, 1) != 1) {}
  });
  driver.join();
  if (echo.joinable()) echo.join();
  if (child > 0) waitpid(child, nullptr, 0);
  if (error) std::rethrow_exception(error);
  if (echo_error) std::rethrow_exception(echo_error);
  return out;
}

std::vector<double> timer_overshoot_ns(int cpu, int samples, long long interval_ns, bool busy,
                                       std::vector<double>* traced) {
  std::vector<double> out;
  out.reserve(static_cast<size_t>(samples));
  std::unique_ptr<Spinner> spinner;
  if (busy) spinner = std::make_unique<Spinner>(cpu);
  on_thread([&] {
    pin_self(cpu);
    prefer_fifo();
    auto trace = traced ? SchedTrace::open(gettid()) : nullptr;
    long long next = now_ns() + interval_ns;
    const int warmup = 5;
    for (int i = 0; i < warmup + samples; ++i, next += interval_ns) {
      const timespec ts = to_timespec(next);
      while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr) == EINTR) {}
      const long long late = now_ns() - next;
      if (i >= warmup) out.push_back(static_cast<double>(late));
    }
    if (trace) *traced = trace->waking_to_switch_ns();
  });
  return out;
}

std::vector<double> pipe_wake_ns(int from_cpu, int to_cpu, int samples, bool busy, std::vector<double>* traced,
                                 std::vector<double>* write_ns) {
  const int warmup = 5;
  std::vector<double> out;
  out.reserve(static_cast<size_t>(samples));
  Channel ch(false);
  std::unique_ptr<Spinner> spinner;
  if (busy) spinner = std::make_unique<Spinner>(to_cpu);
  std::exception_ptr sleeper_error;
  std::atomic<bool> ready{false};  // the sleeper is set up (tracing on): the waker may start
  std::thread sleeper([&] {
    try {
      pin_self(to_cpu);
      prefer_fifo();
      auto trace = traced ? SchedTrace::open(gettid()) : nullptr;
      ready = true;
      for (int i = 0;; ++i) {
        long long sent = 0;
        read_all(ch.fd[0], &sent, sizeof sent);
        const long long got = now_ns();
        if (sent < 0) break;
        if (i >= warmup) out.push_back(static_cast<double>(got - sent));
      }
      if (trace) *traced = trace->waking_to_switch_ns();
    } catch (...) {
      sleeper_error = std::current_exception();
      ready = true;
    }
  });
  std::exception_ptr error;
  std::thread waker([&] {
    try {
      pin_self(from_cpu);
      if (from_cpu != to_cpu) prefer_fifo();
      const timespec gap = to_timespec(200000);  // lets the sleeper block and its CPU settle
      while (!ready) nanosleep(&gap, nullptr);
      for (int i = 0; i < warmup + samples; ++i) {
        nanosleep(&gap, nullptr);
        const long long t = now_ns();
        write_all(ch.fd[1], &t, sizeof t);
        if (write_ns && i >= warmup) write_ns->push_back(static_cast<double>(now_ns() - t));
      }
    } catch (...) {
      error = std::current_exception();
    }
    const long long stop = -1;
    if (write(ch.fd[1], &stop, sizeof stop) != sizeof stop) {}
  });
  waker.join();
  sleeper.join();
  if (error) std::rethrow_exception(error);
  if (sleeper_error) std::rethrow_exception(sleeper_error);
  return out;
}

}  // namespace scx::calib
