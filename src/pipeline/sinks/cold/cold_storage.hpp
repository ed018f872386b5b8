#pragma once
// Where cold-path objects go: a local directory or an S3 bucket, behind one interface
// whose put() is atomic (a reader sees the whole object or none of it).
#include "pipeline/sinks/cold/s3_client.hpp"

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ebap::pipeline {

// One object of a batch: its bytes are head then tail (the batch's sealed frames, viewed
// in place, then the frame of its remaining lines), so nothing is copied to concatenate.
struct ColdObject {
    std::string key;
    std::vector<std::string_view> head; // complete frames, held elsewhere
    std::string tail;
    std::size_t size() const {
        std::size_t n = tail.size();
        for (const std::string_view part : head)
            n += part.size();
        return n;
    }
};

class ColdStorage {
  public:
    virtual ~ColdStorage() = default;
    // Prepares the root (creates the directory or the bucket); idempotent.
    virtual void prepare() = 0;
    // key is relative to the root ("events/day=…/part-….ndjson.zst").
    virtual void put(const std::string& key, std::string_view data) = 0;
    // Several objects, each atomic as with put(); all are durable when it returns. The
    // default puts them one by one; a backend may share the syncing among them.
    virtual void put_all(const std::vector<ColdObject>& objects);
    // Removes key and whatever an interrupted put() of it left; absent is fine.
    virtual void remove(const std::string& key) = 0;
    virtual std::string get(const std::string& key) = 0;
    // Completed objects whose key starts with prefix, sorted.
    virtual std::vector<std::string> list(const std::string& prefix) = 0;
    virtual std::string describe() const = 0; // the root, for messages
};

// put(): write "<dir>/.<name>.tmp", fsync, rename to the final name, fsync the
// directory. Hidden names are skipped by Hive, Trino, Spark and list().
// put_all(): writes every hidden file, then one syncfs(2) makes them all durable, then the
// renames, then a second syncfs for the directory entries: two flushes per batch instead
// of two fsyncs per object (a batch holds one object per day and region).
class LocalDirStorage : public ColdStorage {
  public:
    explicit LocalDirStorage(std::string root);
    void prepare() override;
    void put(const std::string& key, std::string_view data) override;
    void put_all(const std::vector<ColdObject>& objects) override;
    void remove(const std::string& key) override;
    std::string get(const std::string& key) override;
    std::vector<std::string> list(const std::string& prefix) override;
    std::string describe() const override { return root_; }
    // The hidden name put() writes before the rename.
    std::string temp_path(const std::string& key) const;

  private:
    std::string root_;
};

// put(): one PUT of the final key (S3 makes a PUT visible only once complete).
class S3Storage : public ColdStorage {
  public:
    S3Storage(S3Options options, std::string bucket, std::string prefix);
    void prepare() override;
    void put(const std::string& key, std::string_view data) override;
    void remove(const std::string& key) override;
    std::string get(const std::string& key) override;
    std::vector<std::string> list(const std::string& prefix) override;
    std::string describe() const override;
    S3Client& client() { return client_; }

  private:
    S3Client client_;
    std::string bucket_;
    std::string prefix_; // "" or ending in '/'
};

// "s3://bucket[/prefix]" -> S3Storage, anything else is a directory. Throws
// UsageError for an empty root or an s3:// root without a bucket.
std::unique_ptr<ColdStorage> make_cold_storage(const std::string& root, const S3Options& s3);

} // namespace ebap::pipeline
