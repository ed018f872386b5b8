#pragma once
// Turns a catalog plus the resolved configuration into probe targets: endpoints
// the operator configured (file, env, flag) win over the catalog's defaults.
#include "core/catalog/catalog.hpp"
#include "core/config/config.hpp"
#include "core/probe/probe.hpp"

#include <vector>

namespace ebap {

std::vector<ProbeTarget> probe_targets(const Catalog& catalog, const Config& config);
ProbeOptions probe_options(const Config& config);

} // namespace ebap
