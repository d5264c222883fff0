// Compiled op sequences for small rt-app inputs.
#include "workload/rtapp.h"

#include <gtest/gtest.h>

#include "dump.h"

namespace scx {
namespace {

using testing::dump;

Workload parse(std::string_view text, const RtAppOptions& opt = {}) {
  auto r = parse_rtapp_json(text, "t.json", opt);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : Workload{};
}

TEST(RtApp, PeriodicTimerTask) {
  Workload w = parse(R"({
    "global": {"duration": 2, "calibration": 100, "default_policy": "SCHED_OTHER"},
    "tasks": {
      "frame": {
        "priority": -5,
        "phases": {
          "p": {"run": 4000, "timer": {"ref": "unique", "period": 16000}}
        }
      }
    }
  })");
  EXPECT_EQ(w.name, "t");
  EXPECT_EQ(w.duration, 2 * kNsPerSec);
  ASSERT_EQ(w.tasks.size(), 1u);
  EXPECT_EQ(w.tasks[0].name, "frame");
  EXPECT_EQ(w.tasks[0].instances, 1);
  EXPECT_EQ(w.tasks[0].policy, Policy::Normal);
  EXPECT_EQ(w.tasks[0].nice, -5);
  EXPECT_TRUE(w.tasks[0].affinity.empty());
  EXPECT_EQ(dump(w, 0),
            "Loop(-1) Run(4ms) TimerWait(frame:unique,16ms,rel) PhaseEnd(0) Mark(loops,1) "
            "EndLoop Exit");
  EXPECT_EQ(w.counters, std::vector<std::string>{"loops"});
}

TEST(RtApp, SinglePhaseFormLoopsForeverWithoutLoop) {
  Workload w = parse(R"({"tasks": {"hog": {"run": 1000, "sleep": 500}}})");
  EXPECT_EQ(dump(w, 0), "Loop(-1) Run(1ms) Sleep(500us) PhaseEnd(0) Mark(loops,1) EndLoop Exit");
  EXPECT_EQ(w.duration, 0u);
}

TEST(RtApp, SinglePhaseLoopFollowsHead) {
  // rt-app HEAD: "loop" here repeats the event list and then the task exits.
  Workload w = parse(R"({"tasks": {"t": {"loop": 3, "run": 10}}})");
  EXPECT_EQ(dump(w, 0), "Loop(3) Run(10us) PhaseEnd(0) EndLoop Mark(loops,1) Exit");
  w = parse(R"({"tasks": {"t": {"loop": 1, "run": 10}}})");
  EXPECT_EQ(dump(w, 0), "Run(10us) PhaseEnd(0) Mark(loops,1) Exit");
}

TEST(RtApp, TaskAndPhaseLoops) {
  Workload w = parse(R"({"tasks": {"t": {"loop": 2, "phases": {
      "a": {"loop": 5, "run": 100},
      "b": {"sleep": 200}
  }}}})");
  EXPECT_EQ(dump(w, 0),
            "Loop(2) Loop(5) Run(100us) PhaseEnd(0) EndLoop Sleep(200us) PhaseEnd(1) "
            "Mark(loops,1) EndLoop Exit");
  w = parse(R"({"tasks": {"t": {"loop": 0, "phases": {"a": {"run": 1}}}}})");
  EXPECT_EQ(dump(w, 0), "Exit");
  w = parse(R"({"tasks": {"t": {"loop": 1, "phases": {"a": {"loop": -1, "run": 1}}}}})");
  EXPECT_EQ(dump(w, 0), "Loop(-1) Run(1us) PhaseEnd(0) EndLoop Mark(loops,1) Exit");
}

TEST(RtApp, LoopOpsPointAtEachOther) {
  Workload w = parse(R"({"tasks": {"t": {"loop": 2, "phases": {"a": {"loop": 5, "run": 1}}}}})");
  const auto& ops = w.programs[0].ops;
  ASSERT_EQ(ops.size(), 8u);  // Loop(2) Loop(5) Run PhaseEnd EndLoop Mark EndLoop Exit
  EXPECT_EQ(ops[0].b, 6);
  EXPECT_EQ(ops[1].b, 4);
  EXPECT_EQ(ops[4].b, 1);
  EXPECT_EQ(ops[6].b, 0);
}

