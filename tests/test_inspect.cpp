// qurable-inspect, tested as a user runs it: the built binary in a child process, bodies from files or stdin, its
// stdout, stderr and exit status checked; --dump output compared with the input, both parsed by simdjson's DOM.

#include "catch.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <simdjson.h>

#include <qurable/webhooks.hpp>

namespace {

const std::string fixtures = QURABLE_FIXTURES_DIR;
const std::string variants = fixtures + "/inspect";
const std::string bundled[] = {"member-created", "coupon-code-assigned", "coupon-code-used"};

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string replace_once(std::string text, std::string_view from, std::string_view to) {
  const auto at = text.find(from);
  REQUIRE(at != std::string::npos);
  return text.replace(at, from.size(), to);
}

struct run_result {
  int status = -1;  // the exit status; -1 when the process did not exit normally
  std::string out;
  std::string err;
};

// Runs qurable-inspect with `args`, feeding `input` on its stdin (empty: stdin at end-of-file at once).
run_result run_inspect(const std::vector<std::string>& args, const std::string& input = {}) {
  std::vector<std::string> argv_storage{QURABLE_INSPECT_EXE};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& a : argv_storage) argv.push_back(a.data());
  argv.push_back(nullptr);

  int in[2], out[2], err[2];
  REQUIRE(pipe(in) == 0);
  REQUIRE(pipe(out) == 0);
  REQUIRE(pipe(err) == 0);
  signal(SIGPIPE, SIG_IGN);  // the tool may exit without reading its stdin (usage errors)
  const pid_t pid = fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    for (int fd : {in[0], in[1], out[0], out[1], err[0], err[1]}) close(fd);
    execv(argv[0], argv.data());
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  fcntl(in[1], F_SETFL, fcntl(in[1], F_GETFL) | O_NONBLOCK);

