// The merged comparisons as text, JSON, CSV and HTML: compare's formats per group, with the
// group's workload and topology in front.
#include <filesystem>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "cli/compare.h"
#include "report/html.h"
#include "sweep/merge.h"

namespace scx::sweep {

namespace {

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

// A group's name in a file name: letters, digits and - _ . only.
std::string file_part(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') c = '_';
  return out;
}

}  // namespace

std::string format_merged_text(const Merged& m) {
  std::string out = fmt::format("scxsim sweep merge: {} (hash {}), {} cells, {} workload x topology groups\n",
                                m.manifest.sweep_file, m.manifest.sweep_hash, m.manifest.cells.size(), m.groups.size());
  for (const MergedGroup& g : m.groups) out += "\n" + format_compare_text(g.comparison);
  return out;
}

std::string format_merged_json(const Merged& m) {
  nlohmann::ordered_json j;
  j["sweep_file"] = m.manifest.sweep_file;
  j["sweep_hash"] = m.manifest.sweep_hash;
  j["cells"] = m.manifest.cells.size();
  nlohmann::ordered_json groups = nlohmann::ordered_json::array();
  for (const MergedGroup& g : m.groups)
    groups.push_back({{"workload", g.workload}, {"topology", g.topology},
                      {"comparison", nlohmann::ordered_json::parse(format_compare_json(g.comparison))}});
  j["groups"] = groups;
  return j.dump(2) + "\n";
}

std::string format_merged_csv(const Merged& m) {
  std::string out;
  for (const MergedGroup& g : m.groups) {
    const std::string csv = format_compare_csv(g.comparison);
    const size_t header_end = csv.find('\n') + 1;
    if (out.empty()) out = "workload,topology," + csv.substr(0, header_end);
    const std::string prefix = csv_field(g.workload) + "," + csv_field(g.topology) + ",";
    for (size_t at = header_end; at < csv.size();) {
      const size_t end = csv.find('\n', at) + 1;
      out += prefix + csv.substr(at, end - at);
      at = end;
    }
  }
  return out;
}

Status write_merged_html(const Merged& m, const std::string& path) {
  if (m.groups.size() == 1) return write_atomically(path, format_html_report(m.groups[0].comparison, "scxsim sweep"));
  std::string index = fmt::format("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>scxsim sweep {}</title>"
                                  "</head><body>\n<h1>scxsim sweep {}</h1>\n<p>{} cells, hash {}</p>\n<ul>\n",
                                  html_escape(m.manifest.sweep_file), html_escape(m.manifest.sweep_file),
                                  m.manifest.cells.size(), m.manifest.sweep_hash);
  for (const MergedGroup& g : m.groups) {
    const std::string page = variant_path(path, file_part(g.workload) + "." + file_part(g.topology));
    SCX_RETURN_IF_ERROR(write_atomically(page, format_html_report(g.comparison, "scxsim sweep: " + g.workload + " on " +
                                                                                    g.topology)));
    const std::string link = std::filesystem::path(page).filename().string();
    index += fmt::format("<li><a href=\"{}\">{} on {}</a></li>\n", html_escape(link), html_escape(g.workload),
                         html_escape(g.topology));
  }
  return write_atomically(path, index + "</ul>\n</body></html>\n");
}

}  // namespace scx::sweep
