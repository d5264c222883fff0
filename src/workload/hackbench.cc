// hackbench (rt-tests) / perf bench sched messaging as a behaviour program.
//
// What the real tools do (rt-tests src/hackbench/hackbench.c and perf's
// tools/perf/bench/sched-messaging.c, read for this model):
//  * main creates, per group, `fds` receivers (each with its own pipe or AF_UNIX stream
//    socketpair) and then `fds` senders; every sender of the group holds the write end of every
//    receiver's channel. Children are fork()ed processes, or pthreads with -T / --thread.
//  * each child writes one byte to a shared "ready" fd and poll()s a shared "wake" fd; main reads
//    one ready byte per child, takes the start time, writes the wake fd once (waking every
//    poller), then reaps the children (wait() for processes, pthread_join() in creation order
//    for threads) and takes the stop time: "Time: %lu.%03lu" (seconds, milliseconds truncated).
//  * a sender writes `loops` messages of `datasize` bytes to each receiver in turn
//    (for i < loops: for j < fds: write(out[j])); a receiver reads fds*loops messages of
//    `datasize` bytes from its channel; then each exits.
//  * rt-tests -F: main switches itself to SCHED_FIFO 1 after creating the groups.
//
// How it is simulated:
//  * main ("hackbench") Forks each child from its own template (threads with kForkThread, so
//    they share main's tgid; processes otherwise), receivers of a group first, then senders.
//  * ready = a semaphore main waits on once per child; wake = a semaphore main posts once per
//    child (same instant; the real wake fd wakes all pollers at once).
//  * reaping: processes post a shared "exited" semaphore just before exiting (wait() returns
//    for any child); threads post their own semaphore, which main waits on in creation order
//    (pthread_join). Marks "release" and "stop" are main's two gettimeofday() calls; the
//    figures sink reports stop - release.
//  * the CPU cost of the system calls: each write() is Run(write_cost) before the data becomes
//    visible, each read() Run(read_cost) after the data is taken. Defaults: the cost model's
//    pipe_write/pipe_read or socket_write/socket_read (a non-blocking 100-byte write()/read(),
//    measured by `scxsim calibrate`); everything else, e.g. context switches and wake-up IPIs,
//    comes from the cost model too.
//  * pipes: a pipe of 65536 bytes (16 pages), each message `datasize` bytes.
//  * sockets: modelled as a pipe whose capacity is the writer socket's send buffer (212992 =
//    net.core.wmem_default) and where each message is charged its skb's truesize (see
//    hackbench_socket_charge). Unix stream sockets wake the reader on data (sock_def_readable)
//    and writers on freed space (unix_write_space) with sync wake-ups, like pipes, except that
//    unix_write_space() wakes every waiting writer and only once the send buffer is at most a
//    quarter full (unix_writable()), where pipe_read() wakes one writer as soon as there is
//    room (PipeSpec::wake_all_writers_at). Not modelled: pipe page merging.
#include <algorithm>

#include <fmt/format.h>

#include "workload/builder.h"
#include "workload/gen_internal.h"

