// What a map value's special fields hold and how it goes: percpu objects (bpf_percpu_obj_new,
// bpf_per_cpu_ptr / bpf_this_cpu_ptr, __percpu_kptr fields), kernel-object kptrs released
// through the host's destructor, and bpf_timers cancelled and freed with their value.
#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "bpf/helpers/graph.h"
#include "loader_test_util.h"

namespace scx::bpf::test {
namespace {

#define EXPECT_HAS(msg, part) EXPECT_NE((msg).find(part), std::string::npos) << (msg)

constexpr uint32_t kCpus = 4;

class ValueFields : public ::testing::Test {
 protected:
  void SetUp() override { load("percpu.bpf.o"); }
  void load(const char* name) {
    env_ = std::make_shared<MapEnv>();
    env_->nr_cpus = kCpus;
    env_->current_cpu = [this] { return cpu_; };
    LoadOptions o;
    o.map_env = env_;
    obj_ = must_load(name, o);
    ASSERT_TRUE(obj_);
    h_.bind(vm_);
    obj_->attach(vm_);
  }
  void TearDown() override {
    if (obj_) obj_->detach();
  }
  RunResult run(const char* name) {
    const BpfProgram* p = obj_->program(name);
    EXPECT_NE(p, nullptr) << name;
    if (!p) return RunResult{};
    RunResult r = vm_.run(*p->program, {0});
    (void)h_.end_run();
    return r;
  }
  void run_ok(const char* name) {
    RunResult r = run(name);
    ASSERT_TRUE(r.ok) << name << ": " << r.fault->message;
    EXPECT_EQ(r.r0, 0u) << name << " failed at step " << r.r0;
  }
  // Runs `name`, which must fault with one line naming the program and the source line.
  std::string fault(const char* name, const char* file = "percpu.bpf.c:") {
    RunResult r = run(name);
    EXPECT_FALSE(r.ok) << name;
    if (r.ok) return "";
    EXPECT_EQ(r.fault->message.find('\n'), std::string::npos) << r.fault->message;
    EXPECT_EQ(r.fault->message.rfind(std::string(name) + ": insn ", 0), 0u) << r.fault->message;
    EXPECT_HAS(r.fault->message, file);
    return r.fault->message;
  }
  std::vector<uint64_t> out() {
    auto* n = reinterpret_cast<uint32_t*>(obj_->global_data("nout"));
    auto* o = reinterpret_cast<uint64_t*>(obj_->global_data("out"));
    return std::vector<uint64_t>(o, o + *n);
  }
  uint64_t* value(const char* map, uint32_t key) {
    return static_cast<uint64_t*>(obj_->map(map)->lookup_cpu(&key, 0));
  }
  GraphHeap& heap() { return *obj_->graph(); }

  uint32_t cpu_ = 2;
  std::shared_ptr<MapEnv> env_;
  Vm vm_;
  HelperEnv h_;
  std::unique_ptr<BpfObject> obj_;
};

TEST_F(ValueFields, PercpuKfuncsAndHelpersAreKnown) {
  for (const char* n : {"bpf_percpu_obj_new_impl", "bpf_percpu_obj_drop_impl"})
    EXPECT_TRUE(global_kfunc_registry().contains(n)) << n;
  EXPECT_STREQ(helper_name(kHelperPerCpuPtr), "bpf_per_cpu_ptr");
  EXPECT_STREQ(helper_name(kHelperThisCpuPtr), "bpf_this_cpu_ptr");
  EXPECT_TRUE(obj_->unsupported().empty()) << obj_->unsupported().front();
}

TEST_F(ValueFields, PercpuObjectHasAZeroedCopyPerCpu) {
  run_ok("percpu_stash");
  // Four zeroed copies, NULL for cpu == nr_cpus, this CPU's (2) copy holds 21.
  EXPECT_EQ(out(), (std::vector<uint64_t>{0, 0, 0, 0, 0, 21}));
  EXPECT_EQ(heap().live_percpu_objects(), 1u);
  const uint64_t p = value("parr", 0)[1];
  ASSERT_NE(p, 0u);
  // The pointer itself is inaccessible; each copy is its own region.
  const Region* r = vm_.memory().find(p);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->perms, kPermNone);
  EXPECT_EQ(r->name, "percpu struct val_t");
  run_ok("percpu_sum");
  EXPECT_EQ(out(), (std::vector<uint64_t>{1 + 11 + 21 + 31}));
  // this_cpu_ptr follows the current CPU.
  run_ok("percpu_take");
  cpu_ = 3;
  run_ok("percpu_stash");
  EXPECT_EQ(out(), (std::vector<uint64_t>{0, 0, 0, 0, 0, 31}));
  // A second object for a full slot: the program drops it again (step 5).
  RunResult again = run("percpu_stash");
  ASSERT_TRUE(again.ok);
  EXPECT_EQ(again.r0, 5u);
  EXPECT_EQ(heap().live_percpu_objects(), 1u);
}

TEST_F(ValueFields, PercpuObjectTakenAndDropped) {
  run_ok("percpu_stash");
  const uint64_t p = value("parr", 0)[1];
  run_ok("percpu_take");
  EXPECT_EQ(value("parr", 0)[1], 0u);
  EXPECT_EQ(heap().live_percpu_objects(), 0u);
  const Region* r = vm_.memory().find(p);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->name, "dropped percpu struct val_t");
  EXPECT_EQ(r->perms, kPermNone);
  // The freed block is reused, zeroed, for the next object.
  run_ok("percpu_stash");
  EXPECT_EQ(out(), (std::vector<uint64_t>{0, 0, 0, 0, 0, 21}));
  EXPECT_EQ(value("parr", 0)[1], p);
  EXPECT_EQ(vm_.memory().find(p)->name, "percpu struct val_t");
}

