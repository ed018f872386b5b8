// tcp probe: can we open a connection before the deadline? Name lookup and
// connect both honour it (a hung resolver must not stall the round).
#include "core/probe/probe_kinds.hpp"

#include <fmt/format.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace ebap::probe_detail {
namespace {

struct AddrList {
    addrinfo* head = nullptr;
    ~AddrList() {
        if (head) freeaddrinfo(head);
    }
};

struct Lookup {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    int rc = 0;
    AddrList addrs;
};

// getaddrinfo has no timeout: run it on a detached thread that owns its state,
// and stop waiting at the deadline.
int resolve(const HostPort& hp, Clock::time_point deadline, AddrList& out) {
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    std::string port = std::to_string(hp.port);
    int rc = getaddrinfo(hp.host.c_str(), port.c_str(), &hints, &out.head);
    if (rc != EAI_NONAME) return rc; // a literal address needs no lookup

    auto job = std::make_shared<Lookup>();
    std::thread([job, host = hp.host, port] {
        addrinfo h{};
        h.ai_socktype = SOCK_STREAM;
        h.ai_flags = AI_NUMERICSERV;
        addrinfo* res = nullptr;
        int r = getaddrinfo(host.c_str(), port.c_str(), &h, &res);
        std::lock_guard lock(job->mu);
        job->rc = r;
        job->addrs.head = res;
        job->done = true;
        job->cv.notify_all();
    }).detach();
    std::unique_lock lock(job->mu);
    if (!job->cv.wait_until(lock, deadline, [&] { return job->done; })) return EAI_AGAIN;
    if (job->rc == 0) std::swap(out.head, job->addrs.head);
    return job->rc;
}

// 0 on success, else an errno (ETIMEDOUT when the deadline passed).
int connect_one(const addrinfo* ai, Clock::time_point deadline) {
    int fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) return errno;
    int err = 0;
    if (connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
        err = errno;
        if (err == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            int n;
            do {
                n = poll(&p, 1, remaining_ms(deadline));
            } while (n < 0 && errno == EINTR);
            socklen_t len = sizeof err;
            if (n == 0)
                err = ETIMEDOUT;
            else if (n < 0 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
                err = errno;
        }
    }
    close(fd);
    return err;
}

} // namespace

ProbeResult probe_tcp(const ProbeSpec& spec, int timeout_ms) {
    const auto start = Clock::now();
    const auto deadline = start + std::chrono::milliseconds(timeout_ms);
    HostPort hp = parse_host_port(spec.endpoint, 0);
    AddrList addrs;
    int rc = resolve(hp, deadline, addrs);
    if (rc == EAI_AGAIN && Clock::now() >= deadline)
        return finish(Health::Down,
                      fmt::format("name lookup of {} took over {} ms", hp.host, timeout_ms), start);
    if (rc != 0)
        return finish(Health::Down, fmt::format("cannot resolve {}: {}", hp.host, gai_strerror(rc)),
                      start);

    int err = ETIMEDOUT;
    for (const addrinfo* ai = addrs.head; ai && Clock::now() < deadline; ai = ai->ai_next) {
        err = connect_one(ai, deadline);
        if (err == 0)
            return finish(Health::Up, fmt::format("accepts connections on port {}", hp.port),
                          start);
    }
    if (err == ETIMEDOUT) return finish(Health::Down, no_answer(timeout_ms), start);
    if (err == ECONNREFUSED) return finish(Health::Down, "connection refused", start);
    return finish(Health::Down, std::strerror(err), start);
}

} // namespace ebap::probe_detail
