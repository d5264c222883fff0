// What scxsim does before load in place of a scheduler's user space (prologue.h, profile.h):
// enum globals from the simulated kernel's BTF, RESIZABLE_ARRAY and exit-dump sizes, map
// sizes, --set arrays, syscall programs, and profiles with their expressions.
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>

#include <gtest/gtest.h>

#include "../ext/ext_harness.h"
#include "bpf/host/bpf_ops.h"
#include "bpf/host/profile.h"
#include "bpf/loader/object.h"
#include "workload/generators.h"
#include "../support/temp_file.h"

namespace scx {
namespace {

const std::string kSubject = std::string(SCXSIM_BPF_HOST_SUBJECTS) + "/prologue_sched.bpf.o";


// A profile sizing the map and running record_pair for every pair of CPUs sharing a core.
const char* kPairProfile = R"({
  "ops_name": "prologue_test",
  "map_size": { "sized_by_user": "nr_cpu_ids * 2" },
  "globals": { "nr_cpus": "nr_cpu_ids" },
  "arrays": { "weights": { "length": "4", "value": "(i + 1) * 100" } },
  "syscall": [ { "program": "setup" },
               { "program": "record_pair", "for_each": "smt_sibling",
                 "ctx": [["s32", "cpu"], ["s32", "sibling"]] } ],
  "options": { "heavy": { "globals": { "nr_cpus": "value" } } }
})";

struct Loaded {
  explicit Loaded(const char* topo = "cores=2,smt=2", std::string object = kSubject)
      : sim(topo, testing::zero_costs()), subject(std::move(object)) {}
  testing::ExtSim sim;
  std::string subject;
  bpf::BpfScxOps* ops = nullptr;
  Result<std::unique_ptr<bpf::BpfScxOps>> load(bpf::BpfHostOptions o) {
    o.nr_cpus = sim.topo.nr_cpus();
    o.topology = &sim.topo;
    return bpf::BpfScxOps::load(subject, o);
  }
  // Attaches the loaded scheduler at 0 and runs `workload` until `until`.
  void run(std::unique_ptr<bpf::BpfScxOps> loaded, const char* workload, Ns until) {
    ops = loaded.get();
    sim.ext->load_at(std::move(loaded), 0);
    auto w = resolve_workload(workload, sim.topo.nr_cpus(), 1);
    ASSERT_TRUE(w.ok()) << w.status().message();
    sim.load(*w);
    ASSERT_TRUE(sim.kernel->run_until(until).ok());
  }
  template <typename T>
  T at(const char* name, size_t i = 0) {
    return reinterpret_cast<const T*>(ops->object().global_data(name))[i];
  }
};

bpf::BpfHostOptions pair_profile_options() {
  bpf::BpfHostOptions o;
  o.profile = testing::write_test_file("pair.json", kPairProfile);
  return o;
}

std::string exit_msg(const Loaded& l) {
  const auto& e = l.sim.ext->exit_info();
  return e ? e->msg : std::string();
}

TEST(Prologue, EnumGlobalsComeFromTheSimulatedKernel) {
  Loaded l;
  bpf::BpfHostOptions o = pair_profile_options();
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  l.ops = ops->get();
  EXPECT_EQ(l.at<uint64_t>("__SCX_DSQ_GLOBAL"), (1ULL << 63) | 1);
  EXPECT_EQ(l.at<uint64_t>("__SCX_SLICE_DFL"), 20'000'000u);
  EXPECT_EQ(l.at<uint64_t>("__SCX_NOT_IN_ANY_KERNEL"), 0u);
}

TEST(Prologue, ResizableArraysAndTheExitDumpAreSized) {
  Loaded l;
  bpf::BpfHostOptions o = pair_profile_options();
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  const bpf::BpfObject& obj = (*ops)->object();
  EXPECT_EQ(obj.global("enq_per_cpu")->size, 4u * 8);  // nr_cpu_ids elements
  EXPECT_EQ(obj.global("uei_dump")->size, 32768u);     // exit_dump_len 0: the default
  l.ops = ops->get();
  EXPECT_EQ(l.at<uint32_t>("uei_dump_len"), 32768u);
  EXPECT_EQ(obj.map("sized_by_user")->spec().max_entries, 8u);
}

