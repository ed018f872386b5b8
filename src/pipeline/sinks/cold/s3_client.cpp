#include "pipeline/sinks/cold/s3_client.hpp"

#include "core/config/config.hpp"
#include "core/base/error.hpp"
#include "core/base/format.hpp"
#include "pipeline/sinks/cold/sha256.hpp"

#include <curl/curl.h>
#include <fmt/format.h>
#include <pugixml.hpp>

#include <charconv>
#include <mutex>

namespace ebap::pipeline {
namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t n, void* out) {
    static_cast<std::string*>(out)->append(data, size * n);
    return size * n;
}

struct SlistFree {
    void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};


std::string object_url(const std::string& bucket, const std::string& key) {
    return key.empty() ? "s3://" + bucket : "s3://" + bucket + "/" + key;
}

} // namespace

std::string s3_uri_encode(std::string_view s, bool keep_slash) {
    return percent_encode(s, keep_slash ? "-._~/" : "-._~");
}

std::string xml_tag(std::string_view xml, std::string_view tag) {
    pugi::xml_document doc;
    if (!doc.load_buffer(xml.data(), xml.size())) return {};
    const std::string name(tag);
    const pugi::xml_node n = doc.find_node([&](const pugi::xml_node& x) { return name == x.name(); });
    return n ? n.text().as_string() : std::string();
}

S3Options S3Options::from_config(const Config& config) {
    S3Options o;
    o.endpoint = config.str("minio.endpoint");
    o.access_key = config.str("minio.root_user");
    o.secret_key = config.str("minio.root_password");
    o.region = config.str("minio.region");
    return o;
}

struct S3Client::Handle {
    CURL* curl = nullptr;
    ~Handle() {
        if (curl) curl_easy_cleanup(curl);
    }
};

S3Client::S3Client(S3Options options) : options_(std::move(options)), handle_(new Handle) {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
    while (!options_.endpoint.empty() && options_.endpoint.back() == '/')
        options_.endpoint.pop_back();
    if (options_.endpoint.find("://") == std::string::npos)
        options_.endpoint = "http://" + options_.endpoint;
    if (options_.region.empty()) options_.region = "us-east-1";
    handle_->curl = curl_easy_init();
    if (!handle_->curl) throw Error("S3: cannot initialise libcurl");
}

S3Client::~S3Client() = default;

S3Client::Response S3Client::perform(const char* op, const std::string& method,
                                     const std::string& bucket, const std::string& key,
                                     const std::string& query, std::string_view body,
                                     const std::string& content_type) {
    CURL* c = handle_->curl;
    curl_easy_reset(c);
    std::string url = options_.endpoint + "/" + s3_uri_encode(bucket, false);
    if (!key.empty()) url += "/" + s3_uri_encode(key, true);
    // The query must already be in SigV4 canonical form (sorted, encoded): libcurl 7.88
    // signs it as given.
    if (!query.empty()) url += "?" + query;
    const std::string sigv4 = "aws:amz:" + options_.region + ":s3";
    const std::string userpwd = options_.access_key + ":" + options_.secret_key;
    char errbuf[CURL_ERROR_SIZE] = {};
    Response r;
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, sigv4.c_str());
    curl_easy_setopt(c, CURLOPT_USERPWD, userpwd.c_str());
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, options_.connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, options_.timeout_ms);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);

    curl_slist* raw =
        curl_slist_append(nullptr, ("x-amz-content-sha256: " + sha256_hex(body)).c_str());
    if (method == "PUT") {
        // An explicit Content-Type: libcurl signs the one it would add for POSTFIELDS.
        raw = curl_slist_append(raw, ("Content-Type: " + content_type).c_str());
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.empty() ? "" : body.data());
    } else if (method == "HEAD") {
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    } else if (method != "GET") {
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    }
    std::unique_ptr<curl_slist, SlistFree> headers(raw);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers.get());

    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK)
        throw Error(fmt::format("S3 {} {}: cannot reach {}: {}", op, object_url(bucket, key),
                                options_.endpoint, errbuf[0] ? errbuf : curl_easy_strerror(rc)));
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
    return r;
}

void S3Client::fail(const char* op, const std::string& bucket, const std::string& key,
                    const Response& r) const {
    std::string detail = fmt::format("HTTP {}", r.status);
    const std::string code = xml_tag(r.body, "Code");
    const std::string message = xml_tag(r.body, "Message");
    if (!code.empty()) detail += " " + code;
    if (!message.empty()) detail += ": " + message;
    if (code == "InvalidAccessKeyId" || code == "SignatureDoesNotMatch")
        detail += " (check minio.root_user / minio.root_password)";
    throw Error(
        fmt::format("S3 {} {} at {}: {}", op, object_url(bucket, key), options_.endpoint, detail));
}