  run_result result;
  int in_fd = in[1], out_fd = out[0], err_fd = err[0];
  std::size_t written = 0;
  if (input.empty()) {
    close(in_fd);
    in_fd = -1;
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (in_fd >= 0 || out_fd >= 0 || err_fd >= 0) {
    pollfd fds[3] = {{in_fd, POLLOUT, 0}, {out_fd, POLLIN, 0}, {err_fd, POLLIN, 0}};
    if (std::chrono::steady_clock::now() > deadline) {
      kill(pid, SIGKILL);
      FAIL("qurable-inspect did not finish within 30 s");
    }
    if (poll(fds, 3, 1000) < 0) {
      REQUIRE(errno == EINTR);
      continue;
    }
    if (in_fd >= 0 && (fds[0].revents & (POLLOUT | POLLERR | POLLHUP))) {
      const ssize_t n = write(in_fd, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if ((n < 0 && errno != EAGAIN && errno != EINTR) || written == input.size()) {
        close(in_fd);
        in_fd = -1;
      }
    }
    for (auto [fd, index, text] : {std::tuple{&out_fd, 1, &result.out}, std::tuple{&err_fd, 2, &result.err}}) {
      if (*fd < 0 || !(fds[index].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      char buffer[65536];
      const ssize_t n = read(*fd, buffer, sizeof buffer);
      if (n > 0) {
        text->append(buffer, static_cast<std::size_t>(n));
      } else if (n == 0 || errno != EINTR) {
        close(*fd);
        *fd = -1;
      }
    }
  }
  int wait_status = 0;
  REQUIRE(waitpid(pid, &wait_status, 0) == pid);
  if (WIFEXITED(wait_status)) result.status = WEXITSTATUS(wait_status);
  return result;
}

// --- structural comparison of two JSON documents -------------------------------------------------------------------
using simdjson::dom::element;
using simdjson::dom::element_type;

bool is_number(element_type t) {
  return t == element_type::INT64 || t == element_type::UINT64 || t == element_type::DOUBLE;
}

// Equal values, whatever the order of object members and the spelling of strings and numbers. A member that is null
// on the right may be absent on the left: --dump leaves out what has no value (the SDK cannot tell null from
// absent). On a difference, `where` gets its JSON Pointer and what differs.
bool same_json(element a, element b, const std::string& path, std::string& where) {
  const element_type ta = a.type(), tb = b.type();
  if (is_number(ta) && is_number(tb)) {
    bool equal = false;
    if (ta == tb && ta == element_type::INT64) {
      equal = int64_t(a) == int64_t(b);
    } else if (ta == tb && ta == element_type::UINT64) {
      equal = uint64_t(a) == uint64_t(b);
    } else {
      equal = double(a) == double(b);
    }
    if (!equal) where = path + ": " + simdjson::minify(a) + " != " + simdjson::minify(b);
    return equal;
  }
  if (ta != tb) {
    where = path + ": " + simdjson::minify(a) + " != " + simdjson::minify(b);
    return false;
  }
  switch (ta) {
    case element_type::OBJECT: {
      std::set<std::string_view> keys_a, keys_b;
      for (auto [key, value] : simdjson::dom::object(a)) {
        if (!keys_a.insert(key).second) {
          where = path + "/" + std::string(key) + ": duplicate member";
          return false;
        }
      }
      for (auto [key, value] : simdjson::dom::object(b)) keys_b.insert(key);
      for (auto key : keys_b) {
        if (!keys_a.count(key) && !simdjson::dom::object(b)[key].is_null()) {
          where = path + "/" + std::string(key) + ": missing on the left";
          return false;
        }
      }
      for (auto [key, value] : simdjson::dom::object(a)) {
        if (!keys_b.count(key)) {
          where = path + "/" + std::string(key) + ": missing on the right";
          return false;
        }
        if (!same_json(value, simdjson::dom::object(b)[key], path + "/" + std::string(key), where)) return false;
      }
      return true;
    }
    case element_type::ARRAY: {
      simdjson::dom::array xa(a), xb(b);
      if (xa.size() != xb.size()) {
        where = path + ": arrays of " + std::to_string(xa.size()) + " and " + std::to_string(xb.size()) + " items";
        return false;
      }
      for (std::size_t i = 0; i < xa.size(); ++i) {
        if (!same_json(xa.at(i), xb.at(i), path + "/" + std::to_string(i), where)) return false;
      }
      return true;
    }
    case element_type::STRING:
      if (std::string_view(a) == std::string_view(b)) return true;
      where = path + ": \"" + std::string(std::string_view(a)) + "\" != \"" + std::string(std::string_view(b)) + "\"";
      return false;
    case element_type::BOOL:
      if (bool(a) == bool(b)) return true;
      where = path + ": booleans differ";
      return false;
    default:  // null
      return true;
  }
}

// Parses each text with its own DOM parser and compares them.
void require_same_json(const std::string& actual, const std::string& expected) {
  simdjson::dom::parser pa, pb;
  element a, b;
  INFO("actual: " << actual);
  REQUIRE(pa.parse(simdjson::padded_string(actual)).get(a) == simdjson::SUCCESS);
  REQUIRE(pb.parse(simdjson::padded_string(expected)).get(b) == simdjson::SUCCESS);
  std::string where;
  const bool same = same_json(a, b, "", where);
  INFO("first difference at " << where);
  CHECK(same);
}

// The single line an output must be: text, then exactly one newline.
std::string single_line(const run_result& r) {
  REQUIRE(!r.out.empty());
  REQUIRE(r.out.back() == '\n');
  REQUIRE(r.out.find('\n') == r.out.size() - 1);
  return r.out.substr(0, r.out.size() - 1);
}

std::string dispatched_line(std::string_view type, std::string_view key, std::string_view kind = "dispatched") {
  return std::string(R"({"outcome":")") + std::string(kind) + R"(","http_status":200,"event_type":")" +
         std::string(type) + R"(","loyalty_event_key":")" + std::string(key) + R"("})";
}

const char* key_of(std::string_view fixture) {
  if (fixture == "member-created") return "ev_01JSKZG24NMDB0RRQHF247NSCX";
  if (fixture == "coupon-code-assigned") return "ev_01JSG9YM0YZHBS9X3G0VMVMAW6";
  return "ev_c11viQYM0YZHBS9X3G0VMVyfMQ";
}

}  // namespace

TEST_CASE("inspect: each bundled example event is dispatched, from a file and from stdin") {
  for (const std::string& name : bundled) {
    INFO(name);
    const std::string path = fixtures + "/" + name + ".json";
    const run_result from_file = run_inspect({path});
    CHECK(from_file.status == 0);
    CHECK(from_file.err.empty());
    CHECK(single_line(from_file) == dispatched_line(name, key_of(name)));

    const run_result from_stdin = run_inspect({"-"}, read_file(path));
    CHECK(from_stdin.status == 0);
    CHECK(from_stdin.out == from_file.out);
  }
}

TEST_CASE("inspect: an unknown event type is unhandled, acknowledged with 200, exit 0") {
  const run_result r = run_inspect({fixtures + "/unknown-type.json"});
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK(single_line(r) == dispatched_line("points-earned", "ev_01JT3M8Q6ZK2V4X9B7N5C1D0EF", "unhandled"));

  // Only eventType is required of an unknown type; loyalty_event_key is left out when the event has none.
  const run_result bare = run_inspect({"-"}, R"({"event":{"eventType":"tier-changed"}})");
  CHECK(bare.status == 0);
  CHECK(single_line(bare) == R"({"outcome":"unhandled","http_status":200,"event_type":"tier-changed"})");
}

namespace {

struct rejection {
  const char* name;
  std::string body;
  const char* code;
  int http_status;
  const char* path;     // nullptr: no path expected
  bool strict = false;  // run with --strict (a default run reads a field of another JSON type as drift)
};

// Checks one rejected outcome line, parsed, field by field.
void check_rejection(const run_result& r, const char* code, int http_status, const char* path) {
  CHECK(r.status == 1);
  const std::string line = single_line(r);
  INFO("output: " << line);
  simdjson::dom::parser parser;
  simdjson::dom::object out;
  REQUIRE(parser.parse(simdjson::padded_string(line)).get(out) == simdjson::SUCCESS);
  CHECK(std::string_view(out["outcome"]) == "rejected");
  CHECK(int64_t(out["http_status"]) == http_status);
  CHECK(out["event_type"].error() == simdjson::NO_SUCH_FIELD);
  CHECK(out["loyalty_event_key"].error() == simdjson::NO_SUCH_FIELD);
  simdjson::dom::object error;
  REQUIRE(out["error"].get(error) == simdjson::SUCCESS);
  CHECK(std::string_view(error["code"]) == code);
  CHECK(!std::string_view(error["message"]).empty());
  if (path == nullptr) {
    CHECK(error["path"].error() == simdjson::NO_SUCH_FIELD);
  } else {
    std::string_view actual;
    REQUIRE(error["path"].get(actual) == simdjson::SUCCESS);
    CHECK(actual == path);
  }
}

}  // namespace

TEST_CASE("inspect: rejected bodies exit 1 with their error code, HTTP status and JSON Pointer") {
  const std::string member = read_file(fixtures + "/member-created.json");
  const std::string used = read_file(fixtures + "/coupon-code-used.json");
  std::string not_utf8 = member;
  not_utf8[not_utf8.find("John")] = '\xFF';

  const rejection cases[] = {
      {"empty", "", "empty_body", 400, nullptr},
      {"blank", " \r\n\t ", "empty_body", 400, nullptr},
      {"not JSON", "hello, webhook", "invalid_json", 400, nullptr},
      {"truncated", member.substr(0, member.size() / 2), "invalid_json", 400, nullptr},
      {"not UTF-8", not_utf8, "invalid_utf8", 400, nullptr},
      {"structural error in an unknown member", R"({"event":{"eventType":"points-earned","a":{"b":1,}}})",
       "invalid_json", 400, "/event/a"},
      {"content after the document", member + " x", "trailing_content", 400, nullptr},
      {"an array", "[1, 2, 3]", "not_an_object", 422, nullptr},
      {"no event", R"({"events": {}})", "missing_event", 422, nullptr},
      {"no eventType", R"({"event": {"status": "success"}})", "missing_event_type", 422, "/event"},
      {"loyaltyEventKey is a number (routing: never drift)",
       replace_once(member, R"("loyaltyEventKey": "ev_01JSKZG24NMDB0RRQHF247NSCX")", R"("loyaltyEventKey": 7)"),
       "wrong_type", 422, "/event/loyaltyEventKey"},
      {"status is a number", replace_once(member, R"("status": "success")", R"("status": 7)"), "wrong_type", 422,
       "/event/status", true},
      {"tier id is a string", replace_once(member, R"("loyaltyTierId": 1)", R"("loyaltyTierId": "1")"), "wrong_type",
       422, "/event/executionResults/tiers/0/loyaltyTierId", true},
      {"discountAmount is a string", replace_once(used, R"("discountAmount": 20)", R"("discountAmount": "20")"),
       "wrong_type", 422, "/event/payload/couponBook/discountAmount", true},
      {"couponUsageKey is missing", replace_once(used, R"("couponUsageKey": "cbu_01JJQ1KNAEV5E0RVZPE0E27AR7",)", ""),
       "missing_field", 422, "/event/executionResults/couponUsageKey"},
  };
  for (const rejection& c : cases) {
    INFO(c.name);
    const run_result r = c.strict ? run_inspect({"--strict", "-"}, c.body) : run_inspect({"-"}, c.body);
    check_rejection(r, c.code, c.http_status, c.path);
  }
}

TEST_CASE("inspect: a body over the parser's limit is rejected with 413 without reading it all") {
  const std::string huge(3u << 20, ' ');  // 3 MiB, over the default 1 MiB
  check_rejection(run_inspect({"-"}, huge), "body_too_large", 413, nullptr);
}

TEST_CASE("inspect: the error path is the SDK's, with '/' and '~' escaped as a JSON Pointer, then as JSON") {
  // An unknown member nested deeper than the parser's max_depth (64): reported under its own name, which
  // needs JSON escaping in the output (a quote and, since the SDK keeps a key's escapes in paths, a backslash).
  std::string body = R"({"event":{"eventType":"points-earned","a/b~c\"":)";
  body += std::string(100, '[') + std::string(100, ']') + "}}";
  const run_result r = run_inspect({"-"}, body);
  CHECK(r.status == 1);
  simdjson::dom::parser parser;
  simdjson::dom::element out;
  REQUIRE(parser.parse(simdjson::padded_string(single_line(r))).get(out) == simdjson::SUCCESS);
  CHECK(std::string_view(out["error"]["code"]) == "nesting_too_deep");
  CHECK(int64_t(out["http_status"]) == 400);
  const std::string_view path = out["error"]["path"];
  CHECK(path.substr(0, 14) == "/event/a~1b~0c");

