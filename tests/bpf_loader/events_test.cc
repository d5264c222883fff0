// bpf_map_lookup_percpu_elem, perf event arrays (always empty: the kernel's empty-slot errors),
// user ring buffers (host producer, bpf_user_ringbuf_drain with dynptrs) and bpf_strncmp, from
// the events subject; the user ringbuf's host side on its own.
#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>

#include "loader_test_util.h"

namespace scx::bpf::test {
namespace {

struct EventsFixture {
  std::shared_ptr<MapEnv> env = std::make_shared<MapEnv>();
  Vm vm;
  std::unique_ptr<HelperEnv> helpers;
  std::unique_ptr<BpfObject> obj;
  uint32_t cpu = 2;

  explicit EventsFixture(uint32_t nr_cpus = 4) {
    if (cpu >= nr_cpus) cpu = 0;
    env->nr_cpus = nr_cpus;
    env->current_cpu = [this] { return cpu; };
    LoadOptions o;
    o.map_env = env;
    obj = must_load("events.bpf.o", o);
    if (!obj) return;
    HelperHooks hooks;
    hooks.cpu = [this] { return cpu; };
    helpers = std::make_unique<HelperEnv>(hooks);
    helpers->bind(vm);
    obj->attach(vm);
  }
  RunResult run(const char* prog) { return vm.run(*obj->program(prog)->program, {0}); }
  int64_t out(int i) { return reinterpret_cast<int64_t*>(obj->global_data("out"))[i]; }
  uint64_t* value(const char* map, uint32_t key, uint32_t c) {
    return static_cast<uint64_t*>(obj->map(map)->lookup_cpu(&key, c));
  }
};

TEST(Events, LookupPercpuElemReadsEachCpusValue) {
  EventsFixture f;
  ASSERT_TRUE(f.obj);
  EXPECT_TRUE(f.obj->unsupported().empty());
  uint64_t v = 0;
  uint32_t k1 = 1, k2 = 2, k3 = 3;
  ASSERT_EQ(f.obj->map("pcpu_hash")->update(&k1, &v, 0), 0);
  ASSERT_EQ(f.obj->map("lru_pcpu")->update(&k1, &v, 0), 0);
  ASSERT_EQ(f.obj->map("lru_pcpu")->update(&k2, &v, 0), 0);
  for (uint32_t c = 0; c < 4; ++c) {
    *f.value("pcpu_arr", 1, c) = 10 + c;
    *f.value("pcpu_hash", 1, c) = 20 + c;
    *f.value("lru_pcpu", 1, c) = 40 + c;
  }
  RunResult r = f.run("percpu_lookup");
  ASSERT_TRUE(r.ok) << r.fault->message;
  for (int c = 0; c < 4; ++c) {
    EXPECT_EQ(f.out(c), 10 + c);
    EXPECT_EQ(f.out(5 + c), 20 + c);
  }
  EXPECT_EQ(f.out(4), -1);  // cpu >= nr_cpu_ids: NULL
  EXPECT_EQ(f.out(9), -1);
  EXPECT_EQ(f.out(10), 0);  // cpu 0xffffffff
  EXPECT_EQ(f.out(11), 0);  // index past max_entries
  EXPECT_EQ(f.out(12), 0);  // absent key
  EXPECT_EQ(*f.value("pcpu_arr", 1, 3), 333u);
  EXPECT_EQ(*f.value("pcpu_arr", 1, 2), 12u);
  EXPECT_EQ(f.out(13), 41);
  // The lookup made key 1 the most recently used: inserting key 3 evicts key 2.
  ASSERT_EQ(f.obj->map("lru_pcpu")->update(&k3, &v, 0), 0);
  EXPECT_NE(f.value("lru_pcpu", 1, 0), nullptr);
  EXPECT_EQ(f.value("lru_pcpu", 2, 0), nullptr);
}

// On a one-CPU machine a per-CPU map has one value per key, and CPU 0's is found (scxsim once
// took "one value" for "not per-CPU" and returned NULL: lavd, p2dq and rusty stopped at init).
TEST(Events, LookupPercpuElemOnOneCpuFindsCpuZero) {
  EventsFixture f(1);
  ASSERT_TRUE(f.obj);
  uint64_t v = 0;
  uint32_t k1 = 1;
  ASSERT_EQ(f.obj->map("pcpu_hash")->update(&k1, &v, 0), 0);
  *f.value("pcpu_arr", 1, 0) = 10;
  *f.value("pcpu_hash", 1, 0) = 20;
  RunResult r = f.run("percpu_lookup");
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(f.out(0), 10);
  EXPECT_EQ(f.out(5), 20);
  EXPECT_EQ(f.out(1), -1);  // cpu 1 >= nr_cpu_ids: NULL
  EXPECT_EQ(f.out(6), -1);
}

TEST(Events, LookupPercpuElemOnAPlainMapFaults) {
  EventsFixture f;
  ASSERT_TRUE(f.obj);
  RunResult r = f.run("percpu_lookup_plain");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->message.find("map 'plain' (array) is not a per-CPU map"), std::string::npos)
      << r.fault->message;
}

TEST(Events, PerfEventArrayIsEmpty) {
  EventsFixture f;
  ASSERT_TRUE(f.obj);
  Map* perf = f.obj->map("perf");
  EXPECT_EQ(perf->spec().max_entries, 4u);  // libbpf: the number of CPUs
  EXPECT_EQ(perf->size(), 0u);
  RunResult r = f.run("perf_empty");
  ASSERT_TRUE(r.ok) << r.fault->message;
  const int64_t want[] = {-ENOENT, 0, -EINVAL, 0, -E2BIG, -EINVAL, -ENOENT, -E2BIG, -ENOENT, -E2BIG, -EINVAL};
  for (int i = 0; i < 11; ++i) EXPECT_EQ(f.out(i), want[i]) << "out[" << i << "]";
  uint32_t key = 0;
  uint32_t fd = 0;
  EXPECT_EQ(perf->lookup_copy(&key, &fd), -EOPNOTSUPP);
}

TEST(Events, UserRingbufProducerRules) {
  MapSpec s;
  s.name = "urb";
  s.type = kMapUserRingbuf;
  s.max_entries = 4096;
  auto m = Map::create(s, nullptr);
  ASSERT_TRUE(m.ok()) << m.status().message();
  auto* rb = static_cast<UserRingbufMap*>(m->get());
  std::vector<uint8_t> big(4096 - 8 + 1);
  EXPECT_EQ(rb->produce(big), -E2BIG);  // can never fit
  big.resize(4096 - 8);
  EXPECT_EQ(rb->produce(big), 0);       // exactly the ring
  EXPECT_EQ(rb->producer_pos(), 4096u);
  uint8_t one = 1;
  EXPECT_EQ(rb->produce(std::span<const uint8_t>(&one, 1)), -ENOSPC);
  uint64_t data;
  uint32_t len;
  ASSERT_EQ(rb->peek(&data, &len), 0);
  EXPECT_EQ(len, 4088u);
  rb->release();
  EXPECT_EQ(rb->consumer_pos(), 4096u);
  EXPECT_EQ(rb->peek(&data, &len), -ENODATA);
  EXPECT_EQ(rb->produce(std::span<const uint8_t>(&one, 1), true), 0);
  EXPECT_EQ(rb->peek(&data, &len), -EAGAIN);  // a discarded record is skipped
  EXPECT_EQ(rb->consumer_pos(), 4096u + 16);
  s.max_entries = 1000;
  EXPECT_FALSE(Map::create(s, nullptr).ok());
  uint32_t k = 0;
  EXPECT_EQ(rb->update(&k, &k, 0), -EOPNOTSUPP);
}

TEST(Events, UserRingbufDrainRunsTheCallbackPerSample) {
  EventsFixture f;
  ASSERT_TRUE(f.obj);
  auto* rb = dynamic_cast<UserRingbufMap*>(f.obj->map("urb"));
  ASSERT_NE(rb, nullptr);
  auto put = [&](uint64_t v, bool discard = false) {
    return rb->produce(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), 8), discard);
  };
  for (uint64_t v : {1, 2}) ASSERT_EQ(put(v), 0);
  ASSERT_EQ(put(50, true), 0);
  for (uint64_t v : {3, 99, 5}) ASSERT_EQ(put(v), 0);
  RunResult r = f.run("drain");
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(f.out(0), 4);        // 5 records taken, one of them discarded; 99 stopped it
  EXPECT_EQ(f.out(1), 1 + 2 + 3 + 99);
  EXPECT_EQ(f.out(2), 4);        // callbacks
  EXPECT_EQ(f.out(3), -EBUSY);   // a drain inside the callback
  EXPECT_EQ(f.out(4), -E2BIG);   // 8 bytes at offset 4 of an 8-byte sample
  EXPECT_EQ(f.out(5), -EINVAL);  // flags beyond the wakeup flags
  EXPECT_EQ(rb->consumer_pos(), 5u * 16);
  EXPECT_EQ(rb->size(), 1u);
  r = f.run("drain");
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(f.out(0), 1);
  EXPECT_EQ(f.out(1), 5);
  EXPECT_EQ(rb->size(), 0u);
  r = f.run("drain");
  EXPECT_EQ(f.out(0), 0);  // empty
}

