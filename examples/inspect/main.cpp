// qurable-inspect: runs one webhook body through the SDK's receive path, exactly as an HTTP handler would, and
// prints how it ended as one line of JSON. See docs/inspect.md.

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#ifdef _WIN32
#include <fcntl.h>
#include <io.h>
#endif

#include <simdjson.h>

#include <qurable/webhooks.hpp>

#include "event_json.hpp"
#include "json_writer.hpp"

namespace qw = qurable::webhooks;

namespace {

constexpr int exit_accepted = 0;  // dispatched or unhandled: the platform would get a 2xx
constexpr int exit_rejected = 1;  // rejected (or a handler failure): the platform would get a 4xx/5xx
constexpr int exit_usage = 2;     // bad arguments or an unreadable input

constexpr std::string_view usage_text =
    R"(Usage: qurable-inspect [--dump] [--strict] <file | ->

Runs one webhook body (a file, or - for stdin) through qurable::webhooks::receive with a visitor that handles
member-created, coupon-code-assigned and coupon-code-used and has no fallback, and prints one line of JSON:

  {"outcome":"dispatched"|"unhandled"|"rejected","http_status":N,"event_type":"...",
   "loyalty_event_key":"...","drift":[{"path":"...","expected":"...","found":"..."}],
   "error":{"code":"...","message":"...","path":"..."}}

event_type and loyalty_event_key appear when known, drift only when a documented field came with another
JSON type (read as absent), error only when rejected, path only when not empty.

Options:
  --dump      for an accepted event, print instead the event rendered back to JSON from the SDK's typed
              views ({"event":{...}}, the platform's field names), to see exactly what a handler gets:
              - the writer walks the SDK's field descriptions (schema<T>): every field the SDK
                models is printed when it has a value; a null or absent optional field, an empty
                optional list, and for an unknown type any envelope field it left out, are left out
                (the SDK cannot tell null from absent);
              - identifiers the platform may send as a string or a number (loyaltyEventId,
                revertedUsageId, the payload's publicLoyaltyMemberId) print as strings (the SDK
                keeps a number as its digits);
              - free-form values (customAttributes, tags, lastError, evaluationResults, onChain.wallets)
                print as their JSON text without insignificant whitespace;
              - an unknown type prints its envelope with executionResults and payload as raw JSON.
              A rejected body prints the usual outcome line.
  --strict    reject a documented field of another JSON type (wrong_type, 422) instead of reading it
              as absent with a drift record (parser_options::strict)
  -h, --help  print this help
  --          end of options (for a file whose name starts with -)

Exit status: 0 dispatched or unhandled, 1 rejected, 2 usage error or unreadable input.
)";

struct options {
  bool dump = false;
  bool strict = false;
  bool help = false;
  const char* input = nullptr;  // a path, or "-" for stdin
};

// Returns an empty string on success, else what is wrong with the arguments.
std::string parse_arguments(int argc, char** argv, options& opts) {
  bool options_ended = false;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (!options_ended && arg == "--") {
      options_ended = true;
    } else if (!options_ended && arg == "--dump") {
      opts.dump = true;
    } else if (!options_ended && arg == "--strict") {
      opts.strict = true;
    } else if (!options_ended && (arg == "--help" || arg == "-h")) {
      opts.help = true;
    } else if (!options_ended && arg.size() > 1 && arg[0] == '-') {
      return "unknown option '" + std::string(arg) + "'";
    } else if (opts.input != nullptr) {
      return "expected one input, got '" + std::string(opts.input) + "' and '" + std::string(arg) + "'";
    } else {
      opts.input = argv[i];
    }
  }
  if (!opts.help && opts.input == nullptr) return "no input given (a file, or - for stdin)";
  return {};
}

// Reads at most `limit` bytes into `body`, leaving SIMDJSON_PADDING spare bytes of capacity so that the parser
// reads the string in place instead of copying it. Reading stops past the parser's maximum: such a body is
// rejected (413) whatever follows, and reading a runaway stream to its end would only waste memory.
bool read_body(std::FILE* in, std::size_t limit, std::string& body) {
  body.reserve(64 * 1024 + simdjson::SIMDJSON_PADDING);
  char chunk[64 * 1024];
  while (body.size() < limit) {
    const std::size_t wanted = limit - body.size() < sizeof chunk ? limit - body.size() : sizeof chunk;
    const std::size_t got = std::fread(chunk, 1, wanted, in);
    if (got == 0) break;
    if (body.capacity() < body.size() + got + simdjson::SIMDJSON_PADDING) {
      body.reserve(2 * (body.size() + got) + simdjson::SIMDJSON_PADDING);
    }
    body.append(chunk, got);
  }
  if (std::ferror(in)) return false;
  body.reserve(body.size() + simdjson::SIMDJSON_PADDING);  // a no-op unless the loop never ran
  return true;
}

