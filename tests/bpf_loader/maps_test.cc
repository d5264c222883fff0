// Maps: the kernel's semantics from the host side, value regions in the VM, and the maps
// subject exercising every type from BPF.
#include <gtest/gtest.h>

#include <cerrno>

#include "loader_test_util.h"

namespace scx::bpf::test {
namespace {

std::shared_ptr<Map> make(MapSpec s, std::shared_ptr<MapEnv> env = nullptr) {
  auto r = Map::create(s, env ? env : std::make_shared<MapEnv>());
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? std::move(r).value() : nullptr;
}

MapSpec hash_spec(uint32_t type, uint32_t max) {
  MapSpec s;
  s.name = "h";
  s.type = type;
  s.key_size = 4;
  s.value_size = 8;
  s.max_entries = max;
  return s;
}

TEST(Maps, HashFlagsErrorsAndInsertionOrder) {
  auto m = make(hash_spec(kMapHash, 3));
  uint64_t v = 1;
  for (uint32_t k : {5u, 1u, 9u}) EXPECT_EQ(m->update(&k, &v, kBpfNoExist), 0);
  uint32_t k = 4;
  EXPECT_EQ(m->update(&k, &v, kBpfAny), -E2BIG);
  k = 1;
  EXPECT_EQ(m->update(&k, &v, kBpfNoExist), -EEXIST);
  EXPECT_EQ(m->update(&k, &v, 3), -EINVAL);
  k = 4;
  EXPECT_EQ(m->update(&k, &v, kBpfExist), -ENOENT);
  EXPECT_EQ(m->update(&k, &v, kBpfFLock), -EINVAL);  // no bpf_spin_lock in the value
  std::vector<uint32_t> order;
  uint32_t next;
  const void* cur = nullptr;
  while (m->get_next_key(cur, &next) == 0) {
    order.push_back(next);
    k = next;
    cur = &k;
  }
  EXPECT_EQ(order, (std::vector<uint32_t>{5, 1, 9}));
  k = 1;
  EXPECT_EQ(m->remove(&k), 0);
  EXPECT_EQ(m->remove(&k), -ENOENT);
  EXPECT_EQ(m->size(), 2u);
}

TEST(Maps, LruEvictsLeastRecentlyUsedDeterministically) {
  auto m = make(hash_spec(kMapLruHash, 2));
  uint64_t v = 0;
  uint32_t a = 1, b = 2, c = 3;
  m->update(&a, &v, 0);
  m->update(&b, &v, 0);
  ASSERT_NE(m->lookup(&a), nullptr);
  m->update(&c, &v, 0);
  EXPECT_NE(m->lookup(&a), nullptr);
  EXPECT_EQ(m->lookup(&b), nullptr);
  EXPECT_NE(m->lookup(&c), nullptr);
}

TEST(Maps, DeletedValueRegionIsUnmapped) {
  AddressSpace mem;
  auto env = std::make_shared<MapEnv>();
  auto m = make(hash_spec(kMapHash, 4), env);
  m->attach(&mem);
  uint32_t k = 7;
  uint64_t v = 3;
  m->update(&k, &v, 0);
  auto* p = static_cast<uint8_t*>(m->lookup(&k));
  ASSERT_NE(p, nullptr);
  EXPECT_TRUE(mem.allowed(reinterpret_cast<uint64_t>(p), 8, kPermWrite));
  EXPECT_FALSE(mem.allowed(reinterpret_cast<uint64_t>(p) + 8, 1, kPermRead));
  m->remove(&k);
  EXPECT_FALSE(mem.allowed(reinterpret_cast<uint64_t>(p), 8, kPermWrite));
  m.reset();
  EXPECT_EQ(mem.num_regions(), 0u);
}

TEST(Maps, PercpuArraySeesTheCurrentCpu) {
  auto env = std::make_shared<MapEnv>();
  env->nr_cpus = 3;
  uint32_t cpu = 1;
  env->current_cpu = [&] { return cpu; };
  MapSpec s = hash_spec(kMapPercpuArray, 2);
  auto m = make(s, env);
  uint32_t k = 1;
  *static_cast<uint64_t*>(m->lookup(&k)) = 11;
  cpu = 2;
  *static_cast<uint64_t*>(m->lookup(&k)) = 22;
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup_cpu(&k, 1)), 11u);
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup_cpu(&k, 2)), 22u);
  EXPECT_EQ(*static_cast<uint64_t*>(m->lookup_cpu(&k, 0)), 0u);
}

TEST(Maps, BadSpecsAreRejected) {
  MapSpec s = hash_spec(kMapArray, 4);
  s.key_size = 8;
  auto r = Map::create(s, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "map 'h': array: key_size must be 4");
  s = hash_spec(11 /* lpm_trie */, 4);
  EXPECT_FALSE(Map::create(s, nullptr).ok());
  s = hash_spec(kMapRingbuf, 1000);
  s.key_size = s.value_size = 0;
  EXPECT_FALSE(Map::create(s, nullptr).ok());
}

