// The HTML report's structure: well-formed (every tag closed in order), self-contained (no
// external references), the required sections and ids, and SVG elements in expected counts.
#include <map>
#include <vector>

#include <gtest/gtest.h>

#include "report/html.h"

namespace scx {
namespace {

struct Element {
  std::string name;
  std::map<std::string, std::string> attrs;
};

// A small tag scanner: returns the start tags in order and fails on unbalanced/misnested tags.
// Script bodies are skipped; void elements and "/>" close themselves.
::testing::AssertionResult scan(const std::string& html, std::vector<Element>& out) {
  static const std::vector<std::string> kVoid = {"meta", "br", "hr", "img", "link", "input"};
  std::vector<std::string> stack;
  size_t i = 0;
  while ((i = html.find('<', i)) != std::string::npos) {
    if (html.compare(i, 2, "<!") == 0) {
      i = html.find('>', i);
      continue;
    }
    const size_t end = html.find('>', i);
    if (end == std::string::npos) return ::testing::AssertionFailure() << "unterminated tag at " << i;
    std::string tag = html.substr(i + 1, end - i - 1);
    i = end + 1;
    if (tag.empty()) return ::testing::AssertionFailure() << "empty tag";
    if (tag[0] == '/') {
      const std::string name = tag.substr(1);
      if (stack.empty() || stack.back() != name)
        return ::testing::AssertionFailure() << "</" << name << "> closes <" << (stack.empty() ? "" : stack.back()) << ">";
      stack.pop_back();
      continue;
    }
    const bool self_closing = tag.back() == '/';
    if (self_closing) tag.pop_back();
    Element e;
    size_t p = tag.find_first_of(" \n");
    e.name = tag.substr(0, p);
    while (p != std::string::npos && p < tag.size()) {
      p = tag.find_first_not_of(" \n", p);
      if (p == std::string::npos) break;
      const size_t eq = tag.find('=', p);
      if (eq == std::string::npos) return ::testing::AssertionFailure() << "attribute without value in <" << tag << ">";
      if (tag[eq + 1] != '"') return ::testing::AssertionFailure() << "unquoted attribute in <" << tag << ">";
      const size_t close = tag.find('"', eq + 2);
      if (close == std::string::npos) return ::testing::AssertionFailure() << "unterminated attribute in <" << tag << ">";
      e.attrs[tag.substr(p, eq - p)] = tag.substr(eq + 2, close - eq - 2);
      p = close + 1;
    }
    out.push_back(e);
    if (self_closing || std::find(kVoid.begin(), kVoid.end(), e.name) != kVoid.end()) continue;
    if (e.name == "script") {
      const size_t close = html.find("</script>", i);
      if (close == std::string::npos) return ::testing::AssertionFailure() << "unterminated script";
      i = close + 9;
      continue;
    }
    stack.push_back(e.name);
  }
  if (!stack.empty()) return ::testing::AssertionFailure() << "unclosed <" << stack.back() << ">";
  return ::testing::AssertionSuccess();
}

RunDigest digest(const std::string& variant, uint64_t seed, double shift) {
  RunDigest d;
  d.variant = variant;
  d.seed = seed;
  d.duration = 40 * kNsPerMs;
  d.bucket = 10 * kNsPerMs;
  d.metrics = {{{"wakeup_latency_us.p99", "wake-up latency p99", "us", -1}, 100 + shift + static_cast<double>(seed)},
               {{"migrations.total", "migrations <all> & \"more\"", "count", 0}, 3.0},
               {{"group.x.wakeup_latency_us.p99", "x: wake-up p99", "us", -1}, std::nullopt}};
  for (int q = 0; q <= 1000; ++q) d.latency_quantiles.push_back(1 + q * (shift + 1) / 100.0);
  d.busy = {{0.0, 0.5, 1.0, 0.25}, {1.0, 1.0, 0.0, 0.0}, {0.1, 0.2, 0.3, 0.4}};
  d.queued = {0.5, 1.5, 2.0, 0.0};
  return d;
}

TEST(Html, WellFormedSelfContainedWithPlots) {
  std::vector<std::vector<RunDigest>> runs(2);
  for (uint64_t s = 1; s <= 3; ++s) {
    runs[0].push_back(digest("eevdf", s, 0));
    runs[1].push_back(digest("rtp0", s, 30));
  }
  CompareResult r = build_compare({"eevdf", "rtp0"}, {"--sched=eevdf", "--sched=eevdf --fair=RUN_TO_PARITY=0"},
                                  {1, 2, 3}, "workload test <x>", std::move(runs));
  const std::string html = format_html_report(r, "scxsim compare");
  std::vector<Element> els;
  ASSERT_TRUE(scan(html, els));
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("http://"), html.find("http://www.w3.org/2000/svg"));  // only the SVG namespace
  EXPECT_EQ(html.find("https://"), std::string::npos);
  EXPECT_EQ(html.find("src="), std::string::npos);
  EXPECT_EQ(html.find("<x>"), std::string::npos);  // escaped

