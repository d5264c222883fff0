// The cgroup side of the scheduler core: creating and removing cgroups, controller file
// writes, and moving tasks (kernel/cgroup/cgroup.c's migration and kernel/sched/core.c's cpu
// controller callbacks), plus the workload's cgroups and timed cgroup events.
#include <fmt/format.h>

#include "base/cpulist.h"
#include "kernel/kernel.h"

namespace scx {

namespace {

TraceEvent cgroup_event(Ns now, int cpu, TraceType type, const Cgroup& cg) {
  TraceEvent e;
  e.time = now;
  e.cpu = cpu;  // where the write or move is done
  e.type = type;
  e.arg = static_cast<int32_t>(cg.id());
  return e;
}

}  // namespace

Result<Cgroup*> Kernel::make_cgroup(std::string_view path) {
  SCX_RETURN_IF_ERROR(CgroupTree::check_path(path).within(std::string(path)));
  if (Cgroup* c = cgroups_->find(path)) return c;
  // Ancestors first, each announced before its children (css_online order).
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string_view prefix = path.substr(0, pos);
    if (cgroups_->find(prefix)) continue;
    Result<Cgroup*> made = cgroups_->mkdir(prefix);
    if (!made.ok()) return made.status().within(std::string(path));
    TraceEvent e = cgroup_event(now(), this_cpu_, TraceType::CgroupNew, **made);
    e.arg2 = static_cast<int32_t>((*made)->parent()->id());
    e.comm = (*made)->path().c_str();
    trace_.emit(e);
    for (auto& c : classes_)
      if (c) c->cgroup_online(**made);
  }
  return cgroups_->find(path);
}

Status Kernel::remove_cgroup(Cgroup& cg) {
  if (cg.is_root() || !cg.children().empty() || !cg.tasks().empty()) return cgroups_->rmdir(cg);
  for (auto& c : classes_)
    if (c) c->cgroup_offline(cg);
  trace_.emit(cgroup_event(now(), this_cpu_, TraceType::CgroupRemove, cg));
  return cgroups_->rmdir(cg);
}

Status Kernel::write_cgroup_file(Cgroup& cg, std::string_view file, std::string_view value) {
  auto where = fmt::format("{}/{}", cg.is_root() ? "" : cg.path(), file);
  if (cg.is_root() && file != "cpuset.cpus")
    return Status::Error(where, "the root cgroup has no cpu controller files");
  const std::string file_name(file), text(value);
  auto traced = [&] {
    TraceEvent e = cgroup_event(now(), this_cpu_, TraceType::CgroupWrite, cg);
    e.comm = file_name.c_str();
    e.text = text.c_str();
    trace_.emit(e);
  };
  auto announce = [&](CgroupKnob knob) {
    traced();
    for (auto& c : classes_)
      if (c) c->cgroup_changed(cg, knob);
  };
  // sched_group_set_shares() refuses an idle group (-EINVAL).
  const bool weight_file = file == "cpu.weight" || file == "cpu.weight.nice" || file == "cpu.shares";
  if (weight_file && cg.idle()) return Status::Error(where, "the group is idle (cpu.idle 1): its weight cannot be set");
  if (file == "cpu.weight" || file == "cpu.weight.nice") {
    Result<uint32_t> w = file == "cpu.weight" ? parse_cpu_weight(value) : parse_cpu_weight_nice(value);
    if (!w.ok()) return Status::Error(where, w.status().reason());
    cgroups_->set_weight(cg, *w);
    announce(CgroupKnob::Weight);
  } else if (file == "cpu.shares") {
    // cgroup v1's file, for set-ups that mirror v1 machines (e.g. validate's cgroup of 262144
    // shares, more than cpu.weight can express).
    Result<uint32_t> s = parse_cpu_shares(value);
    if (!s.ok()) return Status::Error(where, s.status().reason());
    cgroups_->set_shares(cg, *s);
    announce(CgroupKnob::Weight);
  } else if (file == "cpu.max") {
    Result<CpuMax> m = parse_cpu_max(value);
    if (!m.ok()) return Status::Error(where, m.status().reason());
    cgroups_->set_max(cg, *m);
    announce(CgroupKnob::Max);
  } else if (file == "cpu.idle") {
    Result<bool> idle = parse_cpu_idle(value);
    if (!idle.ok()) return Status::Error(where, idle.status().reason());
    cgroups_->set_idle(cg, *idle);
    announce(CgroupKnob::Idle);
  } else if (file == "cpuset.cpus") {
    Result<CpuMask> cpus = parse_cpulist(value);
    if (!cpus.ok()) return Status::Error(where, cpus.status().message());
    if (!cpus->empty() && !cpus->subset_of(topo_.all_cpus()))
      return Status::Errorf(where, "CPUs {} include CPUs this {}-CPU machine does not have", cpus->to_list(),
                            topo_.nr_cpus());
    cgroups_->set_cpuset(cg, *cpus);
    traced();
    // cpuset's update_tasks_cpumask(): every task at or below cg gets its confined mask.
    for (const auto& t : tasks_)
      if (t->state != TaskState::Dead && cg.is_ancestor_of(*t->cgroup)) {
        CpuMask m = cpuset_confined(*t, t->task_affinity);
        if (m != t->cpus_allowed) set_cpus_allowed(*t, m);
      }
  } else {
    return Status::Error(where,
                         "unknown cgroup file (cpu.weight, cpu.weight.nice, cpu.shares, cpu.max, cpu.idle, cpuset.cpus)");
  }
  return {};
}