TEST(Prologue, ProfileGlobalsArraysAndSyscallProgramsRunBeforeInit) {
  Loaded l;
  bpf::BpfHostOptions o = pair_profile_options();
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  l.ops = ops->get();
  EXPECT_EQ(l.at<uint32_t>("nr_cpus"), 4u);
  EXPECT_EQ(l.at<uint32_t>("weights", 0), 100u);
  EXPECT_EQ(l.at<uint32_t>("weights", 3), 400u);
  EXPECT_EQ(l.at<uint32_t>("weights", 4), 0u);
  // setup, then record_pair for (0,2) (2,0) (1,3) (3,1): cores are {0,2} and {1,3} (SMT
  // siblings numbered after the first thread of each core).
  ASSERT_EQ(l.ops->syscall_runs().size(), 5u);
  EXPECT_EQ(l.ops->syscall_runs()[0].program, "setup");
  l.run(std::move(*ops), "hogs:count=4", 50 * kNsPerMs);
  EXPECT_EQ(l.sim.ext->state().state, "enabled") << exit_msg(l);
  EXPECT_EQ(l.at<uint32_t>("setup_runs"), 1u);
  EXPECT_EQ(l.at<uint32_t>("pairs_seen"), 4u);
  EXPECT_EQ(l.at<uint32_t>("pair_sum"), 2u + 200u + 103u + 301u);
  uint64_t enq = 0;
  for (int c = 0; c < 4; ++c) enq += l.at<uint64_t>("enq_per_cpu", c);
  EXPECT_GT(enq, 0u);
}

TEST(Prologue, WithoutTheMapSizeTheSchedulerCannotLoad) {
  Loaded l;
  bpf::BpfHostOptions o;
  o.profile = "none";
  auto ops = l.load(o);
  ASSERT_FALSE(ops.ok());
  EXPECT_NE(ops.status().message().find("max_entries must be > 0"), std::string::npos) << ops.status().message();
  o.map_max_entries = {{"sized_by_user", 1}};
  auto sized = l.load(o);
  ASSERT_TRUE(sized.ok()) << sized.status().message();
}

// Without a profile, argument-less syscall programs run once by convention; with one, only
// what it lists (its loader's calls).
TEST(Prologue, WithoutAProfileArgumentlessSyscallProgramsRunOnce) {
  Loaded l;
  bpf::BpfHostOptions o;
  o.profile = "none";
  o.map_max_entries = {{"sized_by_user", 1}};
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  ASSERT_EQ((*ops)->syscall_runs().size(), 3u);  // setup, after_attach_probe, complain: object order
  EXPECT_EQ((*ops)->syscall_runs()[0].program, "setup");
  EXPECT_EQ((*ops)->syscall_runs()[1].program, "after_attach_probe");
  EXPECT_EQ((*ops)->syscall_runs()[2].program, "complain");
  o.profile = testing::write_test_file("only_pairs.json", R"({"ops_name": "prologue_test", "map_size": {"sized_by_user": "1"},
      "syscall": [{"program": "record_pair", "ctx": [["s32", "1"], ["s32", "2"]]}]})");
  auto listed = l.load(o);
  ASSERT_TRUE(listed.ok()) << listed.status().message();
  ASSERT_EQ((*listed)->syscall_runs().size(), 1u);
  EXPECT_EQ((*listed)->syscall_runs()[0].program, "record_pair");
}

// loader_cpu: enabling (ops.init) runs on the CPU the loader pinned itself to; "after_attach"
// programs run there once the scheduler is enabled.
TEST(Prologue, LoaderCpuAndAfterAttachPrograms) {
  Loaded l;
  bpf::BpfHostOptions o;
  o.profile = testing::write_test_file("loader.json", R"({"ops_name": "prologue_test", "loader_cpu": "nr_cpu_ids - 1",
      "map_size": {"sized_by_user": "1"},
      "syscall": [{"program": "setup"}, {"program": "after_attach_probe", "when": "after_attach"}]})");
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  l.ops = ops->get();
  l.run(std::move(*ops), "hogs:count=2", 10 * kNsPerMs);
  EXPECT_EQ(l.sim.ext->state().state, "enabled") << exit_msg(l);
  EXPECT_EQ(l.at<int32_t>("init_cpu"), 3);
  EXPECT_EQ(l.at<int32_t>("attached_cpu"), 3);
  EXPECT_EQ(l.at<uint32_t>("init_seq"), 1u);
  EXPECT_EQ(l.at<uint32_t>("attached_seq"), 2u);
}

