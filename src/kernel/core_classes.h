// The two classes at the ends of the order: stop (the per-CPU migration/N stopper, above
// everything) and idle (the per-CPU swapper, when nothing else can run).
#pragma once

#include "kernel/sched_class.h"

namespace scx {

class StopClass : public SchedClass {
 public:
  StopClass() : SchedClass(ClassRank::Stop) {}
  const char* name() const override { return "stop"; }
  void enqueue_task(Rq& rq, Task& p, int flags) override;
  bool dequeue_task(Rq& rq, Task& p, int flags) override;
  Task* pick_task(Rq& rq) override;
  int nr_queued(const Rq& rq) const override;
};

class IdleClass : public SchedClass {
 public:
  IdleClass() : SchedClass(ClassRank::Idle) {}
  const char* name() const override { return "idle"; }
  void enqueue_task(Rq& rq, Task& p, int flags) override;
  bool dequeue_task(Rq& rq, Task& p, int flags) override;
  Task* pick_task(Rq& rq) override;
  int nr_queued(const Rq&) const override { return 0; }
};

}  // namespace scx
