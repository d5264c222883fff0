#include "workload/nest_in_cgroup.h"

#include <fmt/format.h>

namespace scx {

Result<CgroupSpec> parse_cgroup_option(std::string_view text) {
  CgroupSpec spec;
  const size_t colon = text.find(':');
  spec.path = std::string(text.substr(0, colon));
  if (spec.path.empty() || spec.path[0] != '/' || spec.path == "/")
    return Status::Errorf("--cgroup", "\"{}\": expected /PATH[:FILE=VALUE,...] below the root", text);
  if (colon == std::string_view::npos) return spec;
  std::string_view rest = text.substr(colon + 1);
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    const size_t eq = item.find('=');
    if (eq == std::string_view::npos || eq == 0)
      return Status::Errorf("--cgroup", "\"{}\": expected FILE=VALUE, got \"{}\"", text, item);
    spec.files.emplace_back(std::string(item.substr(0, eq)), std::string(item.substr(eq + 1)));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return spec;
}

void nest_in_cgroup(Workload& w, const CgroupSpec& outer) {
  auto nested = [&](const std::string& path) { return path.empty() || path == "/" ? outer.path : outer.path + path; };
  for (CgroupSpec& c : w.cgroups) c.path = nested(c.path);
  for (TaskSpec& t : w.tasks) t.cgroup = nested(t.cgroup);
  w.cgroups.insert(w.cgroups.begin(), outer);
  // Indices into Workload::cgroups moved up by one.
  for (CgroupEvent& e : w.cgroup_events) ++e.cgroup;
  for (Program& p : w.programs)
    for (Op& op : p.ops)
      if (op.kind == OpKind::SetCgroup) ++op.obj;
}

}  // namespace scx