  qurable::webhooks::parser sdk;
  const auto expected = sdk.parse(body);
  REQUIRE(!expected);
  CHECK(path == expected.error().path);
  CHECK(std::string_view(out["error"]["message"]) == expected.error().message);
}

TEST_CASE("inspect: --dump of a rejected body prints the outcome line and exits 1") {
  const std::string member = read_file(fixtures + "/member-created.json");
  const run_result r =
      run_inspect({"--dump", "--strict", "-"}, replace_once(member, R"("active": true)", R"("active": 1)"));
  check_rejection(r, "wrong_type", 422, "/event/executionResults/active");
}

TEST_CASE("inspect: usage errors exit 2 with a message on stderr and nothing on stdout") {
  const std::string member = fixtures + "/member-created.json";
  const std::vector<std::vector<std::string>> bad = {
      {},         {"--dump"}, {member, member}, {"--verbose", member}, {fixtures + "/no-such-file.json"},
      {fixtures},  // a directory
  };
  for (const auto& args : bad) {
    std::string joined;
    for (const auto& a : args) joined += a + " ";
    INFO("args: " << joined);
    const run_result r = run_inspect(args, "{}");
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err.rfind("qurable-inspect: ", 0) == 0);
  }
  const run_result missing = run_inspect({fixtures + "/no-such-file.json"});
  CHECK(missing.err.find("no-such-file.json") != std::string::npos);
}

