// Hashes the whole event stream: equal fingerprints mean equal schedules.
#pragma once

#include "sim/fingerprint.h"
#include "trace/trace.h"

namespace scx {

class FingerprintSink : public TraceSink {
 public:
  void on_event(const TraceEvent& e) override;
  void on_finish(Ns end) override { fp_.add(end); }
  const Fingerprint& fingerprint() const { return fp_; }
  uint64_t events() const { return events_; }

 private:
  Fingerprint fp_;
  uint64_t events_ = 0;
};

}  // namespace scx
