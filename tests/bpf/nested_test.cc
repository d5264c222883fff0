// Nested runs: a helper or kfunc starting another run while its program is still running (the
// kernel's ops.enqueue from scx_bpf_reenqueue_local() inside ops.cpu_release).
#include <gtest/gtest.h>

#include "vm_test_util.h"

namespace scx::bpf::test {
namespace {

constexpr int32_t kNested = 1;  // helper id that starts the nested run

// inner(r1): scribbles over R6..R9 and its own fp-8, returns r1 * 100 + fp-8.
Program inner_program() {
  Builder b;
  for (int r = 6; r <= 9; ++r) b.add(mov64_imm(r, -r));
  b.add(st(op::kDW, 10, -8, 5)).add(mov64_reg(0, 1)).add(alu64_imm(op::kMul, 0, 100));
  b.add(ldx(op::kDW, 2, 10, -8)).add(alu64_reg(op::kAdd, 0, 2)).add(exit_insn());
  return must_load(b.finish(), "inner");
}

// outer: R6..R9 = 6..9, fp-8 = 1000, r1 = 3, call the nested-run helper, then
// r0 = ret + r6 + r7 + r8 + r9 + fp-8 (everything of the outer run must have survived).
Program outer_program() {
  Builder b;
  for (int r = 6; r <= 9; ++r) b.add(mov64_imm(r, r));
  b.add(st(op::kDW, 10, -8, 1000)).add(mov64_imm(1, 3)).add(call_helper(kNested));
  for (int r = 6; r <= 9; ++r) b.add(alu64_reg(op::kAdd, 0, r));
  b.add(ldx(op::kDW, 2, 10, -8)).add(alu64_reg(op::kAdd, 0, 2)).add(exit_insn());
  return must_load(b.finish(), "outer");
}

TEST(BpfNested, HostFunctionRunsAProgramAndTheOuterRunIsIntact) {
  Vm vm;
  Program inner = inner_program(), outer = outer_program();
  RunResult seen;
  int depth_inside = 0;
  uint64_t outer_fp = 0, inner_top = 0;
  vm.helpers().set(kNested, "nested", [&](CallContext& cx, const HostArgs& a) -> uint64_t {
    outer_fp = cx.vm().stack_top();
    seen = cx.vm().run(inner, {a[0]});
    depth_inside = cx.vm().run_depth();
    return seen.ok ? seen.r0 : 0;
  });
  vm.helpers().set(2, "top", [&](CallContext& cx, const HostArgs&) -> uint64_t {
    inner_top = cx.vm().stack_top();
    return 0;
  });
  RunResult r = vm.run(outer);
  ASSERT_TRUE(r.ok) << r.fault->message;
  ASSERT_TRUE(seen.ok) << seen.fault->message;
  EXPECT_EQ(seen.r0, 305u);
  EXPECT_EQ(r.r0, 305u + 6 + 7 + 8 + 9 + 1000);
  EXPECT_EQ(depth_inside, 1);  // back in the outer run
  EXPECT_FALSE(vm.running());
  // Each run counts its own instructions: the outer run's 14, the inner run's 10.
  EXPECT_EQ(r.insns, 14u);
  EXPECT_EQ(seen.insns, 10u);
  // The nested run's stack lies wholly below the outer run's.
  Program probe = must_load({call_helper(2), exit_insn()});
  vm.helpers().set(kNested, "nested", [&](CallContext& cx, const HostArgs&) -> uint64_t {
    outer_fp = cx.vm().stack_top();
    return cx.vm().run(probe).ok;
  });
  ASSERT_TRUE(vm.run(outer).ok);
  EXPECT_LE(inner_top, outer_fp - uint64_t{kMaxCallFrames} * kStackSize);
}

// A chain of `calls` nested BPF-to-BPF calls whose innermost frame calls helper `id`.
Program chain_to_helper(int calls, int32_t id) {
  Builder b;
  b.jump(call_local(0), "f1").add(exit_insn());
  for (int i = 1; i <= calls; ++i) {
    b.label(fmt::format("f{}", i)).add(st(op::kDW, 10, -512, i));
    if (i < calls) b.jump(call_local(0), fmt::format("f{}", i + 1));
    else b.add(call_helper(id));
    b.add(ldx(op::kDW, 1, 10, -512)).add(alu64_reg(op::kAdd, 0, 1)).add(exit_insn());
  }
  return must_load(b.finish(), "chain");
}

TEST(BpfNested, NestedRunHasAllItsFrames) {
  // The outer run is 8 frames deep when it starts a run that is 8 frames deep itself.
  Vm vm;
  Program leaf = chain_to_helper(kMaxCallFrames - 1, 2);
  vm.helpers().set(2, "leaf", [](CallContext&, const HostArgs&) -> uint64_t { return 100; });
  RunResult inner;
  vm.helpers().set(kNested, "nested", [&](CallContext& cx, const HostArgs&) -> uint64_t {
    inner = cx.vm().run(leaf);
    return inner.r0;
  });
  RunResult r = vm.run(chain_to_helper(kMaxCallFrames - 1, kNested));
  ASSERT_TRUE(inner.ok) << inner.fault->message;
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(inner.r0, 100u + 28);  // 1 + 2 + ... + 7 from the frames' own stack slots
  EXPECT_EQ(r.r0, 128u + 28);
}

TEST(BpfNested, InnerFaultComesBackAndStopsTheOuterRun) {
  Vm vm;
  Program bad = must_load({mov64_imm(1, 0), ldx(op::kDW, 0, 1, 0), exit_insn()}, "inner");
  Program cb_target = must_load({mov64_imm(0, 1), exit_insn()});
  RunResult inner, refused;
  bool callback_refused = false;
  int after = 0;
  vm.helpers().set(kNested, "nested", [&](CallContext& cx, const HostArgs&) -> uint64_t {
    inner = cx.vm().run(bad);
    EXPECT_TRUE(cx.faulted());  // the outer run will stop when this returns
    callback_refused = !cx.call(Program::code_address(0), {}).has_value();
    refused = cx.vm().run(cb_target);
    ++after;  // the host function itself finishes normally
    return 7;
  });
  // outer: call nested; r0 = 1 (never reached); exit
  Program outer = must_load({call_helper(kNested), mov64_imm(0, 1), exit_insn()}, "outer");
  RunResult r = vm.run(outer);
  ASSERT_FALSE(inner.ok);
  EXPECT_EQ(inner.fault->pc, 1u);
  EXPECT_NE(inner.fault->reason.find("null pointer"), std::string::npos) << inner.fault->reason;
  EXPECT_TRUE(callback_refused);
  ASSERT_FALSE(refused.ok);
  EXPECT_EQ(refused.fault->reason, "not run: the enclosing run has faulted");
  EXPECT_EQ(after, 1);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.fault->pc, 0u);
  EXPECT_EQ(r.insns, 1u);
  EXPECT_EQ(r.fault->reason, "nested run faulted: " + inner.fault->message);
  EXPECT_EQ(
      r.fault->message.rfind("outer: insn 0 (call 0x1): nested run faulted: inner: insn 1", 0), 0u)
      << r.fault->message;
  EXPECT_FALSE(vm.running());
  // The VM is usable afterwards.
  EXPECT_TRUE(vm.run(cb_target).ok);
}

TEST(BpfNested, DepthIsBounded) {
  // The program calls a helper that runs the same program again, without end.
  Vm vm;
  Program self = must_load({call_helper(kNested), exit_insn()}, "self");
  std::vector<RunResult> results;
  int deepest = 0;
  vm.helpers().set(kNested, "nested", [&](CallContext& cx, const HostArgs&) -> uint64_t {
    deepest = std::max(deepest, cx.vm().run_depth());
    results.push_back(cx.vm().run(self));
    return 0;
  });
  RunResult r = vm.run(self);
  EXPECT_EQ(deepest, kMaxRunDepth);
  ASSERT_EQ(results.size(), static_cast<size_t>(kMaxRunDepth));
  // The innermost start is refused; every run above it stops in turn.
  ASSERT_FALSE(results.front().ok);
  EXPECT_EQ(results.front().fault->reason,
            "nested run depth exceeds 8 runs (a host function started a run 9 deep)");
  for (const RunResult& x : results) EXPECT_FALSE(x.ok);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(
      r.fault->reason.rfind("nested run faulted: self: insn 0 (call 0x1): nested run faulted:", 0),
      0u)
      << r.fault->reason;
  EXPECT_NE(r.fault->reason.find("nested run depth exceeds 8 runs"), std::string::npos);
  EXPECT_FALSE(vm.running());
}

// n iterations of a 3-instruction loop, then exit: 3n + 3 instructions.
Program counting_loop(int32_t n, const char* name) {
  Builder b;
  b.add(mov64_imm(0, 0)).add(mov64_imm(1, n)).label("loop");
  b.add(alu64_imm(op::kAdd, 0, 1))
      .add(alu64_imm(op::kSub, 1, 1))
      .jump(jmp_imm(op::kJne, 1, 0, 0), "loop");
  b.add(exit_insn());
  return must_load(b.finish(), name);
}

TEST(BpfNested, EachRunHasItsOwnBudget) {
  // 100 instructions per run: the outer run uses 66 + 3, the inner one 63; neither faults.
  Vm vm(VmOptions{.insn_budget = 100});
  Program inner = counting_loop(20, "inner");
  RunResult seen;
  vm.helpers().set(kNested, "nested", [&](CallContext& cx, const HostArgs&) -> uint64_t {
    seen = cx.vm().run(inner);
    return 0;
  });
  Builder b;
  b.add(mov64_imm(0, 0)).add(mov64_imm(1, 21)).label("loop");
  b.add(alu64_imm(op::kAdd, 0, 1))
      .add(alu64_imm(op::kSub, 1, 1))
      .jump(jmp_imm(op::kJne, 1, 0, 0), "loop");
  b.add(mov64_reg(6, 0)).add(call_helper(kNested)).add(mov64_reg(0, 6)).add(exit_insn());
  Program outer = must_load(b.finish(), "outer");
  RunResult r = vm.run(outer);
  ASSERT_TRUE(seen.ok) << seen.fault->message;
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(seen.insns, 63u);
  EXPECT_EQ(r.insns, 2u + 63 + 4);
  EXPECT_EQ(r.r0, 21u);
  // An endless inner loop exhausts its own budget, not the outer one's, and stops both.
  Program endless = must_load({ja(-1)}, "endless");
  vm.helpers().set(kNested, "nested", [&](CallContext& cx, const HostArgs&) -> uint64_t {
    seen = cx.vm().run(endless);
    return 0;
  });
  r = vm.run(outer);
  ASSERT_FALSE(seen.ok);
  EXPECT_EQ(seen.fault->reason, "instruction budget exceeded (100 instructions)");
  EXPECT_EQ(seen.insns, 100u);
  ASSERT_FALSE(r.ok);
  EXPECT_EQ(r.insns, 2u + 63 + 2);
}

TEST(BpfNested, CtxIsPerRun) {
  // outer(ctx = {1, 2, 3}): keeps ctx in r6, runs inner(ctx = {7}), then returns
  // inner's result + ctx[0] + ctx[1] + ctx[2]. inner returns ctx[0] * 100; ctx[1] faults.
  Vm vm;
  Program inner =
      must_load({ldx(op::kDW, 0, 1, 0), alu64_imm(op::kMul, 0, 100), exit_insn()}, "inner");
  Program inner_past = must_load({ldx(op::kDW, 0, 1, 8), exit_insn()}, "inner_past");
  const Program* which = &inner;
  RunResult seen;
  vm.helpers().set(kNested, "nested", [&](CallContext& cx, const HostArgs&) -> uint64_t {
    const uint64_t args[] = {7};
    seen = cx.vm().run_ctx(*which, 0, args);
    return seen.r0;
  });
  Builder b;
  b.add(mov64_reg(6, 1)).add(call_helper(kNested));
  for (int i = 0; i < 3; ++i) b.add(ldx(op::kDW, 1, 6, 8 * i)).add(alu64_reg(op::kAdd, 0, 1));
  b.add(exit_insn());
  Program outer = must_load(b.finish(), "outer");
  const uint64_t outer_args[] = {1, 2, 3};
  RunResult r = vm.run_ctx(outer, 0, outer_args);
  ASSERT_TRUE(seen.ok) << seen.fault->message;
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 700u + 1 + 2 + 3);
  which = &inner_past;  // the inner ctx holds exactly one argument
  r = vm.run_ctx(outer, 0, outer_args);
  ASSERT_FALSE(seen.ok);
  EXPECT_NE(seen.fault->reason.find("ctx"), std::string::npos) << seen.fault->reason;
  EXPECT_FALSE(r.ok);
}

