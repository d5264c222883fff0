// ExposedTasks: the table of recent entries in front of the map never answers for another task.
#include "bpf/host/exposed_tasks.h"

#include <gtest/gtest.h>

#include <vector>

namespace scx::bpf {
namespace {

// 10,000 task addresses 1.5 KiB apart: far more than the recent table's 4096 slots, so many
// share a slot and each lookup of one evicts another. Each task's cgroups are made from its
// index, so a lookup answered from a wrong entry shows.
TEST(ExposedTasks, CollidingTasksKeepTheirOwnEntries) {
  constexpr uint64_t kBase = 0x7f0000000000, kStride = 1536;
  constexpr int kTasks = 10000;
  auto cset = [](int i) { return reinterpret_cast<const css_set*>(uint64_t{0x1000} + 64 * i); };
  auto cgrp = [](int i) { return reinterpret_cast<const cgroup*>(uint64_t{0x900000} + 64 * i); };
  ExposedTasks tasks;
  for (int i = 0; i < kTasks; ++i) tasks.set(kBase + i * kStride, {cset(i), cgrp(i)});
  for (int pass = 0; pass < 2; ++pass)  // the second pass finds what the first one cached
    for (int i = 0; i < kTasks; ++i) {
      const auto found = tasks.find(kBase + i * kStride);
      ASSERT_TRUE(found.has_value()) << i;
      EXPECT_EQ(found->cset, cset(i)) << i;
      EXPECT_EQ(found->dfl_cgrp, cgrp(i)) << i;
    }
  EXPECT_FALSE(tasks.contains(kBase + 8));  // inside task 0: no task starts there
  EXPECT_FALSE(tasks.contains(0));

  for (int i = 0; i < kTasks; i += 2) tasks.erase(kBase + i * kStride);
  for (int i = 0; i < kTasks; ++i) EXPECT_EQ(tasks.contains(kBase + i * kStride), i % 2 == 1) << i;

  tasks.forget_cgroups();  // every remaining task is exposed again, cached or not
  for (int i = 1; i < kTasks; i += 2) EXPECT_EQ(tasks.find(kBase + i * kStride), ExposedTasks::Cgroups{}) << i;
  tasks.set(kBase + 3 * kStride, {cset(7), cgrp(7)});
  EXPECT_EQ(tasks.find(kBase + 3 * kStride), (ExposedTasks::Cgroups{cset(7), cgrp(7)}));
}

}  // namespace
}  // namespace scx::bpf
