#include "workload/rtapp_cgroups.h"

#include <fmt/format.h>

#include "base/cpulist.h"
#include "kernel/cgroup/cgroup.h"
#include "sim/time.h"

namespace scx {
namespace {

std::string shown(const RtAppJson& v) {
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 37) + "..." : s;
}

bool is_cgroup_file(const std::string& key) {
  for (const char* f : kWorkloadCgroupFiles)
    if (key == f) return true;
  return false;
}

// A file's value as the text written to it: strings as they are, integers in decimal (every
// numeric file takes one), checked with the parser the kernel's write uses.
Result<std::string> file_value(const std::string& file, const RtAppJson& v, const std::string& where, int nr_cpus) {
  std::string text;
  if (v.is_string()) {
    text = v.get<std::string>();
  } else if (v.is_number_integer()) {
    text = v.dump();
  } else {
    return Status::Errorf(where, "expected a number or a string, got {}", shown(v));
  }
  Status st;
  if (file == "cpu.weight") st = parse_cpu_weight(text).status();
  if (file == "cpu.weight.nice") st = parse_cpu_weight_nice(text).status();
  if (file == "cpu.max") st = parse_cpu_max(text).status();
  if (file == "cpu.idle") st = parse_cpu_idle(text).status();
  if (file == "cpuset.cpus") {
    Result<CpuMask> cpus = parse_cpulist(text);
    if (!cpus.ok()) return Status::Errorf(where, "\"{}\" is not a cpulist: {}", text, cpus.status().message());
    for (int cpu : *cpus)
      if (nr_cpus > 0 && cpu >= nr_cpus)
        return Status::Errorf(where, "CPUs {} include CPUs this {}-CPU machine does not have", cpus->to_list(), nr_cpus);
  }
  if (!st.ok()) return Status::Error(where, st.reason());
  return text;
}

Status check_file_key(const std::string& path, const std::string& key, const std::string& where) {
  if (!is_cgroup_file(key))
    return Status::Error(where, "unknown cgroup file (cpu.weight, cpu.weight.nice, cpu.max, cpu.idle, cpuset.cpus)");
  if (path == "/" && key != "cpuset.cpus") return Status::Error(where, "the root cgroup has no cpu controller files");
  return {};
}

Status check_path(const std::string& path, const std::string& where) {
  Status st = CgroupTree::check_path(path);
  return st.ok() ? st : Status::Error(where, st.reason());
}

int find_cgroup(const Workload& wl, const std::string& path) {
  for (size_t i = 0; i < wl.cgroups.size(); ++i)
    if (wl.cgroups[i].path == path) return static_cast<int>(i);
  return -1;
}

// "at": a string with a unit ("2s", "500ms") or an integer number of microseconds (rt-app's
// unit for durations).
Result<Ns> event_time(const RtAppJson& ev, const std::string& where) {
  if (!ev.contains("at")) return Status::Error(where, "missing 'at' (when the event happens)");
  const RtAppJson& at = ev["at"];
  const std::string at_where = where + ", key 'at'";
  if (at.is_number_integer() && at.get<int64_t>() >= 0) return static_cast<Ns>(at.get<int64_t>()) * kNsPerUs;
  if (at.is_string()) {
    Result<Ns> t = parse_duration(at.get<std::string>());
    if (t.ok()) return *t;
  }
  return Status::Errorf(at_where, "expected a time such as \"2s\" or \"500ms\", or microseconds, got {}", shown(at));
}

Result<uint32_t> known_cgroup(const Workload& wl, const RtAppJson& v, const std::string& where) {
  if (!v.is_string()) return Status::Errorf(where, "expected a cgroup path, got {}", shown(v));
  int i = find_cgroup(wl, v.get<std::string>());
  if (i < 0)
    return Status::Errorf(where, "cgroup \"{}\" is neither in 'cgroups' nor a taskgroup", v.get<std::string>());
  return static_cast<uint32_t>(i);
}

Status parse_write_event(const RtAppJson& ev, Ns at, Workload& wl, const std::string& where, int nr_cpus) {
  SCX_ASSIGN_OR_RETURN(uint32_t cg, known_cgroup(wl, ev["cgroup"], where + ", key 'cgroup'"));
  const std::string path = wl.cgroups[cg].path;
  size_t writes = 0;
  for (auto it = ev.begin(); it != ev.end(); ++it) {
    if (it.key() == "at" || it.key() == "cgroup") continue;
    const std::string key_where = fmt::format("{}, key '{}'", where, it.key());
    SCX_RETURN_IF_ERROR(check_file_key(path, it.key(), key_where));
    SCX_ASSIGN_OR_RETURN(std::string value, file_value(it.key(), it.value(), key_where, nr_cpus));
    wl.cgroup_events.push_back(CgroupEvent{at, cg, it.key(), value, -1});
    ++writes;
  }
  if (writes == 0) return Status::Error(where, "the event writes no cgroup file");
  return {};
}

Status parse_move_event(const RtAppJson& ev, Ns at, Workload& wl, const std::string& where,
                        const std::function<std::vector<int>(const std::string&)>& specs_of) {
  for (auto it = ev.begin(); it != ev.end(); ++it)
    if (it.key() != "at" && it.key() != "move" && it.key() != "to")
      return Status::Errorf(fmt::format("{}, key '{}'", where, it.key()),
                            "unknown key in a move event (expected 'at', 'move' and 'to')");
  if (!ev.contains("to")) return Status::Error(where, "missing 'to' (the cgroup to move the task into)");
  SCX_ASSIGN_OR_RETURN(uint32_t cg, known_cgroup(wl, ev["to"], where + ", key 'to'"));
  const RtAppJson& task = ev["move"];
  if (!task.is_string()) return Status::Errorf(where + ", key 'move'", "expected a task name, got {}", shown(task));
  std::vector<int> specs = specs_of(task.get<std::string>());
  if (specs.empty()) return Status::Errorf(where + ", key 'move'", "there is no task '{}'", task.get<std::string>());
  for (int s : specs) wl.cgroup_events.push_back(CgroupEvent{at, cg, "", "", s});
  return {};
}

}  // namespace