TEST(BpfNested, ScratchLivesUntilItsOwnRunEnds) {
  Vm vm;
  static uint64_t outer_buf[2], inner_buf[2], arg_buf[2];
  const auto addr = [](const uint64_t* p) { return reinterpret_cast<uint64_t>(p); };
  bool arg_mapped_inside = false, inner_gone = false, outer_still = false;
  vm.helpers().set(3, "inner_scratch", [&](CallContext& cx, const HostArgs&) -> uint64_t {
    EXPECT_TRUE(cx.vm().add_scratch(Region{addr(inner_buf), 16, kPermRead, "inner", nullptr}).ok());
    arg_mapped_inside = cx.memory().find(addr(arg_buf)) != nullptr;
    return 0;
  });
  Program inner = must_load({call_helper(3), exit_insn()}, "inner");
  vm.helpers().set(kNested, "nested", [&](CallContext& cx, const HostArgs&) -> uint64_t {
    EXPECT_TRUE(cx.vm().add_scratch(Region{addr(outer_buf), 16, kPermRead, "outer", nullptr}).ok());
    const Region arg{addr(arg_buf), 16, kPermRead, "arg", nullptr};
    EXPECT_TRUE(cx.vm().run(inner, 0, {}, std::span<const Region>(&arg, 1)).ok);
    inner_gone = !cx.memory().find(addr(inner_buf)) && !cx.memory().find(addr(arg_buf));
    outer_still = cx.memory().find(addr(outer_buf)) != nullptr;
    return 0;
  });
  ASSERT_TRUE(vm.run(must_load({call_helper(kNested), exit_insn()}, "outer")).ok);
  EXPECT_TRUE(arg_mapped_inside);
  EXPECT_TRUE(inner_gone);
  EXPECT_TRUE(outer_still);
  EXPECT_EQ(vm.memory().find(addr(outer_buf)), nullptr);
}

TEST(BpfNested, EnclosingStackIsOutOfReach) {
  // The outer run hands its fp-8 to the nested run, which may not use it.
  Vm vm;
  Program inner = must_load({ldx(op::kDW, 0, 1, 0), exit_insn()}, "inner");
  RunResult seen;
  vm.helpers().set(kNested, "nested", [&](CallContext& cx, const HostArgs& a) -> uint64_t {
    seen = cx.vm().run(inner, {a[0]});
    return 0;
  });
  Program outer = must_load({st(op::kDW, 10, -8, 1), mov64_reg(1, 10), alu64_imm(op::kAdd, 1, -8),
                             call_helper(kNested), exit_insn()},
                            "outer");
  EXPECT_FALSE(vm.run(outer).ok);
  ASSERT_FALSE(seen.ok);
  EXPECT_NE(seen.fault->reason.find("on the stack of an enclosing run"), std::string::npos)
      << seen.fault->reason;
}

}  // namespace
}  // namespace scx::bpf::test
