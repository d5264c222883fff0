// Topology JSON files (schema in docs/topology.md). Errors name the file and the JSON path of the
// bad value, or the line and column of a syntax error.
#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <utility>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "base/json_error.h"
#include "base/json_parse.h"
#include "topo/topology.h"
#include "topo/topology_internal.h"

namespace scx {
namespace {

using nlohmann::json;

Status path_error(const std::string& path, std::string reason) {
  return Status::Error(path, std::move(reason));
}

Result<int> get_int(const json& v, const std::string& path) {
  if (!v.is_number_integer()) return path_error(path, "expected an integer");
  int64_t x = v.get<int64_t>();
  if (v.is_number_unsigned() && v.get<uint64_t>() > static_cast<uint64_t>(INT32_MAX))
    return path_error(path, "integer out of range");
  if (x < std::numeric_limits<int>::min() || x > std::numeric_limits<int>::max())
    return path_error(path, "integer out of range");
  return static_cast<int>(x);
}

Result<std::string> get_string(const json& v, const std::string& path) {
  if (!v.is_string()) return path_error(path, "expected a string");
  return v.get<std::string>();
}

Status check_keys(const json& obj, const std::string& path,
                  std::initializer_list<const char*> allowed) {
  for (const auto& [key, value] : obj.items()) {
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::string list;
      for (const char* a : allowed) list += fmt::format("{}{}", list.empty() ? "" : ", ", a);
      return path_error(path, fmt::format("unknown key '{}' (expected one of: {})", key, list));
    }
  }
  return {};
}

Result<CpuInfo> parse_cpu(const json& obj, const std::string& path) {
  if (!obj.is_object()) return path_error(path, "expected an object");
  SCX_RETURN_IF_ERROR(
      check_keys(obj, path, {"id", "core", "llc", "node", "package", "capacity", "kind"}));
  CpuInfo cpu;
  auto required = [&](const char* key, int* out) -> Status {
    if (!obj.contains(key)) return path_error(path, fmt::format("missing \"{}\"", key));
    auto v = get_int(obj[key], path + "." + key);
    if (!v.ok()) return v.status();
    *out = *v;
    return {};
  };
  auto optional = [&](const char* key, int* out) -> Status {
    return obj.contains(key) ? required(key, out) : Status();
  };
  SCX_RETURN_IF_ERROR(required("id", &cpu.id));
  SCX_RETURN_IF_ERROR(required("core", &cpu.core));
  SCX_RETURN_IF_ERROR(required("llc", &cpu.llc));
  SCX_RETURN_IF_ERROR(optional("node", &cpu.node));
  cpu.package = cpu.node;  // one package per node unless told otherwise
  SCX_RETURN_IF_ERROR(optional("package", &cpu.package));
  int capacity = static_cast<int>(kCapacityScale);
  SCX_RETURN_IF_ERROR(optional("capacity", &capacity));
  if (capacity < 1 || capacity > static_cast<int>(kCapacityScale))
    return path_error(path + ".capacity",
                      fmt::format("{} is outside 1..{}", capacity, kCapacityScale));
  cpu.capacity = static_cast<uint32_t>(capacity);
  if (obj.contains("kind")) {
    SCX_ASSIGN_OR_RETURN(cpu.kind, get_string(obj["kind"], path + ".kind"));
  }
  return cpu;
}

Result<std::vector<std::vector<int>>> parse_distances(const json& v) {
  const std::string path = "node_distance";
  if (!v.is_array()) return path_error(path, "expected an array of arrays of integers");
  std::vector<std::vector<int>> table;
  for (size_t a = 0; a < v.size(); ++a) {
    std::string row_path = fmt::format("{}[{}]", path, a);
    if (!v[a].is_array()) return path_error(row_path, "expected an array of integers");
    std::vector<int> row;
    for (size_t b = 0; b < v[a].size(); ++b) {
      SCX_ASSIGN_OR_RETURN(int d, get_int(v[a][b], fmt::format("{}[{}]", row_path, b)));
      row.push_back(d);
    }
    table.push_back(std::move(row));
  }
  return table;
}

Result<TopologyDesc> parse_desc(const json& doc, const std::string& default_name) {
  if (!doc.is_object()) return path_error("", "expected a JSON object at the top level");
  SCX_RETURN_IF_ERROR(
      check_keys(doc, "", {"name", "description", "cpus", "spec", "node_distance"}));
  if (doc.contains("description")) {
    SCX_RETURN_IF_ERROR(get_string(doc["description"], "description").status());
  }
  TopologyDesc desc;
  const bool has_cpus = doc.contains("cpus"), has_spec = doc.contains("spec");
  if (has_cpus && has_spec) return path_error("", "give either \"cpus\" or \"spec\", not both");
  if (!has_cpus && !has_spec) return path_error("", "missing \"cpus\" (or \"spec\")");
  if (has_spec) {
    SCX_ASSIGN_OR_RETURN(std::string spec, get_string(doc["spec"], "spec"));
    SCX_ASSIGN_OR_RETURN(desc, topo_internal::spec_to_desc(spec));
  } else {
    const json& cpus = doc["cpus"];
    if (!cpus.is_array()) return path_error("cpus", "expected an array of CPU objects");
    for (size_t i = 0; i < cpus.size(); ++i) {
      SCX_ASSIGN_OR_RETURN(CpuInfo cpu, parse_cpu(cpus[i], fmt::format("cpus[{}]", i)));
      desc.cpus.push_back(std::move(cpu));
    }
  }
  desc.name = default_name;
  if (doc.contains("name")) {
    SCX_ASSIGN_OR_RETURN(desc.name, get_string(doc["name"], "name"));
  }
  if (doc.contains("node_distance")) {
    SCX_ASSIGN_OR_RETURN(desc.node_distance, parse_distances(doc["node_distance"]));
  }
  return desc;
}

}  // namespace

Result<Topology> parse_topology_json(std::string_view text, const std::string& origin) {
  json doc;
  if (auto e = parse_json(text, &doc)) return Status::Error(origin + ": " + line_column(text, e->byte), e->reason);
  auto desc = parse_desc(doc, std::filesystem::path(origin).stem().string());
  if (!desc.ok()) return desc.status().within(origin);
  auto topo = Topology::build(std::move(desc).value());
  if (!topo.ok()) return topo.status().within(origin);
  return topo;
}

Result<Topology> load_topology_json(const std::string& path, size_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Errorf(path, "cannot open: {}", std::strerror(errno));
  // Chunk by chunk, stopping one byte past the limit: an endless device (/dev/zero) ends too.
  std::string text;
  char chunk[65536];
  while (text.size() <= max_bytes && in.read(chunk, sizeof chunk).gcount() > 0)
    text.append(chunk, static_cast<size_t>(in.gcount()));
  if (in.bad()) return Status::Errorf(path, "read error: {}", std::strerror(errno));
  if (text.size() > max_bytes)
    return Status::Errorf(path, "larger than the limit of {} bytes for a topology file (raise it with "
                          "--max-topology-size)", max_bytes);
  return parse_topology_json(text, path);
}

}  // namespace scx
