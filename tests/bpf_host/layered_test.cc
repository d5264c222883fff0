// scx_layered's layer specs done natively (src/bpf/host/layered/): parsing and its errors, the
// set-up computed for a small machine, the periodic CPU allocation, and the BTF writer and the
// layered process against a small object shaped like scx_layered (layered_sched.bpf.c).
#include <fstream>
#include <string>
#include <variant>

#include <gtest/gtest.h>

#include "../ext/ext_harness.h"
#include "bpf/host/bpf_ops.h"
#include "bpf/host/layered/alloc.h"
#include "bpf/host/layered/setup.h"
#include "bpf/host/layered/spec.h"
#include "bpf/host/layered/writer.h"
#include "workload/generators.h"
#include "../support/temp_file.h"

namespace scx {
namespace {

using namespace bpf::layered;

const std::string kSubject = std::string(SCXSIM_BPF_HOST_SUBJECTS) + "/layered_sched.bpf.o";


std::string parse_error(const std::string& text) {
  Result<std::vector<LayerSpec>> r = parse_layer_specs(text, "f.json");
  return r.ok() ? "(parsed)" : r.status().message();
}

TEST(LayeredSpec, ParsesTheBuiltInExample) {
  Result<std::vector<LayerSpec>> r = parse_layer_specs(example_spec_json(), "example");
  ASSERT_TRUE(r.ok()) << r.status().message();
  ASSERT_EQ(r->size(), 4u);
  const LayerSpec& batch = (*r)[0];
  EXPECT_EQ(batch.name, "batch");
  EXPECT_EQ(batch.kind, LayerKind::Confined);
  EXPECT_EQ(batch.util_range, std::make_pair(0.8, 0.9));
  EXPECT_EQ(batch.cpus_range, std::make_pair(uint64_t{0}, uint64_t{16}));
  ASSERT_EQ(batch.matches.size(), 2u);
  EXPECT_EQ(batch.matches[0][0].kind, MatchKind::CgroupPrefix);
  EXPECT_EQ(batch.matches[0][0].text, "system.slice/");
  EXPECT_EQ(batch.matches[1][0].kind, MatchKind::NiceAbove);
  const LayerSpec& imm = (*r)[1];
  EXPECT_EQ(imm.kind, LayerKind::Open);
  EXPECT_TRUE(imm.preempt && imm.exclusive && imm.prev_over_idle_core);
  EXPECT_EQ(imm.yield_ignore, 0.25);
  EXPECT_EQ((*r)[2].growth_algo, GrowthAlgo::Topo);
  EXPECT_EQ((*r)[2].slice_us, 800u);
  EXPECT_EQ((*r)[3].kind, LayerKind::Grouped);
  EXPECT_TRUE((*r)[3].util_includes_open_cputime);
  EXPECT_EQ((*r)[3].growth_algo, GrowthAlgo::Linear);
  EXPECT_TRUE(verify_layer_specs(*r, "example").ok());
}

TEST(LayeredSpec, MalformedSpecsNameTheFileAndPlace) {
  EXPECT_EQ(parse_error("[{\"name\": }]").rfind("f.json: line 1, column 11: not valid JSON", 0), 0u)
      << parse_error("[{\"name\": }]");
  const std::string open = R"([{"name": "a", "matches": [[]], "kind": )";
  EXPECT_EQ(parse_error(open + R"({"Confined": {"util_range": "x"}}}])"),
            "f.json: [0].kind.Confined.util_range: expected [number, number]");
  EXPECT_EQ(parse_error(open + R"({"Confined": {}}}])"), "f.json: [0].kind.Confined: missing util_range");
  EXPECT_EQ(parse_error(open + R"({"Open": {"slice_us": -1}}}])"),
            "f.json: [0].kind.Open.slice_us: expected a non-negative integer");
  EXPECT_EQ(parse_error(open + R"({"Open": {"growth_algo": "Sideways"}}}])"),
            "f.json: [0].kind.Open.growth_algo: unknown growth algorithm 'Sideways'");
  EXPECT_EQ(parse_error(open + R"({"Shared": {}}}])"),
            "f.json: [0].kind: unknown layer kind 'Shared' (Confined, Grouped, Open)");
  EXPECT_EQ(parse_error(R"([{"name": "a", "matches": [[{"CommStartsWith": "x"}]], "kind": {"Open": {}}}])"),
            "f.json: [0].matches[0][0]: unknown match 'CommStartsWith'");
  EXPECT_EQ(parse_error(R"([{"name": "a", "kind": {"Open": {}}}])"), "f.json: [0]: missing 'matches'");
  EXPECT_EQ(parse_error("{}"), "f.json: a layer config is a JSON list of layer specs");
}

TEST(LayeredSpec, VerifyAndDefaultsFollowScxLayered) {
  auto specs = parse_layer_specs(R"([{"name": "a", "matches": [[{"NiceAbove": 0}]], "kind": {"Open": {}}},
                                     {"name": "b", "matches": [[{"NiceBelow": 0}]], "kind": {"Open": {"weight": 20000}}}])",
                                 "f.json");
  ASSERT_TRUE(specs.ok());
  EXPECT_EQ(verify_layer_specs(*specs, "f.json").message(),
            "f.json: [1] (layer 'b'): the terminal spec must have one empty match block ([[]])");
  apply_spec_defaults(&*specs, 5000, 20'000'000);
  EXPECT_EQ((*specs)[0].slice_us, 5000u);
  EXPECT_EQ((*specs)[0].weight, 100u);
  EXPECT_EQ((*specs)[1].weight, 10000u);
  EXPECT_EQ((*specs)[0].disallow_open_after_us, 40000u);
  EXPECT_EQ((*specs)[0].disallow_preempt_after_us, 80000u);
  EXPECT_TRUE(load_layer_spec_file("/nonexistent/spec.json").status().message().find("/nonexistent/spec.json") == 0);
}

