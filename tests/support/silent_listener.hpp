#pragma once
// A TCP port on 127.0.0.1 that accepts connections (the kernel completes the
// handshake from the listen backlog) but never reads or answers: the endpoint
// that proves a client honours its deadline.
#include <string>

namespace ebap::test {

class SilentListener {
  public:
    SilentListener(); // throws std::runtime_error when it cannot listen
    ~SilentListener();
    SilentListener(const SilentListener&) = delete;
    SilentListener& operator=(const SilentListener&) = delete;
    int port() const { return port_; }
    std::string endpoint() const { return "127.0.0.1:" + std::to_string(port_); }

  private:
    int fd_ = -1;
    int port_ = 0;
};

} // namespace ebap::test
