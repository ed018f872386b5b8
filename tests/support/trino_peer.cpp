#include "support/trino_peer.hpp"

#include <httplib.h>

#include <chrono>
#include <deque>
#include <fstream>
#include <mutex>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <nlohmann/json.hpp>

namespace ebap::test {
namespace {

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// "http://localhost:11032/v1/statement/x/1" and the scheme-less "coordinator:8080/v1/…"
// of one fixture both give "/v1/statement/x/1".
std::string path_of(const std::string& uri) {
    std::string rest = uri;
    if (auto at = rest.find("://"); at != std::string::npos) rest = rest.substr(at + 3);
    const auto slash = rest.find('/');
    return slash == std::string::npos ? "/" : rest.substr(slash);
}

const char* kSyntheticColumns =
    R"([{"name":"id","type":"bigint","typeSignature":{"rawType":"bigint","arguments":[]}},)"
    R"({"name":"name","type":"varchar","typeSignature":{"rawType":"varchar","arguments":[{"kind":"LONG","value":2147483647}]}},)"
    R"({"name":"score","type":"double","typeSignature":{"rawType":"double","arguments":[]}},)"
    R"({"name":"flag","type":"boolean","typeSignature":{"rawType":"boolean","arguments":[]}},)"
    R"({"name":"note","type":"varchar","typeSignature":{"rawType":"varchar","arguments":[{"kind":"LONG","value":2147483647}]}}])";

} // namespace

std::string RecordedRequest::header(const std::string& name) const {
    for (const auto& [k, v] : headers)
        if (lower(k) == lower(name)) return v;
    return "";
}

std::vector<std::string> RecordedRequest::all(const std::string& name) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : headers)
        if (lower(k) == lower(name)) out.push_back(v);
    return out;
}

struct TrinoPeer::Impl {
    httplib::Server server;
    std::thread thread;
    int port = 0;
    mutable std::mutex mu;
    std::deque<std::deque<PeerStep>> statements;
    std::deque<PeerStep> current;
    std::string expected;
    std::string last_get; // the nextUri of the GET answered last (or being answered)
    bool post_retry = false;
    int delete_delay_ms = 0;
    long forever_n = 0, synthetic_sent = 0, synthetic_id = 0;
    std::vector<RecordedRequest> requests;
    std::vector<std::string> unexpected;

    std::string base() const { return "http://127.0.0.1:" + std::to_string(port); }

