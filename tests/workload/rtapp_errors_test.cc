// Every error is one line naming the file, task, phase and key (or line and column).
#include <gtest/gtest.h>

#include "workload/rtapp.h"

namespace scx {
namespace {

std::string error(std::string_view text, const RtAppOptions& opt = {}) {
  auto r = parse_rtapp_json(text, "bad.json", opt);
  if (r.ok()) return "ok";
  EXPECT_EQ(r.status().message().find('\n'), std::string::npos);
  return r.status().message();
}

std::string phase_error(std::string_view phase_body) {
  return error(
      fmt::format(R"({{"tasks": {{"hog": {{"phases": {{"p1": {{{}}}}}}}}}}})", phase_body));
}

TEST(RtAppErrors, SyntaxErrorsHaveLineAndColumn) {
  EXPECT_EQ(error("{\n  \"tasks\": {\n    \"a\": {\"run\": 1,}\n  }\n  x\n}"),
            "bad.json: line 5, column 3: syntax error while parsing object - invalid literal; "
            "last read: '1 }<U+000A>  }<U+000A>  x'; expected '}'");
  EXPECT_EQ(error("{\"tasks\": {\"a\": {\"run\": 1}}"),
            "bad.json: line 1, column 28: syntax error while parsing object - unexpected end of "
            "input; expected '}'");
  EXPECT_EQ(error(""),
            "bad.json: line 1, column 1: syntax error while parsing value - unexpected "
            "end of input; expected '[', '{', or a literal");
  EXPECT_EQ(error("{/* open"),
            "bad.json: line 1, column 9: syntax error while parsing object "
            "key - invalid comment; missing closing '*/'; last read: '{/* "
            "open'; expected string literal");
}

// With rename_duplicates = false, a repeated key is an error (the default renames it; see
// rtapp_rename_test.cc).
TEST(RtAppErrors, DuplicateKeysStrict) {
  RtAppOptions strict;
  strict.rename_duplicates = false;
  EXPECT_EQ(
      error("{\"tasks\": {\"hog\": {\"phases\": {\"p1\": {\n  \"run\": 1,\n  \"run\": 2}}}}}", strict),
      "bad.json: line 3, column 3: task 'hog', phase 'p1', key 'run': duplicate key: rt-app "
      "would silently keep only one of them; give each a distinct name (e.g. 'run1', 'run2')");
  EXPECT_EQ(error("{\"tasks\": {\"a\": {\"run\": 1}, \"a\": {\"run\": 2}}}", strict),
            "bad.json: line 1, column 29: task 'a': duplicate key: rt-app would silently keep only "
            "one of them; give each a distinct name (e.g. 'a1', 'a2')");
  EXPECT_EQ(error("{\"tasks\": {\"t\": {\"phases\": {\"p\": {}, \"p\": {}}}}}", strict),
            "bad.json: line 1, column 38: task 't', phase 'p': duplicate key: rt-app would "
            "silently keep only one of them; give each a distinct name (e.g. 'p1', 'p2')");
  EXPECT_EQ(error("{\"global\": {\"duration\": 1, \"duration\": 2}, \"tasks\": {}}", strict).substr(0, 57),
            "bad.json: line 1, column 28: global, key 'duration': dupl");
  EXPECT_EQ(
      error("{\"tasks\": {\"a\": {\"timer\": {\"ref\": \"x\", \"ref\": \"y\"}}}}", strict).substr(0, 59),
      "bad.json: line 1, column 40: task 'a', key 'timer.ref': dup");
}

TEST(RtAppErrors, TopLevel) {
  EXPECT_EQ(error("[]"), "bad.json: the top level must be a JSON object");
  EXPECT_EQ(error("{}"), "bad.json: missing 'tasks'");
  EXPECT_EQ(error(R"({"tasks": {}})"), "bad.json: key 'tasks': there are no tasks");
  EXPECT_EQ(error(R"({"tasks": []})"),
            "bad.json: key 'tasks': expected an object of tasks, got []");
  EXPECT_EQ(error(R"({"task": {}, "tasks": {"a": {"run": 1}}})"),
            "bad.json: key 'task': unknown top-level key (expected 'global', 'tasks', 'resources', "
            "'description', 'cgroups' or 'cgroup_events')");
  EXPECT_EQ(error(R"({"tasks": {"a": 5}})"), "bad.json: task 'a': expected a task object, got 5");
}

TEST(RtAppErrors, Global) {
  auto g = [](std::string_view body) {
    return error(fmt::format(R"({{"global": {{{}}}, "tasks": {{"a": {{"run": 1}}}}}})", body));
  };
  EXPECT_EQ(g(R"("duration": "2s")"),
            "bad.json: global, key 'duration': expected an integer number of seconds, got \"2s\"");
  EXPECT_EQ(g(R"("duration": -2)"),
            "bad.json: global, key 'duration': -2 is not a duration (use -1 for no limit)");
  EXPECT_EQ(g(R"("calibration": "GPU0")"),
            "bad.json: global, key 'calibration': expected ns per loop (an integer) or \"CPU<n>\", "
            "got \"GPU0\"");
  EXPECT_EQ(g(R"("calibration": 0)"),
            "bad.json: global, key 'calibration': 0 is out of range (1..2147483647)");
  EXPECT_EQ(g(R"("default_policy": "SCHED_DEADLINE")"),
            "bad.json: global, key 'default_policy': SCHED_DEADLINE is not supported yet");
  EXPECT_EQ(g(R"("pi_enabled": 1)"),
            "bad.json: global, key 'pi_enabled': expected true or false, got 1");
  EXPECT_EQ(g(R"("logfile": "x")"), "bad.json: global, key 'logfile': unknown key in 'global'");
  EXPECT_EQ(g(R"("log_size": "big")"),
            "bad.json: global, key 'log_size': expected a size in MB or \"file\", \"disable\" or "
            "\"auto\", got \"big\"");
  RtAppOptions opt;
  opt.nr_cpus = 4;
  EXPECT_EQ(error(R"({"global": {"calibration": "CPU4"}, "tasks": {"a": {"run": 1}}})", opt),
            "bad.json: global, key 'calibration': CPU 4 does not exist (the machine has 4 CPUs)");
}

TEST(RtAppErrors, EventValues) {
  EXPECT_EQ(phase_error(R"("run": "abc")"),
            "bad.json: task 'hog', phase 'p1', key 'run': expected an integer number of "
            "microseconds, got \"abc\"");
  EXPECT_EQ(phase_error(R"("sleep": 1.5)"),
            "bad.json: task 'hog', phase 'p1', key 'sleep': expected an integer number of "
            "microseconds, got 1.5");
  EXPECT_EQ(
      phase_error(R"("runtime": -3)"),
      "bad.json: task 'hog', phase 'p1', key 'runtime': a duration cannot be negative, got -3");
  EXPECT_EQ(phase_error(R"("run": 3000000000)"),
            "bad.json: task 'hog', phase 'p1', key 'run': 3000000000 is too large");
  EXPECT_EQ(phase_error(R"("lock": 3)"),
            "bad.json: task 'hog', phase 'p1', key 'lock': expected a mutex name (a non-empty "
            "string), got 3");
  EXPECT_EQ(phase_error(R"("lock_pages": true)"),
            "bad.json: task 'hog', phase 'p1', key 'lock_pages': expected a mutex name (a "
            "non-empty string), got true");
  EXPECT_EQ(phase_error(R"("signal": "")"),
            "bad.json: task 'hog', phase 'p1', key 'signal': expected a condition name (a "
            "non-empty string), got \"\"");
  EXPECT_EQ(phase_error(R"("waiter": "c")"),
            "bad.json: task 'hog', phase 'p1', key 'waiter': expected an object {\"ref\": condvar, "
            "\"mutex\": mutex}, got \"c\"");
  EXPECT_EQ(phase_error(R"("wait": {"ref": "c"})"),
            "bad.json: task 'hog', phase 'p1', key 'wait': missing 'mutex'");
  EXPECT_EQ(phase_error(R"("sync": {"mutex": "m"})"),
            "bad.json: task 'hog', phase 'p1', key 'sync': missing 'ref' (the condition variable)");
  EXPECT_EQ(phase_error(R"("wait": {"ref": "c", "mutex": "m", "timeout": 1})"),
            "bad.json: task 'hog', phase 'p1', key 'wait.timeout': unknown key (expected 'ref' and "
            "'mutex')");
  EXPECT_EQ(phase_error(R"("memrun": {"type": "read", "size": 4096, "count": 10})"),
            "bad.json: task 'hog', phase 'p1', key 'memrun': memrun is not supported (no cost "
            "model for memory-bound loops)");
  EXPECT_EQ(phase_error(R"("mem": -1)"),
            "bad.json: task 'hog', phase 'p1', key 'mem': -1 is out of range (0..2147483647)");
  EXPECT_EQ(phase_error(R"("resume": null)"),
            "bad.json: task 'hog', phase 'p1', key 'resume': expected a condition name (a "
            "non-empty string), got null");
  EXPECT_EQ(phase_error(R"("sem_wait": ["s"])"),
            "bad.json: task 'hog', phase 'p1', key 'sem_wait': expected a semaphore name (a "
            "non-empty string), got [\"s\"]");
}

TEST(RtAppErrors, Timers) {
  EXPECT_EQ(phase_error(R"("timer": 1000)"),
            "bad.json: task 'hog', phase 'p1', key 'timer': expected an object {\"ref\": name, "
            "\"period\": us, \"mode\": ...}, got 1000");
  EXPECT_EQ(phase_error(R"("timer": {"period": 1000})"),
            "bad.json: task 'hog', phase 'p1', key 'timer': the timer has no 'ref'");
  EXPECT_EQ(phase_error(R"("timer": {"ref": "t"})"),
            "bad.json: task 'hog', phase 'p1', key 'timer': the timer has no 'period'");
  EXPECT_EQ(phase_error(R"("timer1": {"ref": "t", "period": "1ms"})"),
            "bad.json: task 'hog', phase 'p1', key 'timer1.period': expected an integer number of "
            "microseconds, got \"1ms\"");
  EXPECT_EQ(phase_error(R"("timer": {"ref": "t", "period": 1, "mode": "abs"})"),
            "bad.json: task 'hog', phase 'p1', key 'timer.mode': expected \"relative\" or "
            "\"absolute\", got \"abs\"");
  EXPECT_EQ(phase_error(R"("timer": {"ref": "t", "period": 1, "phase": 0})"),
            "bad.json: task 'hog', phase 'p1', key 'timer.phase': unknown timer key (expected "
            "'ref', 'period' or 'mode')");
}

TEST(RtAppErrors, UnknownKeys) {
  EXPECT_EQ(phase_error(R"("run": 1, "nice": 3)"),
            "bad.json: task 'hog', phase 'p1', key 'nice': unknown key (not a phase property, and "
            "no event name starts with it)");
  EXPECT_EQ(error(R"({"tasks": {"hog": {"run": 1, "instances": 2}}})"),
            "bad.json: task 'hog', key 'instances': unknown key (not a task property, and no event "
            "name starts with it)");
  EXPECT_EQ(phase_error(R"("run": 1, "delay": 3)"),
            "bad.json: task 'hog', phase 'p1', key 'delay': unknown key (not a phase property, and "
            "no event name starts with it)");
  EXPECT_EQ(error(R"({"tasks": {"hog": {"run": 1, "phases": {"p": {"run": 1}}}}})"),
            "bad.json: task 'hog', key 'run': events must be inside a phase when the task has "
            "'phases' (rt-app would ignore this one)");
}

TEST(RtAppErrors, TaskProperties) {
  auto t = [](std::string_view body) {
    return error(fmt::format(R"({{"tasks": {{"hog": {{"run": 1, {}}}}}}})", body));
  };
  EXPECT_EQ(t(R"("policy": "SCHED_DEADLINE")"),
            "bad.json: task 'hog', key 'policy': SCHED_DEADLINE is not supported yet");
  EXPECT_EQ(t(R"("policy": "SCHED_NORMAL")"),
            "bad.json: task 'hog', key 'policy': unknown policy \"SCHED_NORMAL\" (expected "
            "SCHED_OTHER, SCHED_BATCH, SCHED_IDLE, SCHED_FIFO or SCHED_RR)");
  EXPECT_EQ(t(R"("priority": 20)"),
            "bad.json: task 'hog', key 'priority': priority is the nice value for fair policies; "
            "20 is out of range (-20..19)");
  EXPECT_EQ(t(R"("policy": "SCHED_FIFO", "priority": 0)"),
            "bad.json: task 'hog', key 'priority': rt priority 0 is out of range (1..99)");
  EXPECT_EQ(t(R"("priority": 100, "policy": "SCHED_RR")"),
            "bad.json: task 'hog', key 'priority': rt priority 100 is out of range (1..99)");
  EXPECT_EQ(t(R"("instance": -1)"),
            "bad.json: task 'hog', key 'instance': -1 is out of range (0..65536)");
  EXPECT_EQ(t(R"("loop": 0)"),
            "bad.json: task 'hog', key 'loop': a phase loop must be at least 1, or -1 for forever; "
            "got 0");
  EXPECT_EQ(t(R"("delay": "soon")"),
            "bad.json: task 'hog', key 'delay': expected an integer number of microseconds, got "
            "\"soon\"");
  EXPECT_EQ(t(R"("cpus": "0-3")"),
            "bad.json: task 'hog', key 'cpus': expected an array of CPU numbers such as [0, 2] "
            "(rt-app does not accept cpulist strings), got \"0-3\"");
  EXPECT_EQ(t(R"("cpus": [])"), "bad.json: task 'hog', key 'cpus': the CPU set is empty");
  EXPECT_EQ(t(R"("cpus": [0, -1])"),
            "bad.json: task 'hog', key 'cpus': CPU -1 is out of range (0..1023)");
  EXPECT_EQ(t(R"("taskgroup": "bg")"),
            "bad.json: task 'hog', key 'taskgroup': a taskgroup must start with '/', got \"bg\"");
  EXPECT_EQ(t(R"("taskgroup": "/bg", "policy": "SCHED_FIFO")"),
            "bad.json: task 'hog', key 'taskgroup': a taskgroup needs a fair policy (SCHED_OTHER, "
            "SCHED_BATCH or SCHED_IDLE)");
  EXPECT_EQ(t(R"("policy": "SCHED_RR", "dl-runtime": 100)"),
            "bad.json: task 'hog', key 'dl-runtime': dl-runtime (custom slice) applies only to "
            "SCHED_OTHER and SCHED_BATCH, not SCHED_RR");
  EXPECT_EQ(t(R"("util_max": 2000)"),
            "bad.json: task 'hog', key 'util_max': 2000 is out of range (-1..1024)");
  RtAppOptions opt;
  opt.nr_cpus = 2;
  EXPECT_EQ(error(R"({"tasks": {"hog": {"run": 1, "cpus": [2]}}})", opt),
            "bad.json: task 'hog', key 'cpus': CPU 2 does not exist (the machine has 2 CPUs)");
}

TEST(RtAppErrors, Phases) {
  EXPECT_EQ(error(R"({"tasks": {"hog": {"phases": {}}}})"),
            "bad.json: task 'hog', key 'phases': expected an object of phases, got {}");
  EXPECT_EQ(error(R"({"tasks": {"hog": {"phases": {"p1": 3}}}})"),
            "bad.json: task 'hog', phase 'p1': expected a phase object, got 3");
  EXPECT_EQ(phase_error(R"("loop": 4)"),
            "bad.json: task 'hog', phase 'p1': the phase has no events");
  EXPECT_EQ(error(R"({"tasks": {"hog": {"loop": 2}}})"),
            "bad.json: task 'hog': the task has no events");
  EXPECT_EQ(phase_error(R"("run": 1, "loop": 0)"),
            "bad.json: task 'hog', phase 'p1', key 'loop': a phase loop must be at least 1, or -1 "
            "for forever; got 0");
  EXPECT_EQ(error(R"({"tasks": {"hog": {"loop": -2, "phases": {"p1": {"run": 1}}}}})"),
            "bad.json: task 'hog', key 'loop': -2 is out of range (-1..2147483647)");
  EXPECT_EQ(phase_error(R"("run": 1, "dl-runtime": 100)"),
            "bad.json: task 'hog', phase 'p1', key 'dl-runtime': dl-runtime (custom slice) is only "
            "supported at task level");
  // A phase-level taskgroup is accepted (rtapp_cgroups_test.cc), but not in an RT phase.
  EXPECT_EQ(phase_error(R"("run": 1, "policy": "SCHED_FIFO", "taskgroup": "/a")"),
            "bad.json: task 'hog', phase 'p1', key 'policy': a task in a taskgroup needs a fair policy");
  EXPECT_EQ(
      phase_error(R"("run": 1, "policy": "SCHED_FIFO", "priority": -1)"),
      "bad.json: task 'hog', phase 'p1', key 'priority': rt priority -1 is out of range (1..99)");
  EXPECT_EQ(phase_error(R"("run": 1, "policy": "SCHED_DEADLINE")"),
            "bad.json: task 'hog', phase 'p1', key 'policy': SCHED_DEADLINE is not supported yet");
  EXPECT_EQ(
      error(
          R"({"tasks": {"hog": {"taskgroup": "/g", "phases": {"p1": {"run": 1, "policy": "SCHED_RR"}}}}})"),
      "bad.json: task 'hog', phase 'p1', key 'policy': a task in a taskgroup needs a fair policy");
}

TEST(RtAppErrors, Barriers) {
  EXPECT_EQ(
      error(R"({"tasks": {"a": {"phases": {"p": {"barrier": "b"}, "q": {"barrier1": "b"}}}}})"),
      "bad.json: task 'a', phase 'q', key 'barrier1': barrier 'b' is already used by this "
      "task; rt-app counts every use as more participants, so it would never open");
}

TEST(RtAppErrors, Forks) {
  EXPECT_EQ(phase_error(R"("fork": "nobody")"),
            "bad.json: task 'hog', phase 'p1', key 'fork': there is no task 'nobody' to fork");
  EXPECT_EQ(error(R"({"tasks": {"a": {"fork": "b"}, "b": {"instance": 0, "barrier": "x"}}})"),
            "bad.json: task 'a', key 'fork': task 'b' uses barriers, which rt-app cannot combine "
            "with fork (the participant count is fixed at start)");
  EXPECT_EQ(error(R"({"tasks": {"a": {"fork": "b"},
                      "b": {"instance": 0, "timer": {"ref": "unique", "period": 10}}}})"),
            "bad.json: task 'a', key 'fork': task 'b' uses unique timers; one timer per forked "
            "thread is not supported yet");
}