TEST_F(ValueFields, PercpuKptrsGoWithTheirMapValues) {
  run_ok("percpu_stash_two");
  EXPECT_EQ(heap().live_percpu_objects(), 2u);
  run_ok("percpu_delete_hash");
  EXPECT_EQ(heap().live_percpu_objects(), 1u);
  run_ok("percpu_overwrite_arr");
  EXPECT_EQ(heap().live_percpu_objects(), 0u);
  EXPECT_EQ(value("parr", 1)[0], 9u);
  EXPECT_EQ(value("parr", 1)[1], 0u);
  // Destroying the map drops what is left.
  run_ok("percpu_stash_two");
  run_ok("percpu_stash");
  std::shared_ptr<GraphHeap> keep = obj_->graph();
  EXPECT_EQ(keep->live_percpu_objects(), 3u);
  obj_.reset();
  EXPECT_EQ(keep->live_percpu_objects(), 0u);
}

TEST_F(ValueFields, PercpuMisuseFaults) {
  EXPECT_HAS(fault("percpu_direct_read"), "percpu struct val_t+0x0: region is not readable");
  EXPECT_HAS(fault("percpu_copy_after_drop"), "dropped struct val_t (cpu 1)+0x0: region is not readable");
  std::string m = fault("percpu_ptr_after_drop");
  EXPECT_HAS(m, "bpf_this_cpu_ptr: R1 (percpu_ptr) 0x");
  EXPECT_HAS(m, "(dropped percpu struct val_t+0x0) is not an object from bpf_percpu_obj_new");
  m = fault("percpu_double_drop");
  EXPECT_HAS(m, "bpf_percpu_obj_drop_impl: R1 (p) 0x");
  EXPECT_HAS(m, "(dropped percpu struct val_t+0x0) is not an object from bpf_percpu_obj_new");
  m = fault("percpu_ptr_of_local");
  EXPECT_HAS(m, "bpf_per_cpu_ptr: R1 (percpu_ptr) 0x");
  EXPECT_HAS(m, "(struct val_t+0x0) is not an object from bpf_percpu_obj_new");
  EXPECT_HAS(fault("percpu_drop_local"),
             "is a struct val_t from bpf_obj_new, not a percpu object (use bpf_obj_drop)");
  EXPECT_HAS(fault("percpu_special_fields"),
             "bpf_percpu_obj_new_impl: struct with_node must not contain special fields "
             "(struct bpf_list_node node)");
  EXPECT_HAS(fault("percpu_pointer_member"),
             "bpf_percpu_obj_new_impl: struct with_ptr must be a struct of scalars");
  EXPECT_HAS(fault("percpu_too_big"),
             "bpf_percpu_obj_new_impl: struct too_big size (600) is greater than 512");
}

// ---- Kernel objects in kptr fields: released through the host's destructor ----

TEST_F(ValueFields, KernelKptrsAreReleasedWithTheirValues) {
  std::vector<uint64_t> released;
  heap().set_kptr_dtor("bpf_cpumask", [&](uint64_t p) { released.push_back(p); });
  // Stand-ins for bpf_cpumask objects (the destructor only sees the pointer).
  auto stash = [&](const char* map, uint32_t key, uint64_t p) { value(map, key)[1] = p; };
  uint8_t zero[16] = {};
  stash("kmask_arr", 0, 0x100000);
  const uint32_t k0 = 0;
  EXPECT_EQ(obj_->map("kmask_arr")->update(&k0, zero, kBpfAny), 0);
  EXPECT_EQ(released, (std::vector<uint64_t>{0x100000}));
  EXPECT_EQ(value("kmask_arr", 0)[1], 0u);
  Map* h = obj_->map("kmask_hash");
  for (uint32_t k : {1u, 2u, 3u}) {
    ASSERT_EQ(h->update(&k, zero, kBpfAny), 0);
    stash("kmask_hash", k, 0x200000 + k);
  }
  uint32_t k = 1;
  EXPECT_EQ(h->remove(&k), 0);  // delete
  k = 2;
  EXPECT_EQ(h->update(&k, zero, kBpfExist), 0);  // overwrite
  EXPECT_EQ(released, (std::vector<uint64_t>{0x100000, 0x200001, 0x200002}));
  stash("kmask_arr", 1, 0x100001);
  obj_->detach();
  obj_.reset();  // destroy: every live value
  std::sort(released.begin() + 3, released.end());
  EXPECT_EQ(released, (std::vector<uint64_t>{0x100000, 0x200001, 0x200002, 0x100001, 0x200003}));
}

