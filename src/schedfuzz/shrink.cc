#include "schedfuzz/shrink.h"

#include <algorithm>
#include <string>

namespace scx::fuzz {
namespace {

// Numbers are halved while above this: 100 us of run or sleep is already small, and a loop
// count of 1 cannot go lower.
constexpr int64_t kHalveFloorUs = 100;
constexpr Ns kShortestRun = 100 * kNsPerMs;

Json& tasks_of(FuzzScenario& s) { return s.workload["tasks"]; }
const Json& tasks_of(const FuzzScenario& s) { return s.workload.at("tasks"); }

std::vector<std::string> keys_of(const Json& obj) {
  std::vector<std::string> keys;
  for (const auto& [k, v] : obj.items()) keys.push_back(k);
  return keys;
}

// A copy of `s` with `edit` applied to the task named `task`.
template <class Edit>
FuzzScenario with_task(const FuzzScenario& s, const std::string& task, Edit edit) {
  FuzzScenario out = s;
  edit(tasks_of(out)[task]);
  return out;
}

void add_task_drops(const FuzzScenario& s, std::vector<FuzzScenario>& out) {
  if (tasks_of(s).size() < 2) return;
  for (const std::string& name : keys_of(tasks_of(s))) {
    FuzzScenario v = s;
    tasks_of(v).erase(name);
    out.push_back(std::move(v));
  }
}

void add_instance_drops(const FuzzScenario& s, std::vector<FuzzScenario>& out) {
  for (const auto& [name, task] : tasks_of(s).items())
    if (task.value("instance", 1) > 1) out.push_back(with_task(s, name, [](Json& t) { t.erase("instance"); }));
}

void add_shorter_run(const FuzzScenario& s, const ShrinkOptions& opts, std::vector<FuzzScenario>& out) {
  if (opts.duration_fixed || s.duration / 2 < kShortestRun) return;
  FuzzScenario v = s;
  v.duration = s.duration / 2 / kNsPerMs * kNsPerMs;
  out.push_back(std::move(v));
}

// CPU ids folded into the smaller machine (id mod n), without repeats.
Json fold_cpus(const Json& cpus, int n) {
  std::vector<int> ids;
  for (const Json& c : cpus) ids.push_back(c.get<int>() % n);
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return Json(ids);
}

void fold_affinities(Json& obj, int n) {
  if (obj.contains("cpus")) obj["cpus"] = fold_cpus(obj["cpus"], n);
}

FuzzScenario on_cpus(const FuzzScenario& s, int n) {
  FuzzScenario v = s;
  v.topology = std::to_string(n);
  v.nr_cpus = n;
  for (auto& [name, task] : tasks_of(v).items()) {
    fold_affinities(task, n);
    if (task.contains("phases"))
      for (auto& [pname, phase] : task["phases"].items()) fold_affinities(phase, n);
  }
  return v;
}

// Fewer CPUs (one, half, one less), and a spec machine as a flat one of as many CPUs.
void add_fewer_cpus(const FuzzScenario& s, const ShrinkOptions& opts, std::vector<FuzzScenario>& out) {
  if (opts.topology_fixed) return;
  std::vector<int> counts = {1, s.nr_cpus / 2, s.nr_cpus - 1};
  counts.erase(std::remove_if(counts.begin(), counts.end(), [&](int n) { return n < 1 || n >= s.nr_cpus; }),
               counts.end());
  counts.erase(std::unique(counts.begin(), counts.end()), counts.end());
  for (int n : counts) out.push_back(on_cpus(s, n));
  if (s.topology != std::to_string(s.nr_cpus)) out.push_back(on_cpus(s, s.nr_cpus));
}

void add_phase_drops(const FuzzScenario& s, std::vector<FuzzScenario>& out) {
  for (const auto& [name, task] : tasks_of(s).items()) {
    if (!task.contains("phases") || task["phases"].size() < 2) continue;
    for (const std::string& phase : keys_of(task["phases"]))
      out.push_back(with_task(s, name, [&](Json& t) { t["phases"].erase(phase); }));
  }
}

// Every task key but "phases", and every phase key while the phase keeps another.
void add_key_drops(const FuzzScenario& s, std::vector<FuzzScenario>& out) {
  for (const auto& [name, task] : tasks_of(s).items()) {
    for (const std::string& key : keys_of(task))
      if (key != "phases") out.push_back(with_task(s, name, [&](Json& t) { t.erase(key); }));
    if (!task.contains("phases")) continue;
    for (const auto& [pname, phase] : task["phases"].items()) {
      if (phase.size() < 2) continue;
      for (const std::string& key : keys_of(phase))
        out.push_back(with_task(s, name, [&](Json& t) { t["phases"][pname].erase(key); }));
    }
  }
}

// Halves each count and time (not priorities or CPU lists) that is above its floor.
void halve_numbers(const FuzzScenario& s, const std::string& task, Json::json_pointer at, const Json& obj,
                   std::vector<FuzzScenario>& out) {
  for (const auto& [key, value] : obj.items()) {
    if (key == "priority" || key == "instance") continue;
    if (value.is_object()) {
      halve_numbers(s, task, at / key, value, out);
      continue;
    }
    if (!value.is_number_integer()) continue;
    const int64_t n = value.get<int64_t>();
    const int64_t floor = key.starts_with("loop") ? 1 : kHalveFloorUs;
    if (n <= floor) continue;
    out.push_back(with_task(s, task, [&](Json& t) { t[at / key] = n / 2; }));
  }
}

void add_smaller_numbers(const FuzzScenario& s, std::vector<FuzzScenario>& out) {
  for (const auto& [name, task] : tasks_of(s).items()) halve_numbers(s, name, Json::json_pointer(), task, out);
}

}  // namespace

std::vector<FuzzScenario> smaller_variants(const FuzzScenario& s, const ShrinkOptions& opts) {
  std::vector<FuzzScenario> out;
  add_task_drops(s, out);
  add_instance_drops(s, out);
  add_shorter_run(s, opts, out);
  add_fewer_cpus(s, opts, out);
  add_phase_drops(s, out);
  add_key_drops(s, out);
  add_smaller_numbers(s, out);
  return out;
}

ShrinkResult shrink_scenario(const FuzzScenario& failing, const std::function<bool(const FuzzScenario&)>& still_fails,
                             const ShrinkOptions& opts) {
  ShrinkResult r{failing};
  auto may_run = [&] { return r.tries < opts.max_tries && !(opts.out_of_time && opts.out_of_time()); };
  for (bool kept = true; kept;) {
    kept = false;
    for (size_t i = 0;;) {
      std::vector<FuzzScenario> variants = smaller_variants(r.scenario, opts);
      if (i >= variants.size()) break;
      if (!may_run()) return r;
      ++r.tries;
      if (still_fails(variants[i])) {
        r.scenario = std::move(variants[i]);
        ++r.accepted;
        kept = true;
      } else {
        ++i;
      }
    }
  }
  r.minimal = true;
  return r;
}

}  // namespace scx::fuzz
