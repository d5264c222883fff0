// The BPF host: unmodified sched_ext objects run as policies. The BPF twins of the native
// fifo/vtime policies give the identical event stream (fingerprint), also when compiled against
// a different type layout (CO-RE); hostile objects are ejected and the run goes on under fair.
#include <cstdio>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "bpf/host/bpf_ops.h"
#include "cli/runner.h"

namespace scx {
namespace {

const std::string kSched = SCXSIM_BPF_SCHEDULERS;
const std::string kSubjects = SCXSIM_BPF_HOST_SUBJECTS;

struct Scenario {
  const char* topology;
  const char* workload;
  Ns duration;
};

const Scenario kScenarios[] = {
    {"2", "hogs:count=4", 300 * kNsPerMs},
    {"4", "interactive:hogs=2", 300 * kNsPerMs},  // sleepers (frames) and hogs
    {"4", "pingpong:pairs=3", 100 * kNsPerMs},
    {"4", "pinned", 200 * kNsPerMs},
    {"4", "build:tasks=30,max=20ms", 2 * kNsPerSec},
};

Result<RunOutput> run(const Scenario& s, const std::string& sched, std::vector<std::string> globals = {},
                      uint64_t seed = 1) {
  RunOptions o;
  o.topology = s.topology;
  o.workload = s.workload;
  o.duration = s.duration;
  o.seed = seed;
  o.sched = sched;
  o.bpf_globals = std::move(globals);
  o.fingerprint = true;
  o.series_buckets = 0;
  return run_simulation(o);
}

std::string state(const RunOutput& r, const std::string& key) {
  for (const auto& [k, v] : r.report.info.scheduler_state)
    if (k == key) return v;
  return "";
}

void expect_twin(const std::string& native, const std::string& object, std::vector<std::string> globals) {
  for (const Scenario& s : kScenarios) {
    for (uint64_t seed : {1, 7}) {
      SCOPED_TRACE(fmt::format("{} on {} seed {}", s.workload, s.topology, seed));
      auto a = run(s, native, {}, seed);
      auto b = run(s, object, globals, seed);
      ASSERT_TRUE(a.ok()) << a.status().message();
      ASSERT_TRUE(b.ok()) << b.status().message();
      EXPECT_EQ(*a->report.info.fingerprint, *b->report.info.fingerprint);
      EXPECT_EQ(state(*b, "sched_ext state"), "enabled");
      EXPECT_EQ(state(*b, "EXIT"), "");
    }
  }
}

TEST(BpfTwin, VtimeGivesTheNativeFingerprint) { expect_twin("vtime", kSched + "/simple.bpf.o", {}); }
TEST(BpfTwin, FifoGivesTheNativeFingerprint) {
  expect_twin("fifo", kSched + "/simple.bpf.o", {"fifo_sched=1"});
}
TEST(BpfTwin, ShuffledLayoutGivesTheNativeFingerprint) {
  expect_twin("vtime", kSched + "/simple_shuffled.bpf.o", {});
}

TEST(BpfTwin, PrioGivesTheNativeFingerprint) { expect_twin("prio", kSched + "/prio.bpf.o", {}); }

TEST(BpfTwin, CentralGivesTheNativeFingerprint) { expect_twin("central", kSched + "/central.bpf.o", {}); }

TEST(BpfTwin, DifferentPoliciesDiffer) {
  auto a = run(kScenarios[0], kSched + "/simple.bpf.o");
  auto b = run(kScenarios[0], kSched + "/simple.bpf.o", {"fifo_sched=1"});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(*a->report.info.fingerprint, *b->report.info.fingerprint);
}

TEST(BpfHost, InfoComesFromStructOps) {
  bpf::BpfHostOptions o;
  auto ops = bpf::BpfScxOps::load(kSched + "/simple.bpf.o", o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  const ScxOpsInfo& info = (*ops)->info();
  EXPECT_EQ(info.name, "simple");
  EXPECT_TRUE(info.has(ScxOp::Enqueue));
  EXPECT_TRUE(info.has(ScxOp::Exit));
  EXPECT_FALSE(info.has(ScxOp::Dequeue));
  EXPECT_TRUE(info.has(ScxOp::ExitTask));  // always: the host forgets dying tasks' memory
}

// A hostile object is ejected with an error naming the place; tasks then finish under fair.
void expect_ejected(uint32_t mode, const std::string& what) {
  Scenario s{"2", "build:tasks=20,max=10ms", 5 * kNsPerSec};
  auto r = run(s, kSubjects + "/hostile_sched.bpf.o", {fmt::format("mode={}", mode)});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(state(*r, "sched_ext state"), "disabled");
  const std::string exit = state(*r, "EXIT");
  EXPECT_NE(exit.find("runtime error"), std::string::npos) << exit;
  EXPECT_NE(exit.find("hostile_enqueue"), std::string::npos) << exit;
  EXPECT_NE(exit.find("hostile_sched.bpf.c"), std::string::npos) << exit;  // the source line
  EXPECT_NE(exit.find(what), std::string::npos) << exit;
  std::printf("EXIT: %s\n", exit.c_str());
  // Every job finished (the run ended well before the limit).
  EXPECT_LT(r->report.info.duration, 4 * kNsPerSec);
}

TEST(BpfHostile, ReadOnlyFieldWriteIsEjected) { expect_ejected(1, "pid"); }
TEST(BpfHostile, OutOfBoundsWriteIsEjected) { expect_ejected(2, "insn"); }
TEST(BpfHostile, UnboundedLoopIsEjected) { expect_ejected(3, "budget"); }

TEST(BpfKfuncs, CpumaskKfuncsWork) {
  auto r = run(kScenarios[0], kSubjects + "/kfuncs_sched.bpf.o");
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(state(*r, "sched_ext state"), "enabled");
  EXPECT_EQ(state(*r, "EXIT"), "");
}

TEST(BpfKfuncs, ErrorAndExitAreFormatted) {
  auto e = run(kScenarios[0], kSubjects + "/kfuncs_sched.bpf.o", {"fail_after=5"});
  ASSERT_TRUE(e.ok()) << e.status().message();
  EXPECT_EQ(state(*e, "EXIT"), "scx_bpf_error (forced failure 5)");
  auto x = run(kScenarios[0], kSubjects + "/kfuncs_sched.bpf.o", {"exit_after=5"});
  ASSERT_TRUE(x.ok()) << x.status().message();
  EXPECT_NE(state(*x, "EXIT").find("done after 5"), std::string::npos) << state(*x, "EXIT");
  EXPECT_EQ(state(*x, "sched_ext state"), "disabled");
}

TEST(BpfHostile, UnknownKfuncIsALoadError) {
  auto r = run(kScenarios[0], kSubjects + "/unknown_kfunc_sched.bpf.o");
  ASSERT_FALSE(r.ok());
  const std::string msg = r.status().message();
  EXPECT_NE(msg.find("scx_bpf_no_such_kfunc"), std::string::npos) << msg;
  EXPECT_NE(msg.find("unknown_kfunc_sched.bpf.o"), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
}

TEST(BpfHostile, MissingFileIsALoadError) {
  auto r = run(kScenarios[0], "/nonexistent/x.bpf.o");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("x.bpf.o"), std::string::npos);
}

TEST(BpfHostile, UnknownGlobalIsAnError) {
  auto r = run(kScenarios[0], kSched + "/simple.bpf.o", {"no_such_var=1"});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("no_such_var"), std::string::npos);
}

}  // namespace
}  // namespace scx
