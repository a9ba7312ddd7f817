// The baseline for the cpp-httplib examples in qurable-http-bench: a bare cpp-httplib server that reads each POST's
// body and answers 200 with a small JSON body, nothing else (no signature, no parse, no log line). TCP_NODELAY on,
// the same worker count and keep-alive bounds as examples/common/httplib_server.hpp. Stops on SIGTERM/SIGINT.
//   bare_httplib PORT   (0: a free one; prints "listening on http://127.0.0.1:PORT/webhooks")

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <pthread.h>

#include <httplib.h>

int main(int argc, char** argv) {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  httplib::Server server;
  server.new_task_queue = [] { return new httplib::ThreadPool(32); };
  server.set_tcp_nodelay(true);
  server.set_keep_alive_max_count(10000);
  server.set_keep_alive_timeout(5);
  server.Post("/webhooks", [](const httplib::Request& req, httplib::Response& res) {
    res.set_content(req.body.empty() ? R"({"outcome":"empty"})" : R"({"outcome":"dispatched"})", "application/json");
  });
  const int wanted = argc > 1 ? std::atoi(argv[1]) : 0;
  const int port =
      wanted == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", wanted) ? wanted : -1);
  if (port < 0) return 1;
  std::thread listener([&server] { server.listen_after_bind(); });
  std::printf("listening on http://127.0.0.1:%d/webhooks (bare cpp-httplib)\n", port);
  std::fflush(stdout);
  int signal = 0;
  sigwait(&signals, &signal);
  server.stop();
  listener.join();
  return 0;
}
