#include "core/sql/trino_client.hpp"

#include "build_info.hpp"
#include "core/base/error.hpp"
#include "core/base/format.hpp"
#include "core/sql/trino_value.hpp"

#include <curl/curl.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <map>
#include <thread>

namespace ebap::sql {
namespace od = simdjson::ondemand;
namespace {

using Clock = std::chrono::steady_clock;

// Pages are bounded by the server (a few MiB); anything far beyond is not Trino.
constexpr std::size_t kMaxBody = 512u << 20;
constexpr long kBackoffStartMs = 100, kBackoffCapMs = 2000;

std::string lower(std::string s) {
    for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(std::string_view s) {
    std::size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return std::string(s.substr(b, e - b));
}

std::string url_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size() && std::isxdigit(static_cast<unsigned char>(s[i + 1])) &&
            std::isxdigit(static_cast<unsigned char>(s[i + 2]))) {
            out += static_cast<char>(std::stoi(std::string(s.substr(i + 1, 2)), nullptr, 16));
            i += 2;
        } else {
            out += s[i] == '+' ? ' ' : s[i];
        }
    }
    return out;
}

std::string url_encode(std::string_view s) { return percent_encode(s, "-._~"); }

// One value in the Trino CLI's text form, and its JSON (rows become objects).
void render(od::value v, const TrinoType* t, std::string& disp, std::string& json) {
    static const TrinoType kUnknown{};
    if (!t) t = &kUnknown;
    switch (v.type()) {
    case od::json_type::null:
        disp += "NULL";
        json += "null";
        return;
    case od::json_type::string: {
        std::string_view s = v.get_string();
        if (t->raw == "varbinary") {
            const std::string hex = base64_to_hex_pairs(s);
            disp += hex;
            json_quote(json, hex);
        } else {
            disp += s;
            json_quote(json, s);
        }
        return;
    }
    case od::json_type::number: {
        const std::string tok = trim(v.raw_json_token());
        disp += tok;
        json += tok;
        return;
    }
    case od::json_type::boolean: {
        const bool b = v.get_bool();
        disp += b ? "true" : "false";
        json += b ? "true" : "false";
        return;
    }
    case od::json_type::array: {
        const bool row = t->raw == "row";
        disp += row ? '{' : '[';
        json += row ? '{' : '[';
        std::size_t i = 0;
        for (auto element : v.get_array()) {
            if (i) {
                disp += ", ";
                json += ',';
            }
            const TrinoType* sub = nullptr;
            if (row) {
                const std::string name = i < t->field_names.size() && !t->field_names[i].empty()
                                             ? t->field_names[i]
                                             : "field" + std::to_string(i);
                if (i < t->field_names.size() && !t->field_names[i].empty())
                    disp += name + "=";
                json_quote(json, name);
                json += ':';
                if (i < t->args.size()) sub = &t->args[i];
            } else if (!t->args.empty()) {
                sub = &t->args[0];
            }
            render(element.value(), sub, disp, json);
            ++i;
        }
        disp += row ? '}' : ']';
        json += row ? '}' : ']';
        return;
    }
    case od::json_type::object: {
        disp += '{';
        json += '{';
        bool first = true;
        const TrinoType* value_type = t->args.size() == 2 ? &t->args[1] : nullptr;
        for (auto field : v.get_object()) {
            if (!first) {
                disp += ", ";
                json += ',';
            }
            first = false;
            std::string_view key = field.unescaped_key();
            disp += key;
            disp += '=';
            json_quote(json, key);
            json += ':';
            render(field.value(), value_type, disp, json);
        }
        disp += '}';
        json += '}';
        return;
    }
    }
}

struct Response {
    CURLcode code = CURLE_OK;
    long status = 0;
    std::string error; // curl's message
    std::map<std::string, std::vector<std::string>> headers; // lower-case names
};

} // namespace

struct TrinoClient::Impl {
    TrinoOptions opt;
    TrinoClient* owner;
    CURL* curl = nullptr;
    char errbuf[CURL_ERROR_SIZE] = {};
    std::string body;
    Response* current = nullptr;
    bool abortable = true;
    od::parser parser;

