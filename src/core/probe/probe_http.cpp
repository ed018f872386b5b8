// HTTP probe kinds: every HTTP target of a round goes through ONE curl multi
// handle on the calling thread, so a round costs the slowest answer, not the sum.
#include "core/probe/probe_kinds.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <memory>
#include <mutex>

namespace ebap::probe_detail {
namespace {

constexpr std::size_t kMaxBody = 8u << 20; // no probe answer is legitimately bigger

struct Transfer {
    const ProbeSpec* spec = nullptr;
    std::string url;
    std::string what;
    int timeout_ms = 0;
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    std::string body;
    bool too_big = false;
    char error[CURL_ERROR_SIZE] = {};
    Clock::time_point start;
    bool done = false;
    ProbeResult result;
};

std::size_t on_body(char* data, std::size_t size, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    if (t->body.size() + size * n > kMaxBody) {
        t->too_big = true;
        return 0; // makes curl stop with CURLE_WRITE_ERROR
    }
    t->body.append(data, size * n);
    return size * n;
}

void ensure_curl_global() {
    static std::once_flag once;
    std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

std::string trim_slashes(std::string s) {
    while (!s.empty() && s.back() == '/')
        s.pop_back();
    return s;
}

// Endpoint is a base URL; the kind's path is appended unless the endpoint
// already names it (then only the kind's query is added, when it has none).
std::string url_for(const ProbeSpec& spec) {
    std::string url = spec.endpoint;
    if (url.find("://") == std::string::npos) url = "http://" + url;
    const std::string path = http_path(spec.kind);
    if (path.empty()) return url;
    const std::string path_only = trim_slashes(path.substr(0, path.find('?')));
    const std::string query = path.substr(std::min(path.size(), path.find('?')));
    const std::string bare = trim_slashes(url.substr(0, url.find('?')));
    if (bare.ends_with(path_only)) return url.find('?') == std::string::npos ? url + query : url;
    return trim_slashes(url) + path;
}

// The URL without user:password@ so it can be shown.
std::string redact(const std::string& url) {
    auto scheme = url.find("://");
    auto start = scheme == std::string::npos ? 0 : scheme + 3;
    auto at = url.find('@', start);
    auto slash = url.find('/', start);
    if (at == std::string::npos || (slash != std::string::npos && at > slash)) return url;
    return url.substr(0, start) + "****@" + url.substr(at + 1);
}

std::string transport_error(Transfer& t, CURLcode code) {
    long os_errno = 0;
    curl_easy_getinfo(t.easy, CURLINFO_OS_ERRNO, &os_errno);
    switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
        return no_answer(t.timeout_ms);
    case CURLE_COULDNT_CONNECT:
        if (os_errno == ECONNREFUSED) return "connection refused";
        if (os_errno != 0)
            return fmt::format("cannot connect: {}", std::strerror(static_cast<int>(os_errno)));
        break;
    case CURLE_COULDNT_RESOLVE_HOST:
        return "cannot resolve host: " + one_line(t.error, 120);
    case CURLE_GOT_NOTHING:
        return "connection closed without an answer";
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return "bad URL '" + redact(t.url) + "'";
    default:
        break;
    }
    return t.error[0] ? std::string(t.error) : std::string(curl_easy_strerror(code));
}

void complete(Transfer& t, CURLcode code) {
    t.done = true;
    if (t.too_big) {
        t.result =
            finish(Health::Degraded,
                   fmt::format("{}: answer larger than {} MiB", t.what, kMaxBody >> 20), t.start);
        return;
    }
    if (code != CURLE_OK) {
        t.result = finish(Health::Down, transport_error(t, code), t.start);
        return;
    }
    HttpReply reply;
    reply.kind = t.spec->kind;
    reply.what = t.what;
    curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &reply.status);
    reply.body = std::move(t.body);
    reply.spec = t.spec;
    Verdict v = judge_http(reply);
    t.result = finish(v.state, v.detail, t.start);
    curl_off_t total_us = 0;
    if (curl_easy_getinfo(t.easy, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK && total_us > 0)
        t.result.latency_ms = static_cast<double>(total_us) / 1000.0;
}

void setup(Transfer& t) {
    t.easy = curl_easy_init();
    if (!t.easy) return;
    CURL* e = t.easy;
    curl_easy_setopt(e, CURLOPT_URL, t.url.c_str());
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L); // we run off the main thread; never raise SIGALRM
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(t.timeout_ms));
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t.timeout_ms));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
    curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    curl_easy_setopt(e, CURLOPT_USERAGENT, "ebapctl-probe");
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    // Proxies and Spark's "/json" answer with redirects: follow a few.
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(e, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(e, CURLOPT_FORBID_REUSE,
                     1L); // one request per round: don't hold idle connections
    t.headers = curl_slist_append(nullptr, "Accept: application/json, text/plain, */*");
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
}

void drain_messages(CURLM* multi) {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &left)) {
        if (msg->msg != CURLMSG_DONE) continue;
        Transfer* t = nullptr;
        curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
        if (t && !t->done) complete(*t, msg->data.result);
    }
}

} // namespace

std::vector<ProbeResult> probe_http_all(const std::vector<const ProbeSpec*>& specs,
                                        const ProbeOptions& opts) {
    ensure_curl_global();
    std::vector<std::unique_ptr<Transfer>> transfers;
    CURLM* multi = curl_multi_init();
    int longest = 0;
    for (const ProbeSpec* spec : specs) {
        auto t = std::make_unique<Transfer>();
        t->spec = spec;
        t->url = url_for(*spec);
        t->what = spec->kind == "http" ? redact(t->url) : spec->kind + " " + http_path(spec->kind);
        t->timeout_ms = timeout_for(*spec, opts);
        t->start = Clock::now();
        longest = std::max(longest, t->timeout_ms);
        setup(*t);
        if (!t->easy || !multi || curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
            t->done = true;
            t->result = finish(Health::Unknown, "cannot create an HTTP transfer", t->start);
        }
        transfers.push_back(std::move(t));
    }

    // curl enforces each transfer's timeout; the hard stop only guards against a stuck loop.
    const auto hard_stop = Clock::now() + std::chrono::milliseconds(longest + 1000);
    int running = 0;
    while (multi) {
        curl_multi_perform(multi, &running);
        drain_messages(multi);
        if (running == 0 || Clock::now() >= hard_stop) break;
        curl_multi_poll(multi, nullptr, 0, std::clamp(remaining_ms(hard_stop), 1, 1000), nullptr);
    }

    std::vector<ProbeResult> results;
    results.reserve(transfers.size());
    for (auto& t : transfers) {
        if (!t->done) t->result = finish(Health::Down, no_answer(t->timeout_ms), t->start);
        if (t->easy) {
            if (multi) curl_multi_remove_handle(multi, t->easy);
            curl_easy_cleanup(t->easy);
        }
        curl_slist_free_all(t->headers);
        results.push_back(std::move(t->result));
    }
    if (multi) curl_multi_cleanup(multi);
    return results;
}

} // namespace ebap::probe_detail
