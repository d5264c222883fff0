#include "bpf/loader/lock_rules.h"

#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "bpf/helpers/helpers.h"

namespace scx::bpf {
namespace {

// Lock states as a set: which of "unlocked" / "locked" some path can be in at an instruction.
using LockSet = uint8_t;
constexpr LockSet kUnlocked = 1, kLocked = 2;

class LockWalk {
 public:
  LockWalk(std::span<const Insn> code, std::span<const LinkedFunction> functions)
      : code_(code), functions_(functions) {
    for (size_t f = 0; f < functions_.size(); ++f) function_at_[functions_[f].pos] = f;
  }

  std::optional<GlobalCallUnderLock> run() {
    std::vector<size_t> pending{0};
    std::set<size_t> started;
    pending_globals_ = &pending;
    while (!pending.empty() && !found_) {
      size_t f = pending.back();
      pending.pop_back();
      if (started.insert(f).second) exits(f, kUnlocked);
    }
    return found_;
  }

 private:
  // The lock states function `f` can return in when entered in states `entry`. The set is kept
  // whole (not split per state) so that a call made where the lock is only possibly held is not
  // taken for one made with it held.
  LockSet exits(size_t f, LockSet entry) {
    const auto key = std::make_pair(f, entry);
    if (auto it = summaries_.find(key); it != summaries_.end()) return it->second;
    if (!in_progress_.insert(key).second) return entry;  // a call cycle: BPF has none; stay safe
    const LinkedFunction& fn = functions_[f];
    std::vector<LockSet> at(fn.count, 0);
    std::vector<size_t> work;
    LockSet exit_states = 0;
    auto flow = [&](size_t to, LockSet s) {
      if (to >= fn.count || (at[to] | s) == at[to]) return;
      at[to] |= s;
      work.push_back(to);
    };
    if (fn.count) flow(0, entry);
    while (!work.empty() && !found_) {
      const size_t i = work.back();
      work.pop_back();
      const Insn& in = code_[fn.pos + i];
      const LockSet s = at[i];
      const uint8_t c = op::cls(in.code);
      if (is_ld_imm64(in)) {
        flow(i + 2, s);
        continue;
      }
      if (c != op::kJmp && c != op::kJmp32) {
        flow(i + 1, s);
        continue;
      }
      switch (op::alu_op(in.code)) {
        case op::kCall: flow(i + 1, after_call(fn.pos + i, in, s)); break;
        case op::kExit: exit_states |= s; break;
        case op::kJa: flow(i + 1 + (c == op::kJmp32 ? in.imm : in.off), s); break;
        default:  // conditional jumps and may_goto: both ways
          flow(i + 1, s);
          flow(i + 1 + in.off, s);
      }
    }
    in_progress_.erase(key);
    summaries_[key] = exit_states;
    return exit_states;
  }

  LockSet after_call(size_t pc, const Insn& in, LockSet s) {
    if (in.src == op::kCallHelper) {
      if (in.imm == kHelperSpinLock) return kLocked;
      if (in.imm == kHelperSpinUnlock) return kUnlocked;
      return s;
    }
    if (in.src != op::kCallLocal) return s;
    auto target = function_at_.find(pc + 1 + in.imm);
    if (target == function_at_.end()) return s;
    const LinkedFunction& callee = functions_[target->second];
    if (callee.global) {
      if (s == kLocked && !found_) found_ = GlobalCallUnderLock{pc, callee.name};
      pending_globals_->push_back(target->second);  // verified on its own, unlocked
      return s;
    }
    return exits(target->second, s);
  }

  std::span<const Insn> code_;
  std::span<const LinkedFunction> functions_;
  std::map<size_t, size_t> function_at_;  // first instruction → function index
  std::map<std::pair<size_t, LockSet>, LockSet> summaries_;
  std::set<std::pair<size_t, LockSet>> in_progress_;
  std::vector<size_t>* pending_globals_ = nullptr;
  std::optional<GlobalCallUnderLock> found_;
};

}  // namespace

std::optional<GlobalCallUnderLock> find_global_call_under_lock(std::span<const Insn> code,
                                                              std::span<const LinkedFunction> functions) {
  if (functions.empty()) return std::nullopt;
  return LockWalk(code, functions).run();
}

}  // namespace scx::bpf