std::vector<LayerSpec> example_specs() {
  std::vector<LayerSpec> s = parse_layer_specs(example_spec_json(), "example").value();
  apply_spec_defaults(&s, 20000, 20'000'000);
  return s;
}

const FieldWrite* find(const std::vector<FieldWrite>& w, const std::string& path) {
  for (const FieldWrite& f : w)
    if (f.path == path) return &f;
  return nullptr;
}

int64_t num(const std::vector<FieldWrite>& w, const std::string& path) {
  const FieldWrite* f = find(w, path);
  if (!f) ADD_FAILURE() << path << " not written";
  if (!f) return -12345;
  if (const auto* e = std::get_if<EnumName>(&f->value)) return e->value;
  return std::get<int64_t>(f->value);
}

TEST(LayeredSetup, ExampleOnTwoCoresIsExact) {
  const Topology topo = testing::ExtSim("cores=2,smt=2").topo;
  const LayeredSetup s = compute_setup(example_specs(), topo, 20'000'000);
  EXPECT_EQ(num(s.globals, "nr_layers"), 4);
  EXPECT_EQ(num(s.globals, "nr_op_layers"), 1);  // immediate
  EXPECT_EQ(num(s.globals, "nr_on_layers"), 0);
  EXPECT_EQ(num(s.globals, "nr_gp_layers"), 0);
  EXPECT_EQ(num(s.globals, "nr_gn_layers"), 1);  // normal
  EXPECT_EQ(num(s.globals, "nr_excl_layers"), 1);
  EXPECT_EQ(num(s.globals, "min_open_layer_disallow_open_after_ns"), 40000);  // µs, as main.rs writes it
  EXPECT_EQ(num(s.globals, "min_open_layer_disallow_preempt_after_ns"), 80000);
  EXPECT_EQ(std::get<std::vector<int64_t>>(find(s.globals, "layer_iteration_order")->value),
            (std::vector<int64_t>{0, 1, 2, 3}));
  EXPECT_EQ(num(s.globals, "layers[0].nr_match_ors"), 2);
  EXPECT_EQ(num(s.globals, "layers[0].matches[0].matches[0].kind"), 0);  // MATCH_CGROUP_PREFIX
  EXPECT_EQ(std::get<std::string>(find(s.globals, "layers[0].matches[0].matches[0].cgroup_prefix")->value),
            "system.slice/");
  EXPECT_EQ(num(s.globals, "layers[0].matches[1].matches[0].kind"), 3);  // MATCH_NICE_ABOVE
  EXPECT_EQ(num(s.globals, "layers[1].matches[0].nr_match_ands"), 2);
  EXPECT_EQ(num(s.globals, "layers[0].kind"), 2);  // LAYER_KIND_CONFINED
  EXPECT_EQ(num(s.globals, "layers[1].kind"), 0);  // LAYER_KIND_OPEN
  EXPECT_EQ(num(s.globals, "layers[3].kind"), 1);  // LAYER_KIND_GROUPED
  EXPECT_EQ(num(s.globals, "layers[1].yield_step_ns"), 15'000'000);  // 20 ms × (1 - 0.25)
  EXPECT_EQ(num(s.globals, "layers[0].yield_step_ns"), 20'000'000);
  EXPECT_EQ(num(s.globals, "layers[1].disallow_open_after_ns"), -1);  // preempt: u64::MAX
  EXPECT_EQ(num(s.globals, "layers[0].disallow_open_after_ns"), 40'000'000);
  EXPECT_EQ(num(s.globals, "layers[2].growth_algo"), 4);  // GROWTH_ALGO_TOPO
  EXPECT_EQ(num(s.globals, "layers[3].xllc_mig_min_ns"), 100'000);
  EXPECT_EQ(num(s.globals, "layers[2].slice_ns"), 800'000);
  // Per CPU: cpu_ctx, then the LLC and the node; refresh_node_ctx(init) and the pid namespace.
  ASSERT_EQ(s.maps.size(), 4u + 1u + 1u);
  EXPECT_EQ(s.maps[1].map, "cpu_ctxs");
  EXPECT_EQ(s.maps[1].cpu, 1);
  EXPECT_EQ(num(s.maps[1].fields, "layer_id"), kMaxLayers);
  EXPECT_EQ(std::get<std::vector<int64_t>>(find(s.maps[1].fields, "gn_layer_order")->value)[0], 3);
  ASSERT_EQ(s.runs.size(), 2u);
  EXPECT_EQ(s.runs[0].what, "refresh_node_ctx(node=0, init)");
  EXPECT_EQ(num(s.runs[0].fields, "nr_empty_layer_ids"), 4);
  EXPECT_EQ(s.runs[1].program, "initialize_pid_namespace");
  const CpuProximity p = cpu_proximity(topo, 0);
  const int sib = topo.core_cpus(topo.cpu(0).core).next(1);  // CPU 0's SMT sibling
  EXPECT_EQ(p.order, (std::vector<int>{0, sib, sib == 1 ? 2 : 1, 3}));
  EXPECT_EQ(p.core_end, 2u);
  EXPECT_EQ(p.llc_end, 4u);
  EXPECT_EQ(p.sys_end, 4u);
}

TEST(LayeredSetup, FastRandShuffleIsADeterministicPermutation) {
  std::vector<int> a = {0, 1, 2, 3, 4, 5, 6, 7}, b = a;
  FastRand(7).shuffle(a);
  FastRand(7).shuffle(b);
  EXPECT_EQ(a, b);
  std::vector<int> sorted = a;
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<int>{0, 1, 2, 3, 4, 5, 6, 7}));
}