TEST_CASE("inspect: --help prints the usage and the --dump rules, exit 0") {
  const run_result r = run_inspect({"--help"});
  CHECK(r.status == 0);
  CHECK(r.err.empty());
  CHECK(r.out.rfind("Usage: qurable-inspect", 0) == 0);
  CHECK(r.out.find("--dump") != std::string::npos);
  CHECK(r.out.find("null") != std::string::npos);
  CHECK(run_inspect({"-h"}).out == r.out);
}

TEST_CASE("inspect: --dump of each bundled event equals the event, value by value") {
  for (const std::string& name : bundled) {
    INFO(name);
    const std::string path = fixtures + "/" + name + ".json";
    const run_result r = run_inspect({"--dump", path});
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    require_same_json(single_line(r), read_file(path));
    CHECK(run_inspect({"--dump", "-"}, read_file(path)).out == r.out);
  }
}

TEST_CASE("inspect: --dump of an unknown type gives its envelope with executionResults and payload as JSON") {
  const std::string path = fixtures + "/unknown-type.json";
  const run_result r = run_inspect({"--dump", path});
  CHECK(r.status == 0);
  require_same_json(single_line(r), read_file(path));

  const run_result bare = run_inspect({"--dump", "-"}, R"({"event":{"eventType":"tier-changed","extra":[1]}})");
  CHECK(bare.status == 0);
  CHECK(single_line(bare) == R"({"event":{"eventType":"tier-changed"}})");
}

