// Saved reference runs: the files round-trip, the workload hash ignores layout, and broken
// directories give one-line errors.
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "validate/host_facts.h"
#include "validate/reference.h"

namespace scx {
namespace {
namespace fs = std::filesystem;

struct TempDir {
  std::string path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "scxsim-ref-test-XXXXXX").string();
    path = ::mkdtemp(t.data());
  }
  ~TempDir() { fs::remove_all(path); }
};

ReferenceRun sample_run(double share) {
  ReferenceRun r;
  r.host = HostFacts{"6.18.0-test", 2, 250, "2026-01-02T03:04:05Z"};
  r.workload = "w.json";
  r.workload_hash = "abc";
  r.figures.duration = 10 * kNsPerSec;
  r.figures.foreign_cpu_pct = 0.5;
  GroupFigures g;
  g.group = "hog";
  g.tasks = 2;
  g.wakeups = 0;
  g.values.assign(validation_metrics().size(), std::nullopt);
  g.values[0] = share;
  r.figures.groups.push_back(g);
  return r;
}

TEST(ValidateReference, SaveAndLoadRoundTrip) {
  TempDir dir;
  std::ofstream(dir.path + "/run-9.json") << "stale";  // replaced by a save
  ASSERT_TRUE(save_reference(dir.path, {sample_run(60), sample_run(61)}, "{\"cpus\": 2}").ok());
  EXPECT_FALSE(fs::exists(dir.path + "/run-9.json"));
  auto ref = load_reference(dir.path);
  ASSERT_TRUE(ref.ok()) << ref.status().message();
  ASSERT_EQ(ref->runs.size(), 2u);
  EXPECT_EQ(ref->runs[1].figures.groups[0].values[0], 61.0);
  EXPECT_EQ(ref->runs[0].host.kernel, "6.18.0-test");
  EXPECT_EQ(ref->runs[0].host.hz, 250);
  EXPECT_EQ(ref->runs[0].workload_hash, "abc");
  EXPECT_EQ(ref->runs[0].figures.foreign_cpu_pct, 0.5);
  EXPECT_EQ(ref->topology_json, "{\"cpus\": 2}");
}

TEST(ValidateReference, Errors) {
  TempDir dir;
  auto empty = load_reference(dir.path);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "--reference: '" + dir.path + "' holds no run-N.json files");
  std::ofstream(dir.path + "/run-1.json") << "{ not json";
  auto bad = load_reference(dir.path);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "--reference: " + dir.path + "/run-1.json: not valid JSON");
  EXPECT_FALSE(load_reference(dir.path + "/missing").ok());
}

TEST(ValidateReference, WorkloadHashIgnoresLayout) {
  const std::string a = "/* a comment */\n{ \"tasks\": { \"t\": { \"run\": 1 } }, }\n";
  const std::string b = "{\"tasks\":{\"t\":{\"run\":1}}}";
  EXPECT_EQ(workload_hash(a), workload_hash(b));
  EXPECT_NE(workload_hash(a), workload_hash("{\"tasks\":{\"t\":{\"run\":2}}}"));
}

TEST(ValidateHostFacts, ConfigHz) {
  EXPECT_EQ(config_hz("CONFIG_HZ_250=y\nCONFIG_HZ=250\n"), 250);
  EXPECT_EQ(config_hz("# CONFIG_HZ is not set\n"), std::nullopt);
  EXPECT_EQ(config_hz("XCONFIG_HZ=100\nCONFIG_HZ=1000"), 1000);
  EXPECT_EQ(host_facts_text(HostFacts{"6.1", 4, std::nullopt, ""}), "Linux 6.1, 4 CPUs, HZ unknown");
}

}  // namespace
}  // namespace scx
