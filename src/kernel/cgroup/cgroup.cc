#include "kernel/cgroup/cgroup.h"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <optional>

#include "kernel/fair/weights.h"

namespace scx {

uint32_t shares_from_cgroup_weight(uint32_t weight) {
  return static_cast<uint32_t>((static_cast<uint64_t>(weight) * fair::kNice0Load + kCgroupWeightDfl / 2) /
                               kCgroupWeightDfl);
}

uint32_t cgroup_weight_from_shares(uint32_t shares) {
  uint64_t w = (static_cast<uint64_t>(shares) * kCgroupWeightDfl + fair::kNice0Load / 2) / fair::kNice0Load;
  return static_cast<uint32_t>(std::clamp<uint64_t>(w, kCgroupWeightMin, kCgroupWeightMax));
}

uint32_t cgroup_weight_from_nice(int nice) {
  return fair::scx_weight_from_weight(fair::nice_to_weight(nice));
}

// cpu_weight_nice_read_s64(): the nice whose table weight is closest to the group's shares
// (the lower nice on a tie, as the kernel's scan keeps the first closest entry).
int cgroup_weight_to_nice(uint32_t weight) {
  const uint64_t shares = shares_from_cgroup_weight(weight);
  int best = -20;
  uint64_t best_diff = UINT64_MAX;
  for (int nice = -20; nice <= 19; ++nice) {
    uint64_t w = fair::nice_to_weight(nice);
    uint64_t diff = w > shares ? w - shares : shares - w;
    if (diff < best_diff) best = nice, best_diff = diff;
  }
  return best;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\n')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) s.remove_suffix(1);
  return s;
}

template <typename T>
bool parse_int(std::string_view s, T* out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
}

// An integer file value within [lo, hi], or nothing.
std::optional<int64_t> int_in_range(std::string_view text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  if (!parse_int(trim(text), &v) || v < lo || v > hi) return std::nullopt;
  return v;
}

}  // namespace

Result<uint32_t> parse_cpu_weight(std::string_view text) {
  auto v = int_in_range(text, kCgroupWeightMin, kCgroupWeightMax);
  if (!v) return Status::Errorf("cpu.weight", "\"{}\" is not a weight in {}..{}", text, kCgroupWeightMin, kCgroupWeightMax);
  return static_cast<uint32_t>(*v);
}

Result<uint32_t> parse_cpu_weight_nice(std::string_view text) {
  auto v = int_in_range(text, -20, 19);
  if (!v) return Status::Errorf("cpu.weight.nice", "\"{}\" is not a nice value in -20..19", text);
  return cgroup_weight_from_nice(static_cast<int>(*v));
}

Result<uint32_t> parse_cpu_shares(std::string_view text) {
  auto v = int_in_range(text, kMinShares, kMaxShares);
  if (!v) return Status::Errorf("cpu.shares", "\"{}\" is not a share count in {}..{}", text, kMinShares, kMaxShares);
  return static_cast<uint32_t>(*v);
}

// cpu_max_write(): "$QUOTA [$PERIOD]" in microseconds, QUOTA "max" for no limit; then
// tg_set_cfs_bandwidth()'s bounds.
Result<CpuMax> parse_cpu_max(std::string_view text) {
  std::string_view s = trim(text);
  auto bad = [&](const char* why) { return Status::Errorf("cpu.max", "\"{}\": {}", text, why); };
  std::string_view quota = s, period;
  if (auto sp = s.find(' '); sp != std::string_view::npos) {
    quota = s.substr(0, sp);
    period = trim(s.substr(sp + 1));
  }
  CpuMax m;
  if (!period.empty()) {
    int64_t us = 0;
    if (!parse_int(period, &us)) return bad("the period is not a number of microseconds");
    m.period = us * kNsPerUs;
    if (m.period < kMinCfsPeriod || m.period > kMaxCfsPeriod) return bad("the period must be 1000..1000000 us");
  }
  if (quota == "max") return m;
  int64_t us = 0;
  if (!parse_int(quota, &us)) return bad("the quota is neither \"max\" nor a number of microseconds");
  if (us * kNsPerUs < kMinCfsQuota) return bad("the quota must be at least 1000 us");
  m.quota = us * kNsPerUs;
  return m;
}

Result<bool> parse_cpu_idle(std::string_view text) {
  std::string_view s = trim(text);
  if (s == "0") return false;
  if (s == "1") return true;
  return Status::Errorf("cpu.idle", "\"{}\" is neither 0 nor 1", text);
}

std::string format_cpu_max(const CpuMax& m) {
  std::string q = m.limited() ? std::to_string(m.quota / kNsPerUs) : "max";
  return q + " " + std::to_string(m.period / kNsPerUs);
}

// --- Cgroup -----------------------------------------------------------------------------------

