// What only the HTML report shows of a run, beside its digest: the per-CPU timeline, the
// per-task table and the --probe series. Kept for one run per variant (the first seed).
#pragma once

#include <memory>
#include <vector>

#include "metrics/summary.h"
#include "report/probe_series.h"
#include "report/timeline.h"

namespace scx {

struct HtmlRunData {
  Timeline timeline;                // empty slices: not recorded
  std::vector<EntitySummary> tasks;  // RunSummary::tasks
  std::vector<ProbeSeries> probes;
};

inline std::shared_ptr<const HtmlRunData> make_html_data(Timeline timeline, const RunSummary& summary,
                                                         std::vector<ProbeSeries> probes) {
  return std::make_shared<const HtmlRunData>(HtmlRunData{std::move(timeline), summary.tasks, std::move(probes)});
}

}  // namespace scx
