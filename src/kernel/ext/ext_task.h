// Per-task bookkeeping of the sched_ext class that BPF does not see (list and tree positions). The
// BPF-visible part lives in task_struct::scx (scxsim/kernel_types.h).
#pragma once

#include <list>

#include "kernel/ext/dsq_priq.h"

namespace scx {

struct Task;
struct Dsq;

struct ExtTaskData {
  Dsq* dsq = nullptr;                          // mirrors p->scx.dsq
  std::list<Task*>::iterator dsq_pos;          // valid while dsq != nullptr
  DsqPriq::iterator priq_pos;                  // valid while on a DSQ with SCX_TASK_DSQ_ON_PRIQ
  bool on_runnable_list = false;
  std::list<Task*>::iterator runnable_pos;
  int runnable_cpu = -1;                       // whose runnable_list holds it
  bool deferred_local = false;                 // parked on ddsp_deferred_locals
  int cgroup_inited = 0;
};

}  // namespace scx
