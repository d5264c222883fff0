// Task::kt(), the task_struct BPF programs and ext policies see, is made on first use. Made
// late (a scheduler loaded mid-run) it must hold what it would hold had it existed since the
// task's birth; under EEVDF alone nobody asks for it and no task carries one.
#include <cstring>

#include "ext_harness.h"

namespace scx::testing {
namespace {

// On 2 CPUs: `main` runs 10 ms, starts a thread (`worker`, 3 ms) and runs 1 ms more; `sleeper`
// sleeps 25 ms (the policy is loaded at 20 ms), forks a process (`late`, 1 ms), runs 2 ms.
Workload family_workload() {
  WorkloadBuilder wb("family");
  wb.task("main").program().run(ms(10)).op(OpKind::Fork, wb.task_index("worker"), 1, kForkThread).run(ms(1));
  wb.task("worker").instances(0).program().run(ms(3));
  wb.task("sleeper").program().sleep(ms(25)).fork("late").run(ms(2));
  wb.task("late").instances(0).program().run(ms(1));
  return wb.build();
}

// Makes every task's task_struct the moment the task is announced: the task_struct of a task
// as it was before views were lazy (the reference).
class EagerViews : public TraceSink {
 public:
  explicit EagerViews(Kernel& k) : k_(k) {}
  void on_event(const TraceEvent& e) override {
    if (e.type != TraceType::TaskNew && e.type != TraceType::SchedProcessFork) return;
    if (Task* t = k_.find_task(e.pid)) t->kt();
  }

 private:
  Kernel& k_;
};

// The policy loaded at 20 ms (every op recorded, none changes the schedule). Returns whether
// main had a task_struct at 15 ms.
bool run_family(ExtSim& s) {
  s.load(family_workload());
  s.attach(std::make_unique<RecordingPolicy>(all_task_ops()), ms(20));
  EXPECT_TRUE(s.kernel->advance_to(ms(15)).ok());
  const bool early = s.kernel->tasks()[0]->has_kernel_view();
  EXPECT_TRUE(s.kernel->run_until(ms(40)).ok());
  return early;
}

int pid_of(const task_struct* t) { return t ? Task::from_kernel(t)->pid : -1; }

// The fields a late view is made from, as one comparable line.
std::string describe(const task_struct& k) {
  const int mm_owner = k.mm ? pid_of(k.mm->owner) : -1;
  return fmt::format(
      "pid={} tgid={} comm={} flags={:#x} prio={}/{}/{} rt={} policy={} nr_cpus={} mask0={:#x} own_ptr={} "
      "utime={} stime={} sum_exec={} parent={} leader={} mm_owner={} nid={} cgroups={} slice={} weight={}",
      k.pid, k.tgid, k.comm, k.flags, k.prio, k.static_prio, k.normal_prio, k.rt_priority, k.policy,
      k.nr_cpus_allowed, k.cpus_mask.bits[0], k.cpus_ptr == &k.cpus_mask, k.utime, k.stime,
      k.se.sum_exec_runtime, pid_of(k.real_parent), pid_of(k.group_leader), mm_owner, k.numa_preferred_nid,
      k.cgroups != nullptr, k.scx.slice, k.scx.weight);
}

TEST(TaskKernelView, MadeLateHoldsWhatItWouldHaveHeldSinceBirth) {
  ExtSim eager("2");
  EagerViews views(*eager.kernel);
  eager.kernel->trace().subscribe(&views);
  EXPECT_TRUE(run_family(eager));
  ExtSim lazy("2");
  EXPECT_FALSE(run_family(lazy));  // made by the load at 20 ms

  const auto& tasks = lazy.kernel->tasks();
  ASSERT_EQ(tasks.size(), 4u);  // main, sleeper, worker (thread of main), late
  for (size_t i = 0; i < tasks.size(); ++i) {
    SCOPED_TRACE(tasks[i]->comm);
    EXPECT_EQ(describe(tasks[i]->kt()), describe(eager.kernel->tasks()[i]->kt()));
  }
  // The same by hand on the lazy run. main (pid 1000) ran [0, 11 ms) alone on its CPU: the
  // 250 Hz ticks at 4 and 8 ms charged it 8 ms of user time; it had exited by 20 ms.
  const Task& main = *tasks[0];
  const Task& worker = *tasks[2];
  EXPECT_EQ(main.kt().utime, static_cast<u64>(ms(8)));
  EXPECT_EQ(main.kt().stime, 0u);
  EXPECT_TRUE(main.kt().flags & PF_EXITING);
  EXPECT_EQ(main.kt().real_parent, &main.kt());  // no parent task: itself
  // The thread: main's pid as tgid, main as leader and as the owner of the shared mm.
  EXPECT_EQ(std::string(worker.kt().comm), "worker");
  EXPECT_EQ(worker.kt().tgid, 1000);
  EXPECT_EQ(worker.kt().group_leader, &main.kt());
  EXPECT_EQ(worker.kt().real_parent, &main.kt());
  EXPECT_EQ(worker.kt().mm, main.kt().mm);
  EXPECT_EQ(main.kt().mm->owner, &main.kt());
  // late was forked after the load by sleeper: its own process, sleeper its parent.
  const Task& sleeper = *tasks[1];
  const Task& late = *tasks[3];
  EXPECT_EQ(late.kt().tgid, late.pid);
  EXPECT_EQ(late.kt().group_leader, &late.kt());
  EXPECT_EQ(late.kt().real_parent, &sleeper.kt());
  EXPECT_EQ(late.kt().nr_cpus_allowed, 2);
  EXPECT_EQ(late.kt().cpus_mask.bits[0], 0x3ul);
  EXPECT_EQ(late.kt().prio, kDefaultPrio);
}

TEST(TaskKernelView, NoneUnderEevdfAlone) {
  Sim s("2");
  s.kernel->set_fair_class(std::make_unique<FairClass>(*s.kernel, FairConfig::for_kernel(KernelVersion::V6_12, 2, 250)));
  s.load(family_workload());
  ASSERT_TRUE(s.kernel->run_until(ms(40)).ok());
  ASSERT_EQ(s.kernel->tasks().size(), 4u);
  for (const auto& t : s.kernel->tasks()) EXPECT_FALSE(t->has_kernel_view()) << t->comm;
  for (const auto& t : s.kernel->kthreads()) EXPECT_FALSE(t->has_kernel_view()) << t->comm;
}

// A tracepoint probe is handed the task_struct of the tasks it names, made for it.
class SwitchProbe : public TracepointProbes {
 public:
  SwitchProbe() { enable(Tracepoint::SchedSwitch); }
  void fire(Tracepoint, Task&, std::span<const uint64_t> args) override {
    for (uint64_t a : {args[1], args[2]}) {
      const task_struct* t = reinterpret_cast<const task_struct*>(a);
      EXPECT_EQ(&Task::from_kernel(t)->kt(), t);
    }
    ++fired;
  }
  int fired = 0;
};

TEST(TaskKernelView, MadeForTheTasksATracepointNames) {
  Sim s("2");
  s.kernel->set_fair_class(std::make_unique<FairClass>(*s.kernel, FairConfig::for_kernel(KernelVersion::V6_12, 2, 250)));
  SwitchProbe probe;
  s.kernel->set_tracepoint_probes(&probe);
  s.load(family_workload());
  ASSERT_TRUE(s.kernel->run_until(ms(40)).ok());
  EXPECT_GT(probe.fired, 0);  // a count that depends on every decision: only its presence
  for (const auto& t : s.kernel->tasks()) EXPECT_TRUE(t->has_kernel_view()) << t->comm;
}

}  // namespace
}  // namespace scx::testing
