// The simulated kernel's per-CPU variables behind typed ksyms (KernelKsyms): the values a
// scheduler reads through bpf_per_cpu_ptr / bpf_this_cpu_ptr, from the ksyms subject.
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

#include "bpf/host/kernel_ksyms.h"
#include "bpf/loader/object.h"

namespace scx::bpf {
namespace {

const std::string kSubjects = SCXSIM_BPF_HOST_SUBJECTS;

struct KsymRun {
  Topology topo;
  KernelKsyms ksyms;
  struct rq rqs[4] = {};
  std::shared_ptr<MapEnv> env = std::make_shared<MapEnv>();
  Vm vm;
  std::unique_ptr<HelperEnv> helpers;
  std::unique_ptr<BpfObject> obj;

  explicit KsymRun(Topology t) : topo(std::move(t)), ksyms(static_cast<uint32_t>(topo.nr_cpus()), &topo) {
    env->nr_cpus = static_cast<uint32_t>(topo.nr_cpus());
    LoadOptions o;
    o.map_env = env;
    o.ksyms = &ksyms.table();
    auto r = load_bpf_object(kSubjects + "/ksyms.bpf.o", o);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (!r.ok()) return;
    obj = std::move(r).value();
    HelperHooks hooks;
    hooks.cpu = [] { return 2u; };
    helpers = std::make_unique<HelperEnv>(hooks);
    helpers->bind(vm);
    for (int c = 0; c < 4; ++c) rqs[c].cpu = 100 + c;
    EXPECT_TRUE(vm.memory().add(rqs, sizeof rqs, kPermRead, "rq").ok());
    ksyms.install(*helpers, vm.memory(), [this](uint32_t cpu) { return reinterpret_cast<uint64_t>(&rqs[cpu]); });
    obj->attach(vm);
  }
  ~KsymRun() {
    if (obj) obj->detach();
    ksyms.uninstall(vm.memory());
  }
  int64_t out(int i) { return reinterpret_cast<int64_t*>(obj->global_data("out"))[i]; }
  RunResult run(const char* p) { return vm.run(*obj->program(p)->program, {0}); }
};

Topology topo(const char* spec) {
  auto t = parse_topology_spec(spec);
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(t).value();
}

TEST(KernelKsyms, PerCpuValuesFollowTheTopology) {
  KsymRun k(topo("nodes=1,llcs=2,cores=2"));  // LLC 0: CPUs 0-1, LLC 1: CPUs 2-3
  ASSERT_TRUE(k.obj);
  RunResult r = k.run("ksyms_test");
  ASSERT_TRUE(r.ok) << r.fault->message;
  const int64_t size[] = {2, 2, 2, 2, -1}, id[] = {0, 0, 2, 2, -1};
  for (int c = 0; c < 5; ++c) {
    EXPECT_EQ(k.out(c), size[c]) << "sd_llc_size cpu " << c;
    EXPECT_EQ(k.out(5 + c), id[c]) << "sd_llc_id cpu " << c;
    EXPECT_EQ(k.out(10 + c), c < 4 ? 3'000'000 : -1) << "cpuinfo.max_freq cpu " << c;
    EXPECT_EQ(k.out(15 + c), c < 4 ? 100 + c : -1) << "runqueues cpu " << c;
  }
  EXPECT_EQ(k.out(20), 2);        // this CPU (2)'s sd_llc_id
  EXPECT_EQ(k.out(21), 0);        // kernel_stat: not provided (weak)
  EXPECT_EQ(k.out(22), -EFAULT);  // probe read of the percpu address
  EXPECT_EQ(k.out(23), 0);        // no ITMT on a symmetric machine
  EXPECT_EQ(k.out(24), 0);        // no thermal pressure
  EXPECT_EQ(k.out(25), 3'000'000);
  EXPECT_EQ(k.out(26), 3'000'000);
  EXPECT_EQ(k.out(27), 3'000'000);
  EXPECT_EQ(k.out(28), 2);
}

TEST(KernelKsyms, HybridCapacitiesScaleFrequencyAndPriority) {
  auto hybrid = make_preset("desktop-hybrid");
  ASSERT_TRUE(hybrid.ok());
  KernelKsyms ks(static_cast<uint32_t>(hybrid->nr_cpus()), &*hybrid);
  for (int c = 0; c < hybrid->nr_cpus(); ++c) {
    const uint32_t cap = hybrid->cpu(c).capacity;
    EXPECT_EQ(ks.policy(static_cast<uint32_t>(c)).cpuinfo.max_freq, 3'000'000u * cap / 1024) << c;
    EXPECT_EQ(ks.policy(static_cast<uint32_t>(c)).cur, ks.policy(static_cast<uint32_t>(c)).cpuinfo.max_freq);
  }
  EXPECT_TRUE(hybrid->is_asymmetric());
  EXPECT_EQ(ks.table().count("cpufreq_cpu_data"), 1u);
  EXPECT_EQ(ks.table().count("kernel_stat"), 0u);
}

TEST(KernelKsyms, HandlesAndCopiesCannotBeWritten) {
  KsymRun k(topo("4"));
  ASSERT_TRUE(k.obj);
  RunResult r = k.run("ksym_deref");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->message.find("percpu ksym sd_llc_size"), std::string::npos) << r.fault->message;
  r = k.run("ksym_write");
  ASSERT_FALSE(r.ok);
  EXPECT_NE(r.fault->message.find("sd_llc_size (per-CPU)"), std::string::npos) << r.fault->message;
}

}  // namespace
}  // namespace scx::bpf
