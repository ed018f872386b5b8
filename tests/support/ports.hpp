#pragma once
// Ports for test servers: always random, never a fixed number.
namespace ebap::test {

// A TCP port on 127.0.0.1 that nothing listens on right now (bound, then
// released). Another process may take it before you do: servers started on it
// should retry with a fresh port when the bind fails (RedisServer, PgServer do).
int free_port();

} // namespace ebap::test
