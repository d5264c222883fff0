// Reading a sweep file: every mistake is one error naming the file and the key, found before
// anything runs; relative paths resolve against the file's directory.
#include <gtest/gtest.h>

#include "sweep/cells.h"
#include "sweep/spec.h"
#include "temp_file.h"

namespace scx::sweep {
namespace {

// The error of reading `text` as a sweep file and enumerating its cells, without the file name.
std::string error_of(const std::string& text) {
  const std::string path = testing::write_test_file("sweep.json", text);
  auto spec = read_sweep_file(path);
  Status st = spec.ok() ? enumerate_cells(*spec).status() : spec.status();
  std::string m = st.message();
  return m.starts_with(path + ": ") ? m.substr(path.size() + 2) : "(no file name) " + m;
}

TEST(SweepSpec, ErrorsNameTheFileAndTheKey) {
  const std::string ok_axes = R"("schedulers": ["eevdf"], "workloads": ["demo"])";
  EXPECT_EQ(error_of("{" + ok_axes + R"(, "seedz": 3})"), "seedz: unknown key (did you mean 'seeds'?)");
  EXPECT_EQ(error_of(R"({"schedulers": ["eevdf", "nope"], "workloads": ["demo"]})"),
            "schedulers[1]: --sched: unknown scheduler 'nope' (available: eevdf, fifo, vtime, central, prio, llc, or a "
            "FILE.bpf.o)");
  EXPECT_EQ(error_of(R"({"schedulers": ["eevdf", "eevdf"], "workloads": ["demo"]})"), "schedulers[1]: 'eevdf' is listed twice");
  EXPECT_EQ(error_of(R"({"schedulers": ["eevdf"], "workloads": []})"), "workloads: needs at least one entry");
  EXPECT_EQ(error_of(R"({"workloads": ["demo"]})"), "schedulers: needs at least one entry");
  EXPECT_EQ(error_of(R"({"schedulers": ["eevdf", 3], "workloads": ["demo"]})"), "schedulers[1]: expected a non-empty string");
  EXPECT_EQ(error_of("{" + ok_axes + R"(, "seeds": "1-x"})"), "seeds: expected N, A-B or a list A,B,...; got '1-x'");
  EXPECT_EQ(error_of("{" + ok_axes + R"(, "seeds": [1, -2]})"), "seeds[1]: expected a whole number");
  EXPECT_EQ(error_of("{" + ok_axes + R"(, "seeds": [4, 4]})"), "seeds: seed 4 is listed twice");
  EXPECT_EQ(error_of("{" + ok_axes + R"(, "duration": "10"})"), "duration: '10' needs a unit (ns, us, ms, s)");
  EXPECT_EQ(error_of("{" + ok_axes + R"(, "duration": 10})"), "duration: expected a string");
  EXPECT_EQ(error_of("{" + ok_axes + R"(, "topologies": ["lapto"]})").substr(0, 61),
            "topologies[0]: --topology: unknown topology 'lapto' (did you ");
  EXPECT_EQ(error_of("{" + ok_axes + R"(, "variants": ["x:--bogus=1"]})").substr(0, 51),
            "variants[0]: --variant x: unknown option 'bogus' (u");
  EXPECT_EQ(error_of("{" + ok_axes + R"(, "variants": ["eevdf:--fair=RUN_TO_PARITY=0"]})"),
            "variants: the column name 'eevdf' is used twice");
  EXPECT_EQ(error_of(R"({"schedulers": ["eevdf"], "workloads": ["demo", "nosuch"]})").substr(0, 55),
            "workloads[1]: --workload: 'nosuch' is not a file, a bun");
  EXPECT_EQ(error_of(R"({"schedulers": ["eevdf"])"), "line 1, column 25: syntax error while parsing object - "
                                                     "unexpected end of input; expected '}'");
  EXPECT_EQ(error_of("[1]"), "expected a JSON object with the keys schedulers, workloads, ...");
}

TEST(SweepSpec, DefaultsAndSeedForms) {
  const std::string path =
      testing::write_test_file("sweep.json", R"({"schedulers": ["eevdf"], "workloads": ["demo"], "seeds": "2-4"})");
  auto spec = read_sweep_file(path);
  ASSERT_TRUE(spec.ok()) << spec.status().message();
  EXPECT_EQ(spec->seeds, (std::vector<uint64_t>{2, 3, 4}));
  EXPECT_EQ(spec->topologies, std::vector<std::string>{"laptop"});
  EXPECT_EQ(spec->duration, "");
  EXPECT_EQ(spec->hash.size(), 16u);
}

TEST(SweepSpec, PathsResolveAgainstTheSweepFilesDirectory) {
  EXPECT_EQ(resolve_against("exp/a", "sched/x.bpf.o"), "exp/a/sched/x.bpf.o");
  EXPECT_EQ(resolve_against("exp/a", "../w.json"), "exp/w.json");
  EXPECT_EQ(resolve_against("exp/a", "/abs/x.bpf.o"), "/abs/x.bpf.o");
  EXPECT_EQ(resolve_against("exp/a", "eevdf"), "eevdf");                      // a name, not a path
  EXPECT_EQ(resolve_against("exp/a", "pingpong:pairs=2"), "pingpong:pairs=2");
  EXPECT_EQ(resolve_against("", "x.bpf.o"), "x.bpf.o");                       // the file is in the cwd
}

}  // namespace
}  // namespace scx::sweep