// scx_bpf_error() in a SEC("syscall") program run before attach stops nothing (the kernel has
// no scheduler registered yet: seen on 6.18.15 and 7.3.4); after attach it ejects the scheduler.
TEST(Prologue, SyscallErrorsBeforeAttachAreDropped) {
  for (const char* when : {"before_init", "after_attach"}) {
    Loaded l;
    bpf::BpfHostOptions o;
    o.profile = testing::write_test_file(std::string("complain_") + when + ".json",
                           fmt::format(R"({{"ops_name": "prologue_test", "map_size": {{"sized_by_user": "1"}},
        "globals": {{"nr_cpus": "nr_cpu_ids"}},
        "syscall": [{{"program": "setup"}}, {{"program": "complain", "when": "{}"}}]}})", when));
    auto ops = l.load(o);
    ASSERT_TRUE(ops.ok()) << ops.status().message();
    l.ops = ops->get();
    l.run(std::move(*ops), "hogs:count=2", 10 * kNsPerMs);
    EXPECT_EQ(l.at<uint32_t>("complaints"), 1u) << when;
    if (std::string(when) == "before_init") {
      EXPECT_EQ(l.sim.ext->state().state, "enabled") << exit_msg(l);
    } else {
      EXPECT_NE(l.sim.ext->state().state, "enabled");
      EXPECT_EQ(exit_msg(l), "complaint 1");
    }
  }
}

TEST(Prologue, SetFillsArraysAndElementsAndTheCommandLineWins) {
  Loaded l;
  bpf::BpfHostOptions o = pair_profile_options();
  o.sched_opts = {"heavy=3"};
  o.globals = {{"weights", "7,8,9"}, {"weights[5]", "55"}};
  o.array_lengths = {{"enq_per_cpu", 16}};
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  l.ops = ops->get();
  EXPECT_EQ(l.at<uint32_t>("nr_cpus"), 3u);  // --sched-opt heavy=3 over the profile's 4
  EXPECT_EQ(l.at<uint32_t>("weights", 0), 7u);
  EXPECT_EQ(l.at<uint32_t>("weights", 2), 9u);
  EXPECT_EQ(l.at<uint32_t>("weights", 3), 0u);  // a whole-array --set clears the rest
  EXPECT_EQ(l.at<uint32_t>("weights", 5), 55u);
  EXPECT_EQ((*ops)->object().global("enq_per_cpu")->size, 16u * 8);

  o.globals = {{"cfg.b", "0x1234567890"}, {"cfg.grid", "1,2,3,4,5,6"}, {"cfg.grid[4]", "50"}};
  auto members = l.load(o);
  ASSERT_TRUE(members.ok()) << members.status().message();
  const auto* cfg = reinterpret_cast<const uint32_t*>((*members)->object().global_data("cfg"));
  EXPECT_EQ(cfg[0], 0u);
  EXPECT_EQ(reinterpret_cast<const uint64_t*>(cfg)[1], 0x1234567890u);
  EXPECT_EQ(cfg[4], 1u);   // grid[0][0], after u32 a (padded) and u64 b
  EXPECT_EQ(cfg[6], 3u);   // grid[0][2]
  EXPECT_EQ(cfg[8], 50u);  // grid[1][1], the fifth element row-major
  EXPECT_EQ(cfg[9], 6u);

  o.globals = {{"weights", "1,2,3,4,5,6,7,8,9"}};
  auto over = l.load(o);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("past the array's 8 elements"), std::string::npos) << over.status().message();
  o.globals = {};
  o.sched_opts = {"nosuch"};
  auto bad_opt = l.load(o);
  ASSERT_FALSE(bad_opt.ok());
  EXPECT_NE(bad_opt.status().message().find("known: heavy"), std::string::npos) << bad_opt.status().message();
  o.sched_opts = {};
  o.array_lengths = {{"weights", 4}};  // not alone in its section
  auto bad_resize = l.load(o);
  ASSERT_FALSE(bad_resize.ok());
  EXPECT_NE(bad_resize.status().message().find("--resize weights"), std::string::npos) << bad_resize.status().message();
}

