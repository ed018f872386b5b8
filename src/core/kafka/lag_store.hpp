#pragma once
// Lag windows and topic-rate snapshots kept between one-shot `ebapctl lag`
// runs, so consecutive invocations judge a real window:
//   <state_dir>/lag/<group>.json   last lag.window observations per partition
//   <state_dir>/lag/%topics.json   previous high watermarks (produce rates)
// Group ids are percent-encoded into file names ('%' cannot come from a group).
// A file written against other bootstrap servers is ignored: the mock
// cluster's ports are random, so its offsets describe another cluster.
#include "core/kafka/kafka_lag.hpp"
#include "core/kafka/lag_status.hpp"

#include <string>

namespace ebap {

std::string lag_state_name(const std::string& group); // "lag/<encoded>.json"

LagHistory load_lag_history(const std::string& state_dir, const std::string& bootstrap,
                            const std::string& group, std::size_t window);
// Best effort: an unwritable state dir must not fail a read-only command.
bool save_lag_history(const std::string& state_dir, const std::string& bootstrap,
                      const std::string& group, const LagHistory& history);

TopicRates load_topic_rates(const std::string& state_dir, const std::string& bootstrap);
bool save_topic_rates(const std::string& state_dir, const std::string& bootstrap,
                      const TopicRates& rates);

} // namespace ebap
