#include "support/pg_fault_proxy.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <cstring>
#include <map>
#include <optional>
#include <stdexcept>
#include <vector>

namespace haystack::testing {
namespace {

constexpr uint32_t kSslRequest = 80877103;
constexpr uint32_t kGssEncRequest = 80877104;

enum class Mode { kForward, kStall, kRefuse };

uint32_t ReadInt32(const std::string& buffer, size_t at) {
  uint32_t value = 0;
  for (size_t i = 0; i < 4; ++i) value = (value << 8) | static_cast<unsigned char>(buffer[at + i]);
  return value;
}

bool IsCommit(std::string sql) {
  sql.erase(std::remove_if(
                sql.begin(), sql.end(),
                [](char c) { return std::isspace(static_cast<unsigned char>(c)) || c == ';'; }),
            sql.end());
  for (char& c : sql) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return sql == "COMMIT" || sql == "END";
}

// The SQL text of a simple ('Q') or extended ('P') query message body, else "".
std::string SqlOf(char type, const std::string& body) {
  if (type == 'Q') return std::string(body.c_str());
  if (type == 'P') {
    const size_t name_end = body.find('\0');
    if (name_end == std::string::npos) return "";
    return std::string(body.c_str() + name_end + 1);
  }
  return "";
}

struct Session {
  int client = -1;
  int server = -1;
  std::string from_client, to_server, from_server, to_client;
  bool typed = false;    // past the startup message
  int marked = -1;       // the armed marker the current transaction's statements contain
  bool holding = false;  // the marked COMMIT went out: hold the server's answer
  bool closed = false;
};

void CloseFd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

}  // namespace

struct PgFaultProxy::State {
  std::mutex mu;
  std::condition_variable applied_cv;
  Mode mode = Mode::kForward;
  uint64_t requested = 0;                            // mode changes asked for
  uint64_t applied = 0;                              // ... and carried out by the proxy thread
  std::vector<std::pair<std::string, int>> markers;  // marker, transactions left to hit
  bool quit = false;
  int wake[2] = {-1, -1};
  int listener = -1;
  // Upstream address.
  bool unix_socket = true;
  std::string socket_path;
  std::string tcp_host;
  std::string tcp_port;
  std::vector<std::unique_ptr<Session>> sessions;
};

namespace {

int Listen(int port, int* bound_port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 || ::listen(fd, 128) != 0) {
    ::close(fd);
    return -1;
  }
  socklen_t len = sizeof(addr);
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  *bound_port = ntohs(addr.sin_port);
  return fd;
}

int ConnectUpstream(const PgFaultProxy::State& state) {
  if (state.unix_socket) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, state.socket_path.c_str(), sizeof(addr.sun_path) - 1);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      ::close(fd);
      return -1;
    }
    return fd;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(state.tcp_host.c_str(), state.tcp_port.c_str(), &hints, &found) != 0) {
    return -1;
  }
  int fd = -1;
  for (addrinfo* a = found; a != nullptr && fd < 0; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd >= 0 && ::connect(fd, a->ai_addr, a->ai_addrlen) != 0) CloseFd(fd);
  }
  ::freeaddrinfo(found);
  return fd;
}

}  // namespace

PgFaultProxy::PgFaultProxy(const std::string& upstream_url) : state_(std::make_unique<State>()) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(upstream_url.c_str(), &error);
  if (options == nullptr) {
    std::string message = error != nullptr ? error : "cannot parse";
    if (error != nullptr) PQfreemem(error);
    throw std::runtime_error("PgFaultProxy: bad upstream URL: " + message);
  }
  std::map<std::string, std::string> values;
  for (PQconninfoOption* o = options; o->keyword != nullptr; ++o) {
    if (o->val != nullptr) values[o->keyword] = o->val;
  }
  PQconninfoFree(options);
  const std::string host = values.count("host") ? values["host"] : "/var/run/postgresql";
  const std::string upstream_port = values.count("port") ? values["port"] : "5432";
  if (!host.empty() && host[0] == '/') {
    state_->socket_path = host + "/.s.PGSQL." + upstream_port;
  } else {
    state_->unix_socket = false;
    state_->tcp_host = host;
    state_->tcp_port = upstream_port;
  }
  state_->listener = Listen(0, &port_);
  if (state_->listener < 0 || ::pipe2(state_->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
    throw std::runtime_error("PgFaultProxy: cannot listen on 127.0.0.1");
  }
  url_ = "postgresql://" + (values.count("user") ? values["user"] + "@" : std::string()) +
         "127.0.0.1:" + std::to_string(port_) + "/" + values["dbname"] +
         "?sslmode=disable&gssencmode=disable";
  thread_ = std::thread([this] { Loop(); });
}