CpuMask Kernel::cpuset_confined(const Task& p, const CpuMask& want) const {
  const CpuMask& allowed = p.cgroup ? p.cgroup->effective_cpus() : topo_.all_cpus();
  CpuMask m = want & allowed;
  return m.empty() ? allowed : m;
}

void Kernel::attach_new_task(Task& p, Cgroup& cg) {
  p.cgroup = &cg;
  cgroups_->attach(cg, p.pid);
  p.sync_kernel_view();
}

void Kernel::trace_cgroup_attach(const Task& p, uint64_t from_id) {
  TraceEvent e = cgroup_event(now(), this_cpu_, TraceType::CgroupAttach, *p.cgroup);
  e.cpu = p.cpu;
  e.pid = p.pid;
  e.arg2 = static_cast<int32_t>(from_id);
  trace_.emit(e);
}

// cgroup_migrate(): every controller's can_attach, then cpuset's attach (the affinity), then
// the cpu controller's (sched_move_task(): dequeue, change the group, tell the classes,
// enqueue, resched).
Status Kernel::move_to_cgroup(Task& p, Cgroup& to) {
  Cgroup& from = *p.cgroup;
  if (&from == &to || p.state == TaskState::Dead) return {};
  size_t agreed = 0;
  for (; agreed < classes_.size(); ++agreed) {
    if (!classes_[agreed]) continue;
    if (int err = classes_[agreed]->cgroup_can_attach(p, from, to)) {
      for (size_t i = 0; i < agreed; ++i)
        if (classes_[i]) classes_[i]->cgroup_cancel_attach(p, from, to);
      ++stats_.cgroup_moves_refused;
      return Status::Errorf(to.path(), "moving {}[{}] was refused ({})", p.comm, p.pid, err);
    }
  }
  cgroups_->detach(from, p.pid);
  cgroups_->attach(to, p.pid);
  p.cgroup = &to;
  trace_cgroup_attach(p, from.id());
  CpuMask confined = cpuset_confined(p, p.task_affinity);
  if (confined != p.cpus_allowed) set_cpus_allowed(p, confined);
  change_task(p, [&] {
    p.sync_kernel_view();
    for (auto& c : classes_)
      if (c) c->task_change_group(p, from);
  });
  if (p.on_cpu) resched_curr(rqs_[p.cpu]);
  return {};
}

Status Kernel::load_cgroups(const Workload& w) {
  workload_cgroups_.clear();
  for (size_t i = 0; i < w.cgroups.size(); ++i) {
    const CgroupSpec& spec = w.cgroups[i];
    auto where = fmt::format("cgroup '{}'", spec.path);
    Result<Cgroup*> cg = make_cgroup(spec.path);
    if (!cg.ok()) return Status::Error(where, cg.status().reason());
    for (const auto& [file, value] : spec.files)
      SCX_RETURN_IF_ERROR(write_cgroup_file(**cg, file, value).within(where));
    workload_cgroups_.push_back(*cg);
  }
  for (const TaskSpec& s : w.tasks)
    if (!s.cgroup.empty() && !cgroups_->find(s.cgroup))
      return Status::Errorf(fmt::format("task '{}'", s.name), "cgroup \"{}\" is not among the workload's cgroups",
                            s.cgroup);
  for (const Program& prog : w.programs)
    for (const Op& op : prog.ops)
      if (op.kind == OpKind::SetCgroup && op.obj >= workload_cgroups_.size())
        return Status::Errorf("set_cgroup", "refers to unknown cgroup {}", op.obj);
  for (const CgroupEvent& ev : w.cgroup_events) {
    auto where = fmt::format("cgroup event at {}", format_duration(ev.at));
    if (ev.cgroup >= workload_cgroups_.size()) return Status::Errorf(where, "refers to unknown cgroup {}", ev.cgroup);
    if (ev.file.empty() && (ev.task < 0 || static_cast<size_t>(ev.task) >= w.tasks.size()))
      return Status::Errorf(where, "moves unknown task {}", ev.task);
    Cgroup* cg = workload_cgroups_[ev.cgroup];
    CgroupEvent e = ev;
    schedule_callback(ev.at, kUnboundCpu, [this, cg, e] {
      Status st;
      if (!e.file.empty()) {
        st = write_cgroup_file(*cg, e.file, e.value);
      } else {
        // A refused move is the scheduler's answer, not a workload error (counted).
        for (const auto& t : tasks_)
          if (t->spec_index == e.task && t->state != TaskState::Dead) (void)move_to_cgroup(*t, *cg);
      }
      if (!st.ok() && error_.ok()) error_ = st.within(fmt::format("cgroup event at {}", format_duration(e.at)));
    });
  }
  return {};
}

}  // namespace scx
