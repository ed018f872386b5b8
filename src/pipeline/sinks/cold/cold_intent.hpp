#pragma once
// The cold path's write-ahead intent log of one partition (docs/ARCHITECTURE.md, "Cold path"):
// every object a batch is about to upload, recorded (fsync'd) before the upload, so a
// replay knows what an earlier, crashed run may have left behind.
//
// Text, one object per line: "<first_offset> <last_offset> <key>\n". A line cut short
// by a crash (no newline) is ignored, and the next write rewrites the file instead of
// appending to it.
#include <cstdint>
#include <string>
#include <vector>

namespace ebap::pipeline {

struct IntentEntry {
    std::int64_t first = 0;
    std::int64_t last = 0;
    std::string key; // storage key of the object
    bool operator==(const IntentEntry&) const = default;
};

class IntentLog {
  public:
    // Reads path when it exists (its directory is created on the first write).
    explicit IntentLog(std::string path);

    const std::vector<IntentEntry>& entries() const { return entries_; }
    const std::string& path() const { return path_; }

    // Adds entries durably: append + fsync (or a rewrite after a torn tail). With
    // sync false the caller makes them durable itself (sync_filesystem() below, once
    // for many logs) before it relies on them.
    void append(const std::vector<IntentEntry>& add, bool sync = true);
    // syncfs(2) of the filesystem holding the log's directory.
    void sync_filesystem() const;
    // Replaces the whole log durably: temp file, fsync, rename, fsync directory.
    void rewrite(std::vector<IntentEntry> entries);

  private:
    std::string path_;
    std::vector<IntentEntry> entries_;
    bool torn_ = false;
};

} // namespace ebap::pipeline
