// The cgroup parts of the rt-app front end: the "cgroups" section, "cgroup_events", and
// taskgroups per task and per phase (rt-app's semantics: src/rt-app.c applies the task's
// taskgroup when the thread starts and a phase's at the start of the phase; a phase without one
// keeps the group it finds).
#include <gtest/gtest.h>

#include "dump.h"
#include "workload/rtapp.h"

namespace scx {
namespace {

using testing::dump;

Workload parse(std::string_view text) {
  auto r = parse_rtapp_json(text, "cg.json");
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : Workload{};
}

std::string error(std::string_view text) {
  auto r = parse_rtapp_json(text, "bad.json");
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  return r.status().message();
}

std::string files(const CgroupSpec& c) {
  std::string s = c.path + ":";
  for (const auto& [f, v] : c.files) s += " " + f + "=" + v;
  return s;
}

TEST(RtAppCgroups, SectionKeepsDocumentOrderAndKernelFormats) {
  Workload w = parse(R"({
    "cgroups": {"/b/c": {"cpu.max": "50000 100000", "cpuset.cpus": "0-3", "cpu.idle": 0},
                "/a": {"cpu.weight": 300, "cpu.weight.nice": "-5"},
                "/": {"cpuset.cpus": "0-1"}},
    "tasks": {"t": {"run": 1}}})");
  ASSERT_EQ(w.cgroups.size(), 3u);
  // Numbers become the decimal text a write of them would be; strings stay as written.
  EXPECT_EQ(files(w.cgroups[0]), "/b/c: cpu.max=50000 100000 cpuset.cpus=0-3 cpu.idle=0");
  EXPECT_EQ(files(w.cgroups[1]), "/a: cpu.weight=300 cpu.weight.nice=-5");
  EXPECT_EQ(files(w.cgroups[2]), "/: cpuset.cpus=0-1");
  EXPECT_EQ(w.tasks[0].cgroup, "");  // no taskgroup: the root
}

TEST(RtAppCgroups, SectionErrorsNameFileCgroupAndKey) {
  auto cg = [](std::string_view body) {
    return error(fmt::format(R"({{"cgroups": {{{}}}, "tasks": {{"t": {{"run": 1}}}}}})", body));
  };
  EXPECT_EQ(cg(R"("/a": {"cpu.weight": 0})"),
            "bad.json: cgroup '/a', key 'cpu.weight': \"0\" is not a weight in 1..10000");
  EXPECT_EQ(cg(R"("/a": {"cpu.weight": 10001})"),
            "bad.json: cgroup '/a', key 'cpu.weight': \"10001\" is not a weight in 1..10000");
  EXPECT_EQ(cg(R"("/a": {"cpu.weight": 1.5})"),
            "bad.json: cgroup '/a', key 'cpu.weight': expected a number or a string, got 1.5");
  EXPECT_EQ(cg(R"("/a": {"cpu.shares": 1024})"),
            "bad.json: cgroup '/a', key 'cpu.shares': unknown cgroup file (cpu.weight, cpu.weight.nice, "
            "cpu.max, cpu.idle, cpuset.cpus)");
  EXPECT_EQ(cg(R"("/a": {"cpu.max": "50000 100"})"),
            "bad.json: cgroup '/a', key 'cpu.max': \"50000 100\": the period must be 1000..1000000 us");
  EXPECT_EQ(cg(R"("/a": {"cpu.max": "lots"})"),
            "bad.json: cgroup '/a', key 'cpu.max': \"lots\": the quota is neither \"max\" nor a number of "
            "microseconds");
  EXPECT_EQ(cg(R"("/a": {"cpu.weight.nice": 20})"),
            "bad.json: cgroup '/a', key 'cpu.weight.nice': \"20\" is not a nice value in -20..19");
  EXPECT_EQ(cg(R"("/a": {"cpu.idle": 2})"), "bad.json: cgroup '/a', key 'cpu.idle': \"2\" is neither 0 nor 1");
  EXPECT_EQ(cg(R"("/": {"cpu.weight": 100})"),
            "bad.json: cgroup '/', key 'cpu.weight': the root cgroup has no cpu controller files");
  EXPECT_EQ(cg(R"("a": {})"), "bad.json: cgroup 'a': cgroup path \"a\" must start with '/'");
  EXPECT_EQ(cg(R"("/a//b": {})"),
            "bad.json: cgroup '/a//b': cgroup path \"/a//b\" has an empty, \".\" or \"..\" component");
  EXPECT_EQ(cg(R"("/a": 100)"), "bad.json: cgroup '/a': expected an object of cgroup files, got 100");
  EXPECT_EQ(error(R"({"cgroups": [], "tasks": {"t": {"run": 1}}})"),
            "bad.json: key 'cgroups': expected an object of cgroups, got []");
  EXPECT_EQ(cg(R"("/a": {"cpuset.cpus": "0-x"})"),
            "bad.json: cgroup '/a', key 'cpuset.cpus': \"0-x\" is not a cpulist: bad cpu list item '0-x' in '0-x'");
  // With the machine's CPU count (as `scxsim run` passes it), CPUs it lacks are refused here.
  RtAppOptions four;
  four.nr_cpus = 4;
  auto r = parse_rtapp_json(R"({"cgroups": {"/a": {"cpuset.cpus": "2-5"}}, "tasks": {"t": {"run": 1}}})", "bad.json",
                            four);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "bad.json: cgroup '/a', key 'cpuset.cpus': CPUs 2-5 include CPUs this 4-CPU machine does not have");
}

TEST(RtAppCgroups, Events) {
  Workload w = parse(R"({
    "cgroups": {"/a": {}, "/b": {"cpu.weight": 50}},
    "tasks": {"hog": {"instance": 2, "run": 1}, "other": {"run": 1}},
    "cgroup_events": [
      {"at": "2s", "cgroup": "/a", "cpu.weight": 400, "cpu.max": "max"},
      {"at": 1500, "move": "hog", "to": "/b"},
      {"at": "250ms", "cgroup": "/b", "cpuset.cpus": "1"}
    ]})");
  ASSERT_EQ(w.cgroup_events.size(), 4u);
  auto ev = [&](size_t i) {
    const CgroupEvent& e = w.cgroup_events[i];
    return fmt::format("{} {} {}={} task={}", format_duration(e.at), w.cgroups[e.cgroup].path, e.file, e.value,
                       e.task);
  };
  // Several files in one event are several writes at that time, in document order; a bare
  // number is microseconds (rt-app's unit).
  EXPECT_EQ(ev(0), "2s /a cpu.weight=400 task=-1");
  EXPECT_EQ(ev(1), "2s /a cpu.max=max task=-1");
  EXPECT_EQ(ev(2), "1.5ms /b = task=0");
  EXPECT_EQ(ev(3), "250ms /b cpuset.cpus=1 task=-1");
}

