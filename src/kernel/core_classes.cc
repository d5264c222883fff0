#include "kernel/core_classes.h"

#include "base/check.h"
#include "kernel/rq.h"
#include "kernel/task.h"

namespace scx {

void StopClass::enqueue_task(Rq& rq, Task& p, int) { SCX_CHECK(&p == rq.stop); }
bool StopClass::dequeue_task(Rq& rq, Task& p, int) {
  SCX_CHECK(&p == rq.stop);
  return true;
}
Task* StopClass::pick_task(Rq& rq) { return rq.stop->on_rq ? rq.stop : nullptr; }
int StopClass::nr_queued(const Rq& rq) const { return rq.stop->on_rq ? 1 : 0; }

void IdleClass::enqueue_task(Rq&, Task& p, int) {
  SCX_CHECK_MSG(false, "the idle task is never enqueued: " + p.comm);
}
bool IdleClass::dequeue_task(Rq&, Task& p, int) {
  SCX_CHECK_MSG(false, "the idle task is never dequeued: " + p.comm);
  return false;
}
Task* IdleClass::pick_task(Rq& rq) { return rq.idle; }

}  // namespace scx