    // The session, as the server's Set/Clear headers leave it.
    std::string catalog, schema, path, transaction_id, authorization_user;
    std::map<std::string, std::string> properties, prepared, roles;

    // Statement state.
    std::vector<TrinoType> types;
    bool columns_sent = false;
    RowPage page;

    explicit Impl(TrinoOptions o, TrinoClient* self) : opt(std::move(o)), owner(self) {
        catalog = opt.session.catalog;
        schema = opt.session.schema;
        properties = opt.session.properties;
        curl = curl_easy_init();
        if (!curl) throw Error("trino: cannot create a curl handle");
    }
    ~Impl() { curl_easy_cleanup(curl); }

    bool cancelled() const { return owner->cancel_.load(); }

    static std::size_t on_body(char* data, std::size_t size, std::size_t n, void* self) {
        auto* impl = static_cast<Impl*>(self);
        if (impl->body.size() + size * n > kMaxBody) return 0;
        impl->body.append(data, size * n);
        return size * n;
    }
    static std::size_t on_header(char* data, std::size_t size, std::size_t n, void* self) {
        auto* impl = static_cast<Impl*>(self);
        std::string_view line(data, size * n);
        if (line.rfind("HTTP/", 0) == 0) { // a new response (after a 100 Continue, too)
            impl->current->headers.clear();
            return size * n;
        }
        const auto colon = line.find(':');
        if (colon != std::string_view::npos)
            impl->current->headers[lower(std::string(line.substr(0, colon)))].push_back(
                trim(line.substr(colon + 1)));
        return size * n;
    }
    static int on_progress(void* self, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
        auto* impl = static_cast<Impl*>(self);
        return impl->abortable && impl->cancelled() ? 1 : 0;
    }

    curl_slist* build_headers() const {
        curl_slist* h = nullptr;
        auto add = [&h](const std::string& line) { h = curl_slist_append(h, line.c_str()); };
        add("X-Trino-User: " + opt.user);
        add("X-Trino-Source: ebapctl");
        add("X-Trino-Client-Capabilities: PATH,PARAMETRIC_DATETIME,SESSION_AUTHORIZATION");
        if (!catalog.empty()) add("X-Trino-Catalog: " + catalog);
        if (!schema.empty()) add("X-Trino-Schema: " + schema);
        if (!path.empty()) add("X-Trino-Path: " + path);
        if (!opt.session.time_zone.empty()) add("X-Trino-Time-Zone: " + opt.session.time_zone);
        if (!authorization_user.empty()) add("X-Trino-Authorization-User: " + authorization_user);
        for (const auto& [k, v] : properties) add("X-Trino-Session: " + k + "=" + url_encode(v));
        for (const auto& [k, v] : roles) add("X-Trino-Role: " + k + "=" + url_encode(v));
        for (const auto& [k, v] : prepared)
            add("X-Trino-Prepared-Statement: " + url_encode(k) + "=" + url_encode(v));
        add("X-Trino-Transaction-Id: " + (transaction_id.empty() ? "NONE" : transaction_id));
        add("Expect:");
        return h;
    }

