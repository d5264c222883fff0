#include "validate/cpu_cgroup.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>
#include <chrono>
#include <thread>

#include "validate/sysfile.h"

namespace scx {
namespace {

bool has_word(std::string_view list, std::string_view word, char sep) {
  size_t from = 0;
  while (from <= list.size()) {
    size_t to = list.find(sep, from);
    if (to == std::string_view::npos) to = list.size();
    if (list.substr(from, to - from) == word) return true;
    from = to + 1;
  }
  return false;
}

// Whether a cgroup2 control file ("cpu io memory\n") lists cpu.
bool lists_cpu(const std::string& path) {
  auto text = read_control(path);
  if (!text.ok()) return false;
  while (!text->empty() && (text->back() == '\n' || text->back() == ' ')) text->pop_back();
  return has_word(*text, "cpu", ' ');
}

}  // namespace

Result<CpuCgroupLayout> find_cpu_cgroup(std::string_view mounts) {
  std::istringstream in{std::string(mounts)};
  std::string line;
  CpuCgroupLayout v2;
  while (std::getline(in, line)) {
    std::istringstream f(line);
    std::string dev, dir, type, opts;
    if (!(f >> dev >> dir >> type >> opts)) continue;
    if (type == "cgroup" && has_word(opts, "cpu", ',')) return CpuCgroupLayout{1, dir};
    if (type == "cgroup2" && v2.version == 0 && lists_cpu(dir + "/cgroup.controllers")) v2 = CpuCgroupLayout{2, dir};
  }
  if (v2.version) return v2;
  return Status::Error("validate", "no cpu cgroup controller is mounted (cgroup v1 'cpu' or a cgroup2 mount offering 'cpu')");
}

Result<CpuCgroup> CpuCgroup::create(const CpuCgroupLayout& layout, const std::string& name) {
  if (layout.version == 2) {
    if (!lists_cpu(layout.mount + "/cgroup.subtree_control"))
      SCX_RETURN_IF_ERROR(write_control(layout.mount + "/cgroup.subtree_control", "+cpu").within("validate"));
  }
  const std::string dir = layout.mount + "/" + name;
  ::rmdir(dir.c_str());  // left over by an interrupted run
  if (::mkdir(dir.c_str(), 0755) != 0)
    return Status::Errorf("validate", "cannot create the cgroup {}: {}", dir, std::strerror(errno));
  CpuCgroup cg(dir, layout.version);
  const Status st = layout.version == 1 ? write_control(dir + "/cpu.shares", "262144")
                                        : write_control(dir + "/cpu.weight", "10000");
  if (!st.ok()) return st.within("validate");
  return cg;
}

Status CpuCgroup::attach(int pid) const {
  return write_control(dir_ + "/cgroup.procs", std::to_string(pid)).within("validate");
}

CpuCgroup::~CpuCgroup() {
  if (dir_.empty()) return;
  // Exited tasks leave the cgroup a moment after their parent saw them exit.
  for (int i = 0; i < 200 && ::rmdir(dir_.c_str()) != 0 && errno == EBUSY; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
}

}  // namespace scx