PgFaultProxy::~PgFaultProxy() {
  {
    std::lock_guard lock(state_->mu);
    state_->quit = true;
  }
  const char byte = 'q';
  (void)!::write(state_->wake[1], &byte, 1);
  thread_.join();
  for (auto& s : state_->sessions) {
    CloseFd(s->client);
    CloseFd(s->server);
  }
  CloseFd(state_->listener);
  CloseFd(state_->wake[0]);
  CloseFd(state_->wake[1]);
}

void PgFaultProxy::DropAckAfterCommitOf(const std::string& marker, int times) {
  std::lock_guard lock(state_->mu);
  state_->markers.emplace_back(marker, times);
}

namespace {

// Follows one statement of a session's transaction: arms the session when the statement contains
// an armed marker, and, at its COMMIT, makes the session hold the server's answer.
void WatchStatement(PgFaultProxy::State& st, Session& s, const std::string& sql) {
  std::lock_guard lock(st.mu);
  if (sql.rfind("BEGIN", 0) == 0) s.marked = -1;  // a new transaction
  for (size_t m = 0; m < st.markers.size() && s.marked < 0; ++m) {
    const auto& [marker, left] = st.markers[m];
    if (left > 0 && sql.find(marker) != std::string::npos) s.marked = static_cast<int>(m);
  }
  if (IsCommit(sql) && s.marked >= 0) {
    // Claimed at COMMIT, so that two connections cannot both use the last one.
    int& left = st.markers[static_cast<size_t>(s.marked)].second;
    s.holding = left > 0;
    if (left > 0) --left;
    s.marked = -1;
  } else if (sql.find("ROLLBACK") != std::string::npos) {
    s.marked = -1;
  }
}

// Returns once the proxy thread has carried the change out (listener closed or open again), so
// that a test's next step sees the new network.
void SetMode(PgFaultProxy::State& state, Mode mode) {
  std::unique_lock lock(state.mu);
  state.mode = mode;
  const uint64_t generation = ++state.requested;
  const char byte = 'm';
  (void)!::write(state.wake[1], &byte, 1);
  state.applied_cv.wait(lock, [&] { return state.applied >= generation || state.quit; });
}
}  // namespace

void PgFaultProxy::Stall() { SetMode(*state_, Mode::kStall); }
void PgFaultProxy::Refuse() { SetMode(*state_, Mode::kRefuse); }
void PgFaultProxy::Restore() { SetMode(*state_, Mode::kForward); }