TEST(Events, UserRingbufSamplesAreReadOnly) {
  EventsFixture f;
  ASSERT_TRUE(f.obj);
  auto* rb = dynamic_cast<UserRingbufMap*>(f.obj->map("urb"));
  uint64_t v = 7;
  ASSERT_EQ(rb->produce(std::span<const uint8_t>(reinterpret_cast<const uint8_t*>(&v), 8)), 0);
  RunResult r = f.run("drain_write");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->message.find("user_ringbuf sample"), std::string::npos) << r.fault->message;
  EXPECT_EQ(rb->size(), 0u);  // released even so
}

TEST(Events, Strncmp) {
  EventsFixture f;
  ASSERT_TRUE(f.obj);
  RunResult r = f.run("strncmp_test");
  ASSERT_TRUE(r.ok) << r.fault->message;
  const int64_t want[] = {0, -1, -1, 1, 1};
  for (int i = 0; i < 5; ++i) EXPECT_EQ(f.out(i), want[i]) << "out[" << i << "]";
}

}  // namespace
}  // namespace scx::bpf::test

namespace scx::bpf::test {
namespace {

TEST(Events, RingSizesAreRoundedAsLibbpfDoes) {
  EventsFixture f;
  ASSERT_TRUE(f.obj);
  EXPECT_EQ(f.obj->map("odd_rb")->spec().max_entries, 8192u);
  EXPECT_EQ(f.obj->map("odd_urb")->spec().max_entries, 16384u);
  EXPECT_EQ(f.obj->map("urb")->spec().max_entries, 4096u);
}

TEST(Events, RdonlyCastAndPreemptKfuncs) {
  EventsFixture f;
  ASSERT_TRUE(f.obj);
  TestTask t(f.vm, 42, 100);
  RunResult r = f.vm.run(*f.obj->program("generic_kfuncs")->program, {t.addr()});
  ASSERT_TRUE(r.ok) << r.fault->message;
  EXPECT_EQ(r.r0, 0u);
  EXPECT_EQ(f.out(0), 1);
  EXPECT_EQ(f.out(1), 42);
  f.vm.memory().remove(&t.t);
}

// An extern whose exact (flavored) name the registry lists as absent stays unresolved, even
// though the essential name is provided.
TEST(Events, AbsentFlavorStaysUnresolved) {
  KfuncRegistry reg;
  add_generic_kfuncs(reg);
  reg.add_absent("bpf_rdonly_cast");
  LoadOptions o;
  o.kfuncs = &reg;
  auto obj = must_load("events.bpf.o", o);
  ASSERT_TRUE(obj);
  bool seen = false;
  for (const ExternInfo& e : obj->externs())
    if (e.name == "bpf_rdonly_cast") {
      seen = true;
      EXPECT_FALSE(e.resolved);
    }
  EXPECT_TRUE(seen);
}

}  // namespace
}  // namespace scx::bpf::test