// An array of structs of one integer array (scx_mitosis's llc_to_cpus) is one flat list, row =
// struct: a profile fills it with llc_cpumask_word(i / 4, i % 4), --set with a flat index or a
// member path; a struct of mixed members is not a list. On llcs=2,cores=40,smt=2 (160 CPUs,
// cores 0-79, CPU c and c + 80 are core c's threads) LLC 0 holds CPUs 0-39 and 80-119, LLC 1
// CPUs 40-79 and 120-159, so by 64-CPU words:
//   LLC 0: bits 0-39 | CPUs 80-119 = bits 16-55 of word 1 | nothing past 127
//   LLC 1: bits 40-63 | CPUs 64-79 = bits 0-15 and 120-127 = bits 56-63 | CPUs 128-159 = bits 0-31
TEST(Prologue, ArraysOfStructsAreFilledAsOneFlatList) {
  Loaded l("llcs=2,cores=40,smt=2");
  bpf::BpfHostOptions o;
  o.profile = testing::write_test_file("flat.json", R"J({"ops_name": "prologue_test", "map_size": {"sized_by_user": "1"},
      "arrays": {"llc_masks": {"length": "nr_llcs * 4", "value": "llc_cpumask_word(i / 4, i % 4)"}}})J");
  o.globals = {{"llc_masks[9]", "7"}, {"llc_masks[2].bits[3]", "9"}};
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  l.ops = ops->get();
  const uint64_t want[12] = {0xffffffffffu, 0x00ffffffffff0000u, 0, 0,                   // llc_masks[0]
                             0xffffff0000000000u, 0xff0000000000ffffu, 0xffffffffu, 0,  // llc_masks[1]
                             0, 7, 0, 9};  // llc_masks[2]: past nr_llcs * 4, then the two --set
  for (size_t k = 0; k < 12; ++k) EXPECT_EQ(l.at<uint64_t>("llc_masks", k), want[k]) << "word " << k;

  o.profile = "none";
  o.map_max_entries = {{"sized_by_user", 1}};
  o.globals = {{"llc_masks", "1,2,3,4,5,6,7,8,9,10,11,12,13"}};
  auto over = l.load(o);
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("index 12 is past the array's 12 elements"), std::string::npos)
      << over.status().message();
  o.globals = {{"llc_table", "1,2"}};  // u32, u32, u8 (+3 padding), s32, u64[4]
  auto mixed = l.load(o);
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.status().message().find("'llc_table' is an array of struct prologue_llc, not of integers: give "
                                          "member paths (llc_table[0].MEMBER)"),
            std::string::npos)
      << mixed.status().message();
}

// "maps" entries with struct keys and values: member paths laid out from the map's BTF types,
// array members element by element (j), the other bytes 0; sizeof(struct NAME) from the object.
TEST(Prologue, MapEntriesWithStructKeysAndValues) {
  Loaded l("nodes=2,llcs=2,cores=2,smt=2");
  bpf::BpfHostOptions o;
  o.profile = testing::write_test_file("struct_maps.json", R"J({"ops_name": "prologue_test", "map_size": {"sized_by_user": "1"},
      "globals": {"nr_cpus": "sizeof(struct prologue_llc)"},
      "maps": {
        "llc_recs": {"count": "nr_llcs", "key": "i",
                     "value": {"id": "i", "nr_cpus": "nr_cpus_of_llc(i)", "smt": "nr_cpu_ids > nr_cores",
                               "first_cpu": "first_cpu_of_llc(i)",
                               "span.bits": {"length": "(nr_cpu_ids + 63) / 64", "value": "llc_cpumask_word(i, j)"}}},
        "dist_recs": {"count": "nr_nodes * nr_nodes", "key": {"node": "i / nr_nodes", "idx": "i % nr_nodes"},
                      "value": "node_distance(i / nr_nodes, i % nr_nodes)"}}})J");
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  l.ops = ops->get();
  EXPECT_EQ(l.at<uint32_t>("nr_cpus"), 48u);  // 4 + 4 + 1 (+3) + 4, then 4 words of 8
  bpf::Map* llcs = (*ops)->object().map("llc_recs");
  ASSERT_NE(llcs, nullptr);
  EXPECT_EQ(llcs->size(), 4u);
  for (uint32_t llc = 0; llc < 4; ++llc) {
    const auto* v = static_cast<const uint8_t*>(llcs->lookup(&llc));
    ASSERT_NE(v, nullptr) << llc;
    uint32_t id, n;
    int32_t first;
    uint64_t bits[4];
    std::memcpy(&id, v, 4);
    std::memcpy(&n, v + 4, 4);
    std::memcpy(&first, v + 12, 4);
    std::memcpy(bits, v + 16, 32);
    EXPECT_EQ(id, llc);
    EXPECT_EQ(n, 4u);
    EXPECT_EQ(v[8], 1u);                       // smt
    EXPECT_EQ(v[9] | v[10] | v[11], 0);        // padding stays 0
    EXPECT_EQ(first, l.sim.topo.llc_cpus(static_cast<int>(llc)).first());
    EXPECT_EQ(bits[0], l.sim.topo.llc_cpus(static_cast<int>(llc)).words()[0]);
    EXPECT_EQ(bits[1] | bits[2] | bits[3], 0u);
  }
  bpf::Map* dist = (*ops)->object().map("dist_recs");
  ASSERT_NE(dist, nullptr);
  EXPECT_EQ(dist->size(), 4u);
  const uint32_t key[2] = {1, 0};
  const auto* d = static_cast<const uint32_t*>(dist->lookup(key));
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(*d, static_cast<uint32_t>(l.sim.topo.node_distance(1, 0)));

  auto bad = [&](const char* maps) {
    o.profile = testing::write_test_file("bad_maps.json", std::string(R"J({"ops_name": "prologue_test", "map_size": {"sized_by_user": "1"}, "maps": )J") + maps + "}");
    auto r = l.load(o);
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(bad(R"J({"llc_recs": {"count": "1", "key": "0", "value": {"nope": "1"}}})J").find("no member 'nope'"), std::string::npos);
  EXPECT_NE(bad(R"J({"llc_recs": {"count": "1", "key": "0", "value": "1"}})J").find("give its members"), std::string::npos);
  EXPECT_NE(bad(R"J({"llc_recs": {"count": "1", "key": "0", "value": {"span": "1"}}})J").find("not an integer"), std::string::npos);
  EXPECT_NE(bad(R"J({"llc_recs": {"count": "1", "key": "0", "value": {"span.bits": {"length": "5", "value": "j"}}}})J")
                .find("holds 4 element(s), 5 given"), std::string::npos);
  EXPECT_NE(bad(R"J({"llc_recs": {"count": "1", "key": "0", "value": {"id": "sizeof(struct nope)"}}})J")
                .find("sizeof(struct nope): not in the object's BTF"), std::string::npos);
  EXPECT_NE(bad(R"J({"llc_recs": {"count": "1", "key": "0", "inner_map": {}}})J").find("a hash map is not a map of maps"),
            std::string::npos);
}