bool read_input(const char* path, std::size_t limit, std::string& body, std::string& error) {
  if (std::strcmp(path, "-") == 0) {
#ifdef _WIN32
    _setmode(_fileno(stdin), _O_BINARY);
#endif
    if (read_body(stdin, limit, body)) return true;
    error = std::string("cannot read stdin: ") + std::strerror(errno);
    return false;
  }
  std::FILE* file = std::fopen(path, "rb");
  if (file == nullptr) {
    error = std::string("cannot open '") + path + "': " + std::strerror(errno);
    return false;
  }
  const bool ok = read_body(file, limit, body);
  const int read_errno = errno;
  std::fclose(file);
  if (!ok) error = std::string("cannot read '") + path + "': " + std::strerror(read_errno);
  return ok;
}

std::string outcome_to_json(const qw::outcome& result, qw::array_view<qw::drift_record> drift) {
  qurable_inspect::json_writer w;
  w.begin_object();
  w.key("outcome").string(qw::to_string(result.kind));
  w.key("http_status").integer(result.http_status);
  if (!result.event_type.empty()) w.key("event_type").string(result.event_type);
  if (!result.loyalty_event_key.empty()) w.key("loyalty_event_key").string(result.loyalty_event_key);
  if (!drift.empty()) {
    w.key("drift").begin_array();
    for (const qw::drift_record& d : drift) {
      w.begin_object();
      w.key("path").string(d.path);
      w.key("expected").string(qw::to_string(d.expected));
      w.key("found").string(d.found);
      w.end_object();
    }
    w.end_array();
  }
  if (!result.acknowledged()) {
    w.key("error").begin_object();
    w.key("code").string(qw::to_string(result.code));
    w.key("message").string(result.message);
    if (!result.path.empty()) w.key("path").string(result.path);
    w.end_object();
  }
  w.end_object();
  return w.str();
}

int print_line(const std::string& line) {
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fputc('\n', stdout);
  if (std::fflush(stdout) != 0) {
    std::fprintf(stderr, "qurable-inspect: cannot write the output: %s\n", std::strerror(errno));
    return exit_usage;
  }
  return exit_accepted;
}

}  // namespace

int main(int argc, char** argv) {
  options opts;
  if (const std::string problem = parse_arguments(argc, argv, opts); !problem.empty()) {
    std::fprintf(stderr, "qurable-inspect: %s\nTry 'qurable-inspect --help'.\n", problem.c_str());
    return exit_usage;
  }
  if (opts.help) {
    std::fwrite(usage_text.data(), 1, usage_text.size(), stdout);
    return std::fflush(stdout) == 0 ? exit_accepted : exit_usage;
  }

  qw::parser_options parser_options;
  parser_options.strict = opts.strict;
  qw::parser parser(parser_options);
  std::string body;
  std::string read_error;
  if (!read_input(opts.input, parser.options().max_body_size + 1, body, read_error)) {
    std::fprintf(stderr, "qurable-inspect: %s\n", read_error.c_str());
    return exit_usage;
  }

  // The handlers a service would write, minus the work: with --dump they render what they were given.
  std::string dump;
  auto visitor = qw::overloaded{
      [&](const qw::member_created& e) {
        if (opts.dump) dump = qurable_inspect::event_to_json(e);
      },
      [&](const qw::coupon_event& e) {
        if (opts.dump) dump = qurable_inspect::event_to_json(e);
      },
  };
  const qw::outcome result = qw::receive(parser, body, visitor);

  if (opts.dump && result.acknowledged()) {
    if (result.kind == qw::outcome_kind::unhandled) {
      // No handler saw it (no fallback, on purpose): parse the same body again to reach its envelope.
      const qw::parse_result reparsed = parser.parse(body);
      if (!reparsed) {
        std::fprintf(stderr, "qurable-inspect: the body parsed differently the second time\n");
        return exit_usage;
      }
      dump = qurable_inspect::event_to_json(*reparsed);
    }
    return print_line(dump);
  }
  const int status = print_line(outcome_to_json(result, parser.drift()));
  if (status != exit_accepted) return status;
  return result.acknowledged() ? exit_accepted : exit_rejected;
}