TEST(RtApp, LockUnlockSignalWait) {
  Workload w = parse(R"({"tasks": {
    "producer": {"loop": 1, "phases": {"p": {
      "run": 100, "lock": "m", "signal": "c", "broad": "c", "unlock": "m"}}},
    "consumer": {"loop": 1, "phases": {"p": {
      "lock": "m", "wait": {"ref": "c", "mutex": "m"}, "sync": {"ref": "c2", "mutex": "m"},
      "unlock": "m", "run": 50}}}
  }})");
  EXPECT_EQ(dump(w, 0),
            "Run(100us) Lock(m) CondSignal(c) CondBroadcast(c) Unlock(m) PhaseEnd(0) "
            "Mark(loops,1) Exit");
  EXPECT_EQ(dump(w, 1),
            "Lock(m) CondWait(c,m) CondSync(c2,m) Unlock(m) Run(50us) PhaseEnd(0) "
            "Mark(loops,1) Exit");
  EXPECT_EQ(w.mutexes, std::vector<std::string>{"m"});
  EXPECT_EQ(w.condvars, (std::vector<std::string>{"c", "c2"}));
}

TEST(RtApp, SuspendResumeUseLockAndCondvarOfThatName) {
  Workload w = parse(R"({"tasks": {
    "waker": {"loop": 1, "phases": {"p": {"run": 10, "resume": "worker"}}},
    "worker": {"loop": 1, "phases": {"p": {"suspend": "worker", "run": 20, "suspend1": ""}}}
  }})");
  EXPECT_EQ(dump(w, 0),
            "Run(10us) Lock(worker) CondBroadcast(worker) Unlock(worker) PhaseEnd(0) "
            "Mark(loops,1) Exit");
  EXPECT_EQ(dump(w, 1),
            "Lock(worker) CondWait(worker,worker) Unlock(worker) Run(20us) "
            "Lock(worker) CondWait(worker,worker) Unlock(worker) PhaseEnd(0) "
            "Mark(loops,1) Exit");
  // Same namespaces as lock/wait, as in rt-app.
  EXPECT_EQ(w.mutexes, std::vector<std::string>{"worker"});
  EXPECT_EQ(w.condvars, std::vector<std::string>{"worker"});
}

TEST(RtApp, BarrierParticipantsAreInstanceCountsPerOccurrence) {
  Workload w = parse(R"({"tasks": {
    "a": {"instance": 3, "loop": 1, "phases": {"p": {"run": 1, "barrier": "sync"}}},
    "b": {"instance": 2, "loop": 1, "phases": {"p": {"barrier": "sync", "barrier2": "other"}}},
    "c": {"loop": 1, "phases": {"p": {"run": 1}, "q": {"barrier": "other"}}}
  }})");
  ASSERT_EQ(w.barriers.size(), 2u);
  EXPECT_EQ(w.barriers[0].name, "sync");
  EXPECT_EQ(w.barriers[0].participants, 5);
  EXPECT_EQ(w.barriers[1].name, "other");
  EXPECT_EQ(w.barriers[1].participants, 3);
  EXPECT_EQ(w.tasks[0].instances, 3);
  EXPECT_EQ(dump(w, 1), "Barrier(sync) Barrier(other) PhaseEnd(0) Mark(loops,1) Exit");
}

TEST(RtApp, SemaphoresYieldAndSleep) {
  Workload w = parse(R"({"tasks": {"t": {"loop": 1, "phases": {"p": {
    "sem_post": "s", "sem_wait": "s", "yield": "", "yield2": 0, "sleep": 0}}}}})");
  EXPECT_EQ(dump(w, 0),
            "SemPost(s) SemWait(s) Yield Yield Sleep(0ns) PhaseEnd(0) Mark(loops,1) Exit");
  EXPECT_EQ(w.semaphores, std::vector<std::string>{"s"});
}