const std::string kQueues = std::string(SCXSIM_BPF_HOST_SUBJECTS) + "/map_of_queues.bpf.o";

std::string queues_profile(const std::string& inner) {
  return testing::write_test_file("queues.json", R"({"ops_name": "map_of_queues", "maps": {"queues": {"count": "4", "key": "i", )"
                                   R"("inner_map": )" + inner + "}}}");
}

uint64_t queued(const bpf::BpfObject& obj) {
  uint64_t n = 0;
  for (uint32_t i = 0; i < 4; ++i) n += static_cast<bpf::Map*>(obj.map("queues")->lookup(&i))->size();
  return n;
}

// "inner_map": user space creates a queue for each entry of the array of maps after load, and
// the BPF side pushes and pops its tasks through them. {} is the object's template (64
// entries); fields given override it.
TEST(Prologue, InnerMapsCreatedByAProfileCarryTheBpfQueues) {
  for (std::string inner : {"{}", R"({"type": "queue", "key_size": 0, "value_size": "4", "max_entries": "i + 16"})"}) {
    SCOPED_TRACE(inner);
    Loaded l("4", kQueues);
    bpf::BpfHostOptions o;
    o.profile = queues_profile(inner);
    auto ops = l.load(o);
    ASSERT_TRUE(ops.ok()) << ops.status().message();
    const bpf::BpfObject& obj = (*ops)->object();
    ASSERT_EQ(obj.map("queues")->size(), 4u);
    for (uint32_t i = 0; i < 4; ++i) {
      auto* q = static_cast<bpf::Map*>(obj.map("queues")->lookup(&i));
      ASSERT_NE(q, nullptr);
      EXPECT_EQ(q->type(), bpf::kMapQueue);
      EXPECT_EQ(q->spec().max_entries, inner == "{}" ? 64u : 16u + i);
    }
    l.run(std::move(*ops), "hogs:count=8", 100 * kNsPerMs);
    EXPECT_EQ(l.sim.ext->state().state, "enabled") << exit_msg(l);
    EXPECT_GE(l.at<uint64_t>("nr_pushed"), 16u);  // 8 hogs, each back every 20 ms slice
    EXPECT_EQ(l.at<uint64_t>("nr_full"), 0u);
    EXPECT_EQ(l.at<uint64_t>("nr_pushed") - l.at<uint64_t>("nr_popped"), queued(obj));
  }
  Loaded l("4", kQueues);
  bpf::BpfHostOptions o;
  o.profile = "none";  // nobody creates the queues
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  l.run(std::move(*ops), "hogs:count=2", 10 * kNsPerMs);
  EXPECT_EQ(l.sim.ext->state().state, "disabled");
  EXPECT_NE(exit_msg(l).find("no queue"), std::string::npos) << exit_msg(l);
}