TEST_CASE("inspect: --dump ignores member order and unknown members") {
  for (const char* name : {"member-created", "coupon-code-used"}) {
    INFO(name);
    const run_result r = run_inspect({"--dump", variants + "/" + name + "-reordered.json"});
    CHECK(r.status == 0);
    require_same_json(single_line(r), read_file(fixtures + "/" + name + ".json"));
  }
  const std::string unknown = read_file(fixtures + "/unknown-type.json");
  const run_result r = run_inspect(
      {"--dump", "-"}, replace_once(unknown, R"("event": {)", R"("event": {"futureField": {"a": [1, {"b": null}]},)"));
  require_same_json(single_line(r), unknown);
}

TEST_CASE("inspect: --dump escapes strings and keeps numbers and free-form JSON exact") {
  const std::string path = variants + "/coupon-code-assigned-values.json";
  const run_result r = run_inspect({"--dump", path});
  CHECK(r.status == 0);
  const std::string line = single_line(r);
  require_same_json(line, read_file(path));
  CHECK(line.find(R"("code":"Py\tMs\nNL\r\b\f\u0001\u001f")") != std::string::npos);
  CHECK(line.find(R"("discountAmount":12.5,)") != std::string::npos);
  CHECK(line.find(R"("lastError":{"code":"E_TIMEOUT","retries":[1,2]})") != std::string::npos);
}

TEST_CASE("inspect: --dump writes discountAmount as the shortest number that reads back the same") {
  const std::string used = read_file(fixtures + "/coupon-code-used.json");
  const std::pair<const char*, const char*> amounts[] = {
      {"20", "20"},
      {"20.0", "20"},
      {"12.5", "12.5"},
      {"0.1", "0.1"},
      {"1234567", "1234567"},
      {"1e21", "1e+21"},
      {"-0.5", "-0.5"},
      {"0.000001", "1e-06"},
      {"2.5e-7", "2.5e-07"},
      {"123456789.123456789", "123456789.12345679"},
      {"1.7976931348623157e308", "1.7976931348623157e+308"},
  };
  for (const auto& [input, expected] : amounts) {
    INFO("discountAmount " << input);
    const std::string body = replace_once(used, R"("discountAmount": 20)", std::string("\"discountAmount\": ") + input);
    const run_result r = run_inspect({"--dump", "-"}, body);
    CHECK(r.status == 0);
    const std::string line = single_line(r);
    CHECK(line.find(std::string("\"discountAmount\":") + expected + ",") != std::string::npos);
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.parse(simdjson::padded_string(line)).get(doc) == simdjson::SUCCESS);
    CHECK(double(doc.at_pointer("/event/payload/couponBook/discountAmount")) == std::strtod(input, nullptr));
  }
}

