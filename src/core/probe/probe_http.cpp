// HTTP probe kinds: every HTTP target of a round goes through ONE curl multi
// handle on the calling thread, so a round costs the slowest answer, not the sum.
#include "core/probe/probe_kinds.hpp"

#include <curl/curl.h>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <map>
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
    std::map<std::string, std::string> response_headers;
    bool too_big = false;
    char error[CURL_ERROR_SIZE] = {};
    Clock::time_point start;
    bool done = false;
    std::string failure; // why no answer came (empty when one did)
    long status = 0;
    double latency_ms = -1;
    Transfer* also = nullptr; // the kind's second request, owned by the same list
    bool started = false;     // false when curl could not take the transfer
};

// Keeps the headers of the last response only: a redirect's are dropped at the next status line.
std::size_t on_header(char* data, std::size_t size, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string line(data, size * n);
    if (line.rfind("HTTP/", 0) == 0) t->response_headers.clear();
    auto colon = line.find(':');
    if (colon == std::string::npos) return size * n;
    std::string name = line.substr(0, colon);
    for (char& c : name)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    auto first = value.find_first_not_of(" \t");
    auto last = value.find_last_not_of(" \t\r\n");
    t->response_headers[name] =
        first == std::string::npos ? "" : value.substr(first, last - first + 1);
    return size * n;
}

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

// The kind's second URL: the primary one with its path replaced by `also`.
std::string also_url_for(const ProbeSpec& spec, const std::string& also) {
    std::string url = url_for(spec);
    const std::string path = http_path(spec.kind);
    const std::string bare = url.substr(0, url.find('?'));
    if (bare.ends_with(path)) return bare.substr(0, bare.size() - path.size()) + also;
    return trim_slashes(bare) + also;
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

// Records what came back; the verdict waits until the kind's second request is in too.
void complete(Transfer& t, CURLcode code) {
    t.done = true;
    curl_off_t total_us = 0;
    if (curl_easy_getinfo(t.easy, CURLINFO_TOTAL_TIME_T, &total_us) == CURLE_OK && total_us > 0)
        t.latency_ms = static_cast<double>(total_us) / 1000.0;
    if (t.too_big)
        t.failure = fmt::format("{}: answer larger than {} MiB", t.what, kMaxBody >> 20);
    else if (code != CURLE_OK)
        t.failure = transport_error(t, code);
    else
        curl_easy_getinfo(t.easy, CURLINFO_RESPONSE_CODE, &t.status);
}

std::shared_ptr<HttpReply> reply_of(Transfer& t) {
    auto reply = std::make_shared<HttpReply>();
    reply->kind = t.spec->kind;
    reply->what = t.what;
    reply->status = t.status;
    reply->body = std::move(t.body);
    reply->headers = std::move(t.response_headers);
    reply->spec = t.spec;
    reply->error = t.done ? t.failure : no_answer(t.timeout_ms);
    return reply;
}

ProbeResult verdict_of(Transfer& t) {
    if (!t.started) return finish(Health::Unknown, t.failure, t.start);
    if (!t.done) return finish(Health::Down, no_answer(t.timeout_ms), t.start);
    if (t.too_big) return finish(Health::Degraded, t.failure, t.start);
    if (!t.failure.empty()) return finish(Health::Down, t.failure, t.start);
    std::shared_ptr<HttpReply> reply = reply_of(t);
    if (t.also) reply->also = reply_of(*t.also);
    Verdict v = judge_http(*reply);
    ProbeResult r = finish(v.state, v.detail, t.start);
    if (t.latency_ms > 0) r.latency_ms = t.latency_ms;
    return r;
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
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
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

std::unique_ptr<Transfer> start_transfer(CURLM* multi, const ProbeSpec* spec, std::string url,
                                         std::string what, const ProbeOptions& opts) {
    auto t = std::make_unique<Transfer>();
    t->spec = spec;
    t->url = std::move(url);
    t->what = std::move(what);
    t->timeout_ms = timeout_for(*spec, opts);
    t->start = Clock::now();
    setup(*t);
    if (!t->easy || !multi || curl_multi_add_handle(multi, t->easy) != CURLM_OK) {
        t->done = true;
        t->failure = "cannot create an HTTP transfer";
        return t;
    }
    t->started = true;
    return t;
}

} // namespace

std::vector<ProbeResult> probe_http_all(const std::vector<const ProbeSpec*>& specs,
                                        const ProbeOptions& opts) {
    ensure_curl_global();
    std::vector<std::unique_ptr<Transfer>> primary, second;
    CURLM* multi = curl_multi_init();
    int longest = 0;
    for (const ProbeSpec* spec : specs) {
        std::string url = url_for(*spec);
        std::string what =
            spec->kind == "http" ? redact(url) : spec->kind + " " + http_path(spec->kind);
        primary.push_back(start_transfer(multi, spec, url, what, opts));
        if (const char* also = also_path(spec->kind)) {
            second.push_back(start_transfer(multi, spec, also_url_for(*spec, also),
                                            spec->kind + " " + also, opts));
            primary.back()->also = second.back().get();
        }
        longest = std::max(longest, primary.back()->timeout_ms);
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
    results.reserve(primary.size());
    for (auto& t : primary)
        results.push_back(verdict_of(*t));
    for (auto* list : {&primary, &second})
        for (auto& t : *list) {
            if (t->easy) {
                if (multi) curl_multi_remove_handle(multi, t->easy);
                curl_easy_cleanup(t->easy);
            }
            curl_slist_free_all(t->headers);
        }
    if (multi) curl_multi_cleanup(multi);
    return results;
}

} // namespace ebap::probe_detail
