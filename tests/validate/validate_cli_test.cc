// `scxsim validate`: the table against a saved reference (golden, deterministic), its JSON form,
// and the one-line errors for bad input. Regenerate the golden file with SCXSIM_UPDATE_GOLDEN=1.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli/validate.h"
#include "golden.h"

namespace scx {
namespace {
namespace fs = std::filesystem;

const std::string kSrc = SCXSIM_SOURCE_DIR;

void check_golden(const std::string& name, const std::string& actual) {
  testing::check_golden("validate/golden/" + name, actual);
}

// Paths under the source tree print as <src>/... so the golden file does not depend on it.
std::string relative(std::string text) {
  for (size_t at; (at = text.find(kSrc)) != std::string::npos;) text.replace(at, kSrc.size(), "<src>");
  return text;
}

ValidateOptions against_reference() {
  ValidateOptions o;
  o.workload = kSrc + "/workloads/validation/periodic-run.json";
  o.reference = kSrc + "/validation/reference/periodic-run";
  o.seeds = {1, 2};
  o.jobs = 1;
  return o;
}

TEST(ValidateCli, TableAgainstSavedReference) {
  auto r = run_validate(against_reference());
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->runs_kept, 5);
  EXPECT_EQ(r->sched, "eevdf");
  check_golden("validate_periodic_run.txt", relative(format_validation_text(*r)));
}

TEST(ValidateCli, DeterministicWhateverTheJobs) {
  ValidateOptions a = against_reference();
  ValidateOptions b = against_reference();
  b.jobs = 2;
  auto ra = run_validate(a), rb = run_validate(b);
  ASSERT_TRUE(ra.ok() && rb.ok());
  EXPECT_EQ(format_validation_text(*ra), format_validation_text(*rb));
  EXPECT_EQ(format_validation_json(*ra), format_validation_json(*rb));
}

TEST(ValidateCli, JsonHasTheTable) {
  auto r = run_validate(against_reference());
  ASSERT_TRUE(r.ok());
  const auto j = nlohmann::json::parse(format_validation_json(*r));
  EXPECT_EQ(j["real"]["source"], "reference");
  EXPECT_EQ(j["real"]["runs_kept"], 5);
  EXPECT_EQ(j["cells"].size(), r->cells.size());
  const auto& c = j["cells"][0];
  for (const char* k : {"group", "metric", "label", "unit", "tolerance", "real", "scxsim", "verdict"})
    EXPECT_TRUE(c.contains(k)) << k;
  EXPECT_EQ(c["real"]["values"].size(), 5u);
  EXPECT_EQ(c["scxsim"]["values"].size(), 2u);
  int passed = 0, judged = 0;
  for (const auto& cell : j["cells"]) {
    passed += cell["verdict"] == "pass";
    judged += cell["verdict"] == "pass" || cell["verdict"] == "fail";
  }
  EXPECT_EQ(j["passed"], passed);
  EXPECT_EQ(j["judged"], judged);
}

struct TempFile {
  std::string path;
  explicit TempFile(const std::string& text) {
    std::string t = (fs::temp_directory_path() / "scxsim-validate-test-XXXXXX").string();
    const int fd = ::mkstemp(t.data());
    ::close(fd);
    path = t;
    std::ofstream(path) << text;
  }
  ~TempFile() { fs::remove(path); }
};

std::string error_of(ValidateOptions o) {
  auto r = run_validate(o);
  return r.ok() ? "ok" : r.status().message();
}

TEST(ValidateCli, BadInputIsOneLineError) {
  ValidateOptions o;
  o.workload = "/nonexistent/w.json";
  EXPECT_EQ(error_of(o), "validate: '/nonexistent/w.json' is not a file");
  TempFile broken("{ \"tasks\": ");
  o.workload = broken.path;
  EXPECT_EQ(error_of(o).rfind("validate: " + broken.path + ": line 1, column", 0), 0u) << error_of(o);
  TempFile endless(R"({"tasks": {"t": {"phases": {"p": {"run": 1000}}}}})");
  o.workload = endless.path;
  EXPECT_EQ(error_of(o), "validate: " + endless.path + ": the workload needs a global.duration (rt-app runs it for that long)");
  o = against_reference();
  o.save_reference = "/tmp/x";
  EXPECT_EQ(error_of(o), "validate: --reference and --save-reference exclude each other");
  o = against_reference();
  o.reference = "/nonexistent/ref";
  EXPECT_EQ(error_of(o), "--reference: '/nonexistent/ref' is not a directory");
}

TEST(ValidateCli, HostChecks) {
  HostEnv env;
  env.euid = 1000;
  EXPECT_EQ(check_host(env).status().message(),
            "validate: running the workload on this host needs root (or compare against saved runs with --reference DIR)");
  env.euid = 0;
  env.rt_app = "/nonexistent/rt-app";
  EXPECT_EQ(check_host(env).status().message(),
            "validate: rt-app not found ('/nonexistent/rt-app'; on Debian: apt-get install rt-app)");
  env.rt_app = "/bin/sh";  // any executable will do here
  env.tracefs = "/nonexistent/tracefs";
  env.mount_tracefs = false;
  EXPECT_EQ(check_host(env).status().message(), "validate: tracefs is not mounted at /nonexistent/tracefs");
  env.mount_tracefs = true;
  EXPECT_EQ(check_host(env).status().message().rfind(
                "validate: tracefs is not mounted at /nonexistent/tracefs and cannot be mounted (", 0),
            0u);
}

// The command itself: exit status 1 and one line on stderr.
TEST(ValidateCli, CommandFailsWithOneLine) {
  const std::string cmd = std::string(SCXSIM_BINARY_DIR) + "/src/cli/scxsim validate /nonexistent/w.json 2>&1";
  std::FILE* p = ::popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[512];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  EXPECT_EQ(WEXITSTATUS(status), 1);
  EXPECT_EQ(out, "scxsim: validate: '/nonexistent/w.json' is not a file\n");
}

}  // namespace
}  // namespace scx