    Response perform(const char* method, const std::string& url, const std::string* post,
                     curl_slist* headers, bool abort_on_cancel) {
        Response r;
        body.clear();
        current = &r;
        abortable = abort_on_cancel;
        errbuf[0] = 0;
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
        curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, std::min(opt.timeout_ms, 10000L));
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, abort_on_cancel ? opt.timeout_ms : 5000L);
        curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, this);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, this);
        curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(curl, CURLOPT_XFERINFODATA, this);
        curl_easy_setopt(curl, CURLOPT_USERAGENT, (std::string("ebapctl/") + build::version).c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip"); // as the Java client (OkHttp) asks
        if (!opt.session.ca_file.empty())
            curl_easy_setopt(curl, CURLOPT_CAINFO, opt.session.ca_file.c_str());
        if (!opt.password.empty()) {
            curl_easy_setopt(curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
            curl_easy_setopt(curl, CURLOPT_USERNAME, opt.user.c_str());
            curl_easy_setopt(curl, CURLOPT_PASSWORD, opt.password.c_str());
        }
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, nullptr);
        if (post) {
            curl_easy_setopt(curl, CURLOPT_POST, 1L);
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, post->c_str());
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(post->size()));
        } else {
            curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
            if (std::strcmp(method, "GET") != 0) curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
        }
        r.code = curl_easy_perform(curl);
        current = nullptr;
        if (r.code != CURLE_OK) {
            r.error = errbuf[0] ? errbuf : curl_easy_strerror(r.code);
            if (r.code == CURLE_WRITE_ERROR && body.size() >= kMaxBody / 2)
                r.error = "response larger than " + fmt_bytes(double(kMaxBody));
        } else {
            curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
        }
        return r;
    }

    // Sleeps up to ms, in slices, returning false as soon as a cancel arrives.
    bool pause(long ms) {
        const auto until = Clock::now() + std::chrono::milliseconds(ms);
        while (Clock::now() < until) {
            if (cancelled()) return false;
            std::this_thread::sleep_for(std::min<Clock::duration>(std::chrono::milliseconds(20),
                                                                   until - Clock::now()));
        }
        return !cancelled();
    }

    enum class Outcome { Ok, Aborted, Failed };

    // One request with its retries: 502/503/504/429 (Retry-After honoured), and for the
    // idempotent GETs of nextUri a lost connection or an empty 200 too; capped backoff,
    // all inside opt.timeout_ms.
    Outcome request(const char* method, const std::string& url, const std::string* post,
                    curl_slist* headers, bool idempotent, Response& r, QueryError& err) {
        const auto deadline = Clock::now() + std::chrono::milliseconds(opt.timeout_ms);
        long backoff = kBackoffStartMs;
        int attempts = 0;
        for (;;) {
            ++attempts;
            r = perform(method, url, post, headers, true);
            if (r.code == CURLE_ABORTED_BY_CALLBACK) return Outcome::Aborted;
            std::string why;
            long wait = backoff;
            if (r.code != CURLE_OK) {
                why = r.error;
                if (!idempotent) {
                    err = {QueryError::Transport, "trino " + mask_url_credentials(url) + ": " + why};
                    return Outcome::Failed;
                }
            } else if (r.status == 502 || r.status == 503 || r.status == 504 || r.status == 429) {
                why = "HTTP " + std::to_string(r.status);
                if (auto it = r.headers.find("retry-after"); it != r.headers.end()) {
                    // Seconds, or an HTTP date (RFC 9110 10.2.3).
                    const std::string& v = it->second.back();
                    char* end = nullptr;
                    const double s = std::strtod(v.c_str(), &end);
                    if (end && end != v.c_str() && *end == 0 && s >= 0) {
                        wait = long(s * 1000);
                    } else if (const time_t at = curl_getdate(v.c_str(), nullptr); at != -1) {
                        wait = std::max(0L, long(at - std::time(nullptr)) * 1000);
                    }
                }
            } else if (r.status == 200 && trim(body).empty()) {
                why = "an empty response";
                if (!idempotent) {
                    err = {QueryError::Protocol, "trino " + mask_url_credentials(url) +
                                                     ": an empty response to " + method};
                    return Outcome::Failed;
                }
            } else if (r.status != 200) {
                std::string text = trim(body);
                if (text.size() > 2000) text = text.substr(0, 2000) + "…";
                err = {QueryError::Transport, "trino " + mask_url_credentials(url) + ": HTTP " +
                                                  std::to_string(r.status) +
                                                  (text.empty() ? "" : ": " + printable(text))};
                return Outcome::Failed;
            } else {
                return Outcome::Ok;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  deadline - Clock::now()).count();
            if (wait > left) {
                err = {QueryError::Transport,
                       "trino " + mask_url_credentials(url) + ": gave up after " +
                           std::to_string(attempts) + " attempt" + (attempts == 1 ? "" : "s") +
                           " in " + fmt_duration_ms(double(opt.timeout_ms)) + " (trino.timeout_ms): " +
                           why};
                return Outcome::Failed;
            }
            if (!pause(wait)) return Outcome::Aborted;
            backoff = std::min(backoff * 2, kBackoffCapMs);
        }
    }

    // Session changes the server asks for; applied when the statement ends.
    void apply_headers(const Response& r) {
        auto each = [&r](const char* name, auto fn) {
            if (auto it = r.headers.find(name); it != r.headers.end())
                for (const auto& v : it->second) fn(v);
        };
        auto pair = [](const std::string& v) {
            const auto eq = v.find('=');
            return eq == std::string::npos
                       ? std::pair<std::string, std::string>{trim(v), ""}
                       : std::pair<std::string, std::string>{trim(v.substr(0, eq)),
                                                             url_decode(trim(v.substr(eq + 1)))};
        };
        each("x-trino-set-catalog", [&](const std::string& v) { catalog = v; });
        each("x-trino-set-schema", [&](const std::string& v) { schema = v; });
        each("x-trino-set-path", [&](const std::string& v) { path = v; });
        each("x-trino-set-session", [&](const std::string& v) {
            auto [k, val] = pair(v);
            properties[k] = val;
        });
        each("x-trino-clear-session", [&](const std::string& v) { properties.erase(trim(v)); });
        each("x-trino-set-role", [&](const std::string& v) {
            auto [k, val] = pair(v);
            roles[k] = val;
        });
        each("x-trino-added-prepare", [&](const std::string& v) {
            auto [k, val] = pair(v);
            prepared[url_decode(k)] = val;
        });
        each("x-trino-deallocated-prepare",
             [&](const std::string& v) { prepared.erase(url_decode(trim(v))); });
        each("x-trino-started-transaction-id", [&](const std::string& v) { transaction_id = v; });
        each("x-trino-clear-transaction-id", [&](const std::string&) { transaction_id.clear(); });
        each("x-trino-set-authorization-user",
             [&](const std::string& v) { authorization_user = v; });
        each("x-trino-reset-authorization-user",
             [&](const std::string&) { authorization_user.clear(); });
    }

    static std::int64_t as_int(od::value v) {
        if (v.type() != od::json_type::number) return 0;
        double d = v.get_double();
        return static_cast<std::int64_t>(d);
    }

    void read_stats(od::object stats, QueryStats& s) {
        for (auto field : stats) {
            std::string_view key = field.unescaped_key();
            od::value v = field.value();
            if (key == "state") s.state = std::string(std::string_view(v.get_string()));
            else if (key == "nodes") s.nodes = int(as_int(v));
            else if (key == "totalSplits") s.total_splits = int(as_int(v));
            else if (key == "completedSplits") s.completed_splits = int(as_int(v));
            else if (key == "runningSplits") s.running_splits = int(as_int(v));
            else if (key == "queuedSplits") s.queued_splits = int(as_int(v));
            else if (key == "elapsedTimeMillis") s.elapsed_ms = as_int(v);
            else if (key == "processedRows") s.processed_rows = as_int(v);
            else if (key == "processedBytes") s.processed_bytes = as_int(v);
            else if (key == "progressPercentage" && v.type() == od::json_type::number)
                s.progress_percent = double(v.get_double());
        }
    }

    void read_error(od::object e, QueryError& err) {
        err.kind = QueryError::Query;
        for (auto field : e) {
            std::string_view key = field.unescaped_key();
            od::value v = field.value();
            if (key == "message") err.message = std::string(std::string_view(v.get_string()));
            else if (key == "errorName") err.name = std::string(std::string_view(v.get_string()));
            else if (key == "errorType") err.type = std::string(std::string_view(v.get_string()));
            else if (key == "errorLocation") {
                for (auto loc : v.get_object()) {
                    std::string_view k = loc.unescaped_key();
                    if (k == "lineNumber") err.line = int(as_int(loc.value()));
                    else if (k == "columnNumber") err.column = int(as_int(loc.value()));
                }
            }
        }
    }

    void read_columns(od::array cols, StatementResult& r, ResultSink& sink) {
        std::vector<Column> columns;
        std::vector<TrinoType> parsed;
        for (auto c : cols) {
            Column col;
            for (auto field : c.get_object()) {
                std::string_view key = field.unescaped_key();
                if (key == "name") col.name = std::string(std::string_view(field.value().get_string()));
                else if (key == "type") col.type = std::string(std::string_view(field.value().get_string()));
            }
            parsed.push_back(parse_trino_type(col.type));
            col.numeric = trino_numeric(parsed.back());
            columns.push_back(std::move(col));
        }
        if (columns_sent) return; // every page repeats them
        columns_sent = true;
        types = std::move(parsed);
        r.columns = columns;
        sink.on_columns(r.columns);
    }

    void read_data(od::array rows, StatementResult& r, ResultSink& sink) {
        page.reset(types.size());
        std::string display, json;
        for (auto row : rows) {
            std::size_t i = 0;
            for (auto element : row.get_array()) {
                od::value v = element.value();
                const TrinoType* t = i < types.size() ? &types[i] : nullptr;
                if (i >= types.size()) throw Error("a data row has more values than columns");
                switch (v.type()) {
                case od::json_type::null:
                    page.add_null();
                    break;
                case od::json_type::string:
                    if (t->raw == "varbinary")
                        page.add(CellKind::String, base64_to_hex_pairs(v.get_string()));
                    else
                        page.add(CellKind::String, v.get_string());
                    break;
                case od::json_type::number: {
                    std::string_view tok = v.raw_json_token();
                    while (!tok.empty() && std::isspace(static_cast<unsigned char>(tok.back())))
                        tok.remove_suffix(1);
                    page.add(CellKind::Literal, tok);
                    break;
                }
                case od::json_type::boolean:
                    page.add(CellKind::Literal, v.get_bool() ? "true" : "false");
                    break;
                default: {
                    display.clear();
                    json.clear();
                    render(v, t, display, json);
                    page.add_complex(display, json);
                }
                }
                ++i;
            }
            if (i != types.size()) throw Error("a data row has fewer values than columns");
        }
        r.rows += std::int64_t(page.rows());
        r.stats.rows_received = r.rows;
        if (page.rows()) sink.on_page(page);
    }

    // One QueryResults document. Returns its nextUri ("" at the end).
    std::string read_page(StatementResult& r, ResultSink& sink) {
        body.reserve(body.size() + simdjson::SIMDJSON_PADDING);
        od::document doc = parser.iterate(body.data(), body.size(), body.capacity());
        std::string next;
        bool data_pending = false;
        auto fields = [&](bool data_only) {
            for (auto field : doc.get_object()) {
                std::string_view key = field.unescaped_key();
                od::value v = field.value();
                if (key == "data") {
                    if (v.type() == od::json_type::object)
                        throw QueryError{QueryError::Protocol, "spooled results are not supported"};
                    if (!columns_sent) {
                        data_pending = true;
                        continue;
                    }
                    read_data(v.get_array(), r, sink);
                    continue;
                }
                if (data_only) continue;
                if (key == "id") r.query_id = r.stats.query_id = std::string(std::string_view(v.get_string()));
                else if (key == "nextUri") next = std::string(std::string_view(v.get_string()));
                else if (key == "columns") read_columns(v.get_array(), r, sink);
                else if (key == "stats") read_stats(v.get_object(), r.stats);
                else if (key == "error") {
                    QueryError e;
                    read_error(v.get_object(), e);
                    r.error = e;
                } else if (key == "updateType" && v.type() == od::json_type::string)
                    r.update_type = r.stats.update_type = std::string(std::string_view(v.get_string()));
                else if (key == "updateCount" && v.type() == od::json_type::number)
                    r.update_count = as_int(v);
                else if (key == "warnings" && v.type() == od::json_type::array)
                    for (auto w : v.get_array())
                        for (auto f : w.get_object())
                            if (std::string_view(f.unescaped_key()) == "message")
                                sink.on_notice("WARNING: " +
                                               std::string(std::string_view(f.value().get_string())));
            }
        };
        fields(false);
        if (data_pending) { // "data" came before "columns"
            if (!columns_sent) throw Error("data without columns");
            doc.rewind();
            fields(true);
        }
        sink.on_stats(r.stats);
        return next;
    }

    // Best effort: tells the server to stop; its answer does not matter.
    void delete_query(const std::string& uri, curl_slist* headers) {
        if (!uri.empty()) perform("DELETE", uri, nullptr, headers, false);
    }

    StatementResult execute(const std::string& sql, ResultSink& sink) {
        StatementResult r;
        types.clear();
        columns_sent = false;
        std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(build_headers(),
                                                                             curl_slist_free_all);
        const auto aborted = [&] {
            r.error = QueryError{QueryError::Canceled, "Query aborted by user", "USER_CANCELED"};
        };
        auto parse = [&](std::string& next) -> bool {
            try {
                next = read_page(r, sink);
                return true;
            } catch (const QueryError& e) {
                r.error = e;
            } catch (const simdjson::simdjson_error& e) {
                r.error = QueryError{QueryError::Protocol,
                                     std::string("trino sent invalid JSON: ") + e.what()};
            } catch (const Error& e) {
                r.error = QueryError{QueryError::Protocol, std::string("trino: ") + e.what()};
            }
            return false;
        };
        Response resp;
        QueryError err;
        const std::string statement_url = opt.url + "/v1/statement";
        switch (request("POST", statement_url, &sql, headers.get(), false, resp, err)) {
        case Outcome::Aborted: aborted(); return r;
        case Outcome::Failed: r.error = err; return r;
        case Outcome::Ok: break;
        }
        std::vector<Response> session_changes{resp};
        std::string next;
        if (!parse(next)) {
            // The statement may run on: stop it where we can.
            return r;
        }
        while (!next.empty()) {
            // A finished statement (an INSERT's last pages) is drained, never cancelled.
            if (cancelled() && r.stats.state != "FINISHED") {
                delete_query(next, headers.get());
                aborted();
                break;
            }
            switch (request("GET", next, nullptr, headers.get(), true, resp, err)) {
            case Outcome::Aborted:
                if (r.stats.state == "FINISHED") {
                    owner->cancel_.store(false);
                    continue;
                }
                delete_query(next, headers.get());
                aborted();
                next.clear();
                continue;
            case Outcome::Failed:
                r.error = err;
                delete_query(next, headers.get());
                next.clear();
                continue;
            case Outcome::Ok: break;
            }
            session_changes.push_back(resp);
            const std::string uri = next;
            if (!parse(next)) {
                delete_query(uri, headers.get());
                break;
            }
        }
        for (const auto& s : session_changes) apply_headers(s);
        return r;
    }
};