// An inner map the kernel would refuse to store (bpf_map_update_elem's -EINVAL) stops the load
// with both specs.
TEST(Prologue, IncompatibleInnerMapsAreLoadErrors) {
  Loaded l("4", kQueues);
  auto bad = [&](const std::string& inner) {
    bpf::BpfHostOptions o;
    o.profile = queues_profile(inner);
    auto r = l.load(o);
    return r.ok() ? std::string() : r.status().message();
  };
  const std::string stack = bad(R"({"type": "stack"})");
  EXPECT_NE(stack.find("map 'queues', entry 0"), std::string::npos) << stack;
  EXPECT_NE(stack.find("stack, key_size 0, value_size 4, max_entries 64, map_flags 0x0 does not match the inner map "
                       "template (queue, key_size 0, value_size 4"), std::string::npos) << stack;
  EXPECT_NE(bad(R"({"value_size": "8"})").find("does not match the inner map template"), std::string::npos);
  EXPECT_NE(bad(R"({"map_flags": "1"})").find("does not match the inner map template"), std::string::npos);
  EXPECT_NE(bad(R"({"key_size": "4"})").find("does not match"), std::string::npos);
  EXPECT_NE(bad(R"({"max_entries": "0 - 1"})").find("is negative"), std::string::npos);
}

TEST(Prologue, AFailingSyscallProgramEjectsWithItsName) {
  Loaded l;
  bpf::BpfHostOptions o;
  o.profile = testing::write_test_file("bad.json", R"({"ops_name": "prologue_test",
      "map_size": {"sized_by_user": "1"},
      "syscall": [{"program": "record_pair"}]})");  // no context: the program reads NULL
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  l.run(std::move(*ops), "hogs:count=2", 10 * kNsPerMs);
  EXPECT_EQ(l.sim.ext->state().state, "disabled");
  EXPECT_NE(exit_msg(l).find("SEC(\"syscall\") program record_pair"), std::string::npos) << exit_msg(l);
}

// "arena_lib": scx_arena's ArenaLib::setup() before the syscall list: arena_init with the
// task size, arena_topology_init with the children per level, then a bitmap per topology
// node (machine, nodes, LLCs, cores, CPUs) holding the mask user space wrote into it.
TEST(Prologue, ArenaLibSetsUpTheArenaTopology) {
  Loaded l("nodes=2,llcs=2,cores=2,smt=2", std::string(SCXSIM_BPF_HOST_SUBJECTS) + "/arena_lib_sched.bpf.o");
  bpf::BpfHostOptions o;
  o.profile = testing::write_test_file("arena_lib.json", R"({"ops_name": "arena_lib_test", "arena_lib": {"task_ctx_size": "160"}})");
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  l.run(std::move(*ops), "hogs:count=2", 10 * kNsPerMs);
  EXPECT_EQ(l.sim.ext->state().state, "enabled") << exit_msg(l);
  EXPECT_EQ(l.at<uint64_t>("static_pages"), 8u);
  EXPECT_EQ(l.at<uint64_t>("task_ctx_size"), 160u);
  // 2 nodes, 2 LLCs per node, 2 cores per LLC, 2 CPUs per core.
  for (int i = 0; i < 5; ++i) EXPECT_EQ(l.at<uint32_t>("max_children", i), i < 4 ? 2u : 0u) << i;
  EXPECT_LT(l.at<uint64_t>("init_seq"), l.at<uint64_t>("topo_init_seq"));
  EXPECT_LT(l.at<uint64_t>("topo_init_seq"), l.at<uint64_t>("first_node_seq"));
  // 1 machine + 2 nodes + 4 LLCs + 8 cores + 16 CPUs, each as (id, CPUs in its mask).
  ASSERT_EQ(l.at<uint32_t>("nr_nodes_seen"), 31u);
  EXPECT_EQ(l.at<uint32_t>("nr_masks"), 31u);
  std::vector<uint64_t> log;
  for (size_t i = 0; i < 31; ++i) log.push_back(l.at<uint64_t>("node_log", i));
  auto entry = [](uint64_t id, uint64_t n) { return id << 32 | n; };
  EXPECT_EQ(log[0], entry(0, 16));
  EXPECT_EQ(log[1], entry(0, 8));
  EXPECT_EQ(log[2], entry(1, 8));
  EXPECT_EQ(log[3], entry(0, 4));
  EXPECT_EQ(log[6], entry(3, 4));
  EXPECT_EQ(log[7], entry(0, 2));
  EXPECT_EQ(log[14], entry(7, 2));
  EXPECT_EQ(log[15], entry(0, 1));
  EXPECT_EQ(log[30], entry(15, 1));
}