TEST(RtApp, ForkTemplates) {
  // Forward reference: "child" comes after the task forking it.
  Workload w = parse(R"({"tasks": {
    "parent": {"loop": 1, "phases": {"p": {"fork": "child", "run": 10, "fork2": "other"}}},
    "child": {"instance": 0, "loop": 1, "phases": {"p": {"run": 20}}},
    "other": {"loop": 1, "phases": {"p": {"run": 30}}}
  }})");
  ASSERT_EQ(w.tasks.size(), 3u);
  EXPECT_EQ(w.tasks[1].instances, 0);
  EXPECT_EQ(w.tasks[2].instances, 1);
  EXPECT_EQ(dump(w, 0), "Fork(child,1) Run(10us) Fork(other,1) PhaseEnd(0) Mark(loops,1) Exit");
  EXPECT_EQ(w.programs[0].ops[0].obj, 1u);
  EXPECT_EQ(w.programs[0].ops[2].obj, 2u);
}

TEST(RtApp, PhaseCpusRevertToTaskSet) {
  Workload w = parse(R"({"tasks": {"t": {"cpus": [0, 1], "loop": 1, "phases": {
    "a": {"cpus": [2], "run": 1},
    "b": {"run": 2},
    "c": {"cpus": [3, 2], "run": 3}
  }}}})");
  EXPECT_EQ(w.tasks[0].affinity.to_list(), "0-1");
  EXPECT_EQ(dump(w, 0),
            "SetAffinity(2) Run(1us) PhaseEnd(0) SetAffinity(task) Run(2us) PhaseEnd(1) "
            "SetAffinity(2-3) Run(3us) PhaseEnd(2) Mark(loops,1) Exit");
  EXPECT_EQ(w.masks.size(), 3u);
  // Without phase-level cpus no SetAffinity is needed.
  w = parse(R"({"tasks": {"t": {"cpus": [1], "phases": {"a": {"run": 1}, "b": {"run": 2}}}}})");
  EXPECT_EQ(dump(w, 0),
            "Loop(-1) Run(1us) PhaseEnd(0) Run(2us) PhaseEnd(1) Mark(loops,1) EndLoop Exit");
  EXPECT_TRUE(w.masks.empty());
}

TEST(RtApp, SharedTimersAreOneObject) {
  Workload w = parse(R"({"tasks": {
    "a": {"instance": 2, "phases": {"p": {"run": 1, "timer": {"ref": "tick", "period": 1000}}}},
    "b": {"phases": {"p": {"run": 1, "timer": {"ref": "tick", "period": 1000}}}}
  }})");
  ASSERT_EQ(w.timers.size(), 1u);
  EXPECT_EQ(w.timers[0].name, "tick");
  ASSERT_EQ(w.tasks.size(), 2u);
  EXPECT_EQ(w.tasks[0].instances, 2);
  EXPECT_EQ(w.programs.size(), 2u);
}

TEST(RtApp, UniqueTimersSplitInstances) {
  Workload w = parse(R"({"tasks": {
    "v": {"instance": 3, "priority": 2, "cpus": [1], "delay": 100, "phases": {
      "p": {"run": 1, "timer": {"ref": "unique", "period": 1000},
            "timer2": {"ref": "unique_b", "period": 500, "mode": "absolute"},
            "timer3": {"ref": "unique", "period": 1000}}}},
    "solo": {"phases": {"p": {"run": 1, "timer": {"ref": "unique", "period": 2000}}}}
  }})");
  ASSERT_EQ(w.tasks.size(), 4u);
  ASSERT_EQ(w.programs.size(), 4u);
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(w.tasks[i].name, fmt::format("v-{}", i));
    EXPECT_EQ(w.tasks[i].instances, 1);
    EXPECT_EQ(w.tasks[i].program, static_cast<uint32_t>(i));
    EXPECT_EQ(w.tasks[i].nice, 2);
    EXPECT_EQ(w.tasks[i].affinity.to_list(), "1");
    EXPECT_EQ(w.tasks[i].start_delay, 100 * kNsPerUs);
    EXPECT_EQ(dump(w, i), fmt::format("Loop(-1) Run(1us) TimerWait(v-{0}:unique,1ms,rel) "
                                      "TimerWait(v-{0}:unique_b,500us,abs) "
                                      "TimerWait(v-{0}:unique,1ms,rel) PhaseEnd(0) "
                                      "Mark(loops,1) EndLoop Exit",
                                      i));
  }
  EXPECT_EQ(w.tasks[3].name, "solo");
  EXPECT_EQ(dump(w, 3),
            "Loop(-1) Run(1us) TimerWait(solo:unique,2ms,rel) PhaseEnd(0) "
            "Mark(loops,1) EndLoop Exit");
  EXPECT_EQ(w.timers.size(), 7u);
}

