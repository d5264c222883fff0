// The per-CPU timeline: which task ran on which CPU, one canvas per variant (its first seed),
// drawn by the page's script from the slices embedded as JSON. One window (from/to in ms, or
// drag across a timeline) applies to every variant, so they line up.
#include <algorithm>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "report/html.h"
#include "report/html_parts.h"

namespace scx::html {
namespace {

// {"cpus": N, "end": ns, "truncated": bool, "tasks": [...], "s": [cpu, start, end, task, ...]}
std::string timeline_json(const Timeline& t) {
  nlohmann::ordered_json j;
  j["cpus"] = t.nr_cpus;
  j["end"] = t.end;
  j["truncated"] = t.truncated;
  j["tasks"] = t.tasks;
  nlohmann::ordered_json s = nlohmann::ordered_json::array();
  for (const TimelineSlice& x : t.slices) {
    s.push_back(x.cpu);
    s.push_back(x.start);
    s.push_back(x.end);
    s.push_back(x.task);
  }
  j["s"] = std::move(s);
  return script_safe(j.dump());
}

int canvas_height(int cpus) { return 24 + cpus * std::clamp(240 / std::max(1, cpus), 4, 18); }

}  // namespace

std::string timeline_section(const CompareResult& r) {
  const std::vector<const HtmlRunData*> data = first_run_data(r);
  std::string body;
  for (size_t v = 0; v < data.size(); ++v) {
    if (!data[v] || data[v]->timeline.slices.empty()) continue;
    const Timeline& t = data[v]->timeline;
    body += fmt::format("<h3>{}</h3>\n", html_escape(r.variants[v]));
    if (t.truncated)
      body += fmt::format("<p class=\"note\">recorded up to {} (the timeline keeps the first {} slices of a run)"
                          "</p>\n", html_escape(format_duration(t.end)), TimelineRecorder::kDefaultMaxSlices);
    body += fmt::format("<canvas class=\"timeline\" id=\"timeline-{}\" data-src=\"timeline-data-{}\" width=\"{}\" "
                        "height=\"{}\"></canvas>\n", v, v, kW, canvas_height(t.nr_cpus));
    body += fmt::format("<script type=\"application/json\" id=\"timeline-data-{}\">{}</script>\n", v, timeline_json(t));
  }
  if (body.empty()) return "";
  return "<section id=\"timeline\">\n<h2>Per-CPU timeline</h2>\n"
         "<p class=\"controls\">window from <input id=\"tl-from\" type=\"number\" step=\"any\" min=\"0\"> to "
         "<input id=\"tl-to\" type=\"number\" step=\"any\" min=\"0\"> ms <button id=\"tl-all\" type=\"button\">whole run"
         "</button> <button id=\"tl-out\" type=\"button\">zoom out</button> &#8212; drag across a timeline to zoom in, "
         "hover a slice for its task; first seed of each variant, idle CPUs blank</p>\n" +
         body + "<div id=\"tl-tip\" class=\"tip\"></div>\n</section>\n";
}

}  // namespace scx::html
