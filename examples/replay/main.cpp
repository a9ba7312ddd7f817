// qurable-replay: the dead letters of the durable hand-off (Redis Streams), for an operator after a fix.
//
//   qurable-replay [connection] list                 one line per dead letter: id, type, key, outcome, error, age
//   qurable-replay [connection] requeue ID [ID...]   moves these entries back to the work stream
//   qurable-replay [connection] requeue --all        moves every entry back
//
// connection: --host H (127.0.0.1) --port P (6379) | --socket PATH, --password P, --stream KEY, --dead KEY (the
// defaults of qurable::webhooks::redis_stream_options). Re-queued events go through the workers' idempotency: one
// processed meanwhile is acknowledged as a duplicate. Exit status: 0 done, 1 Redis failed or an ID was not found,
// 2 bad arguments.

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include <qurable/webhooks/queue/redis_dead_letters.hpp>

namespace qw = qurable::webhooks;

namespace {

int usage(const char* why) {
  std::fprintf(stderr,
               "qurable-replay: %s\n"
               "usage: qurable-replay [--host H] [--port P] [--socket PATH] [--password P] [--stream KEY] "
               "[--dead KEY] list | requeue (--all | ID...)\n",
               why);
  return 2;
}

// The error message, one line, at most 80 bytes (dead letters can hold long messages).
std::string short_text(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out += (c == '\n' || c == '\t') ? ' ' : c;
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  qw::redis_stream_options o;
  std::vector<std::string> rest;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    const bool has_value = i + 1 < argc;
    if (a == "--host" && has_value) {
      o.connection.host = argv[++i];
    } else if (a == "--port" && has_value) {
      o.connection.port = std::atoi(argv[++i]);
    } else if (a == "--socket" && has_value) {
      o.connection.unix_socket = argv[++i];
    } else if (a == "--password" && has_value) {
      o.connection.password = argv[++i];
    } else if (a == "--stream" && has_value) {
      o.stream = argv[++i];
    } else if (a == "--dead" && has_value) {
      o.dead_letter_stream = argv[++i];
    } else {
      rest.emplace_back(a);
    }
  }
  if (rest.empty()) return usage("no command");
  qw::redis_dead_letters dead(o);

  if (rest[0] == "list" && rest.size() == 1) {
    std::vector<qw::dead_letter_entry> batch;
    std::string after = "-";
    // dead_ms is Unix time in milliseconds, as the worker wrote it.
    const long long now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
            .count();
    std::size_t total = 0;
    for (;;) {
      if (!dead.list(batch, 500, after)) {
        std::fprintf(stderr, "qurable-replay: %s\n", dead.last_error().c_str());
        return 1;
      }
      if (batch.empty()) break;
      for (const qw::dead_letter_entry& d : batch) {
        std::printf("%s type=%s key=%s outcome=%s attempts=%s age=%llds error=\"%s\"\n", d.id.c_str(),
                    d.event_type.c_str(), d.event_key.c_str(), d.outcome.c_str(), d.attempts.c_str(),
                    (now - d.dead_ms) / 1000, short_text(d.error).c_str());
      }
      total += batch.size();
      after = batch.back().id;
    }
    std::printf("%zu dead letter(s) in %s\n", total, o.dead_letter_stream.c_str());
    return 0;
  }
  if (rest[0] == "requeue" && rest.size() == 2 && rest[1] == "--all") {
    const long long moved = dead.requeue_all();
    if (moved < 0) {
      std::fprintf(stderr, "qurable-replay: %s\n", dead.last_error().c_str());
      return 1;
    }
    std::printf("requeued %lld entr%s into %s\n", moved, moved == 1 ? "y" : "ies", o.stream.c_str());
    return 0;
  }
  if (rest[0] == "requeue" && rest.size() >= 2) {
    int status = 0;
    for (std::size_t i = 1; i < rest.size(); ++i) {
      const int r = dead.requeue(rest[i]);
      if (r == 1) {
        std::printf("requeued %s\n", rest[i].c_str());
      } else if (r == 0) {
        std::fprintf(stderr, "qurable-replay: no dead letter %s\n", rest[i].c_str());
        status = 1;
      } else {
        std::fprintf(stderr, "qurable-replay: %s\n", dead.last_error().c_str());
        return 1;
      }
    }
    return status;
  }
  return usage("unknown command");
}