TEST_F(ValueFields, KernelKptrsWithoutADestructorAreCleared) {
  value("kmask_arr", 0)[1] = 0x100000;
  uint8_t zero[16] = {};
  uint32_t k = 0;
  EXPECT_EQ(obj_->map("kmask_arr")->update(&k, zero, kBpfAny), 0);
  EXPECT_EQ(value("kmask_arr", 0)[1], 0u);
}

// ---- bpf_timer: cancelled and freed with its value ----

class Timers : public ValueFields {
 protected:
  void SetUp() override {
    hooks_.ktime_ns = [this] { return now_; };
    h2_ = std::make_unique<HelperEnv>(hooks_);
    load("timers.bpf.o");
    h2_->bind(vm_);
  }
  RunResult run2(const char* name) {
    RunResult r = vm_.run(*obj_->program(name)->program, {0});
    EXPECT_TRUE(h2_->end_run().ok());
    return r;
  }
  void ok(const char* name) {
    RunResult r = run2(name);
    ASSERT_TRUE(r.ok) << name << ": " << r.fault->message;
    EXPECT_EQ(r.r0, 0u) << name << " failed at step " << r.r0;
  }
  std::vector<uint64_t> fired() {
    auto* f = reinterpret_cast<uint64_t*>(obj_->global_data("fired"));
    return std::vector<uint64_t>(f, f + 8);
  }
  uint64_t now_ = 100;
  HelperHooks hooks_;
  std::unique_ptr<HelperEnv> h2_;
};

TEST_F(Timers, OverwrittenOrDeletedValuesNeverFire) {
  ok("arm_all");
  EXPECT_EQ(h2_->armed_timers(), 5u);
  ok("overwrite_array");
  EXPECT_EQ(h2_->armed_timers(), 4u);
  ok("delete_hash");
  EXPECT_EQ(h2_->armed_timers(), 3u);
  ok("overwrite_hash");
  EXPECT_EQ(h2_->armed_timers(), 2u);
  // From the host side too (a user-space update).
  uint8_t zero[24] = {};
  uint32_t k = 1;
  EXPECT_EQ(obj_->map("tarr")->update(&k, zero, kBpfAny), 0);
  EXPECT_EQ(h2_->armed_timers(), 1u);
  now_ = 5000;
  EXPECT_TRUE(h2_->run_timers(vm_, now_).empty());
  // Only thash[4] survived.
  EXPECT_EQ(fired(), (std::vector<uint64_t>{0, 0, 0, 0, 1, 0, 0, 0}));
  EXPECT_EQ(value("tarr", 0)[2], 5u);
}

TEST_F(Timers, AFreedTimerMustBeInitialisedAgain) {
  ok("arm_all");
  ok("overwrite_array");
  ok("restart_array");
  EXPECT_EQ(*reinterpret_cast<int64_t*>(obj_->global_data("restart_err")), -EINVAL);
  EXPECT_EQ(h2_->next_timer(), std::optional<uint64_t>(1100));
  now_ = 1100;
  EXPECT_TRUE(h2_->run_timers(vm_, now_).empty());
  EXPECT_EQ(fired(), (std::vector<uint64_t>{1, 1, 1, 1, 1, 0, 0, 0}));
}

TEST_F(Timers, LockedHashUpdateIsInPlaceAndKeepsTheTimer) {
  ok("locked_update");
  EXPECT_EQ(h2_->armed_timers(), 1u);
  ok("locked_overwrite");
  EXPECT_EQ(h2_->armed_timers(), 0u);
  ok("locked_update");
  now_ = 2000;
  EXPECT_TRUE(h2_->run_timers(vm_, now_).empty());
  EXPECT_EQ(fired()[6], 1u);
}

TEST_F(Timers, CallbackDeletingItsOwnElement) {
  ok("arm_self_delete");
  now_ = 2000;
  EXPECT_TRUE(h2_->run_timers(vm_, now_).empty());
  EXPECT_EQ(fired()[5], 1u);
  EXPECT_EQ(obj_->map("thash")->size(), 0u);
  EXPECT_EQ(h2_->armed_timers(), 0u);
  EXPECT_EQ(h2_->next_timer(), std::nullopt);
}

TEST_F(Timers, DestroyingTheMapOrTheHelpersForgetsTimers) {
  ok("arm_all");
  obj_->detach();
  obj_.reset();
  EXPECT_EQ(h2_->armed_timers(), 0u);
  EXPECT_EQ(h2_->next_timer(), std::nullopt);
  // The other order: the helpers go first, then the maps (no dangling owner).
  load("timers.bpf.o");
  h2_->bind(vm_);
  ok("arm_all");
  h2_.reset();
  obj_->detach();
  obj_.reset();
}

}  // namespace
}  // namespace scx::bpf::test