TEST(RtApp, TimerModeBelongsToTheTimer) {
  // rt-app makes the whole timer absolute when any use says so.
  Workload w = parse(R"({"tasks": {
    "a": {"phases": {"p": {"run": 1, "timer": {"ref": "t", "period": 1000}}}},
    "b": {"phases": {"p": {"run": 1, "timer": {"ref": "t", "period": 1000, "mode": "absolute"}}}}
  }})");
  EXPECT_EQ(dump(w, 0),
            "Loop(-1) Run(1us) TimerWait(t,1ms,abs) PhaseEnd(0) Mark(loops,1) EndLoop Exit");
}

TEST(RtApp, EventKeysArePrefixesInDocumentOrder) {
  Workload w = parse(R"({"tasks": {"t": {"loop": 1, "phases": {"p": {
    "runtime": 300, "run": 100, "running_late": 7, "runtime_b": 5, "sleep_z": 1, "sleep_a": 2,
    "mem": 1000, "memory": 10, "iorun": 500}}}}})");
  EXPECT_EQ(dump(w, 0),
            "Runtime(300us) Run(100us) Run(7us) Runtime(5us) Sleep(1us) Sleep(2us) "
            "Run(100ns) Run(1ns) Run(50ns) PhaseEnd(0) Mark(loops,1) Exit");
}

TEST(RtApp, RunScaleAndMemFactor) {
  RtAppOptions opt;
  opt.run_scale = 1.5;
  opt.mem_ns_per_byte = 2.0;
  Workload w = parse(R"({"tasks": {"t": {"loop": 1, "run": 1001, "runtime": 10, "mem": 3}}})", opt);
  const auto& ops = w.programs[0].ops;
  EXPECT_EQ(ops[0].kind, OpKind::Run);
  EXPECT_EQ(ops[0].a, 1501500);
  EXPECT_EQ(ops[1].kind, OpKind::Runtime);
  EXPECT_EQ(ops[1].a, 10000);  // wall-clock time is not scaled
  EXPECT_EQ(ops[2].kind, OpKind::Run);
  EXPECT_EQ(ops[2].a, 6);
}

TEST(RtApp, CommentsAndTrailingCommas) {
  Workload w = parse(R"(/* A hog. */
  {
    // line comment
    "tasks": {
      "hog": { /* inline */ "loop": 1, "run": 5, },
    },
    "global": {"duration": -1, "gnuplot": false, "ftrace": "none", "logdir": "./",
               "log_basename": "x", "log_size": "file", "lock_pages": false,
               "cumulative_slack": false, "io_device": "/dev/null", "mem_buffer_size": 1024,},
  })");
  EXPECT_EQ(dump(w, 0), "Run(5us) PhaseEnd(0) Mark(loops,1) Exit");
}

TEST(RtApp, GlobalSection) {
  RtAppOptions opt;
  opt.default_duration = 7 * kNsPerSec;
  Workload w = parse(R"({"tasks": {"t": {"run": 1}}})", opt);
  EXPECT_EQ(w.duration, 7 * kNsPerSec);
  EXPECT_FALSE(w.pi_mutexes);
  w = parse(R"({"global": {"duration": -1}, "tasks": {"t": {"run": 1}}})", opt);
  EXPECT_EQ(w.duration, 0u);
  w = parse(R"({"global": {"duration": 3, "calibration": "CPU2", "pi_enabled": true,
                           "default_policy": "SCHED_FIFO"},
                "tasks": {"t": {"run": 1}, "u": {"policy": "SCHED_OTHER", "run": 1}}})",
            opt);
  EXPECT_EQ(w.duration, 3 * kNsPerSec);
  EXPECT_TRUE(w.pi_mutexes);
  EXPECT_EQ(w.tasks[0].policy, Policy::Fifo);
  EXPECT_EQ(w.tasks[0].rt_priority, 10);
  EXPECT_EQ(w.tasks[1].policy, Policy::Normal);
  EXPECT_EQ(w.tasks[1].nice, 0);
}

