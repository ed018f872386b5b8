#pragma once
// A Trino coordinator's side of the v1 client protocol for tests, on 127.0.0.1. No Trino
// server runs on these machines, so it plays captured responses (tests/fixtures/trino/),
// their nextUri/infoUri/partialCancelUri rewritten to point at itself; it records every
// request with its headers, and injects faults: a status (503, 429 + Retry-After), an
// empty 200, a dropped connection, a slow answer, and a query that never finishes.
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ebap::test {

struct PeerStep {
    std::string body;       // a QueryResults document as captured
    int status = 200;       // a fault step answers the same request again (not 200)
    std::map<std::string, std::string> headers; // extra response headers (X-Trino-Set-*)
    int delay_ms = 0;       // a slow answer
    bool drop = false;      // headers, then the connection closes mid-body
    bool empty = false;     // 200 with no body
    bool forever = false;   // answered again and again, each time with a fresh nextUri
    // A synthetic result: `rows` rows of (bigint id, varchar name, double score, boolean
    // flag, NULL-every-7th varchar note), `page_rows` per page; body ignored.
    long rows = 0;
    long page_rows = 10000;
    bool is_fault() const { return status != 200 || drop || empty; }
};

struct RecordedRequest {
    std::string method, path, body;
    std::multimap<std::string, std::string> headers; // names as sent
    std::string header(const std::string& name) const; // case-insensitive; "" when absent
    std::vector<std::string> all(const std::string& name) const;
};

class TrinoPeer {
  public:
    TrinoPeer();
    ~TrinoPeer();
    TrinoPeer(const TrinoPeer&) = delete;
    TrinoPeer& operator=(const TrinoPeer&) = delete;

    std::string url() const; // http://127.0.0.1:PORT
    int port() const;
    // The answers to the next statement: its POST gets the first non-fault step (after any
    // fault steps before it), each GET of the nextUri the previous answer named the next.
    // Statements queue up in order.
    void enqueue(std::vector<PeerStep> steps);
    std::vector<RecordedRequest> requests() const;
    // Requests with this method ("GET", "POST", "DELETE").
    std::vector<RecordedRequest> requests(const std::string& method) const;
    // Forgets the queued statements and the one under way.
    void reset();
    // DELETEs are answered this late (a server slow to cancel).
    void set_delete_delay(int ms);
    // Requests whose path was not a nextUri the peer had handed out (must stay empty).
    std::vector<std::string> unexpected() const;

    // A fixture's text: tests/fixtures/trino/<name>.
    static std::string fixture(const std::string& name);
    // One member of a synthetic multi-response fixture (11_SYNTHETIC_…: "get_1_response").
    static std::string fixture_member(const std::string& name, const std::string& member);

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace ebap::test