Result<uint32_t> workload_cgroup(Workload& wl, const std::string& path, const std::string& where) {
  SCX_RETURN_IF_ERROR(check_path(path, where));
  int i = find_cgroup(wl, path);
  if (i >= 0) return static_cast<uint32_t>(i);
  wl.cgroups.push_back(CgroupSpec{path, {}});
  return static_cast<uint32_t>(wl.cgroups.size() - 1);
}

Status parse_cgroups_section(const RtAppJson& v, Workload& wl, int nr_cpus) {
  if (!v.is_object()) return Status::Errorf("key 'cgroups'", "expected an object of cgroups, got {}", shown(v));
  for (auto it = v.begin(); it != v.end(); ++it) {
    const std::string& path = it.key();
    const std::string where = fmt::format("cgroup '{}'", path);
    SCX_RETURN_IF_ERROR(check_path(path, where));
    if (!it.value().is_object())
      return Status::Errorf(where, "expected an object of cgroup files, got {}", shown(it.value()));
    SCX_ASSIGN_OR_RETURN(uint32_t index, workload_cgroup(wl, path, where));
    for (auto f = it.value().begin(); f != it.value().end(); ++f) {
      const std::string key_where = fmt::format("{}, key '{}'", where, f.key());
      SCX_RETURN_IF_ERROR(check_file_key(path, f.key(), key_where));
      SCX_ASSIGN_OR_RETURN(std::string value, file_value(f.key(), f.value(), key_where, nr_cpus));
      wl.cgroups[index].files.emplace_back(f.key(), value);
    }
  }
  return {};
}

Status parse_cgroup_events(const RtAppJson& v, Workload& wl,
                           const std::function<std::vector<int>(const std::string&)>& specs_of, int nr_cpus) {
  if (!v.is_array()) return Status::Errorf("key 'cgroup_events'", "expected an array of events, got {}", shown(v));
  for (size_t i = 0; i < v.size(); ++i) {
    const RtAppJson& ev = v[i];
    const std::string where = fmt::format("cgroup_events[{}]", i);
    if (!ev.is_object()) return Status::Errorf(where, "expected an event object, got {}", shown(ev));
    SCX_ASSIGN_OR_RETURN(Ns at, event_time(ev, where));
    if (ev.contains("move")) {
      SCX_RETURN_IF_ERROR(parse_move_event(ev, at, wl, where, specs_of));
    } else if (ev.contains("cgroup")) {
      SCX_RETURN_IF_ERROR(parse_write_event(ev, at, wl, where, nr_cpus));
    } else {
      return Status::Error(where, "an event either writes files of a 'cgroup' or moves a task ('move', 'to')");
    }
  }
  return {};
}

}  // namespace scx