TEST(RtAppCgroups, MoveOfATaskSplitIntoSeveralSpecsMovesThemAll) {
  // Unique timers give each instance its own TaskSpec ("tick-0", "tick-1"): the move names
  // the rt-app task and applies to both.
  Workload w = parse(R"({"cgroups": {"/a": {}},
    "tasks": {"first": {"run": 1}, "tick": {"instance": 2, "timer": {"ref": "unique", "period": 1000}}},
    "cgroup_events": [{"at": "1s", "move": "tick", "to": "/a"}]})");
  ASSERT_EQ(w.tasks.size(), 3u);
  ASSERT_EQ(w.cgroup_events.size(), 2u);
  EXPECT_EQ(w.cgroup_events[0].task, 1);
  EXPECT_EQ(w.cgroup_events[1].task, 2);
}

TEST(RtAppCgroups, EventErrors) {
  auto ev = [](std::string_view body) {
    return error(fmt::format(
        R"({{"cgroups": {{"/a": {{}}}}, "tasks": {{"t": {{"run": 1}}}}, "cgroup_events": [{}]}})", body));
  };
  EXPECT_EQ(ev(R"({"cgroup": "/a", "cpu.weight": 5})"),
            "bad.json: cgroup_events[0]: missing 'at' (when the event happens)");
  EXPECT_EQ(ev(R"({"at": "soon", "cgroup": "/a", "cpu.weight": 5})"),
            "bad.json: cgroup_events[0], key 'at': expected a time such as \"2s\" or \"500ms\", or microseconds, "
            "got \"soon\"");
  EXPECT_EQ(ev(R"({"at": "1s", "cgroup": "/x", "cpu.weight": 5})"),
            "bad.json: cgroup_events[0], key 'cgroup': cgroup \"/x\" is neither in 'cgroups' nor a taskgroup");
  EXPECT_EQ(ev(R"({"at": "1s", "cgroup": "/a", "cpu.weight": 0})"),
            "bad.json: cgroup_events[0], key 'cpu.weight': \"0\" is not a weight in 1..10000");
  EXPECT_EQ(ev(R"({"at": "1s", "cgroup": "/a", "weight": 5})"),
            "bad.json: cgroup_events[0], key 'weight': unknown cgroup file (cpu.weight, cpu.weight.nice, "
            "cpu.max, cpu.idle, cpuset.cpus)");
  EXPECT_EQ(ev(R"({"at": "1s", "cgroup": "/a"})"), "bad.json: cgroup_events[0]: the event writes no cgroup file");
  EXPECT_EQ(ev(R"({"at": "1s", "move": "nobody", "to": "/a"})"),
            "bad.json: cgroup_events[0], key 'move': there is no task 'nobody'");
  EXPECT_EQ(ev(R"({"at": "1s", "move": "t"})"),
            "bad.json: cgroup_events[0]: missing 'to' (the cgroup to move the task into)");
  EXPECT_EQ(ev(R"({"at": "1s", "move": "t", "to": "/a", "cpu.weight": 5})"),
            "bad.json: cgroup_events[0], key 'cpu.weight': unknown key in a move event (expected 'at', 'move' and "
            "'to')");
  EXPECT_EQ(ev(R"({"at": "1s"})"),
            "bad.json: cgroup_events[0]: an event either writes files of a 'cgroup' or moves a task ('move', 'to')");
}