TEST(RtAppErrors, Options) {
  RtAppOptions opt;
  opt.run_scale = 0;
  EXPECT_EQ(error(R"({"tasks": {"a": {"run": 1}}})", opt),
            "bad.json: run_scale must be a positive number, got 0");
}

TEST(RtAppErrors, MissingFile) {
  auto r = parse_rtapp_file("/nonexistent/x.json");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(),
            "/nonexistent/x.json: cannot open the file (No such file or directory)");
}

// A number no double can hold aborted scxsim (nlohmann's out_of_range); now one line naming the
// task's key and the number. Columns: "run" is at 29..33 (1-based), its value 1e999 at 36..40,
// and nlohmann has read through column 40. A huge integer becomes a double (the nearest one to
// 10^23 prints as 9.999999999999999e+22): not an integer.
TEST(RtAppErrors, NumbersOutOfRange) {
  EXPECT_EQ(error(R"({"tasks": {"a": {"loop": 1, "run": 1e999}}})"),
            "bad.json: line 1, column 40: tasks.a.run: number 1e999 is out of range");
  EXPECT_EQ(error(R"({"tasks": {"a": {"loop": 1, "run": -1e999}}})"),
            "bad.json: line 1, column 41: tasks.a.run: number -1e999 is out of range");
  EXPECT_EQ(error(R"({"tasks": {"a": {"loop": 1, "run": 99999999999999999999999}}})"),
            "bad.json: task 'a', key 'run': expected an integer number of microseconds, got 9.999999999999999e+22");
}

// The task limit counts every instance before any is laid out.
TEST(RtAppErrors, TaskLimit) {
  RtAppOptions opt;
  opt.max_tasks = 4;
  const char* text = R"({"tasks": {"a": {"instance": 3, "loop": 1, "run": 10}, "b": {"instance": 2, "loop": 1, "run": 10}}})";
  EXPECT_EQ(error(text, opt), "bad.json: 5 tasks, more than the limit of 4 (raise it with --max-tasks)");
  opt.max_tasks = 5;
  EXPECT_EQ(error(text, opt), "ok");
}

}  // namespace
}  // namespace scx