namespace scx {

int64_t hackbench_socket_charge(int64_t datasize) {
  // unix_stream_sendmsg() allocates one skb per write (for the sizes accepted here). Its head
  // is kmalloc'ed: SKB_DATA_ALIGN(size) + SKB_DATA_ALIGN(sizeof(skb_shared_info)) (320 bytes),
  // rounded up to the kmalloc bucket (a power of two, at least 512); truesize is what the head
  // can hold besides skb_shared_info, plus the sk_buff (256) and skb_shared_info (320). A
  // 100-byte message thus charges 768 bytes. Heads above 4096 bytes are page fragments,
  // charged by the page.
  const int64_t aligned = (datasize + 63) / 64 * 64;
  const int64_t head = aligned + 320;
  if (head <= 4096) {
    int64_t bucket = 512;
    while (bucket < head) bucket *= 2;
    return bucket - 320 + 256 + 320;
  }
  return (datasize + 4095) / 4096 * 4096 + 256 + 320;
}

int64_t report_param(const Workload& w, const std::string& name, int64_t def) {
  for (const auto& [k, v] : w.report_params)
    if (k == name) return v;
  return def;
}

Result<Workload> build_hackbench(GeneratorOptions& o) {
  SCX_ASSIGN_OR_RETURN(int64_t groups, o.get_int("groups", 10, 1, 1000));
  SCX_ASSIGN_OR_RETURN(int64_t fds, o.get_int("fds", 20, 1, 1000));
  SCX_ASSIGN_OR_RETURN(int64_t loops, o.get_int("loops", 100, 1, 100000000));
  SCX_ASSIGN_OR_RETURN(int64_t datasize, o.get_int("datasize", 100, 1, kPipeCapacity));
  SCX_ASSIGN_OR_RETURN(bool use_pipe, o.get_bool("pipe", true));
  SCX_ASSIGN_OR_RETURN(std::string mode, o.get_string("mode", "process", {"process", "thread"}));
  SCX_ASSIGN_OR_RETURN(bool fifo, o.get_bool("fifo", false));
  SCX_ASSIGN_OR_RETURN(std::string output, o.get_string("output", "hackbench", {"hackbench", "perf"}));
  const CostModel& cost = o.cost();
  SCX_ASSIGN_OR_RETURN(Ns write_cost, o.get_duration("write_cost", use_pipe ? cost.pipe_write_ns : cost.socket_write_ns,
                                                     0, kNsPerSec));
  SCX_ASSIGN_OR_RETURN(Ns read_cost, o.get_duration("read_cost", use_pipe ? cost.pipe_read_ns : cost.socket_read_ns,
                                                    0, kNsPerSec));
  const int64_t children = groups * fds * 2;
  // main runs its ready/release loops without consuming time; keep them within the kernel's
  // limit on instantaneous operations in a row.
  if (children > 20000)
    return o.error(fmt::format("groups*fds*2 = {} tasks; at most 20000 are supported", children));
  const bool threads = mode == "thread";
  const int64_t charge = use_pipe ? datasize : hackbench_socket_charge(datasize);
  const int64_t capacity = use_pipe ? kPipeCapacity : kUnixSocketSndbuf;

  WorkloadBuilder wb("hackbench");
  const std::string main_name = "hackbench";
  auto main_task = wb.task(main_name);  // first, so it is created first (lowest pid)
  std::vector<std::string> order;       // children in creation order (child_tab)
  auto exit_sem = [&](const std::string& child) { return threads ? "joined:" + child : std::string("exited"); };
  auto worker_prologue = [&](ProgramBuilder& p) {
    p.sem_post("ready").sem_wait("wake");
  };
  for (int64_t g = 0; g < groups; ++g) {
    for (int64_t r = 0; r < fds; ++r) {
      const std::string name = fmt::format("hb-recv-g{}-{}", g, r);
      const std::string chan = fmt::format("g{}-r{}", g, r);
      wb.pipe_capacity(chan, capacity);
      if (!use_pipe) wb.pipe_wake_all_writers_at(chan, capacity / 4);
      wb.task(name).instances(0);
      ProgramBuilder p = wb.task(name).program();
      worker_prologue(p);
      p.begin_loop(fds * loops).recv(chan, charge);
      if (read_cost > 0) p.run(read_cost);
      p.mark("messages").end_loop();
      p.sem_post(exit_sem(name)).exit();
      order.push_back(name);
    }
    for (int64_t s = 0; s < fds; ++s) {
      const std::string name = fmt::format("hb-send-g{}-{}", g, s);
      wb.task(name).instances(0);
      ProgramBuilder p = wb.task(name).program();
      worker_prologue(p);
      p.begin_loop(loops);
      for (int64_t r = 0; r < fds; ++r) {
        if (write_cost > 0) p.run(write_cost);
        p.send(fmt::format("g{}-r{}", g, r), charge);
      }
      p.end_loop();
      p.sem_post(exit_sem(name)).exit();
      order.push_back(name);
    }
  }
  ProgramBuilder m = main_task.program();
  for (const std::string& c : order) m.op(OpKind::Fork, wb.task_index(c), 1, threads ? kForkThread : 0);
  if (fifo) m.set_sched(Policy::Fifo, 1);
  m.begin_loop(children).sem_wait("ready").end_loop();
  m.mark("release");
  m.begin_loop(children).sem_post("wake").end_loop();
  if (threads) {
    for (const std::string& c : order) m.sem_wait(exit_sem(c));
  } else {
    m.begin_loop(children).sem_wait("exited").end_loop();
  }
  m.mark("stop").exit();

  Workload w = std::move(wb).build();
  w.run_until_done = true;
  w.report_kind = "hackbench";
  w.report_params = {{"groups", groups},   {"fds", fds},         {"loops", loops},
                     {"datasize", datasize}, {"threads", threads}, {"pipe", use_pipe},
                     {"perf", output == "perf"}};
  return w;
}

}  // namespace scx