void S3Client::put_object(const std::string& bucket, const std::string& key, std::string_view data,
                          const std::string& content_type) {
    const Response r = perform("put_object", "PUT", bucket, key, {}, data, content_type);
    if (r.status != 200) fail("put_object", bucket, key, r);
}

std::string S3Client::get_object(const std::string& bucket, const std::string& key) {
    Response r = perform("get_object", "GET", bucket, key, {}, {}, {});
    if (r.status != 200) fail("get_object", bucket, key, r);
    return std::move(r.body);
}

void S3Client::delete_object(const std::string& bucket, const std::string& key) {
    const Response r = perform("delete_object", "DELETE", bucket, key, {}, {}, {});
    if (r.status != 204 && r.status != 200 && r.status != 404)
        fail("delete_object", bucket, key, r);
}

std::optional<std::int64_t> S3Client::head_object(const std::string& bucket,
                                                  const std::string& key) {
    const Response r = perform("head_object", "HEAD", bucket, key, {}, {}, {});
    if (r.status == 404) return std::nullopt;
    if (r.status != 200) fail("head_object", bucket, key, r);
    curl_off_t length = -1;
    curl_easy_getinfo(handle_->curl, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length);
    return static_cast<std::int64_t>(length);
}

bool S3Client::head_bucket(const std::string& bucket) {
    const Response r = perform("head_bucket", "HEAD", bucket, {}, {}, {}, {});
    if (r.status == 404) return false;
    if (r.status != 200) fail("head_bucket", bucket, {}, r);
    return true;
}

S3ListPage S3Client::list_objects_v2(const std::string& bucket, const std::string& prefix,
                                     const std::string& continuation, int max_keys) {
    // Parameters in byte order: the canonical query of SigV4.
    std::string query;
    if (!continuation.empty())
        query += "continuation-token=" + s3_uri_encode(continuation, false) + "&";
    query += fmt::format("list-type=2&max-keys={}", max_keys);
    if (!prefix.empty()) query += "&prefix=" + s3_uri_encode(prefix, false);
    const Response r = perform("list_objects_v2", "GET", bucket, {}, query, {}, {});
    if (r.status != 200) fail("list_objects_v2", bucket, prefix, r);

    S3ListPage page;
    pugi::xml_document doc;
    if (!doc.load_buffer(r.body.data(), r.body.size()))
        throw Error(fmt::format("S3 list_objects_v2 {}: the reply is not XML",
                                object_url(bucket, prefix)));
    const pugi::xml_node result = doc.child("ListBucketResult");
    for (pugi::xml_node c = result.child("Contents"); c; c = c.next_sibling("Contents")) {
        S3Object o;
        o.key = c.child_value("Key");
        o.size = c.child("Size").text().as_llong(0);
        o.etag = c.child_value("ETag");
        page.objects.push_back(std::move(o));
    }
    if (std::string_view(result.child_value("IsTruncated")) == "true") {
        page.next_token = result.child_value("NextContinuationToken");
        if (page.next_token.empty())
            throw Error(fmt::format("S3 list_objects_v2 {}: truncated listing without "
                                    "NextContinuationToken",
                                    object_url(bucket, prefix)));
    }
    return page;
}

std::vector<S3Object> S3Client::list_all(const std::string& bucket, const std::string& prefix) {
    std::vector<S3Object> all;
    std::string token;
    do {
        S3ListPage page = list_objects_v2(bucket, prefix, token);
        for (auto& o : page.objects)
            all.push_back(std::move(o));
        token = std::move(page.next_token);
    } while (!token.empty());
    return all;
}

void S3Client::create_bucket(const std::string& bucket) {
    // us-east-1 is the default location; any other must be named (AWS rejects the
    // request otherwise; MinIO accepts both).
    std::string body;
    if (options_.region != "us-east-1")
        body = "<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">"
               "<LocationConstraint>" +
               options_.region + "</LocationConstraint></CreateBucketConfiguration>";
    const Response r = perform("create_bucket", "PUT", bucket, {}, {}, body, "application/xml");
    if (r.status == 200) return;
    const std::string code = xml_tag(r.body, "Code");
    if (code == "BucketAlreadyOwnedByYou") return;
    // Some servers (s3rver) say BucketAlreadyExists for their own bucket too: fine when
    // we can reach it.
    if (code == "BucketAlreadyExists" && head_bucket(bucket)) return;
    fail("create_bucket", bucket, {}, r);
}

} // namespace ebap::pipeline
