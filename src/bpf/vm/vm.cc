#include "bpf/vm/vm.h"

#include <fmt/format.h>

namespace scx::bpf {

AddressSpace& CallContext::memory() { return vm_.memory_; }
void* CallContext::user_data() { return vm_.user_data_; }

void CallContext::fault(std::string reason) {
  if (vm_.cur_.fault) return;  // keep the first
  vm_.cur_.fault = Fault{};
  vm_.cur_.fault->reason = reason.empty() ? "fault raised by host function" : std::move(reason);
}

bool CallContext::faulted() const { return vm_.cur_.fault.has_value(); }

bool CallContext::can_access(uint64_t addr, uint64_t size, uint8_t need) const {
  const uint64_t lo = vm_.cur_.stack_top - static_cast<uint64_t>(depth_ + 1) * kStackSize;
  if (size == 0) return true;
  const bool on_stack =
      addr >= lo && addr < vm_.cur_.stack_top && size <= vm_.cur_.stack_top - addr &&
      (addr & ~uint64_t{kStackSize - 1}) == ((addr + size - 1) & ~uint64_t{kStackSize - 1});
  return on_stack || vm_.memory_.allowed(addr, size, need);
}

bool CallContext::check(uint64_t addr, uint64_t size, uint8_t need, const char* what) {
  if (can_access(addr, size, need)) return true;
  const uint64_t lo = vm_.cur_.stack_top - static_cast<uint64_t>(depth_ + 1) * kStackSize;
  fault(fmt::format("{}: invalid {} of {} bytes at {} ({})", what,
                    need == kPermRead ? "read" : need == kPermWrite ? "write" : "access", size,
                    vm_.memory_.shown(addr), vm_.explain_access(addr, size, need, lo)));
  return false;
}

uint64_t Vm::ref_key(uint64_t addr) const {
  const Region* r = memory_.find(addr);
  return r ? r->base : addr;
}

void CallContext::acquire_ref(uint64_t addr, const char* kfunc) {
  if (addr) vm_.cur_.refs.push_back(HeldRef{vm_.ref_key(addr), kfunc, pc_});
}

// A release of something the invocation does not hold (e.g. a reference from an enclosing
// run's argument) is not this check's business: the kernel's argument checks cover it.
void CallContext::release_ref(uint64_t addr) {
  if (!addr) return;
  std::vector<HeldRef>& refs = vm_.cur_.refs;
  const uint64_t key = vm_.ref_key(addr);
  for (auto it = refs.rbegin(); it != refs.rend(); ++it) {
    if (it->object != key) continue;
    refs.erase(std::next(it).base());
    return;
  }
}

// The kernel's verifier refuses such a program at load ("Unreleased reference id=N
// alloc_insn=M"); here it shows when a run returns, and the fault names the acquiring call.
void Vm::fault_unreleased(const Program& prog, const HeldRef& ref) {
  set_fault(prog, ref.pc,
            fmt::format("unreleased reference: the object {} returned here is still held when the "
                        "program returns ({} reference{} held; the kernel's verifier refuses this "
                        "at load: \"Unreleased reference\")",
                        ref.kfunc, cur_.refs.size(), cur_.refs.size() == 1 ? "" : "s"));
}

std::optional<uint64_t> CallContext::call(uint64_t code_addr, const HostArgs& args) {
  if (vm_.cur_.fault) return std::nullopt;
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
  constexpr size_t kBytes = static_cast<size_t>(kMaxRunDepth) * kRunStackBytes;
  stack_mem_ = std::make_unique<uint8_t[]>(kBytes + kStackSize);
  const auto raw = reinterpret_cast<uint64_t>(stack_mem_.get());
  stack_bottom_ = (raw + kStackSize - 1) & ~uint64_t{kStackSize - 1};
  stack_top0_ = stack_bottom_ + kBytes;
  memory_.set_stack(stack_bottom_, stack_top0_);
  cur_.stack_top = stack_top0_;
}

Vm::~Vm() = default;

Status Vm::add_scratch(Region region) {
  const uint64_t base = region.base;
  SCX_RETURN_IF_ERROR(memory_.add(std::move(region)));
  cur_.scratch.push_back(base);
  return {};
}

void Vm::drop_scratch(std::vector<uint64_t>& bases) {
  for (uint64_t base : bases) memory_.remove(base);
  bases.clear();
}

std::optional<std::string> Vm::why_cannot_start(const Program& prog, size_t entry_pc) const {
  if (depth_ >= kMaxRunDepth)
    return fmt::format("nested run depth exceeds {} runs (a host function started a run {} deep)",
                       kMaxRunDepth, kMaxRunDepth + 1);
  // The enclosing run stops at its next instruction; nothing more may start under it.
  if (depth_ > 0 && cur_.fault) return std::string("not run: the enclosing run has faulted");
  if (entry_pc >= prog.size() || !prog.is_insn_start(entry_pc))
    return fmt::format("entry point {} is not an instruction", entry_pc);
  return std::nullopt;
}

// A run that cannot start faults at once; nested, it stops the enclosing run like any fault.
RunResult Vm::refuse(const Program& prog, size_t entry_pc, std::string reason) {
  RunResult res;
  res.fault = Fault{entry_pc, std::move(reason), {}, {}};
  res.fault->message = fmt::format("{}: {}", prog.name(), res.fault->reason);
  if (depth_ > 0) stop_enclosing(*res.fault);
  else drop_scratch(cur_.scratch);  // added for this run
  return res;
}

// The enclosing run faults when the host function that started the nested run returns (the
// interpreter checks the fault state after every host call); the first fault is kept.
void Vm::stop_enclosing(const Fault& inner) {
  if (cur_.fault) return;
  cur_.fault = Fault{};
  cur_.fault->reason = "nested run faulted: " + inner.message;
}

RunResult Vm::run(const Program& prog, size_t entry_pc, std::span<const uint64_t> args,
                  std::span<const Region> scratch) {
  if (std::optional<std::string> why = cannot_start(prog, entry_pc))
    return refuse(prog, entry_pc, std::move(*why));
  HostArgs a{};
  for (size_t i = 0; i < args.size() && i < a.size(); ++i) a[i] = args[i];
  // A top-level run starts from the idle state in place (only its scratch, added before the
  // run and the run's own, can be non-empty), sparing every op the moves of the state in and
  // out. A nested run keeps the enclosing run's state on the host stack meanwhile.
  if (depth_ == 0) {
    RunResult res = run_in_cur(prog, entry_pc, a, scratch);
    reset_idle_state();
    return res;
  }
  RunState outer = std::move(cur_);
  cur_ = RunState{};
  RunResult res = run_in_cur(prog, entry_pc, a, scratch);
  cur_ = std::move(outer);
  if (!res.ok) stop_enclosing(*res.fault);
  return res;
}

RunResult Vm::run_in_cur(const Program& prog, size_t entry_pc, const HostArgs& args,
                         std::span<const Region> scratch) {
  cur_.insns_left = options_.insn_budget;
  cur_.stack_top = stack_top_of(depth_);
  ++depth_;
  for (const Region& r : scratch) (void)add_scratch(r);  // an overlap faults on use instead
  RunResult res;
  uint64_t r0 = 0;
  res.ok = exec(prog, entry_pc, args, 0, &r0);
  if (res.ok && !cur_.refs.empty()) {
    fault_unreleased(prog, cur_.refs.front());
    res.ok = false;
  }
  res.insns = options_.insn_budget - cur_.insns_left;
  if (res.ok) res.r0 = r0;
  else res.fault = std::move(cur_.fault);
  drop_scratch(cur_.scratch);
  --depth_;
  return res;
}

// The state outside any run, as the VM starts: the top-level run that just ended leaves no fault,
// reference or budget behind.
void Vm::reset_idle_state() {
  cur_.insns_left = 0;
  cur_.fault.reset();
  cur_.fault_depth = 0;
  cur_.refs.clear();
  cur_.stack_top = stack_top0_;
}

// Maps the ctx buffer of the run about to start, sized to this call's arguments so that an
// access past the last one faults. It stays mapped between runs; its contents are only valid
// during a run_ctx() at that depth.
Status Vm::map_ctx(std::span<const uint64_t> ctx_args, uint64_t* addr) {
  CtxBuf& buf = ctx_[static_cast<size_t>(depth_)];
  std::copy(ctx_args.begin(), ctx_args.end(), buf.words.begin());
  *addr = reinterpret_cast<uint64_t>(buf.words.data());
  const uint64_t size = std::max<size_t>(ctx_args.size(), 1) * 8;
  if (size == buf.mapped) return {};
  Status s = buf.mapped ? memory_.resize(*addr, size) : Status::Error("", "unmapped");
  if (!s.ok()) s = memory_.add(Region{*addr, size, kPermRead, "ctx", nullptr});
  if (s.ok()) buf.mapped = size;
  return s;
}

RunResult Vm::run_ctx(const Program& prog, size_t entry_pc, std::span<const uint64_t> ctx_args,
                      std::span<const Region> scratch) {
  if (ctx_args.size() > kMaxCtxArgs)
    return refuse(prog, entry_pc,
                  fmt::format("{} ctx args (max {})", ctx_args.size(), kMaxCtxArgs));
  if (std::optional<std::string> why = cannot_start(prog, entry_pc))
    return refuse(prog, entry_pc, std::move(*why));
  uint64_t ctx = 0;
  if (Status s = map_ctx(ctx_args, &ctx); !s.ok()) return refuse(prog, entry_pc, s.message());
  return run(prog, entry_pc, std::span<const uint64_t>(&ctx, 1), scratch);
}

void Vm::set_fault(const Program& prog, size_t pc, std::string reason) {
  Fault f;
  f.pc = pc;
  f.reason = std::move(reason);
  std::string where = prog.describe_pc(pc);
  f.message = fmt::format("{}: insn {} ({}){}: {}", prog.name(), pc, prog.disasm_at(pc),
                          where.empty() ? "" : " at " + where, f.reason);
  cur_.fault = std::move(f);
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
  const uint64_t top = cur_.stack_top;
  if (addr >= stack_lo && addr < top) {
    if (size > top - addr) return fmt::format("{} runs past the top of the stack", fp_rel());
    return fmt::format("{} crosses a stack frame boundary", fp_rel());
  }
  if (addr >= top && addr < stack_top0_)
    return fmt::format("{} is on the stack of an enclosing run", memory_.shown(addr));
  return memory_.explain(addr, size, need);
}

}  // namespace scx::bpf