namespace {

// Takes complete client messages out of from_client: startup packets (answering SSL and GSS
// encryption requests with 'N' here) and typed messages, watching the SQL for the markers.
void ParseClient(PgFaultProxy::State& st, Session& s) {
  while (true) {
    if (!s.typed) {
      if (s.from_client.size() < 8) return;
      const uint32_t length = ReadInt32(s.from_client, 0);
      if (s.from_client.size() < length) return;
      const uint32_t code = ReadInt32(s.from_client, 4);
      if (code == kSslRequest || code == kGssEncRequest) {
        s.to_client.push_back('N');
      } else {
        s.to_server.append(s.from_client, 0, length);
        if (code >> 16 == 3) s.typed = true;  // protocol 3.x StartupMessage
      }
      s.from_client.erase(0, length);
      continue;
    }
    if (s.from_client.size() < 5) return;
    const uint32_t length = ReadInt32(s.from_client, 1);
    if (s.from_client.size() < 1 + length) return;
    const std::string sql = SqlOf(s.from_client[0], s.from_client.substr(5, length - 4));
    if (!sql.empty()) WatchStatement(st, s, sql);
    s.to_server.append(s.from_client, 0, 1 + length);
    s.from_client.erase(0, 1 + length);
  }
}

// Whether the server's answers to what the session has sent so far end with ReadyForQuery: then
// the held COMMIT's acknowledgement is complete, and is dropped with the connection.
bool HeldAnswerComplete(const Session& s) {
  size_t at = 0;
  while (s.from_server.size() >= at + 5) {
    const uint32_t length = ReadInt32(s.from_server, at + 1);
    if (s.from_server.size() < at + 1 + length) return false;
    if (s.from_server[at] == 'Z') return true;
    at += 1 + length;
  }
  return false;
}

// Carries out the mode asked for (Refuse closes everything and the listener; the others listen
// again), drops closed sessions and tells SetMode. nullopt when the proxy is quitting.
std::optional<Mode> ApplyMode(PgFaultProxy::State& st, int port) {
  Mode mode;
  uint64_t generation;
  {
    std::lock_guard lock(st.mu);
    if (st.quit) return std::nullopt;
    mode = st.mode;
    generation = st.requested;
  }
  if (mode == Mode::kRefuse) {
    for (auto& s : st.sessions) s->closed = true;
    CloseFd(st.listener);
  } else if (st.listener < 0) {
    int bound = 0;
    st.listener = Listen(port, &bound);
  }
  for (auto& s : st.sessions) {
    if (s->closed) {
      CloseFd(s->client);
      CloseFd(s->server);
    }
  }
  std::erase_if(st.sessions, [](const auto& s) { return s->closed; });
  {
    std::lock_guard lock(st.mu);
    st.applied = generation;
  }
  st.applied_cv.notify_all();
  return mode;
}

void Accept(PgFaultProxy::State& st) {
  const int client = ::accept4(st.listener, nullptr, nullptr, SOCK_CLOEXEC);
  if (client < 0) return;
  auto session = std::make_unique<Session>();
  session->client = client;
  session->server = ConnectUpstream(st);
  if (session->server < 0) session->closed = true;
  st.sessions.push_back(std::move(session));
}

// Moves bytes on one side of a session as poll() reported it. True when it dropped a held
// COMMIT's acknowledgement.
bool Transfer(PgFaultProxy::State& st, Session& s, bool server_side, short revents) {
  const int fd = server_side ? s.server : s.client;
  if (revents & POLLOUT) {
    std::string& out = server_side ? s.to_server : s.to_client;
    const ssize_t n = ::send(fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n > 0) out.erase(0, static_cast<size_t>(n));
    if (n < 0) s.closed = true;
  }
  if ((revents & (POLLIN | POLLHUP | POLLERR)) == 0 || s.closed) return false;
  char buffer[65536];
  const ssize_t n = ::recv(fd, buffer, sizeof(buffer), 0);
  if (n <= 0) {
    s.closed = true;
    return false;
  }
  if (!server_side) {
    s.from_client.append(buffer, static_cast<size_t>(n));
    ParseClient(st, s);
  } else if (s.holding) {
    s.from_server.append(buffer, static_cast<size_t>(n));
    if (HeldAnswerComplete(s)) {
      s.closed = true;
      return true;
    }
  } else {
    s.to_client.append(buffer, static_cast<size_t>(n));
  }
  return false;
}

}  // namespace

void PgFaultProxy::Loop() {
  State& st = *state_;
  while (true) {
    const std::optional<Mode> mode = ApplyMode(st, port_);
    if (!mode) return;
    // A stalled network moves nothing: only the wake-up pipe is watched.
    const bool forwarding = *mode == Mode::kForward;
    const bool listening = forwarding && st.listener >= 0;
    std::vector<pollfd> fds = {{st.wake[0], POLLIN, 0}};
    if (listening) fds.push_back({st.listener, POLLIN, 0});
    const size_t first_session_fd = fds.size();
    std::vector<std::pair<Session*, bool>> owners;  // per session fd: its session, server side?
    for (size_t i = 0; forwarding && i < st.sessions.size(); ++i) {
      Session* s = st.sessions[i].get();
      for (const bool server_side : {false, true}) {
        const int fd = server_side ? s->server : s->client;
        const bool pending = !(server_side ? s->to_server : s->to_client).empty();
        fds.push_back({fd, static_cast<short>(POLLIN | (pending ? POLLOUT : 0)), 0});
        owners.emplace_back(s, server_side);
      }
    }
    if (::poll(fds.data(), fds.size(), 100) < 0) continue;
    if (fds[0].revents & POLLIN) {
      char drain[64];
      while (::read(st.wake[0], drain, sizeof(drain)) > 0) {
      }
    }
    if (listening && (fds[1].revents & POLLIN)) Accept(st);
    for (size_t i = first_session_fd; i < fds.size(); ++i) {
      auto [s, server_side] = owners[i - first_session_fd];
      if (!s->closed && Transfer(st, *s, server_side, fds[i].revents)) ++acks_dropped_;
    }
  }
}

}  // namespace haystack::testing
