// Shared helpers for the loader tests: subject paths, a fake sched_ext kfunc registry that
// records calls, and a Vm with the generic helpers bound.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "bpf/helpers/helpers.h"
#include "bpf/loader/kernel_layouts.h"
#include "bpf/loader/elf.h"
#include "bpf/loader/object.h"
#include "scxsim/kernel_types.h"

namespace scx::bpf::test {

inline std::string subject(const std::string& name) { return std::string(SCXSIM_BPF_SUBJECTS) + "/" + name; }

struct KfuncCall {
  std::string name;
  HostArgs args;
};

// A registry with the sched_ext kfuncs the FIFO subject uses; calls are appended to `calls`.
struct FakeKfuncs {
  KfuncRegistry reg;
  std::vector<KfuncCall> calls;
  FakeKfuncs() {
    add_generic_kfuncs(reg);
    auto rec = [this](const char* n, uint64_t ret) {
      reg.add(n, [this, n, ret](CallContext&, const HostArgs& a) -> uint64_t {
        calls.push_back({n, a});
        return ret;
      });
    };
    rec("scx_bpf_dsq_insert", 0);
    rec("scx_bpf_dsq_insert_vtime", 0);
    rec("scx_bpf_dsq_move_to_local", 1);
    rec("scx_bpf_create_dsq", 0);
    reg.add("scx_bpf_select_cpu_dfl", [this](CallContext& cx, const HostArgs& a) -> uint64_t {
      calls.push_back({"scx_bpf_select_cpu_dfl", a});
      if (!cx.check(a[3], 1, kPermWrite, "is_idle")) return 0;
      *reinterpret_cast<uint8_t*>(a[3]) = 1;
      return a[1];
    });
  }
};

// A task_struct in VM memory with task_struct_layout() permissions.
struct TestTask {
  task_struct t{};
  TestTask(Vm& vm, int pid, uint32_t weight) {
    t.pid = pid;
    t.tgid = pid;
    t.scx.weight = weight;
    t.scx.slice = 20'000'000;
    EXPECT_TRUE(vm.memory().add(&t, sizeof t, kPermReadWrite, "task_struct", task_struct_layout()).ok());
  }
  uint64_t addr() const { return reinterpret_cast<uint64_t>(&t); }
};

inline std::unique_ptr<BpfObject> must_load(const std::string& name, const LoadOptions& o = {}) {
  auto r = load_bpf_object(subject(name), o);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return nullptr;
  return std::move(r).value();
}

}  // namespace scx::bpf::test
