// The baseline for examples/beast_receiver in qurable-http-bench: a bare Boost.Beast server (asynchronous, one strand
// per connection, the example's two io_context threads) that reads each request with its body and answers 200 with a
// small JSON body, nothing else. Stops on SIGTERM/SIGINT.
//   bare_beast PORT   (0: a free one; prints "listening on http://127.0.0.1:PORT/webhooks")

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>
#include <vector>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {

class session : public std::enable_shared_from_this<session> {
 public:
  explicit session(tcp::socket&& socket) : stream_(std::move(socket)) {}
  void start() { net::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::read, shared_from_this())); }

 private:
  void read() {
    request_ = {};
    stream_.expires_after(std::chrono::seconds(30));
    http::async_read(stream_, buffer_, request_, beast::bind_front_handler(&session::on_read, shared_from_this()));
  }
  void on_read(beast::error_code ec, std::size_t) {
    if (ec) return;
    response_ = {};
    response_.version(request_.version());
    response_.result(http::status::ok);
    response_.set(http::field::content_type, "application/json");
    response_.body() = request_.body().empty() ? R"({"outcome":"empty"})" : R"({"outcome":"dispatched"})";
    response_.keep_alive(request_.keep_alive());
    response_.prepare_payload();
    http::async_write(stream_, response_, beast::bind_front_handler(&session::on_write, shared_from_this()));
  }
  void on_write(beast::error_code ec, std::size_t) {
    if (!ec && response_.keep_alive()) read();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request<http::string_body> request_;
  http::response<http::string_body> response_;
};

class listener : public std::enable_shared_from_this<listener> {
 public:
  listener(net::io_context& io, unsigned short port) : io_(io), acceptor_(net::make_strand(io)) {
    const tcp::endpoint at(net::ip::make_address("127.0.0.1"), port);
    acceptor_.open(at.protocol());
    acceptor_.set_option(net::socket_base::reuse_address(true));
    acceptor_.bind(at);
    acceptor_.listen(net::socket_base::max_listen_connections);
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }
  void accept() {
    acceptor_.async_accept(net::make_strand(io_), beast::bind_front_handler(&listener::on_accept, shared_from_this()));
  }

 private:
  void on_accept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted) return;
    if (!ec) std::make_shared<session>(std::move(socket))->start();
    accept();
  }
  net::io_context& io_;
  tcp::acceptor acceptor_;
};

}  // namespace

int main(int argc, char** argv) {
  const int threads = 2;
  net::io_context io{threads};
  auto server = std::make_shared<listener>(io, static_cast<unsigned short>(argc > 1 ? std::atoi(argv[1]) : 0));
  server->accept();
  std::printf("listening on http://127.0.0.1:%u/webhooks (bare Boost.Beast)\n", server->port());
  std::fflush(stdout);
  net::signal_set signals(io, SIGINT, SIGTERM);
  signals.async_wait([&io](beast::error_code, int) { io.stop(); });
  std::vector<std::thread> pool;
  for (int i = 1; i < threads; ++i) pool.emplace_back([&io] { io.run(); });
  io.run();
  for (std::thread& t : pool) t.join();
  return 0;
}
