// A TCP proxy between PostgreSQL clients and a server that injects the faults of a network:
//
//   - a lost acknowledgement: a chosen transaction's COMMIT reaches the server and commits, then
//     the connection is closed before the answer reaches the client;
//   - an outage: Stall() stops every byte (connections hang, new ones are never served: a
//     silent network), Refuse() closes everything and refuses new connections (a server or a
//     route that is gone).
//
// It speaks just enough of the PostgreSQL wire protocol to find message boundaries: it answers
// SSLRequest/GSSENCRequest with "no" itself, reads the SQL of simple (Q) and extended (P)
// queries from the client, and watches the server's ReadyForQuery (Z). One thread, poll().
#ifndef HAYSTACK_TESTS_SUPPORT_PG_FAULT_PROXY_H_
#define HAYSTACK_TESTS_SUPPORT_PG_FAULT_PROXY_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace haystack::testing {

class PgFaultProxy {
 public:
  // Forwards 127.0.0.1:port() to the server that the libpq URL `upstream_url` names (a unix
  // socket directory or a TCP host). Throws std::runtime_error if it cannot listen.
  explicit PgFaultProxy(const std::string& upstream_url);
  ~PgFaultProxy();
  PgFaultProxy(const PgFaultProxy&) = delete;
  PgFaultProxy& operator=(const PgFaultProxy&) = delete;

  int port() const { return port_; }
  // The upstream URL with the proxy as its host (TCP, no SSL).
  const std::string& url() const { return url_; }

  // The next `times` transactions (on any connection) with a statement containing `marker`
  // lose their COMMIT's acknowledgement: the COMMIT is forwarded, the server answers, and the
  // proxy closes both sides without passing the answer on. Several markers may be armed at once.
  void DropAckAfterCommitOf(const std::string& marker, int times = 1);
  // Acknowledgements dropped so far.
  int acks_dropped() const { return acks_dropped_.load(); }

  void Stall();    // a silent network: nothing moves, new connections are not served
  void Refuse();   // gone: every connection closed, new ones refused
  void Restore();  // forwarding again (new connections; stalled ones resume)

  struct State;  // the proxy thread's state, defined in the .cc

 private:
  void Loop();

  int port_ = 0;
  std::string url_;
  std::unique_ptr<State> state_;
  std::atomic<int> acks_dropped_{0};
  std::thread thread_;
};

}  // namespace haystack::testing

#endif  // HAYSTACK_TESTS_SUPPORT_PG_FAULT_PROXY_H_
