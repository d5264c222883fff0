// Measurements of this host's kernel, one function each (used by `scxsim calibrate`). Each returns
// raw nanosecond figures of one repetition; calibrate.cc repeats them and derives the costs.
// The threads they start are pinned to the given CPUs; a thread that should preempt asks for
// SCHED_FIFO and falls back to SCHED_OTHER (with 1 ns of timer slack) when that is refused.
#pragma once

#include <vector>

namespace scx::calib {

// CLOCK_MONOTONIC in nanoseconds.
long long now_ns();

// The CPUs this process may run on, in order.
std::vector<int> allowed_cpus();

// Mean cost of one trivial system call (getppid through syscall(2), not cached by libc).
double syscall_ns(int calls);

// Mean cost of one non-blocking write() and one read() of `bytes` bytes: `batch` writes into an
// empty channel, then `batch` reads, timed separately, on one thread.
struct MessageCost {
  double write_ns = 0;
  double read_ns = 0;
};
MessageCost pipe_message(int bytes, int batch);
MessageCost socket_message(int bytes, int batch);  // socketpair(AF_UNIX, SOCK_STREAM)

// Half of the mean round trip of a 1-byte ping-pong over two pipes between two threads (or, with
// `processes`, two processes: an mm switch too) pinned to `cpu`: one write, one blocking read,
// one wake-up and one context switch.
double pingpong_half_ns(int cpu, int rounds, bool processes);

// Timer wake-ups as cyclictest does them: a thread pinned to `cpu` sleeps to absolute times
// `interval_ns` apart (clock_nanosleep TIMER_ABSTIME) and records how late it woke, `samples`
// times. With `busy`, a spinning SCHED_OTHER thread holds the same CPU (the wakee preempts it).
// With `traced`, it also receives the kernel's sched_waking -> sched_switch intervals of the
// sleeping thread (sched_trace.h; left empty when tracefs cannot be used).
std::vector<double> timer_overshoot_ns(int cpu, int samples, long long interval_ns, bool busy,
                                       std::vector<double>* traced = nullptr);

// Wake-ups through a pipe: a thread on `from_cpu` writes its clock to a pipe that a thread blocked
// in read() on `to_cpu` receives; each sample is read-return minus write-start. With `busy`, a
// spinning thread holds `to_cpu` (a resched IPI), else it idles (IPI from idle). When both CPUs
// are the same, the writer is SCHED_OTHER and the SCHED_FIFO reader preempts it on return from
// write(); `traced` as for timer_overshoot_ns. `write_ns` receives how long each waking write()
// took the writer (with a remote busy reader: the resched IPI's cost to the sender).
std::vector<double> pipe_wake_ns(int from_cpu, int to_cpu, int samples, bool busy,
                                 std::vector<double>* traced = nullptr, std::vector<double>* write_ns = nullptr);

}  // namespace scx::calib