Cgroup::Cgroup(Cgroup* parent, std::string name, uint64_t id, int index)
    : name_(std::move(name)), parent_(parent), index_(index), level_(parent ? parent->level_ + 1 : 0) {
  path_ = !parent ? "/" : parent->is_root() ? "/" + name_ : parent->path_ + "/" + name_;
  kn_.count.counter = kn_.active.counter = 1;
  kn_.parent = parent ? parent->kernfs() : nullptr;
  kn_.name = name_.c_str();
  kn_.id = id;
  kernel_storage_ = std::make_unique<std::byte[]>(kernel_size());
  std::memset(kernel_storage_.get(), 0, kernel_size());
  ::cgroup* c = kernel_cgroup();
  c->kn = &kn_;
  c->level = level_;
  c->kn_id = id;
  c->__scxsim_cgroup = this;
  // The cgroup's own css: the walks (css_for_each_descendant_*, bpf_iter_css) go through it.
  c->self.cgroup = c;
  c->self.parent = parent ? &parent->kernel_cgroup()->self : nullptr;
  c->self.serial_nr = id;
  kcpuset_.css.cgroup = c;
  kcpuset_.css.parent = parent ? &parent->kcpuset_.css : nullptr;
  kcpuset_.css.id = index + 1;
  kcpuset_.css.serial_nr = id;
  c->subsys[cpuset_cgrp_id] = &kcpuset_.css;
  ::cgroup** anc = c->ancestors;  // level_ + 1 entries
  for (Cgroup* a = this; a; a = a->parent_) anc[a->level_] = a->kernel_cgroup();
  cset_.dfl_cgrp = c;
}

size_t Cgroup::kernel_size() const {
  return sizeof(::cgroup) + static_cast<size_t>(level_) * sizeof(::cgroup*);
}

Cgroup* Cgroup::from_kernel(const ::cgroup* c) {
  return c ? static_cast<Cgroup*>(c->__scxsim_cgroup) : nullptr;
}

Cgroup* Cgroup::from_css(const ::cgroup_subsys_state* css) {
  if (!css || !css->cgroup || &css->cgroup->self != css) return nullptr;
  return from_kernel(css->cgroup);
}

namespace {

void copy_to_kernel(const CpuMask& from, ::cpumask* to) {
  std::memset(to->bits, 0, sizeof(to->bits));
  const auto& w = from.words();
  for (size_t i = 0; i < w.size(); ++i) to->bits[i] = static_cast<unsigned long>(w[i]);
}

// The sibling after `c` in its parent's creation order, or null.
Cgroup* next_sibling(const Cgroup& c) {
  if (!c.parent()) return nullptr;
  const auto& sib = c.parent()->children();
  auto it = std::find(sib.begin(), sib.end(), &c);
  return it != sib.end() && it + 1 != sib.end() ? *(it + 1) : nullptr;
}

Cgroup* leftmost_descendant(Cgroup* c) {
  while (!c->children().empty()) c = c->children().front();
  return c;
}

}  // namespace

// css_next_descendant_pre(): the first child, else the next sibling of the nearest ancestor
// (within root) that has one.
Cgroup* next_descendant_pre(Cgroup* pos, Cgroup& root) {
  if (!pos) return &root;
  if (!pos->children().empty()) return pos->children().front();
  for (Cgroup* c = pos; c != &root; c = c->parent())
    if (Cgroup* s = next_sibling(*c)) return s;
  return nullptr;
}

// css_next_descendant_post(): the leftmost leaf first; after a cgroup, the leftmost leaf of its
// next sibling, else its parent; root last.
Cgroup* next_descendant_post(Cgroup* pos, Cgroup& root) {
  if (!pos) return leftmost_descendant(&root);
  if (pos == &root) return nullptr;
  if (Cgroup* s = next_sibling(*pos)) return leftmost_descendant(s);
  return pos->parent();
}

bool Cgroup::is_ancestor_of(const Cgroup& other) const {
  for (const Cgroup* c = &other; c; c = c->parent_)
    if (c == this) return true;
  return false;
}

// --- CgroupTree -------------------------------------------------------------------------------

CgroupTree::CgroupTree(const CpuMask& all_cpus) : all_cpus_(all_cpus) {
  nodes_.push_back(std::unique_ptr<Cgroup>(new Cgroup(nullptr, "", 1, 0)));
  nodes_[0]->effective_cpus_ = all_cpus;
  // top_cpuset: cpus_allowed and effective_cpus are every CPU.
  copy_to_kernel(all_cpus, nodes_[0]->kcpuset_.cpus_allowed);
  copy_to_kernel(all_cpus, nodes_[0]->kcpuset_.effective_cpus);
}

Status CgroupTree::check_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return Status::Errorf("", "cgroup path \"{}\" must start with '/'", path);
  if (path == "/") return {};
  std::string_view rest = path.substr(1);
  while (true) {
    size_t slash = rest.find('/');
    std::string_view comp = rest.substr(0, slash);
    if (comp.empty() || comp == "." || comp == "..")
      return Status::Errorf("", "cgroup path \"{}\" has an empty, \".\" or \"..\" component", path);
    if (slash == std::string_view::npos) return {};
    rest = rest.substr(slash + 1);
  }
}

