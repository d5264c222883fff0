#include "sweep/result_file.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/json_parse.h"
#include "sweep/digest_json.h"

namespace scx::sweep {

// Field by field, under the members' names (nlohmann's macros; a missing key throws).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(RanScenario, workload, topology, topology_summary, kernel, duration, cost, noise)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(CellResult, sweep_hash, id, index, workload, topology, variant, seed, spec, command,
                                   fingerprint, ran, digest)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ManifestCell, id, workload, topology, variant, seed)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Manifest, sweep_file, sweep_hash, cells)

namespace {

using Json = nlohmann::json;

// A file of one of the types above; `what` names the type in the error.
template <class T>
Result<T> read_as(const std::string& path, const char* what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path, "cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  Json j;
  if (auto err = parse_json(text, &j)) return Status::Errorf(path, "{}: {}", line_column(text, err->byte), err->reason);
  try {
    return j.get<T>();
  } catch (const nlohmann::json::exception& e) {
    const std::string why = e.what();  // "[json.exception.type_error.302] type must be ..."
    return Status::Errorf(path, "not a {}: {}", what, why.substr(why.find("] ") + 2));
  }
}

}  // namespace

std::string result_path(const std::string& dir, const std::string& id) {
  return (std::filesystem::path(dir) / ("cell-" + id + ".json")).string();
}

bool is_result_name(const std::string& name) { return name.starts_with("cell-") && name.ends_with(".json"); }

std::string format_result(const CellResult& r) { return Json(r).dump(1) + "\n"; }

Result<CellResult> read_result(const std::string& path) { return read_as<CellResult>(path, "sweep cell result"); }

Manifest make_manifest(const SweepSpec& spec, const std::vector<Cell>& cells) {
  Manifest m{std::filesystem::path(spec.path).filename().string(), spec.hash, {}};
  for (const Cell& c : cells) m.cells.push_back({c.id, c.workload, c.topology, c.variant, c.seed});
  return m;
}

std::string format_manifest(const Manifest& m) { return Json(m).dump(1) + "\n"; }

Result<Manifest> read_manifest(const std::string& path) { return read_as<Manifest>(path, "sweep manifest"); }
Status write_atomically(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  if (!f) return Status::Error(path, "cannot write");
  const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size();
  if (std::fclose(f) != 0 || !ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
    std::remove(tmp.c_str());
    return Status::Error(path, "error writing");
  }
  return {};
}

}  // namespace scx::sweep