    // nextUri/infoUri/partialCancelUri pointed at this peer; nextUri becomes the path the
    // next GET must ask for.
    std::string rewrite(const std::string& body, bool forever) {
        static const std::regex uri(R"re("(nextUri|infoUri|partialCancelUri)"(\s*:\s*)"([^"]*)")re");
        std::string out;
        std::string next_path;
        auto it = std::sregex_iterator(body.begin(), body.end(), uri);
        std::size_t last = 0;
        for (; it != std::sregex_iterator(); ++it) {
            const std::smatch& m = *it;
            out.append(body, last, std::size_t(m.position(0)) - last);
            std::string path = path_of(m[3]);
            if (m[1] == "nextUri") {
                if (forever) path += "/" + std::to_string(++forever_n);
                next_path = path;
            }
            out += "\"" + m[1].str() + "\"" + m[2].str() + "\"" + base() + path + "\"";
            last = std::size_t(m.position(0) + m.length(0));
        }
        out.append(body, last, std::string::npos);
        expected = next_path;
        return out;
    }

    std::string synthetic_page(const PeerStep& s) {
        const long from = synthetic_sent;
        const long to = std::min(s.rows, from + s.page_rows);
        synthetic_sent = to;
        const bool last = to >= s.rows;
        std::string id = "20250101_000000_" + std::to_string(synthetic_id) + "_synth";
        std::string body = "{\"id\":\"" + id + "\",\"infoUri\":\"" + base() + "/ui/query.html?" + id + "\",";
        if (!last) {
            expected = "/v1/statement/executing/" + id + "/" + std::to_string(to);
            body += "\"nextUri\":\"" + base() + expected + "\",";
        } else {
            expected.clear();
        }
        body += "\"columns\":";
        body += kSyntheticColumns;
        body += ",\"data\":[";
        for (long i = from; i < to; ++i) {
            if (i > from) body += ',';
            body += "[" + std::to_string(i) + ",\"user-" + std::to_string(i) + "\"," +
                    std::to_string(i % 1000) + ".25," + (i % 2 ? "true" : "false") + "," +
                    (i % 7 == 0 ? std::string("null") : "\"n" + std::to_string(i % 100) + "\"") + "]";
        }
        body += "],\"stats\":{\"state\":\"" + std::string(last ? "FINISHED" : "RUNNING") +
                "\",\"queued\":false,\"scheduled\":true,\"nodes\":1,\"totalSplits\":100,"
                "\"queuedSplits\":0,\"runningSplits\":1,\"completedSplits\":" +
                std::to_string(to * 100 / std::max(1L, s.rows)) +
                ",\"elapsedTimeMillis\":10,\"processedRows\":" + std::to_string(to) +
                ",\"processedBytes\":" + std::to_string(to * 40) + "}}";
        return body;
    }

    void answer(httplib::Response& res) {
        if (current.empty()) {
            res.status = 404;
            res.set_content("no scripted answer left", "text/plain");
            return;
        }
        PeerStep step = current.front();
        const bool synthetic = step.rows > 0;
        if (!step.forever && !(synthetic && synthetic_sent + step.page_rows < step.rows))
            current.pop_front();
        if (step.delay_ms) {
            mu.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(step.delay_ms));
            mu.lock();
        }
        for (const auto& [k, v] : step.headers) res.set_header(k, v);
        res.status = step.status;
        if (step.drop) {
            res.set_content_provider(
                1000, "application/json",
                [](std::size_t, std::size_t, httplib::DataSink& sink) {
                    sink.write("{\"id\":", 6);
                    return false;
                });
            return;
        }
        if (step.empty) {
            res.set_content("", "application/json");
            return;
        }
        if (step.status != 200) {
            res.set_content(step.body.empty() ? "Service Unavailable" : step.body, "text/plain");
            return;
        }
        if (synthetic) {
            // With a charset, cpp-httplib leaves the body uncompressed: the benchmark
            // measures the client, not gzip in the peer.
            res.set_content(synthetic_page(step), "application/json; charset=utf-8");
            return;
        }
        res.set_content(rewrite(step.body, step.forever), "application/json");
    }

    void record(const httplib::Request& req) {
        RecordedRequest r{req.method, req.path, req.body, {}};
        for (const auto& [k, v] : req.headers) r.headers.emplace(k, v);
        requests.push_back(std::move(r));
    }
};

TrinoPeer::TrinoPeer() : impl_(std::make_unique<Impl>()) {
    Impl& m = *impl_;
    m.server.new_task_queue = [] { return new httplib::ThreadPool(4); };
    m.server.Post("/v1/statement", [this](const httplib::Request& req, httplib::Response& res) {
        Impl& m = *impl_;
        std::unique_lock lock(m.mu);
        m.record(req);
        // A POST answered with a fault is retried by the client: the same statement.
        if (!m.post_retry) {
            m.current.clear();
            m.expected.clear();
            m.last_get.clear();
            if (!m.statements.empty()) {
                m.current = std::move(m.statements.front());
                m.statements.pop_front();
                m.synthetic_sent = 0;
                ++m.synthetic_id;
            }
        }
        m.post_retry = !m.current.empty() && m.current.front().is_fault();
        m.answer(res);
    });
    auto get = [this](const httplib::Request& req, httplib::Response& res) {
        Impl& m = *impl_;
        std::unique_lock lock(m.mu);
        m.record(req);
        if (req.path != m.expected) {
            m.unexpected.push_back(req.method + " " + req.path + " (expected " + m.expected + ")");
            res.status = 404;
            res.set_content("not a nextUri this peer handed out", "text/plain");
            return;
        }
        m.last_get = req.path;
        m.answer(res);
    };
    m.server.Get(R"(/v1/.*)", get);
    m.server.Delete(R"(/v1/.*)", [this](const httplib::Request& req, httplib::Response& res) {
        Impl& m = *impl_;
        std::unique_lock lock(m.mu);
        m.record(req);
        // Slow to cancel, until set_delete_delay(0) lets it answer.
        for (int waited = 0; waited < m.delete_delay_ms; waited += 10) {
            lock.unlock();
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
            lock.lock();
        }
        // The nextUri handed out last, or the one whose answer a cancel cut short (the
        // client deletes the URI it was fetching; Trino cancels the query either way).
        if (req.path == m.expected || (!m.last_get.empty() && req.path == m.last_get)) {
            m.current.clear();
            m.expected.clear();
            m.last_get.clear();
        } else {
            m.unexpected.push_back("DELETE " + req.path + " (expected " + m.expected + ")");
        }
        res.status = 204;
    });
    m.port = m.server.bind_to_any_port("127.0.0.1");
    if (m.port <= 0) throw std::runtime_error("trino peer: cannot bind 127.0.0.1");
    m.thread = std::thread([this] { impl_->server.listen_after_bind(); });
    while (!m.server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

TrinoPeer::~TrinoPeer() {
    impl_->server.stop();
    if (impl_->thread.joinable()) impl_->thread.join();
}

std::string TrinoPeer::url() const { return impl_->base(); }
int TrinoPeer::port() const { return impl_->port; }

void TrinoPeer::enqueue(std::vector<PeerStep> steps) {
    std::lock_guard lock(impl_->mu);
    impl_->statements.emplace_back(steps.begin(), steps.end());
}

std::vector<RecordedRequest> TrinoPeer::requests() const {
    std::lock_guard lock(impl_->mu);
    return impl_->requests;
}

std::vector<RecordedRequest> TrinoPeer::requests(const std::string& method) const {
    std::vector<RecordedRequest> out;
    for (auto& r : requests())
        if (r.method == method) out.push_back(r);
    return out;
}

void TrinoPeer::reset() {
    std::lock_guard lock(impl_->mu);
    impl_->statements.clear();
    impl_->current.clear();
    impl_->expected.clear();
    impl_->post_retry = false;
}

void TrinoPeer::set_delete_delay(int ms) {
    std::lock_guard lock(impl_->mu);
    impl_->delete_delay_ms = ms;
}

std::vector<std::string> TrinoPeer::unexpected() const {
    std::lock_guard lock(impl_->mu);
    return impl_->unexpected;
}

std::string TrinoPeer::fixture(const std::string& name) {
    std::ifstream in(std::string(EBAP_FIXTURES_DIR) + "/trino/" + name);
    if (!in) throw std::runtime_error("no fixture trino/" + name);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

std::string TrinoPeer::fixture_member(const std::string& name, const std::string& member) {
    return nlohmann::json::parse(fixture(name)).at(member).dump();
}

} // namespace ebap::test
