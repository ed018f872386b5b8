#pragma once
// The platform's topics, named once: the workers read and write them, the generator
// produces to them, the embedded broker creates them, the views list them.
#include <vector>

namespace ebap {

inline constexpr const char* kEventsTopic = "ebap.events.raw";
inline constexpr const char* kTelemetryTopic = "ebap.metrics.telemetry";
inline constexpr const char* kCdcTopic = "ebap.cdc.users";
inline constexpr const char* kAuditTopic = "ebap.audit.logs";
inline constexpr const char* kDlqTopic = "ebap.events.dlq";
inline constexpr int kEventsPartitions = 6;

struct DesignTopic {
    const char* name;
    int partitions;
};
// Every topic with its partition count; the events topic's count can be raised
// (benchmarks and big data sets need more: the embedded broker keeps ~5 MiB a partition).
inline std::vector<DesignTopic> design_topics(int events_partitions = kEventsPartitions) {
    return {{kEventsTopic, events_partitions},
            {kTelemetryTopic, 6},
            {kCdcTopic, 3},
            {kAuditTopic, 1},
            {kDlqTopic, 1}};
}

} // namespace ebap
