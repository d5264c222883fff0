#include "sweep/spec.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/json_parse.h"
#include "base/suggest.h"
#include "cli/compare.h"
#include "cli/usage_checks.h"
#include "sim/fingerprint.h"

namespace scx::sweep {

namespace {

using Json = nlohmann::json;

// The file's keys and where each goes; single values are strings, lists are arrays of strings.
struct ListKey {
  const char* key;
  std::vector<std::string> SweepSpec::*field;
};
constexpr ListKey kListKeys[] = {
    {"schedulers", &SweepSpec::schedulers}, {"variants", &SweepSpec::variants}, {"workloads", &SweepSpec::workloads},
    {"topologies", &SweepSpec::topologies}, {"fair", &SweepSpec::fair},         {"cost", &SweepSpec::cost},
    {"noise", &SweepSpec::noise},           {"set", &SweepSpec::set},           {"resize", &SweepSpec::resize},
    {"map-size", &SweepSpec::map_size},     {"sched-opt", &SweepSpec::sched_opt},
};
struct TextKey {
  const char* key;
  std::string SweepSpec::*field;
};
constexpr TextKey kTextKeys[] = {
    {"duration", &SweepSpec::duration}, {"kernel", &SweepSpec::kernel},   {"cost-profile", &SweepSpec::cost_profile},
    {"profile", &SweepSpec::profile},   {"usersched", &SweepSpec::usersched},
};

std::vector<std::string> known_keys() {
  std::vector<std::string> keys{"seeds"};
  for (const ListKey& k : kListKeys) keys.push_back(k.key);
  for (const TextKey& k : kTextKeys) keys.push_back(k.key);
  return keys;
}

Result<std::vector<std::string>> string_list(const std::string& key, const Json& v) {
  if (!v.is_array()) return Status::Errorf(key, "expected an array of strings");
  std::vector<std::string> out;
  for (size_t i = 0; i < v.size(); ++i) {
    if (!v[i].is_string() || v[i].get<std::string>().empty())
      return Status::Error(json_path_index(key, i), "expected a non-empty string");
    out.push_back(v[i].get<std::string>());
  }
  return out;
}

// "seeds": N (1..N), "A-B" / "A,B,C" as compare's --seeds, or an array of whole numbers.
Result<std::vector<uint64_t>> seed_list(const Json& v) {
  std::vector<uint64_t> seeds;
  if (v.is_array() && !v.empty()) {
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].is_number_unsigned()) return Status::Error(json_path_index("seeds", i), "expected a whole number");
      seeds.push_back(v[i].get<uint64_t>());
      if (std::count(seeds.begin(), seeds.end(), seeds.back()) > 1)
        return Status::Errorf("seeds", "seed {} is listed twice", seeds.back());
    }
    return seeds;
  }
  if (!v.is_number_unsigned() && !v.is_string())
    return Status::Error("seeds", "expected N, \"A-B\", \"A,B,...\" or an array of seeds");
  auto parsed = parse_seeds(v.is_string() ? v.get<std::string>() : std::to_string(v.get<uint64_t>()));
  if (!parsed.ok()) return Status::Error("seeds", parsed.status().reason());
  return parsed;
}

Status read_key(const std::string& key, const Json& value, SweepSpec& spec) {
  if (key == "seeds") {
    SCX_ASSIGN_OR_RETURN(spec.seeds, seed_list(value));
    return {};
  }
  for (const ListKey& k : kListKeys)
    if (key == k.key) {
      SCX_ASSIGN_OR_RETURN(spec.*(k.field), string_list(key, value));
      return {};
    }
  for (const TextKey& k : kTextKeys)
    if (key == k.key) {
      if (!value.is_string()) return Status::Error(key, "expected a string");
      spec.*(k.field) = value.get<std::string>();
      return {};
    }
  return Status::Errorf(key, "unknown key{}", did_you_mean(key, known_keys()));
}

// What can be checked without the files it names: required axes, durations, variant syntax.
Status check_axes(const SweepSpec& spec) {
  for (const char* key : {"schedulers", "workloads", "topologies"}) {
    const ListKey* k = nullptr;
    for (const ListKey& c : kListKeys) k = std::string(c.key) == key ? &c : k;
    if ((spec.*(k->field)).empty()) return Status::Error(key, "needs at least one entry");
  }
  if (!spec.duration.empty()) SCX_RETURN_IF_ERROR(parse_positive_duration(spec.duration, "duration").status());
  for (size_t i = 0; i < spec.variants.size(); ++i)
    if (auto v = parse_variant(spec.variants[i], spec.schedulers[0]); !v.ok())
      return Status::Error(json_path_index("variants", i), v.status().message());
  return {};
}

Result<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Error(path, "cannot read the sweep file");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

std::string resolve_against(const std::string& dir, const std::string& value) {
  const bool names_file = value.find('/') != std::string::npos || value.ends_with(".json") || value.ends_with(".bpf.o");
  if (!names_file || value.starts_with("/") || dir.empty()) return value;
  return (std::filesystem::path(dir) / value).lexically_normal().string();
}

Result<SweepSpec> read_sweep_file(const std::string& path) {
  SCX_ASSIGN_OR_RETURN(std::string text, read_whole_file(path));
  Json doc;
  if (auto err = parse_json(text, &doc)) return Status::Errorf(path, "{}: {}", line_column(text, err->byte), err->reason);
  if (!doc.is_object()) return Status::Error(path, "expected a JSON object with the keys schedulers, workloads, ...");
  SweepSpec spec;
  spec.path = path;
  spec.dir = std::filesystem::path(path).parent_path().string();
  Fingerprint h;
  h.add(text);
  spec.hash = h.hex();
  for (const auto& [key, value] : doc.items()) SCX_RETURN_IF_ERROR(read_key(key, value, spec).within(path));
  SCX_RETURN_IF_ERROR(check_axes(spec).within(path));
  return spec;
}

}  // namespace scx::sweep