TEST_CASE("inspect: --dump leaves out optional fields that have no value") {
  const run_result r = run_inspect({"--dump", variants + "/member-created-sparse.json"});
  CHECK(r.status == 0);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  REQUIRE(parser.parse(simdjson::padded_string(single_line(r))).get(doc) == simdjson::SUCCESS);
  for (const char* pointer : {"/event/loyaltyEventId",
                              "/event/externalEventDate",
                              "/event/evaluationStatus",
                              "/event/externalId",
                              "/event/lastError",
                              "/event/description",
                              "/event/tags",
                              "/event/evaluationResults",
                              "/event/executionResults/tiers/0/loyaltyManualTierId",
                              "/event/executionResults/tiers/0/loyaltySystemTierId",
                              "/event/executionResults/onChain/wallets",
                              "/event/executionResults/profile/name",
                              "/event/executionResults/profile/govId",
                              "/event/executionResults/profile/birthdate",
                              "/event/executionResults/profile/emails",
                              "/event/executionResults/ledgerWalletId",
                              "/event/executionResults/ledgerWalletKey",
                              "/event/payload/profile/email",
                              "/event/payload/publicLoyaltyMemberId",
                              "/event/loyaltyMemberId",
                              "/event/payload/profile/emails"}) {
    INFO(pointer);
    CHECK(doc.at_pointer(pointer).error() == simdjson::NO_SUCH_FIELD);
  }
  CHECK(std::string_view(doc.at_pointer("/event/executionResults/profile/email")) == "sparse@example.com");
  CHECK(int64_t(doc.at_pointer("/event/executionResults/tiers/0/loyaltyProgramId")) == 7);
  // Required members are always written.
  CHECK(doc.at_pointer("/event/executionResults/organizations").is_array());
  CHECK(doc.at_pointer("/event/payload/loyaltyMemberId").is_string());
}

TEST_CASE("inspect: --dump writes an identifier sent as a number as its digits in a string") {
  const std::string member = read_file(fixtures + "/member-created.json");
  const std::string body = replace_once(member, R"("loyaltyEventId": "1262268")", R"("loyaltyEventId": 1262268)");
  const run_result r = run_inspect({"--dump", "-"}, body);
  CHECK(r.status == 0);
  require_same_json(single_line(r), member);
}

TEST_CASE("inspect: schema drift is dispatched and listed in the outcome line; --strict rejects it with 422") {
  const std::string member = read_file(fixtures + "/member-created.json");
  const std::string body = replace_once(member, R"("ledgerWalletId": 16069)", R"("ledgerWalletId": "16069")");
  const run_result r = run_inspect({"-"}, body);
  CHECK(r.status == 0);
  CHECK(single_line(r) == R"({"outcome":"dispatched","http_status":200,"event_type":"member-created",)"
                          R"("loyalty_event_key":"ev_01JSKZG24NMDB0RRQHF247NSCX","drift":[{"path":)"
                          R"("/event/executionResults/ledgerWalletId","expected":"integer","found":"string"}]})");

  const run_result strict = run_inspect({"--strict", "-"}, body);
  CHECK(strict.status == 1);
  CHECK(single_line(strict) ==
        R"({"outcome":"rejected","http_status":422,"error":{"code":"wrong_type","message":"expected an integer",)"
        R"("path":"/event/executionResults/ledgerWalletId"}})");

  // No drift: no "drift" key.
  CHECK(single_line(run_inspect({"--strict", fixtures + "/member-created.json"})).find("drift") == std::string::npos);
}