TEST(Prologue, WithoutArenaLibTheArenaSchedulerCannotInit) {
  Loaded l("4", std::string(SCXSIM_BPF_HOST_SUBJECTS) + "/arena_lib_sched.bpf.o");
  bpf::BpfHostOptions o;
  o.profile = "none";
  auto ops = l.load(o);
  ASSERT_TRUE(ops.ok()) << ops.status().message();
  l.run(std::move(*ops), "hogs:count=2", 10 * kNsPerMs);
  EXPECT_EQ(exit_msg(l), "ops.init() failed (-22)");
}

TEST(ProfileExpr, PrecedenceVariablesFunctionsAndEnums) {
  auto t = resolve_topology("nodes=2,llcs=2,cores=4,smt=2");
  ASSERT_TRUE(t.ok());
  bpf::ExprEnv env;
  env.topo = &*t;
  env.kernel = &bpf::kernel_btf();
  env.vars = {{"nr_cpu_ids", 16}, {"i", 3}};
  auto eval = [&](const char* e) { return bpf::eval_profile_expr(e, env); };
  EXPECT_EQ(*eval("1 + 2 * 3"), 7);
  EXPECT_EQ(*eval("(1 + 2) * 3"), 9);
  EXPECT_EQ(*eval("1 << 4 | 1"), 17);
  EXPECT_EQ(*eval("-i + nr_cpu_ids / 2"), 5);
  EXPECT_EQ(*eval("0x10 % 5"), 1);
  EXPECT_EQ(*eval("nr_cpu_ids > 8 ? 2 : 1"), 2);
  EXPECT_EQ(*eval("i == 3 && !(nr_cpu_ids <= 4) || 0"), 1);
  EXPECT_EQ(*eval("1 + 1 == 2"), 1);  // comparison binds looser than arithmetic, as in C
  EXPECT_EQ(*eval("i < 2 ? 10 : i < 4 ? 20 : 30"), 20);
  EXPECT_EQ(*eval("llc_of(15) * 10 + node_of(15)"), 31);
  EXPECT_EQ(*eval("SCX_OPS_ENQ_LAST | SCX_OPS_SWITCH_PARTIAL"), 0xa);
  EXPECT_EQ(*eval("smt_sibling_of(0)"), t->smt_siblings(0).next(1));
  // 16 cores of 2 threads: CPU c and c + 16 are core c's; LLC 1 = cores 4-7 = CPUs 4-7, 20-23.
  EXPECT_EQ(*eval("llc_cpumask_word(1, 0)"), 0xf000f0);
  EXPECT_EQ(*eval("llc_cpumask_word(3, 0)"), 0xf000f000);
  EXPECT_EQ(*eval("llc_cpumask_word(1, 1)"), 0);  // past the 32 CPUs
  EXPECT_EQ(*eval("node_cpumask_word(0, 3)"), 0);
  EXPECT_EQ(*eval("cpu_by_capacity(5)"), 5);  // equal capacities: by id
  EXPECT_EQ(*eval("core_cpumask_word(1, 0)"), static_cast<int64_t>(t->core_cpus(1).words()[0]));
  EXPECT_EQ(*eval("all_cpumask_word(0)"), 0xffffffff);  // 32 CPUs
  EXPECT_EQ(*eval("all_cpumask_word(1)"), 0);
  EXPECT_EQ(*eval("nr_cpus_of_node(1) * 100 + nr_cores_of_node(1) * 10 + nr_llcs_of_node(1)"), 1682);
  EXPECT_EQ(*eval("nr_cores_of_llc(3) * 10 + nr_cpus_of_core(0)"), 42);
  EXPECT_EQ(*eval("first_cpu_of_llc(3)"), t->llc_cpus(3).first());
  EXPECT_EQ(*eval("first_cpu_of_node(1)"), t->node_cpus(1).first());
  EXPECT_EQ(*eval("first_cpu_of_core(7)"), t->core_cpus(7).first());
  EXPECT_EQ(*eval("node_distance(0, 1)"), t->node_distance(0, 1));
  EXPECT_FALSE(eval("core_cpumask_word(16, 0)").ok());  // 16 cores: 0-15
  EXPECT_FALSE(eval("nr_llcs_of_node(2)").ok());
  EXPECT_FALSE(eval("sizeof(struct task_ctx)").ok());  // no object here
  EXPECT_FALSE(eval("llc_cpumask_word(1)").ok());
  EXPECT_EQ(*eval("SCX_OPS_NOT_A_FLAG"), 0);  // a kernel without it: 0, as user space reads it
  EXPECT_FALSE(eval("1 / (i - 3)").ok());
  EXPECT_FALSE(eval("nr_cpus").ok());  // lower case: a variable, and unknown
  EXPECT_FALSE(eval("core_of(1000)").ok());  // no such CPU
  EXPECT_FALSE(eval("(1 + 2").ok());
  EXPECT_FALSE(eval("1 +").ok());
}