Cgroup* CgroupTree::find(std::string_view path) {
  for (auto& n : nodes_)
    if (n && n->path_ == path) return n.get();
  return nullptr;
}

Cgroup* CgroupTree::find_by_id(uint64_t id) {
  for (auto& n : nodes_)
    if (n && n->id() == id) return n.get();
  return nullptr;
}

std::vector<Cgroup*> CgroupTree::preorder() {
  std::vector<Cgroup*> out;
  std::vector<Cgroup*> stack{nodes_[0].get()};
  while (!stack.empty()) {
    Cgroup* c = stack.back();
    stack.pop_back();
    out.push_back(c);
    for (auto it = c->children_.rbegin(); it != c->children_.rend(); ++it) stack.push_back(*it);
  }
  return out;
}

std::vector<Cgroup*> CgroupTree::postorder() {
  std::vector<Cgroup*> out;
  for (Cgroup* c = next_descendant_post(nullptr, root()); c; c = next_descendant_post(c, root())) out.push_back(c);
  return out;
}

Result<Cgroup*> CgroupTree::mkdir(std::string_view path) {
  SCX_RETURN_IF_ERROR(check_path(path));
  if (find(path)) return Status::Errorf("", "cgroup \"{}\" already exists", path);
  size_t slash = path.rfind('/');
  std::string parent_path = slash == 0 ? "/" : std::string(path.substr(0, slash));
  Cgroup* parent = find(parent_path);
  if (!parent) return Status::Errorf("", "cannot create cgroup \"{}\": \"{}\" does not exist", path, parent_path);
  int index = static_cast<int>(nodes_.size());
  auto* cg = new Cgroup(parent, std::string(path.substr(slash + 1)), next_id_++, index);
  nodes_.push_back(std::unique_ptr<Cgroup>(cg));
  parent->children_.push_back(cg);
  update_effective(*cg);
  return cg;
}

Result<Cgroup*> CgroupTree::mkdir_p(std::string_view path) {
  SCX_RETURN_IF_ERROR(check_path(path));
  if (Cgroup* c = find(path)) return c;
  for (size_t pos = 1; pos <= path.size(); ++pos) {
    if (pos != path.size() && path[pos] != '/') continue;
    std::string_view prefix = path.substr(0, pos);
    if (!find(prefix)) SCX_RETURN_IF_ERROR(mkdir(prefix).status());
  }
  return find(path);
}

Status CgroupTree::rmdir(Cgroup& cg) {
  if (cg.is_root()) return Status::Error(cg.path(), "the root cgroup cannot be removed");
  if (!cg.children_.empty()) return Status::Error(cg.path(), "cannot remove a cgroup that has children");
  if (!cg.tasks_.empty()) return Status::Error(cg.path(), "cannot remove a cgroup that has tasks");
  auto& siblings = cg.parent_->children_;
  siblings.erase(std::find(siblings.begin(), siblings.end(), &cg));
  nodes_[cg.index_].reset();
  return {};
}

void CgroupTree::set_weight(Cgroup& cg, uint32_t weight) {
  cg.shares_ = shares_from_cgroup_weight(std::clamp(weight, kCgroupWeightMin, kCgroupWeightMax));
}

void CgroupTree::set_shares(Cgroup& cg, uint32_t shares) {
  cg.shares_ = std::clamp(shares, kMinShares, kMaxShares);
}

void CgroupTree::set_max(Cgroup& cg, const CpuMax& max) { cg.max_ = max; }

void CgroupTree::set_idle(Cgroup& cg, bool idle) {
  if (cg.idle_ == idle) return;
  cg.idle_ = idle;
  cg.shares_ = idle ? fair::kWeightIdlePrio : fair::kNice0Load;
}

void CgroupTree::set_cpuset(Cgroup& cg, const CpuMask& cpus) {
  cg.cpuset_ = cpus & all_cpus_;
  if (!cg.is_root()) copy_to_kernel(cg.cpuset_, cg.kcpuset_.cpus_allowed);
  update_effective(cg);
}

void CgroupTree::update_effective(Cgroup& cg) {
  const CpuMask& parent = cg.parent_ ? cg.parent_->effective_cpus_ : all_cpus_;
  CpuMask eff = cg.cpuset_.empty() ? parent : (cg.cpuset_ & parent);
  cg.effective_cpus_ = eff.empty() ? parent : eff;
  copy_to_kernel(cg.effective_cpus_, cg.kcpuset_.effective_cpus);
  for (Cgroup* c : cg.children_) update_effective(*c);
}

void CgroupTree::attach(Cgroup& cg, int pid) { cg.tasks_.push_back(pid); }

void CgroupTree::detach(Cgroup& cg, int pid) {
  auto it = std::find(cg.tasks_.begin(), cg.tasks_.end(), pid);
  if (it != cg.tasks_.end()) cg.tasks_.erase(it);
}

}  // namespace scx
