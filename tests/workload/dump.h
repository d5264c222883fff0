// Test helpers: a compact text form of compiled programs, so tests can state exact op
// sequences, and a structural check of loop pairing.
#pragma once

#include <string>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "kernel/program.h"
#include "workload/rtapp.h"

namespace scx::testing {

inline std::string policy_str(int64_t p) {
  switch (static_cast<Policy>(p)) {
    case Policy::Normal:
      return "OTHER";
    case Policy::Batch:
      return "BATCH";
    case Policy::Idle:
      return "IDLE";
    case Policy::Fifo:
      return "FIFO";
    case Policy::RR:
      return "RR";
    default:
      return "?";
  }
}

inline std::string op_str(const Workload& w, const Op& op) {
  auto dur = [](int64_t ns) { return format_duration(static_cast<Ns>(ns)); };
  auto mode = [](int64_t b) {
    return b == static_cast<int64_t>(TimerMode::Absolute) ? "abs" : "rel";
  };
  switch (op.kind) {
    case OpKind::Run:
      return fmt::format("Run({})", dur(op.a));
    case OpKind::Runtime:
      return fmt::format("Runtime({})", dur(op.a));
    case OpKind::Sleep:
      return fmt::format("Sleep({})", dur(op.a));
    case OpKind::TimerWait:
      return fmt::format("TimerWait({},{},{})", w.timers.at(op.obj).name, dur(op.a), mode(op.b));
    case OpKind::Yield:
      return "Yield";
    case OpKind::SetAffinity: {
      const CpuMask& m = w.masks.at(op.obj);
      return fmt::format("SetAffinity({})", m.empty() ? std::string("task") : m.to_list());
    }
    case OpKind::SetSched:
      return fmt::format("SetSched({},{})", policy_str(op.a), op.b);
    case OpKind::SetCgroup:
      return fmt::format("SetCgroup({})", w.cgroups.at(op.obj).path);
    case OpKind::Lock:
      return fmt::format("Lock({})", w.mutexes.at(op.obj));
    case OpKind::Unlock:
      return fmt::format("Unlock({})", w.mutexes.at(op.obj));
    case OpKind::CondWait:
      return fmt::format("CondWait({},{})", w.condvars.at(op.obj), w.mutexes.at(op.b));
    case OpKind::CondSignal:
      return fmt::format("CondSignal({})", w.condvars.at(op.obj));
    case OpKind::CondBroadcast:
      return fmt::format("CondBroadcast({})", w.condvars.at(op.obj));
    case OpKind::CondSync:
      return fmt::format("CondSync({},{})", w.condvars.at(op.obj), w.mutexes.at(op.b));
    case OpKind::Barrier:
      return fmt::format("Barrier({})", w.barriers.at(op.obj).name);
    case OpKind::SemPost:
      return fmt::format("SemPost({})", w.semaphores.at(op.obj));
    case OpKind::SemWait:
      return fmt::format("SemWait({})", w.semaphores.at(op.obj));
    case OpKind::PipeSend:
      return "PipeSend";
    case OpKind::PipeRecv:
      return "PipeRecv";
    case OpKind::Fork:
      return fmt::format("Fork({},{})", w.tasks.at(op.obj).name, op.a);
    case OpKind::Exit:
      return "Exit";
    case OpKind::LoopBegin:
      return fmt::format("Loop({})", op.a);
    case OpKind::LoopEnd:
      return "EndLoop";
    case OpKind::Mark:
      return fmt::format("Mark({},{})", w.counters.at(op.obj), op.a);
    case OpKind::PhaseEnd:
      return fmt::format("PhaseEnd({})", op.obj);
    case OpKind::Host:
      return fmt::format("Host({},{})", op.obj, op.a);
  }
  return "?";
}

// Every LoopBegin names its LoopEnd and back, properly nested.
inline ::testing::AssertionResult loops_paired(const Program& p) {
  std::vector<size_t> open;
  for (size_t i = 0; i < p.ops.size(); ++i) {
    const Op& op = p.ops[i];
    if (op.kind == OpKind::LoopBegin) open.push_back(i);
    if (op.kind == OpKind::LoopEnd) {
      if (open.empty() || static_cast<size_t>(op.b) != open.back() ||
          static_cast<size_t>(p.ops[open.back()].b) != i)
        return ::testing::AssertionFailure() << "bad LoopEnd at " << i;
      open.pop_back();
    }
  }
  if (!open.empty())
    return ::testing::AssertionFailure() << "unclosed LoopBegin at " << open.back();
  if (p.ops.empty() || p.ops.back().kind != OpKind::Exit)
    return ::testing::AssertionFailure() << "program does not end with Exit";
  return ::testing::AssertionSuccess();
}

// The program of task i, one op per word.
inline std::string dump(const Workload& w, size_t task) {
  const Program& p = w.programs.at(w.tasks.at(task).program);
  EXPECT_TRUE(loops_paired(p)) << "task " << w.tasks.at(task).name;
  std::string s;
  for (const Op& op : p.ops) s += (s.empty() ? "" : " ") + op_str(w, op);
  return s;
}

}  // namespace scx::testing
