// The baseline for examples/civetweb_receiver in qurable-http-bench: a bare civetweb server that reads each POST's
// body and answers 200 with a small JSON body, nothing else. The example's civetweb options (threads, keep-alive,
// TCP_NODELAY). Stops on SIGTERM/SIGINT.
//   bare_civetweb PORT   (0: a free one; prints "listening on http://127.0.0.1:PORT/webhooks")

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>

#include <pthread.h>

#include <civetweb.h>

namespace {

int on_post(mg_connection* conn, void*) {
  char buffer[16 * 1024];
  std::size_t size = 0;
  for (int n; (n = mg_read(conn, buffer, sizeof buffer)) > 0;) size += static_cast<std::size_t>(n);
  const char* body = size > 0 ? R"({"outcome":"dispatched"})" : R"({"outcome":"empty"})";
  mg_response_header_start(conn, 200);
  mg_response_header_add(conn, "Content-Type", "application/json", -1);
  mg_response_header_add(conn, "Content-Length", std::to_string(std::string(body).size()).c_str(), -1);
  mg_response_header_send(conn);
  mg_write(conn, body, std::string(body).size());
  return 200;
}

}  // namespace

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  mg_init_library(0);
  const std::string ports = "127.0.0.1:" + std::string(argc > 1 ? argv[1] : "0");
  const char* config[] = {"listening_ports",       ports.c_str(), "num_threads", "32",
                          "enable_keep_alive",     "yes",         "tcp_nodelay", "1",
                          "keep_alive_timeout_ms", "5000",        nullptr};
  mg_callbacks callbacks{};
  mg_context* server = mg_start(&callbacks, nullptr, config);
  if (server == nullptr) return 1;
  mg_set_request_handler(server, "/webhooks", on_post, nullptr);
  mg_server_port bound[1] = {};
  if (mg_get_server_ports(server, 1, bound) < 1) return 1;
  std::printf("listening on http://127.0.0.1:%d/webhooks (bare civetweb)\n", bound[0].port);
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  mg_stop(server);
  mg_exit_library();
  return 0;
}