TEST(LayeredAlloc, ConfinedLayerGetsCoresForItsUtilizationAndOpenLayersTheRest) {
  const Topology topo = testing::ExtSim("cores=4,smt=2").topo;
  auto specs = parse_layer_specs(R"([
    {"name": "c", "matches": [[{"NiceAbove": 0}]], "kind": {"Confined": {"util_range": [0.5, 0.6], "growth_algo": "Linear"}}},
    {"name": "o", "matches": [[]], "kind": {"Open": {}}}])", "t").value();
  apply_spec_defaults(&specs, 20000, 20'000'000);
  CpuAllocator a(specs, topo);
  EXPECT_FALSE(a.refresh({{0, 0}, {0, 0}}, 100'000'000));  // nothing to do: open layers untouched
  EXPECT_TRUE(a.cpus(1).empty());
  // 1.2 CPUs busy: ceil(1.2 / 0.6) = floor(1.2 / 0.5) = 2 CPUs = one core, the first in its order.
  ASSERT_TRUE(a.refresh({{1.2, 0}, {0, 0}}, 100'000'000));
  EXPECT_EQ(a.cpus(0), topo.core_cpus(a.core_order(0)[0]));
  EXPECT_EQ(a.cpus(1), topo.all_cpus().and_not(a.cpus(0)));
  EXPECT_EQ(a.fallback_cpu(0), a.cpus(1).first());
  // 3.3 CPUs: 6 CPUs (3 cores).
  ASSERT_TRUE(a.refresh({{3.3, 0}, {0, 0}}, 100'000'000));
  EXPECT_EQ(a.cpus(0).weight(), 6);
  EXPECT_EQ(a.cpus(1).weight(), 2);
  // Idle: the shrink is halved (6 → 3, rounded up to whole cores: 4).
  ASSERT_TRUE(a.refresh({{0, 0}, {0, 0}}, 100'000'000));
  EXPECT_EQ(a.cpus(0).weight(), 4);
  EXPECT_EQ(resolve_cpus_range(specs[0], 8), std::make_pair(0, 8));
}

// ---- the writer and the process against a scx_layered-shaped object -----------------------

struct Loaded {
  Loaded() : sim("cores=2,smt=2", testing::zero_costs()) {}
  testing::ExtSim sim;
  bpf::BpfScxOps* ops = nullptr;
  Result<std::unique_ptr<bpf::BpfScxOps>> load(const std::string& profile, std::vector<std::string> opts = {}) {
    bpf::BpfHostOptions o;
    o.nr_cpus = sim.topo.nr_cpus();
    o.topology = &sim.topo;
    o.profile = profile;
    o.sched_opts = std::move(opts);
    return bpf::BpfScxOps::load(kSubject, o);
  }
  uint64_t read(const std::string& global, const std::string& path = "") {
    const bpf::GlobalVar* g = ops->object().global(global);
    std::span<const uint8_t> bytes(ops->object().global_data(global), g->size);
    return read_u64(ops->object().btf(), g->btf_type_id, bytes, path).value_or(~0ull);
  }
};

