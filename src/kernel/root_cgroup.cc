#include "kernel/root_cgroup.h"

namespace scx {

RootCgroup& root_cgroup() {
  static RootCgroup* root = [] {
    auto* r = new RootCgroup{};
    r->kn.count.counter = r->kn.active.counter = 1;
    r->kn.name = r->name;
    r->kn.id = 1;
    r->cgrp.kn = &r->kn;
    r->cgrp.kn_id = 1;
    r->cgrp.ancestors[0] = &r->cgrp;
    r->cset.dfl_cgrp = &r->cgrp;
    return r;
  }();
  return *root;
}

}  // namespace scx
