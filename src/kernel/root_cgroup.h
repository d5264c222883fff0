// The default hierarchy's root cgroup, the only cgroup until a hierarchy is simulated: id 1,
// level 0, its own ancestors[0], its kernfs directory (kernfs's root node, named ""), and
// init_css_set, the css_set of every task (task->cgroups->dfl_cgrp is the root). One
// immutable instance shared by every simulated kernel (nothing writes it after creation).
#pragma once

#include "scxsim/kernel_types.h"

namespace scx {

struct RootCgroup {
  char name[8];  // kn.name: ""
  kernfs_node kn;
  cgroup cgrp;
  css_set cset;
};

RootCgroup& root_cgroup();

}  // namespace scx
