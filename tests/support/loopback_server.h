// A cpp-httplib server on 127.0.0.1 with an ephemeral port, run on its own thread for the
// life of a test: the base of the SendGrid, GCS and metadata-server fakes.
#ifndef HAYSTACK_TESTS_SUPPORT_LOOPBACK_SERVER_H_
#define HAYSTACK_TESTS_SUPPORT_LOOPBACK_SERVER_H_

#include <httplib.h>

#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace haystack::testing {

class LoopbackServer {
 public:
  LoopbackServer() = default;
  ~LoopbackServer() { Stop(); }
  LoopbackServer(const LoopbackServer&) = delete;
  LoopbackServer& operator=(const LoopbackServer&) = delete;

  // Register handlers on server() first, then Start().
  httplib::Server& server() { return server_; }

  void Start() {
    port_ = server_.bind_to_any_port("127.0.0.1");
    if (port_ <= 0) throw std::runtime_error("cannot bind a loopback port");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  void Stop() {
    if (thread_.joinable()) {
      server_.stop();
      thread_.join();
    }
  }
  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
};

// Makes the server drop the connection after the status line and headers, before the promised
// body: the client sees a broken transfer (what a reset after the request was received looks
// like), never a complete response.
inline void BreakConnection(httplib::Response& res) {
  res.set_content_provider(1024, "application/json",
                           [](size_t, size_t, httplib::DataSink&) { return false; });
}

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_SUPPORT_LOOPBACK_SERVER_H_