TEST(RtApp, PoliciesAndPriorities) {
  Workload w = parse(R"({"tasks": {
    "f": {"policy": "SCHED_FIFO", "priority": 50, "run": 1},
    "r": {"policy": "SCHED_RR", "run": 1},
    "b": {"policy": "SCHED_BATCH", "priority": 19, "run": 1},
    "i": {"policy": "SCHED_IDLE", "run": 1},
    "n": {"priority": -20, "run": 1}
  }})");
  EXPECT_EQ(w.tasks[0].policy, Policy::Fifo);
  EXPECT_EQ(w.tasks[0].rt_priority, 50);
  EXPECT_EQ(w.tasks[1].policy, Policy::RR);
  EXPECT_EQ(w.tasks[1].rt_priority, 10);
  EXPECT_EQ(w.tasks[2].policy, Policy::Batch);
  EXPECT_EQ(w.tasks[2].nice, 19);
  EXPECT_EQ(w.tasks[3].policy, Policy::Idle);
  EXPECT_EQ(w.tasks[4].nice, -20);
}

TEST(RtApp, PhaseSchedulingChanges) {
  // A phase with only a priority keeps the policy it finds (resolved in document order).
  Workload w = parse(R"({"tasks": {"t": {"priority": 3, "loop": 1, "phases": {
    "a": {"priority": 5, "run": 1},
    "b": {"policy": "SCHED_FIFO", "run": 1},
    "c": {"priority": 20, "run": 1},
    "d": {"policy": "SCHED_OTHER", "run": 1},
    "e": {"util_min": 100, "nodes_membind": [0], "dl-period": 5, "run": 1}
  }}}})");
  EXPECT_EQ(dump(w, 0),
            "SetSched(OTHER,5) Run(1us) PhaseEnd(0) SetSched(FIFO,10) Run(1us) PhaseEnd(1) "
            "SetSched(FIFO,20) Run(1us) PhaseEnd(2) SetSched(OTHER,0) Run(1us) PhaseEnd(3) "
            "Run(1us) PhaseEnd(4) Mark(loops,1) Exit");
}

TEST(RtApp, CustomSlice) {
  Workload w = parse(R"({"tasks": {
    "a": {"dl-runtime": 100000, "run": 1},
    "b": {"policy": "SCHED_BATCH", "dl-runtime": 500, "phases": {"p": {"run": 1}}},
    "legacy": {"runtime": 2000, "run": 1},
    "plain": {"runtime0": 2000},
    "rt": {"policy": "SCHED_FIFO", "runtime": 2000}
  }})");
  EXPECT_EQ(w.tasks[0].custom_slice, 100 * kNsPerMs);
  EXPECT_EQ(w.tasks[1].custom_slice, 500 * kNsPerUs);
  // HEAD reads a single-phase task's "runtime" key as legacy dl-runtime too.
  EXPECT_EQ(w.tasks[2].custom_slice, 2 * kNsPerMs);
  EXPECT_EQ(w.tasks[3].custom_slice, 0u);
  EXPECT_EQ(w.tasks[4].custom_slice, 0u);
}

TEST(RtApp, DelayTaskgroupAndLongNames) {
  Workload w = parse(R"({"tasks": {
    "a_rather_long_task_name": {"delay": 1500, "taskgroup": "/bg", "instance": 4, "run": 1}
  }})");
  EXPECT_EQ(w.tasks[0].name, "a_rather_long_task_name");  // the kernel truncates comm
  EXPECT_EQ(w.tasks[0].start_delay, 1500 * kNsPerUs);
  EXPECT_EQ(w.tasks[0].group, "/bg");
  EXPECT_EQ(w.tasks[0].instances, 4);
}

TEST(RtApp, ResourcesAndDescriptionAreAccepted) {
  Workload w = parse(R"({"description": "x", "resources": {"m": {"type": "mutex"}},
                         "tasks": {"t": {"run": 1}}})");
  EXPECT_EQ(w.tasks.size(), 1u);
}

TEST(RtApp, Description) {
  EXPECT_EQ(rtapp_description("/* Two hogs. */\n{}"), "Two hogs.");
  EXPECT_EQ(rtapp_description("  /*\n * Line one\n * line two\n */ {}"), "Line one line two");
  EXPECT_EQ(rtapp_description("{} /* late */"), "");
}

}  // namespace
}  // namespace scx