TEST(RtAppCgroups, TaskTaskgroupStartsTheTaskInItsCgroup) {
  Workload w = parse(R"({"cgroups": {"/bg": {"cpu.weight": 20}},
    "tasks": {"a": {"taskgroup": "/bg", "run": 1}, "b": {"taskgroup": "/fg/x", "run": 1},
              "c": {"taskgroup": "", "run": 1}}})");
  // "/bg" is declared; "/fg/x" is added (rt-app creates it with mkdir -p); "" is no taskgroup.
  ASSERT_EQ(w.cgroups.size(), 2u);
  EXPECT_EQ(files(w.cgroups[0]), "/bg: cpu.weight=20");
  EXPECT_EQ(files(w.cgroups[1]), "/fg/x:");
  EXPECT_EQ(w.tasks[0].cgroup, "/bg");
  EXPECT_EQ(w.tasks[0].group, "/bg");  // reports still group by taskgroup
  EXPECT_EQ(w.tasks[1].cgroup, "/fg/x");
  EXPECT_EQ(w.tasks[2].cgroup, "");
  EXPECT_EQ(dump(w, 0), "Loop(-1) Run(1us) PhaseEnd(0) Mark(loops,1) EndLoop Exit");  // no SetCgroup op
}

TEST(RtAppCgroups, PhaseTaskgroupMovesAtPhaseStartAndIsKept) {
  // rt-app: set_thread_taskgroup() at each phase start, after the policy; phase "b" has none
  // and stays in "/x"; "/" is the root.
  Workload w = parse(R"({"tasks": {"t": {"taskgroup": "/t", "loop": 1, "phases": {
    "a": {"taskgroup": "/x", "policy": "SCHED_BATCH", "run": 1},
    "b": {"run": 2, "loop": 3},
    "c": {"taskgroup": "/", "run": 3}}}}})");
  EXPECT_EQ(w.tasks[0].cgroup, "/t");
  ASSERT_EQ(w.cgroups.size(), 3u);
  EXPECT_EQ(dump(w, 0),
            "SetSched(BATCH,0) SetCgroup(/x) Run(1us) PhaseEnd(0) Loop(3) Run(2us) PhaseEnd(1) EndLoop "
            "SetCgroup(/) Run(3us) PhaseEnd(2) Mark(loops,1) Exit");
}

TEST(RtAppCgroups, PhaseTaskgroupNeedsAFairPolicy) {
  // The policy a phase finds counts (rt-app's check_taskgroup_policy_dep()).
  EXPECT_EQ(error(R"({"tasks": {"t": {"policy": "SCHED_FIFO", "phases": {"a": {"taskgroup": "/x", "run": 1}}}}})"),
            "bad.json: task 't', phase 'a', key 'taskgroup': a taskgroup needs a fair policy (SCHED_OTHER, "
            "SCHED_BATCH or SCHED_IDLE)");
  EXPECT_EQ(error(R"({"tasks": {"t": {"phases": {"a": {"taskgroup": "x", "run": 1}}}}})"),
            "bad.json: task 't', phase 'a', key 'taskgroup': a taskgroup must start with '/', got \"x\"");
  // Once in a taskgroup, a later phase may not switch to an RT policy.
  EXPECT_EQ(error(R"({"tasks": {"t": {"phases": {"a": {"taskgroup": "/x", "run": 1},
                                                  "b": {"policy": "SCHED_RR", "run": 1}}}}})"),
            "bad.json: task 't', phase 'b', key 'policy': a task in a taskgroup needs a fair policy");
}

}  // namespace
}  // namespace scx