  std::map<std::string, int> ids, counts;
  for (const Element& e : els) {
    if (e.attrs.count("id")) ++ids[e.attrs.at("id")];
    std::string key = e.name;
    if (e.attrs.count("class")) key += "." + e.attrs.at("class");
    ++counts[key];
    if (key != e.name) ++counts[e.name];
  }
  for (const char* id : {"scenario", "variants", "compare", "compare-table", "rule", "latency-cdf", "cdf-svg",
                         "heatmap", "heatmap-0", "heatmap-1", "rq-depth", "depth-svg"})
    EXPECT_EQ(ids[id], 1) << id;
  EXPECT_EQ(ids["dsq-depth"], 0);  // no sched_ext data
  EXPECT_EQ(counts["svg"], 5);     // CDF, its tail (1 - CDF), two heatmaps, depth
  EXPECT_EQ(counts["polyline.cdf"], 2);
  EXPECT_EQ(counts["polyline.tail"], 2);
  EXPECT_EQ(ids["tail-svg"], 1);
  EXPECT_EQ(counts["polyline.series"], 2);
  EXPECT_EQ(counts["rect.cell"], 2 * 3 * 4);  // variants x CPUs x buckets
  EXPECT_EQ(counts["tr"], 1 + 3);             // header + one row per metric
  EXPECT_EQ(counts["td.better"] + counts["td.worse"] + counts["td.neutral"], 3);
  EXPECT_EQ(counts["td.worse"], 1);           // p99 up by 30 us with a 1 us spread
  EXPECT_EQ(counts["script"], 1);
  // The heatmap's colour encodes the mean busy fraction: CPU 1 bucket 0 is fully busy.
  bool found = false;
  for (const Element& e : els)
    if (e.name == "rect" && e.attrs.count("fill") && e.attrs.at("fill") == "rgb(55,55,255)") found = true;
  EXPECT_TRUE(found);
}

// Runs with cgroups get a "cgroups" section: per cgroup and variant, the means of its CPU share,
// entitled share and throttled time (the cgroup.* metrics of make_digest()).
TEST(Html, CgroupsSectionOnlyWithCgroups) {
  auto with_cgroups = [](const std::string& variant, uint64_t seed) {
    RunDigest d = digest(variant, seed, 0);
    d.metrics.push_back({{"cgroup./a.cpu_share_pct", "cgroup /a: CPU share", "%", 0}, 30.0 + static_cast<double>(seed)});
    d.metrics.push_back({{"cgroup./a.entitled_pct", "cgroup /a: entitled share", "%", 0}, 75.0});
    d.metrics.push_back({{"cgroup./a.throttled_ms", "cgroup /a: throttled", "ms", -1}, 2.5});
    return d;
  };
  std::vector<std::vector<RunDigest>> runs(1);
  for (uint64_t s = 1; s <= 3; ++s) runs[0].push_back(with_cgroups("eevdf", s));
  const std::string html = format_html_report(build_compare({"eevdf"}, {"--sched=eevdf"}, {1, 2, 3}, "w", runs), "t");
  std::vector<Element> els;
  ASSERT_TRUE(scan(html, els));
  // Mean share of 31, 32, 33 = 32 (format_value: two decimals below 100).
  EXPECT_NE(html.find("<tr><td>/a</td><td>eevdf</td><td class=\"num\">32.00</td><td class=\"num\">75.00</td>"
                      "<td class=\"num\">2.50</td></tr>"),
            std::string::npos)
      << html;
  int sections = 0;
  for (const Element& e : els) sections += e.attrs.count("id") && e.attrs.at("id") == "cgroups";
  EXPECT_EQ(sections, 1);

  std::vector<std::vector<RunDigest>> plain(1, {digest("eevdf", 1, 0)});
  EXPECT_EQ(format_html_report(build_compare({"eevdf"}, {"x"}, {1}, "w", plain), "t").find("cgroups"),
            std::string::npos);
}

}  // namespace
}  // namespace scx