TEST(Maps, SubjectExercisesEveryType) {
  auto env = std::make_shared<MapEnv>();
  env->nr_cpus = 2;
  env->current_cpu = [] { return 1u; };
  LoadOptions o;
  o.map_env = env;
  Vm vm;
  auto obj = must_load("maps.bpf.o", o);
  ASSERT_TRUE(obj);
  EXPECT_TRUE(obj->unsupported().empty()) << obj->unsupported().front();
  uint64_t now = 500;
  HelperHooks hooks;
  hooks.cpu = [] { return 1u; };
  hooks.ktime_ns = [&] { return now; };
  HelperEnv h(hooks);
  h.bind(vm);
  obj->attach(vm);
  TestTask parent(vm, 1, 100);
  TestTask t(vm, 5, 100);
  t.t.real_parent = &parent.t;
  RunResult r = vm.run(*obj->program("maps_test")->program, {t.addr()});
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 0u) << "failed step " << r.r0;
  EXPECT_TRUE(h.end_run().ok());
  // Host view of what the program did.
  uint32_t k = 1;
  EXPECT_EQ(static_cast<uint64_t*>(obj->map("arr")->lookup_cpu(&k, 0))[1], 66u);
  k = 0;
  EXPECT_EQ(*static_cast<uint64_t*>(obj->map("pcpu_arr")->lookup_cpu(&k, 1)), 101u);
  EXPECT_EQ(*static_cast<uint64_t*>(obj->map("pcpu_arr")->lookup_cpu(&k, 0)), 0u);
  EXPECT_EQ(obj->map("hash")->size(), 3u);
  uint64_t owner = t.addr();
  EXPECT_EQ(*static_cast<uint64_t*>(obj->map("task_store")->lookup_cpu(&owner, 0)), 42u);
  owner = parent.addr();
  EXPECT_EQ(*static_cast<uint64_t*>(obj->map("cgrp_store")->lookup_cpu(&owner, 0)), 43u);
  EXPECT_EQ(*static_cast<uint64_t*>(obj->map("inner1")->lookup_cpu(&k, 0)), 99u);
  EXPECT_EQ(*static_cast<uint64_t*>(obj->map("inner0")->lookup_cpu(&k, 0)), 0u);
  std::vector<uint64_t> records;
  static_cast<RingbufMap*>(obj->map("rb"))->consume([&](std::span<const uint8_t> rec) {
    uint64_t v;
    std::memcpy(&v, rec.data(), 8);
    records.push_back(v);
  });
  EXPECT_EQ(records, (std::vector<uint64_t>{0xabc, 3}));
  EXPECT_EQ(*reinterpret_cast<uint64_t*>(obj->global_data("bss_var")), 11u + 13 + 17);
  EXPECT_EQ(*reinterpret_cast<uint64_t*>(obj->global_data("data_var")), 70u);
  EXPECT_EQ(static_cast<uint64_t*>(obj->map("locked")->lookup_cpu(&k, 0))[1], 1u);
  ASSERT_EQ(h.log().size(), 1u);
  EXPECT_EQ(h.log()[0], "maps ok 42 yes");
  // The timer fires at 500 + 1000 with (map, key, value).
  EXPECT_EQ(h.next_timer(), std::optional<uint64_t>(1500));
  EXPECT_TRUE(h.run_timers(vm, 1499).empty());
  EXPECT_EQ(static_cast<uint64_t*>(obj->map("timers")->lookup_cpu(&k, 0))[2], 0u);
  EXPECT_TRUE(h.run_timers(vm, 1500).empty());
  EXPECT_EQ(static_cast<uint64_t*>(obj->map("timers")->lookup_cpu(&k, 0))[2], 1u);
  EXPECT_EQ(h.armed_timers(), 0u);
  // .rodata is read-only to programs, written by the host before running.
  const GlobalVar* ro = obj->global("ro_var");
  ASSERT_NE(ro, nullptr);
  EXPECT_TRUE(ro->read_only);
  EXPECT_FALSE(vm.memory().allowed(reinterpret_cast<uint64_t>(obj->global_data("ro_var")), 8, kPermWrite));
  // Unbalanced spin lock: reported at the end of the run.
  r = vm.run(*obj->program("spin_unbalanced")->program, {0});
  ASSERT_TRUE(r.ok);
  Status s = h.end_run();
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.message(), "bpf_spin_lock: program returned with a bpf_spin_lock held");
  vm.memory().remove(&t.t);
  vm.memory().remove(&parent.t);
}

}  // namespace
}  // namespace scx::bpf::test
