// The load-time rule on global functions called under a bpf_spin_lock (loader/lock_rules.h):
// hand-assembled programs for the analysis itself, then compiled objects through the loader.
#include <gtest/gtest.h>

#include <vector>

#include "bpf/helpers/helpers.h"
#include "bpf/loader/lock_rules.h"
#include "loader_test_util.h"

namespace scx::bpf::test {
namespace {

Insn helper(int id) { return Insn{.code = op::kJmp | op::kCall, .imm = id}; }
Insn lock() { return helper(kHelperSpinLock); }
Insn unlock() { return helper(kHelperSpinUnlock); }
// A bpf-to-bpf call from `pc` to `target`.
Insn call(int pc, int target) { return Insn{.code = op::kJmp | op::kCall, .src = op::kCallLocal, .imm = target - pc - 1}; }
Insn exit_insn() { return Insn{.code = op::kJmp | op::kExit}; }
Insn ret0() { return Insn{.code = op::kAlu64 | op::kMov | op::kK}; }
// if r1 == 0 goto +off
Insn if_r1_zero(int off) { return Insn{.code = op::kJmp | op::kJeq | op::kK, .dst = 1, .off = static_cast<int16_t>(off)}; }

std::optional<GlobalCallUnderLock> check(const std::vector<Insn>& code, const std::vector<LinkedFunction>& fns) {
  return find_global_call_under_lock(code, fns);
}

TEST(LockRules, GlobalCallWithTheLockHeldIsFound) {
  //   0 lock; 1 call g; 2 unlock; 3 exit | g: 4 r0 = 0; 5 exit
  std::vector<Insn> code{lock(), call(1, 4), unlock(), exit_insn(), ret0(), exit_insn()};
  auto bad = check(code, {{0, 4, false, "prog"}, {4, 2, true, "g"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->pc, 1u);
  EXPECT_EQ(bad->callee, "g");
  // The same call before the lock, or to a static (or hidden) function under it, is allowed.
  std::vector<Insn> before{call(0, 4), lock(), unlock(), exit_insn(), ret0(), exit_insn()};
  EXPECT_FALSE(check(before, {{0, 4, false, "prog"}, {4, 2, true, "g"}}));
  EXPECT_FALSE(check(code, {{0, 4, false, "prog"}, {4, 2, false, "s"}}));
}

TEST(LockRules, ALockHeldOnlyOnSomePathsIsNotReported) {
  // 0 if r1 == 0 goto 2; 1 lock; 2 call g; 3 exit | g: 4 r0 = 0; 5 exit
  // The verifier would reject the path through 1 only if it is feasible; without register
  // values the check stays silent rather than refuse an object the kernel loads.
  std::vector<Insn> code{if_r1_zero(1), lock(), call(2, 4), exit_insn(), ret0(), exit_insn()};
  EXPECT_FALSE(check(code, {{0, 4, false, "prog"}, {4, 2, true, "g"}}));
}

TEST(LockRules, StaticFunctionsCarryTheLockBothWays) {
  // A static function that returns with the lock taken: the global call after it is found.
  //   0 call s; 1 call g; 2 unlock; 3 exit | s: 4 lock; 5 exit | g: 6 r0 = 0; 7 exit
  std::vector<Insn> taken{call(0, 4), call(1, 6), unlock(), exit_insn(), lock(), exit_insn(), ret0(), exit_insn()};
  auto bad = check(taken, {{0, 4, false, "prog"}, {4, 2, false, "s"}, {6, 2, true, "g"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->pc, 1u);
  // A static function called under the lock that calls a global one: found inside it.
  //   0 lock; 1 call s; 2 unlock; 3 exit | s: 4 call g; 5 exit | g: 6 r0 = 0; 7 exit
  std::vector<Insn> inside{lock(), call(1, 4), unlock(), exit_insn(), call(4, 6), exit_insn(), ret0(), exit_insn()};
  bad = check(inside, {{0, 4, false, "prog"}, {4, 2, false, "s"}, {6, 2, true, "g"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->pc, 4u);
  EXPECT_EQ(bad->callee, "g");
}

TEST(LockRules, GlobalFunctionsAreCheckedOnTheirOwnFromUnlocked) {
  // g (global, called unlocked) takes the lock and calls global h under it: found in g.
  //   0 call g; 1 exit | g: 2 lock; 3 call h; 4 unlock; 5 exit | h: 6 r0 = 0; 7 exit
  std::vector<Insn> code{call(0, 2), exit_insn(), lock(), call(3, 6), unlock(), exit_insn(), ret0(), exit_insn()};
  auto bad = check(code, {{0, 2, false, "prog"}, {2, 4, true, "g"}, {6, 2, true, "h"}});
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->pc, 3u);
  EXPECT_EQ(bad->callee, "h");
}

TEST(LockRules, TheLoaderRefusesAGlobalCallUnderALock) {
  auto r = load_bpf_object(subject("hostile_lock_call.bpf.o"));
  ASSERT_FALSE(r.ok());
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("program 'global_under_lock'"), std::string::npos) << m;
  EXPECT_NE(m.find("calls global function 'add_global' while holding a bpf_spin_lock"), std::string::npos) << m;
  EXPECT_EQ(m.find('\n'), std::string::npos) << m;
}

// What the kernel accepts loads and runs: a static and a hidden function under the lock (5 =
// 2 + 3 added under it), and a global call after a function that returns holding the lock only
// on success (flip even: counter 5 + 10 = 15, add_global returns 16; odd: 5 + 1 = 6).
TEST(LockRules, AcceptedPatternsLoadAndRun) {
  for (const char* flip : {"0", "1"}) {
    SCOPED_TRACE(flip);
    Vm vm;
    auto obj = must_load("lock_calls.bpf.o");
    ASSERT_TRUE(obj);
    ASSERT_TRUE(obj->set_global("flip", flip).ok());
    HelperEnv h;
    h.bind(vm);
    obj->attach(vm);
    RunResult a = vm.run(*obj->program("static_under_lock")->program, {0});
    ASSERT_TRUE(a.ok) << a.fault->message;
    EXPECT_EQ(a.r0, 5u);
    RunResult b = vm.run(*obj->program("global_after_maybe_lock")->program, {0});
    ASSERT_TRUE(b.ok) << b.fault->message;
    EXPECT_EQ(b.r0, flip[0] == '0' ? 16u : 6u);
    EXPECT_EQ(h.held_locks(), 0u);
  }
}

}  // namespace
}  // namespace scx::bpf::test
