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

namespace {

using Json = nlohmann::ordered_json;

Result<Json> read_json(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path, "cannot read");
  std::stringstream ss;
  ss << in.rdbuf();
  const std::string text = ss.str();
  Json j;
  if (auto err = parse_json(text, &j)) return Status::Errorf(path, "{}: {}", line_column(text, err->byte), err->reason);
  if (!j.is_object()) return Status::Error(path, "expected a JSON object");
  return j;
}

// A required member; the type error of a wrong type is caught by the caller.
const Json& member(const Json& j, const char* key) {
  if (!j.contains(key)) throw std::out_of_range(key);
  return j.at(key);
}

}  // namespace

std::string result_path(const std::string& dir, const std::string& id) {
  return (std::filesystem::path(dir) / ("cell-" + id + ".json")).string();
}

bool is_result_name(const std::string& name) { return name.starts_with("cell-") && name.ends_with(".json"); }

std::string format_result(const CellResult& r) {
  Json j;
  j["sweep_hash"] = r.sweep_hash;
  j["id"] = r.id;
  j["index"] = r.index;
  j["workload"] = r.workload;
  j["topology"] = r.topology;
  j["variant"] = r.variant;
  j["seed"] = r.seed;
  j["spec"] = r.spec;
  j["command"] = r.command;
  j["fingerprint"] = r.fingerprint;
  j["ran"] = {{"workload", r.ran_workload}, {"topology", r.ran_topology}, {"topology_summary", r.topology_summary},
              {"kernel", r.kernel}, {"duration_ns", r.duration}};
  j["digest"] = digest_to_json(r.digest);
  return j.dump(1) + "\n";
}

Result<CellResult> read_result(const std::string& path) {
  SCX_ASSIGN_OR_RETURN(Json j, read_json(path));
  CellResult r;
  try {
    r.sweep_hash = member(j, "sweep_hash").get<std::string>();
    r.id = member(j, "id").get<std::string>();
    r.index = member(j, "index").get<size_t>();
    r.workload = member(j, "workload").get<std::string>();
    r.topology = member(j, "topology").get<std::string>();
    r.variant = member(j, "variant").get<std::string>();
    r.seed = member(j, "seed").get<uint64_t>();
    r.spec = member(j, "spec").get<std::string>();
    r.command = member(j, "command").get<std::string>();
    r.fingerprint = member(j, "fingerprint").get<std::string>();
    const Json& ran = member(j, "ran");
    r.ran_workload = member(ran, "workload").get<std::string>();
    r.ran_topology = member(ran, "topology").get<std::string>();
    r.topology_summary = member(ran, "topology_summary").get<std::string>();
    r.kernel = member(ran, "kernel").get<std::string>();
    r.duration = member(ran, "duration_ns").get<Ns>();
  } catch (const std::exception& e) {
    return Status::Error(path, "not a sweep cell result (a key is missing or of the wrong type)");
  }
  if (!j.contains("digest")) return Status::Error(path, "not a sweep cell result (no digest)");
  auto digest = digest_from_json(j["digest"]);
  if (!digest.ok()) return digest.status().within(path);
  r.digest = std::move(*digest);
  return r;
}

Manifest make_manifest(const SweepSpec& spec, const std::vector<Cell>& cells) {
  Manifest m{std::filesystem::path(spec.path).filename().string(), spec.hash, {}};
  for (const Cell& c : cells) m.cells.push_back({c.id, c.workload, c.topology, c.variant, c.seed});
  return m;
}

std::string format_manifest(const Manifest& m) {
  Json j;
  j["sweep_file"] = m.sweep_file;
  j["sweep_hash"] = m.sweep_hash;
  Json cells = Json::array();
  for (const ManifestCell& c : m.cells)
    cells.push_back({{"id", c.id}, {"workload", c.workload}, {"topology", c.topology}, {"variant", c.variant},
                     {"seed", c.seed}});
  j["cells"] = cells;
  return j.dump(1) + "\n";
}

Result<Manifest> read_manifest(const std::string& path) {
  SCX_ASSIGN_OR_RETURN(Json j, read_json(path));
  Manifest m;
  try {
    m.sweep_file = member(j, "sweep_file").get<std::string>();
    m.sweep_hash = member(j, "sweep_hash").get<std::string>();
    for (const Json& c : member(j, "cells"))
      m.cells.push_back({member(c, "id").get<std::string>(), member(c, "workload").get<std::string>(),
                         member(c, "topology").get<std::string>(), member(c, "variant").get<std::string>(),
                         member(c, "seed").get<uint64_t>()});
  } catch (const std::exception&) {
    return Status::Error(path, "not a sweep manifest (a key is missing or of the wrong type)");
  }
  return m;
}

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
