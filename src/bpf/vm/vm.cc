#include "bpf/vm/vm.h"

#include <fmt/format.h>

namespace scx::bpf {

AddressSpace& CallContext::memory() { return vm_.memory_; }
void* CallContext::user_data() { return vm_.user_data_; }

void CallContext::fault(std::string reason) {
  if (vm_.fault_) return;  // keep the first
  vm_.fault_ = Fault{};
  vm_.fault_->reason = reason.empty() ? "fault raised by host function" : std::move(reason);
}

bool CallContext::faulted() const { return vm_.fault_.has_value(); }

bool CallContext::can_access(uint64_t addr, uint64_t size, uint8_t need) const {
  const uint64_t lo = vm_.stack_top_ - static_cast<uint64_t>(depth_ + 1) * kStackSize;
  if (size == 0) return true;
  const bool on_stack = addr >= lo && addr < vm_.stack_top_ && size <= vm_.stack_top_ - addr &&
                        (addr & ~uint64_t{kStackSize - 1}) ==
                            ((addr + size - 1) & ~uint64_t{kStackSize - 1});
  return on_stack || vm_.memory_.allowed(addr, size, need);
}

bool CallContext::check(uint64_t addr, uint64_t size, uint8_t need, const char* what) {
  if (can_access(addr, size, need)) return true;
  const uint64_t lo = vm_.stack_top_ - static_cast<uint64_t>(depth_ + 1) * kStackSize;
  fault(fmt::format("{}: invalid {} of {} bytes at {:#x} ({})", what,
                    need == kPermRead ? "read" : need == kPermWrite ? "write" : "access", size,
                    addr, vm_.explain_access(addr, size, need, lo)));
  return false;
}

std::optional<uint64_t> CallContext::call(uint64_t code_addr, const HostArgs& args) {
  if (vm_.fault_) return std::nullopt;
  std::optional<size_t> pc = prog_.pc_of_code_address(code_addr);
  if (!pc) {
    fault(fmt::format("callback address {:#x} is not a function of this program", code_addr));
    return std::nullopt;
  }
  uint64_t r0 = 0;
  if (!vm_.exec(prog_, *pc, args, depth_ + 1, &r0)) return std::nullopt;
  return r0;
}

Vm::Vm(VmOptions options) : options_(options) {
  // Frames are 512-byte aligned so "does an access cross a frame" is one mask test.
  constexpr size_t kBytes = static_cast<size_t>(kMaxCallFrames) * kStackSize;
  stack_mem_ = std::make_unique<uint8_t[]>(kBytes + kStackSize);
  const auto raw = reinterpret_cast<uint64_t>(stack_mem_.get());
  stack_bottom_ = (raw + kStackSize - 1) & ~uint64_t{kStackSize - 1};
  stack_top_ = stack_bottom_ + kBytes;
}

Vm::~Vm() = default;

Status Vm::add_scratch(Region region) {
  const uint64_t base = region.base;
  SCX_RETURN_IF_ERROR(memory_.add(std::move(region)));
  scratch_.push_back(base);
  return {};
}

void Vm::end_run() {
  for (uint64_t base : scratch_) memory_.remove(base);
  scratch_.clear();
  running_ = false;
}

RunResult Vm::run(const Program& prog, size_t entry_pc, std::span<const uint64_t> args) {
  RunResult res;
  if (running_) {
    // Programs do not call programs; a helper wanting a callback uses CallContext::call().
    res.fault = Fault{entry_pc, "Vm::run re-entered while a program is running", {}, {}};
    res.fault->message = fmt::format("{}: {}", prog.name(), res.fault->reason);
    return res;
  }
  if (entry_pc >= prog.size() || !prog.is_insn_start(entry_pc)) {
    res.fault = Fault{entry_pc, fmt::format("entry point {} is not an instruction", entry_pc), {},
                      {}};
    res.fault->message = fmt::format("{}: {}", prog.name(), res.fault->reason);
    end_run();
    return res;
  }
  HostArgs a{};
  for (size_t i = 0; i < args.size() && i < a.size(); ++i) a[i] = args[i];
  running_ = true;
  fault_.reset();
  insns_left_ = options_.insn_budget;
  uint64_t r0 = 0;
  res.ok = exec(prog, entry_pc, a, 0, &r0);
  res.insns = options_.insn_budget - insns_left_;
  if (res.ok) {
    res.r0 = r0;
  } else {
    res.fault = std::move(fault_);
    fault_.reset();
  }
  end_run();
  return res;
}

RunResult Vm::run_ctx(const Program& prog, size_t entry_pc, std::span<const uint64_t> ctx_args) {
  if (ctx_args.size() > kMaxCtxArgs) {
    RunResult res;
    res.fault = Fault{entry_pc, fmt::format("{} ctx args (max {})", ctx_args.size(), kMaxCtxArgs),
                      {}, {}};
    res.fault->message = fmt::format("{}: {}", prog.name(), res.fault->reason);
    return res;
  }
  if (running_) return run(prog, entry_pc, {});  // reports the re-entry
  std::copy(ctx_args.begin(), ctx_args.end(), ctx_buf_.begin());
  // The ctx region stays mapped between runs but is sized to this call's arguments, so an
  // access past the last argument faults; its contents are only valid during a run_ctx().
  const uint64_t ctx = reinterpret_cast<uint64_t>(ctx_buf_.data());
  const uint64_t size = std::max<size_t>(ctx_args.size(), 1) * 8;
  if (size != ctx_size_) {
    Status s = ctx_size_ ? memory_.resize(ctx, size) : Status::Error("", "unmapped");
    if (!s.ok()) s = memory_.add(Region{ctx, size, kPermRead, "ctx", nullptr});
    if (!s.ok()) {
      RunResult res;
      res.fault = Fault{entry_pc, s.message(), s.message(), {}};
      return res;
    }
    ctx_size_ = size;
  }
  const uint64_t r1 = ctx;
  return run(prog, entry_pc, std::span<const uint64_t>(&r1, 1));
}

void Vm::set_fault(const Program& prog, size_t pc, std::string reason) {
  Fault f;
  f.pc = pc;
  f.reason = std::move(reason);
  std::string where = prog.describe_pc(pc);
  f.message = fmt::format("{}: insn {} ({}){}: {}", prog.name(), pc, prog.disasm_at(pc),
                          where.empty() ? "" : " at " + where, f.reason);
  fault_ = std::move(f);
}

std::string Vm::explain_access(uint64_t addr, uint64_t size, uint8_t need,
                               uint64_t stack_lo) const {
  const uint64_t fp = stack_lo + kStackSize;
  auto fp_rel = [&] {
    return addr < fp ? fmt::format("r10-{:#x}", fp - addr) : fmt::format("r10+{:#x}", addr - fp);
  };
  // Up to 64 KiB below the current frame is reported as a stack overflow, unless mapped.
  if (addr < stack_lo && addr + 0x10000 >= stack_lo && !memory_.find(addr))
    return fmt::format("stack overflow: {} is outside the {}-byte stack frame", fp_rel(),
                       kStackSize);
  if (addr >= stack_lo && addr < stack_top_) {
    if (size > stack_top_ - addr) return fmt::format("{} runs past the top of the stack", fp_rel());
    return fmt::format("{} crosses a stack frame boundary", fp_rel());
  }
  return memory_.explain(addr, size, need);
}

}  // namespace scx::bpf
