#include "validate/reference.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "base/json_parse.h"
#include "sim/fingerprint.h"
#include "workload/json_prep.h"

namespace scx {
namespace fs = std::filesystem;

namespace {

constexpr const char* kFormat = "scxsim validate run 1";

Status write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  out.close();
  if (!out) return Status::Errorf("--save-reference", "cannot write '{}'", path.string());
  return {};
}

// run-N.json -> N; 0 for other names.
int run_number(const fs::path& p) {
  const std::string n = p.filename().string();
  if (n.size() < 10 || n.rfind("run-", 0) != 0 || n.substr(n.size() - 5) != ".json") return 0;
  const std::string digits = n.substr(4, n.size() - 9);
  if (digits.empty() || digits.size() > 6 || digits.find_first_not_of("0123456789") != std::string::npos) return 0;
  return std::stoi(digits);
}

std::vector<std::pair<int, fs::path>> run_files(const std::string& dir) {
  std::vector<std::pair<int, fs::path>> out;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir, ec))
    if (int n = run_number(entry.path())) out.emplace_back(n, entry.path());
  std::sort(out.begin(), out.end());
  return out;
}

nlohmann::json run_json(const ReferenceRun& r, int number) {
  nlohmann::json j = run_figures_json(r.figures);
  j["format"] = kFormat;
  j["run"] = number;
  j["workload"] = r.workload;
  j["workload_hash"] = r.workload_hash;
  j["host"] = host_facts_json(r.host);
  return j;
}

Result<ReferenceRun> read_run(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  nlohmann::json j;
  const std::string where = path.string();
  if (auto e = parse_json(s.str(), &j)) {
    if (!e->number_out_of_range) return Status::Error(where, "not valid JSON");
    return Status::Error(where + ": " + line_column(s.str(), e->byte), e->reason);
  }
  if (!j.is_object() || j.value("format", "") != kFormat)
    return Status::Errorf(where, "not a validate reference run (expected \"format\": \"{}\")", kFormat);
  ReferenceRun r;
  auto figures = run_figures_from_json(j);
  if (!figures.ok()) return figures.status().within(where);
  r.figures = std::move(*figures);
  r.host = host_facts_from_json(j.value("host", nlohmann::json()));
  r.workload = j.value("workload", "");
  r.workload_hash = j.value("workload_hash", "");
  return r;
}

}  // namespace

Status save_reference(const std::string& dir, const std::vector<ReferenceRun>& runs, const std::string& topology_json) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return Status::Errorf("--save-reference", "cannot create '{}': {}", dir, ec.message());
  for (const auto& [n, path] : run_files(dir)) fs::remove(path, ec);
  for (size_t i = 0; i < runs.size(); ++i) {
    const int number = static_cast<int>(i + 1);
    SCX_RETURN_IF_ERROR(write_text(fs::path(dir) / ("run-" + std::to_string(number) + ".json"),
                                   run_json(runs[i], number).dump(1) + "\n"));
  }
  return write_text(fs::path(dir) / "topology.json", topology_json);
}

Result<Reference> load_reference(const std::string& dir) {
  if (!fs::is_directory(dir)) return Status::Errorf("--reference", "'{}' is not a directory", dir);
  Reference ref;
  for (const auto& [n, path] : run_files(dir)) {
    auto run = read_run(path);
    if (!run.ok()) return run.status().within("--reference");
    ref.runs.push_back(std::move(*run));
  }
  if (ref.runs.empty()) return Status::Errorf("--reference", "'{}' holds no run-N.json files", dir);
  std::ifstream topo(fs::path(dir) / "topology.json");
  std::stringstream s;
  s << topo.rdbuf();
  ref.topology_json = s.str();
  return ref;
}

std::string workload_hash(std::string_view json_text) {
  const PreparedJson prep = prepare_json(json_text, false);
  const nlohmann::json j = nlohmann::json::parse(prep.text, nullptr, false, true);
  Fingerprint fp;
  fp.add(j.is_discarded() ? std::string(json_text) : j.dump());
  return fp.hex();
}

}  // namespace scx