TrinoClient::TrinoClient(TrinoOptions options) {
    std::string url = options.url;
    while (!url.empty() && url.back() == '/') url.pop_back();
    const std::string lowered = lower(url);
    const bool https = lowered.rfind("https://", 0) == 0;
    if (!https && lowered.rfind("http://", 0) != 0)
        throw UsageError("trino.url must be http://HOST:PORT or https://HOST:PORT, got '" +
                         mask_url_credentials(url) + "'");
    if (!options.password.empty() && !https && !options.session.insecure_password)
        throw UsageError("refusing to send the Trino password over plain http (" +
                         mask_url_credentials(url) +
                         "): use an https:// trino.url, or --insecure-password");
    if (options.user.empty()) throw UsageError("trino.user must not be empty");
    options.url = url;
    impl_ = std::make_unique<Impl>(std::move(options), this);
}

TrinoClient::~TrinoClient() = default;

StatementResult TrinoClient::execute(const std::string& statement, ResultSink& sink) {
    cancel_.store(false);
    return impl_->execute(statement, sink);
}

std::string TrinoClient::current_catalog() const { return impl_->catalog; }
std::string TrinoClient::current_schema() const { return impl_->schema; }
std::string TrinoClient::endpoint() const { return mask_url_credentials(impl_->opt.url); }

} // namespace ebap::sql