// Every bundled profile parses, names an ops, and can be chosen by its file name.
TEST(ProfileParse, BundledProfilesAreValid) {
  const std::vector<std::string> files = bpf::bundled_profile_files();
  ASSERT_FALSE(files.empty());
  for (const std::string& f : files) {
    std::optional<bpf::Profile> p = bpf::bundled_profile_named(f);
    ASSERT_TRUE(p.has_value()) << f << " does not parse";
    EXPECT_FALSE(p->ops_name.empty()) << f;
  }
  EXPECT_TRUE(bpf::bundled_profile_named("central").has_value());  // scx_ and .json implied
  ASSERT_TRUE(bpf::bundled_profile_named("rlfifo").has_value());     // alt/scx_rlfifo.json
  EXPECT_EQ(bpf::bundled_profile_named("rlfifo")->scheduler, "scx_rlfifo");
  EXPECT_TRUE(bpf::bundled_profile_named("0f379644a/cake").has_value());
}

TEST(ProfileParse, BadProfilesAreOneLineErrorsNamingTheKey) {
  auto bad = [](const char* text) {
    auto p = bpf::parse_profile(text, "p.json");
    EXPECT_FALSE(p.ok()) << text;
    return p.ok() ? std::string() : p.status().message();
  };
  EXPECT_EQ(bad("{"), "p.json: not valid JSON");
  EXPECT_EQ(bad(R"({"globals": {}})"), "p.json: key 'ops_name': required string");
  EXPECT_EQ(bad(R"({"ops_name": "x", "glob": {}})"), "p.json: unknown key 'glob'");
  EXPECT_EQ(bad(R"({"ops_name": "x", "ops": {"name": "1"}})").substr(0, 22), "p.json: key 'ops.name'");
  EXPECT_NE(bad(R"({"ops_name": "x", "syscall": [{"program": "p", "for_each": "llc"}]})").find("for_each"),
            std::string::npos);
}

// "maps" entries of a map of maps: "inner_map" in place of "value", every field optional.
TEST(ProfileParse, InnerMapEntries) {
  auto p = bpf::parse_profile(R"({"ops_name": "x", "maps": {
      "q": {"count": "8", "key": "i", "inner_map": {"type": "queue", "value_size": 4, "max_entries": "1 << 12"}},
      "t": {"count": "1", "key": "0", "inner_map": {}}}})", "p.json");
  ASSERT_TRUE(p.ok()) << p.status().message();
  const bpf::ProfileMapFill& q = p->settings.maps.at("q");
  ASSERT_TRUE(q.inner_map.has_value());
  EXPECT_EQ(q.inner_map->type, "queue");
  EXPECT_EQ(q.inner_map->value_size, "4");
  EXPECT_EQ(q.inner_map->max_entries, "1 << 12");
  EXPECT_EQ(q.inner_map->key_size, "");  // the template's
  EXPECT_TRUE(p->settings.maps.at("t").inner_map.has_value());

  auto bad = [](const std::string& entry) {
    auto r = bpf::parse_profile(R"({"ops_name": "x", "maps": {"q": )" + entry + "}}", "p.json");
    EXPECT_FALSE(r.ok()) << entry;
    return r.ok() ? std::string() : r.status().message();
  };
  EXPECT_NE(bad(R"({"count": 1, "key": 0, "inner_map": 3})").find("key 'maps.q.inner_map': expected an object"),
            std::string::npos);
  EXPECT_NE(bad(R"({"count": 1, "key": 0, "inner_map": {"size": 4}})").find("'maps.q.inner_map.size': not an inner map field"),
            std::string::npos);
  EXPECT_NE(bad(R"({"count": 1, "key": 0, "inner_map": {"type": "tree"}})").find("expected a supported map type's name"),
            std::string::npos);
  EXPECT_NE(bad(R"({"count": 1, "key": 0, "inner_map": {"type": 22}})").find("map type's name"), std::string::npos);
  EXPECT_NE(bad(R"({"count": 1, "key": 0, "inner_map": {"max_entries": [1]}})").find("expected an expression"),
            std::string::npos);
  EXPECT_NE(bad(R"({"count": 1, "key": 0, "value": 0, "inner_map": {}})").find("for a map of maps"), std::string::npos);
  EXPECT_NE(bad(R"({"count": 1, "key": 0})").find("expected {"), std::string::npos);
}

}  // namespace
}  // namespace scx
