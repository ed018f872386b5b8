#pragma once
// A small S3 client over libcurl: path-style URLs (endpoint/bucket/key), requests signed
// by libcurl itself (CURLOPT_AWS_SIGV4 "aws:amz:<region>:s3") plus the
// x-amz-content-sha256 header that libcurl 7.88 does not add (we send the payload's
// SHA-256, which libcurl then signs, so the server also checks the body's integrity).
//
// Failures throw ebap::Error naming the operation, the s3://bucket/key, the HTTP status
// and S3's error Code and Message. Secrets never appear in messages.
// One client per thread: it keeps one curl handle (and its connection) between calls.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace ebap {
class Config;
}

namespace ebap::pipeline {

struct S3Options {
    std::string endpoint = "http://localhost:9000"; // scheme://host[:port], no bucket
    std::string access_key;
    std::string secret_key;
    std::string region = "us-east-1";
    long connect_timeout_ms = 5000;
    long timeout_ms = 60000; // whole request, body included

    // minio.endpoint, minio.root_user, minio.root_password, minio.region.
    static S3Options from_config(const Config& config);
};

struct S3Object {
    std::string key;
    std::int64_t size = 0;
    std::string etag;
};

struct S3ListPage {
    std::vector<S3Object> objects;
    std::string next_token; // non-empty when truncated: pass back as continuation
};

class S3Client {
  public:
    explicit S3Client(S3Options options);
    ~S3Client();
    S3Client(const S3Client&) = delete;
    S3Client& operator=(const S3Client&) = delete;

    void put_object(const std::string& bucket, const std::string& key, std::string_view data,
                    const std::string& content_type = "application/octet-stream");
    std::string get_object(const std::string& bucket, const std::string& key);
    // Succeeds when the key does not exist (S3 semantics).
    void delete_object(const std::string& bucket, const std::string& key);
    // Size of the object, nullopt when it does not exist.
    std::optional<std::int64_t> head_object(const std::string& bucket, const std::string& key);
    bool head_bucket(const std::string& bucket);
    S3ListPage list_objects_v2(const std::string& bucket, const std::string& prefix,
                               const std::string& continuation = {}, int max_keys = 1000);
    // Every page of list_objects_v2, keys in S3 order (lexicographic).
    std::vector<S3Object> list_all(const std::string& bucket, const std::string& prefix);
    // Idempotent: a bucket we already own is fine.
    void create_bucket(const std::string& bucket);

    const S3Options& options() const { return options_; }

    struct Response {
        long status = 0;
        std::string body;
    };

  private:
    Response perform(const char* op, const std::string& method, const std::string& bucket,
                     const std::string& key, const std::string& query, std::string_view body,
                     const std::string& content_type);
    [[noreturn]] void fail(const char* op, const std::string& bucket, const std::string& key,
                           const Response& r) const;

    S3Options options_;
    struct Handle;
    std::unique_ptr<Handle> handle_;
};

// RFC 3986 percent-encoding as SigV4 wants it: all but A-Z a-z 0-9 - . _ ~ (and '/' when
// keep_slash).
std::string s3_uri_encode(std::string_view s, bool keep_slash);
// The text of the first <tag> element in an XML reply (pugixml); "" when absent or not XML.
std::string xml_tag(std::string_view xml, std::string_view tag);

} // namespace ebap::pipeline
