#pragma once
// The CLI's log sink: "ebapctl SOURCE: [warning: |error: ]TEXT" lines on stderr.
#include "core/base/log.hpp"

namespace ebap::cli {

class StderrSink : public log::Sink {
  public:
    void write(const log::Line& line) override;
};

} // namespace ebap::cli