const char* kProfile = R"({"ops_name": "layered_test", "layered_spec": "example",
  "options": {"spec": {"layered_spec": "value"}}})";

TEST(LayeredWriter, WritesTheObjectsOwnLayoutAndSkipsMissingMembers) {
  Loaded l;
  auto loaded = l.load(testing::write_test_file("layered_profile.json", kProfile));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  l.ops = loaded->get();
  EXPECT_EQ(l.read("nr_layers"), 4u);
  EXPECT_EQ(l.read("nr_gn_layers"), 1u);
  EXPECT_EQ(l.read("min_open_layer_disallow_open_after_ns"), 40000u);
  EXPECT_EQ(l.read("layers", "[1].kind"), 0u);
  EXPECT_EQ(l.read("layers", "[3].kind"), 1u);
  EXPECT_EQ(l.read("layers", "[0].nr_match_ors"), 2u);
  EXPECT_EQ(l.read("layers", "[1].matches[0].nr_match_ands"), 2u);
  EXPECT_EQ(l.read("layers", "[0].matches[1].matches[0].kind"), 3u);
  EXPECT_EQ(l.read("layers", "[2].slice_ns"), 800'000u);
  EXPECT_EQ(l.read("layers", "[1].disallow_open_after_ns"), ~0ull);
  const bpf::GlobalVar* g = l.ops->object().global("layers");
  auto name = bpf::layered::locate(l.ops->object().btf(), g->btf_type_id, "[2].name");
  ASSERT_TRUE(name.ok() && *name);
  EXPECT_STREQ(reinterpret_cast<const char*>(l.ops->object().global_data("layers") + (**name).offset), "stress-ng");
  // cpu_ctxs of CPU 3 (per-CPU value) and an LLC proximity map.
  const uint32_t key = 0;
  auto* c = static_cast<const int32_t*>(l.ops->object().map("cpu_ctxs")->lookup_percpu(&key, 3));
  ASSERT_NE(c, nullptr);
  EXPECT_EQ(c[0], 3);   // cpu
  EXPECT_EQ(c[1], 16);  // layer_id = MAX_LAYERS
}

TEST(LayeredWriter, AMalformedUserSpecFailsTheLoadNamingTheFile) {
  Loaded l;
  const std::string bad = testing::write_test_file("bad_spec.json", R"([{"name": "x", "matches": [[]], "kind": {"Grouped": {}}}])");
  auto loaded = l.load(testing::write_test_file("layered_profile.json", kProfile), {"spec=" + bad});
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.status().message().find(bad + ": [0].kind.Grouped: missing util_range"), std::string::npos)
      << loaded.status().message();
}

TEST(LayeredProcess, RunsTheSetUpProgramsAndRefreshesLayersOverTime) {
  Loaded l;
  auto loaded = l.load(testing::write_test_file("layered_profile.json", kProfile));
  ASSERT_TRUE(loaded.ok()) << loaded.status().message();
  l.ops = loaded->get();
  ASSERT_NE(l.ops->usersched(), nullptr);
  EXPECT_EQ(l.ops->usersched()->name(), "layered");
  l.sim.ext->load_at(std::move(*loaded), 0);
  auto w = resolve_workload("hogs:count=4,nices=0", l.sim.topo.nr_cpus(), 1);
  ASSERT_TRUE(w.ok()) << w.status().message();
  l.sim.load(*w);
  ASSERT_TRUE(l.sim.kernel->run_until(550'000'000).ok());
  EXPECT_TRUE(l.sim.ext->enabled());
  EXPECT_EQ(l.read("node_ctx_inits"), 1u);
  EXPECT_EQ(l.read("pid_ns_runs"), 1u);
  // BPF_PROG_RUN runs in the calling process: the layered process's own tgid is recorded.
  EXPECT_EQ(l.read("layered_root_tgid"), static_cast<uint64_t>(l.ops->usersched()->pid()));
  EXPECT_GE(l.ops->usersched()->passes(), 5u);
  // Four hogs charged to "normal" (util 4 > 0.6 × CPUs): it takes every CPU.
  EXPECT_GE(l.read("refreshes"), 1u);
  EXPECT_EQ(l.read("layers", "[3].nr_cpus"), 4u);
  EXPECT_EQ(l.read("layers", "[3].refresh_cpus"), 1u);
  EXPECT_EQ(l.read("layers", "[3].cpus[0]"), 0xfu);
}

}  // namespace
}  // namespace scx
