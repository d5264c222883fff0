#include "probe/sampler.h"

#include "kernel/ext/ops.h"

namespace scx {

void ProbeSampler::add(std::vector<ProbeReader> readers) {
  for (ProbeReader& r : readers) {
    series_.push_back(ProbeSeries{r.name, {}});
    readers_.push_back(std::move(r));
  }
}

void ProbeSampler::sample(Ns now) {
  for (size_t i = 0; i < readers_.size(); ++i) {
    const int64_t v = readers_[i].read();
    series_[i].samples.push_back({now, v});
    if (on_sample_) on_sample_(readers_[i].name, now, v);
  }
  next_ = now + interval_;
}

}  // namespace scx

namespace scx {

Result<std::unique_ptr<ProbeSampler>> make_probe_sampler(const std::vector<std::string>& probes, Ns interval,
                                                         bpf::BpfObject* object, const ScxOps* native,
                                                         const std::string& sched) {
  auto sampler = std::make_unique<ProbeSampler>(interval);
  for (const std::string& text : probes) {
    SCX_ASSIGN_OR_RETURN(ProbeSpec spec, parse_probe(text));
    if (object) {
      SCX_ASSIGN_OR_RETURN(std::vector<ProbeReader> readers, resolve_bpf_probe(spec, *object));
      sampler->add(std::move(readers));
    } else if (native) {
      SCX_ASSIGN_OR_RETURN(std::vector<ProbeReader> readers,
                           resolve_native_probe(spec, dynamic_cast<const ExportedCounters*>(native), sched));
      sampler->add(std::move(readers));
    } else {
      return Status::Errorf("--probe " + text, "'{}' is not a sched_ext scheduler: probes read a BPF object's "
                                               "globals and maps or a native policy's counters", sched);
    }
  }
  return sampler;
}

}  // namespace scx
