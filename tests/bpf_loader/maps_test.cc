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

// User space's inner maps (MapOfMaps::create_inner): the kernel's bpf_map_meta_equal against
// the template (type, sizes, flags; an array's length unless BPF_F_INNER_MAP), queues that
// hold nothing until pushed, and inner values that leave the address space with the outer map.
TEST(Maps, InnerMapsAreCheckedAgainstTheTemplate) {
  MapSpec outer = hash_spec(kMapArrayOfMaps, 4096);
  outer.value_size = 4;
  MapSpec q;
  q.type = kMapQueue;
  q.value_size = 4;
  q.max_entries = 4096;
  outer.inner = std::make_shared<MapSpec>(q);
  auto env = std::make_shared<MapEnv>();
  auto m = make(outer, env);
  auto* mom = static_cast<MapOfMaps*>(m.get());
  q.max_entries = 16;  // a queue's length may differ
  for (uint32_t i = 0; i < 4096; ++i) ASSERT_TRUE(mom->create_inner(&i, q).ok()) << i;
  EXPECT_EQ(mom->size(), 4096u);
  uint32_t k = 4095, v = 42;
  auto* inner = static_cast<Map*>(mom->lookup(&k));
  ASSERT_NE(inner, nullptr);
  EXPECT_EQ(inner->push(&v, 0), 0);
  EXPECT_EQ(inner->size(), 1u);
  q.value_size = 8;
  EXPECT_NE(mom->incompatibility(q).find("does not match the inner map template"), std::string::npos);
  EXPECT_FALSE(mom->create_inner(&k, q).ok());
  q.value_size = 4;
  q.map_flags = 1;
  EXPECT_FALSE(mom->incompatibility(q).empty());

  MapSpec arr = hash_spec(kMapArray, 8);
  outer.inner = std::make_shared<MapSpec>(arr);
  auto m2 = make(outer, env);
  auto* arrays = static_cast<MapOfMaps*>(m2.get());
  arr.max_entries = 16;
  EXPECT_FALSE(arrays->incompatibility(arr).empty());  // an array's length must match
  arr.map_flags = kBpfFInnerMap;
  outer.inner = std::make_shared<MapSpec>(arr);
  auto m3 = make(outer, env);
  arr.max_entries = 2;
  EXPECT_EQ(static_cast<MapOfMaps*>(m3.get())->incompatibility(arr), "");

  AddressSpace mem;
  m3->attach(&mem);
  k = 0;
  ASSERT_TRUE(static_cast<MapOfMaps*>(m3.get())->create_inner(&k, arr).ok());
  auto* a = static_cast<Map*>(m3->lookup(&k));
  ASSERT_NE(a->lookup(&k), nullptr);
  EXPECT_GT(mem.num_regions(), 0u);
  m3->detach();
  EXPECT_EQ(mem.num_regions(), 0u);
  env->memory = nullptr;  // mem goes first
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

// BPF_F_LOCK (kernel/bpf/{arraymap,hashtab,syscall}.c): updates copy all but the bpf_spin_lock
// in place; user-space lookups return the value with the lock zeroed.
struct Locked {
  uint32_t lock;  // struct bpf_spin_lock
  uint32_t pad;
  uint64_t a, b;
};

MapSpec locked_spec(uint32_t type) {
  MapSpec s = hash_spec(type, 4);
  s.value_size = sizeof(Locked);
  s.spin_lock_off = 0;
  return s;
}

TEST(Maps, LockedUpdateKeepsTheLockWord) {
  for (uint32_t type : {kMapArray, kMapHash}) {
    SCOPED_TRACE(map_type_name(type));
    auto m = make(locked_spec(type));
    uint32_t k = 1;
    Locked v{0xdead, 0, 5, 6};
    ASSERT_EQ(m->update(&k, &v, kBpfAny | kBpfFLock), 0);
    auto* stored = static_cast<Locked*>(m->lookup_cpu(&k, 0));
    ASSERT_NE(stored, nullptr);
    EXPECT_EQ(stored->lock, 0u);  // a new hash element starts unlocked; the array is zeroed
    stored->lock = 1;             // held by someone
    v = Locked{0xbeef, 0, 7, 8};
    EXPECT_EQ(m->update(&k, &v, kBpfExist | kBpfFLock), 0);
    EXPECT_EQ(stored, m->lookup_cpu(&k, 0));  // in place
    EXPECT_EQ(stored->lock, 1u);
    EXPECT_EQ(stored->a, 7u);
    EXPECT_EQ(stored->b, 8u);
    EXPECT_EQ(m->update(&k, &v, kBpfNoExist | kBpfFLock), -EEXIST);
    // User-space lookup: flags 0 or BPF_F_LOCK; the copy has the lock word zeroed.
    Locked out{9, 9, 9, 9};
    EXPECT_EQ(m->lookup_copy(&k, &out, kBpfFLock), 0);
    EXPECT_EQ(out.lock, 0u);
    EXPECT_EQ(out.a, 7u);
    EXPECT_EQ(out.b, 8u);
    EXPECT_EQ(stored->lock, 1u);
    EXPECT_EQ(m->lookup_copy(&k, &out, 8), -EINVAL);
    uint32_t missing = 9;
    EXPECT_EQ(m->lookup_copy(&missing, &out, 0), -ENOENT);
  }
  auto h = make(locked_spec(kMapHash));
  uint32_t k = 3;
  Locked v{};
  EXPECT_EQ(h->update(&k, &v, kBpfExist | kBpfFLock), -ENOENT);
}

TEST(Maps, LockFlagErrorsInTheKernelsOrder) {
  auto a = make(hash_spec(kMapArray, 4));  // no bpf_spin_lock
  uint32_t k = 7;
  uint64_t v = 1;
  EXPECT_EQ(a->update(&k, &v, kBpfFLock), -E2BIG);  // the index is checked first
  k = 1;
  EXPECT_EQ(a->update(&k, &v, kBpfNoExist | kBpfFLock), -EEXIST);
  EXPECT_EQ(a->update(&k, &v, kBpfFLock), -EINVAL);
  uint64_t out = 0;
  EXPECT_EQ(a->lookup_copy(&k, &out, kBpfFLock), -EINVAL);
  auto lru = make(hash_spec(kMapLruHash, 4));
  EXPECT_EQ(lru->update(&k, &v, kBpfFLock), -EINVAL);
  // A bpf_spin_lock only in hash/array/local-storage values, a bpf_timer only in
  // hash/lru_hash/array values.
  auto r = Map::create(locked_spec(kMapLruHash), nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "map 'h': lru_hash: a bpf_spin_lock in the value is not supported");
  EXPECT_FALSE(Map::create(locked_spec(kMapPercpuArray), nullptr).ok());
  MapSpec t = hash_spec(kMapPercpuHash, 4);
  t.value_size = 16;
  t.timer_off = 0;
  r = Map::create(t, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "map 'h': percpu_hash: a bpf_timer in the value is not supported");
  t.type = kMapLruHash;
  EXPECT_TRUE(Map::create(t, nullptr).ok());
}

TEST(Maps, UserLookupOfAPercpuArrayCopiesEveryCpu) {
  auto env = std::make_shared<MapEnv>();
  env->nr_cpus = 2;
  MapSpec s = hash_spec(kMapPercpuArray, 2);
  s.value_size = 4;  // padded to 8 per CPU in the copy
  auto m = make(s, env);
  uint32_t k = 1;
  *static_cast<uint32_t*>(m->lookup_cpu(&k, 0)) = 11;
  *static_cast<uint32_t*>(m->lookup_cpu(&k, 1)) = 22;
  uint32_t out[4] = {9, 9, 9, 9};
  EXPECT_EQ(m->lookup_copy(&k, out, 0), 0);
  EXPECT_EQ(out[0], 11u);
  EXPECT_EQ(out[1], 0u);
  EXPECT_EQ(out[2], 22u);
  EXPECT_EQ(out[3], 0u);
}

// A value's owned fields (kptrs, graph roots) go with the map; only values ever handed out can
// hold any, so destroying a huge array walks those alone (a 2^27-value array that was never
// touched released value by value took seconds).
TEST(Maps, ArrayReleasesTheFieldsOfTouchedValuesOnly) {
  struct Recorder : ValueFields {
    std::vector<uint64_t>* seen;
    void release(void* value) override { seen->push_back(*static_cast<uint64_t*>(value)); }
  };
  std::vector<uint64_t> seen;
  auto rec = std::make_shared<Recorder>();
  rec->seen = &seen;
  MapSpec s = hash_spec(kMapArray, 1u << 27);
  s.owned_fields = rec;
  {
    auto m = make(s);
    ASSERT_NE(m, nullptr);
    uint32_t k = 7;
    *static_cast<uint64_t*>(m->lookup(&k)) = 107;
    k = 9;
    uint64_t v = 109;
    ASSERT_EQ(m->update(&k, &v, kBpfAny), 0);
    seen.clear();  // the update released what index 9 held before
  }
  EXPECT_EQ(seen, (std::vector<uint64_t>{107, 0, 109}));
}

}  // namespace
}  // namespace scx::bpf::test
