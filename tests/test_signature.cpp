// Tests for qurable/webhooks/auth/standard_webhooks.hpp: Standard Webhooks signing and verification, the shared-secret
// header, the authenticator wrapper, and the strict base64 underneath.
#include "qurable/webhooks/auth/standard_webhooks.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catch.hpp"

namespace qw = qurable::webhooks;
using qw::verify_reason;
using std::chrono::seconds;
using std::chrono::system_clock;

namespace {

// The reference vector from the Standard Webhooks specification / Svix libraries.
constexpr std::string_view secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
constexpr std::string_view id = "msg_p5jXN8AQM9LWM0D4loKWxJek";
constexpr std::string_view timestamp = "1614265330";
constexpr std::int64_t timestamp_seconds = 1614265330;
constexpr std::string_view body = R"({"test": 2432232314})";
constexpr std::string_view signature = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

// Well-formed v1 entries that are not the signature of the reference message. decoy2 differs from it only in bits
// that the padding drops, so a lenient decode-then-compare implementation would accept it.
constexpr std::string_view decoy1 = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
constexpr std::string_view decoy2 = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=";

// Other valid secrets, for rotation and wrong-secret cases.
constexpr std::string_view other_secret = "whsec_c2Vjb25kLXNlY3JldC1mb3ItdGhlLXJvdGF0aW9u";
constexpr std::string_view third_secret = "whsec_dGhpcmQtc2VjcmV0LW5vdC1jb25maWd1cmVk";

system_clock::time_point at(std::int64_t unix_seconds) { return system_clock::time_point(seconds(unix_seconds)); }

qw::standard_webhooks_options fixed_clock(std::int64_t unix_seconds) {
  qw::standard_webhooks_options options;
  options.clock = [unix_seconds] { return at(unix_seconds); };
  return options;
}

std::string name(verify_reason reason) { return std::string(qw::to_string(reason)); }

std::string sign(std::string_view key, std::string_view msg_id, std::string_view ts, std::string_view payload) {
  const std::optional<std::string> signed_value = qw::sign_standard_webhooks(key, msg_id, ts, payload);
  REQUIRE(signed_value.has_value());
  return *signed_value;
}

std::string join(std::string_view a, std::string_view b) { return std::string(a) + " " + std::string(b); }

std::string encode(std::string_view bytes) {
  std::string out(qw::detail::base64::encoded_size(bytes.size()), '\0');
  qw::detail::base64::encode(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), out.data());
  return out;
}

std::optional<std::string> decode(std::string_view text) {
  std::string out(qw::detail::base64::max_decoded_size(text.size()), '\0');
  std::size_t size = 0;
  if (!qw::detail::base64::decode(text, reinterpret_cast<unsigned char*>(out.data()), size)) return std::nullopt;
  REQUIRE(size <= out.size());
  out.resize(size);
  return out;
}

}  // namespace

TEST_CASE("signer reproduces the Standard Webhooks reference vector", "[signature][sign]") {
  CHECK(sign(secret, id, timestamp, body) == signature);
  // Without the whsec_ prefix the rest is the base64 key itself.
  CHECK(sign(secret.substr(6), id, timestamp, body) == signature);
  // Any change to the signed content changes the signature.
  CHECK(sign(secret, id, "1614265331", body) != signature);
  CHECK(sign(other_secret, id, timestamp, body) != signature);
}

TEST_CASE("signer rejects invalid secrets", "[signature][sign]") {
  CHECK_FALSE(qw::sign_standard_webhooks("", id, timestamp, body).has_value());
  CHECK_FALSE(qw::sign_standard_webhooks("whsec_", id, timestamp, body).has_value());
  CHECK_FALSE(qw::sign_standard_webhooks("whsec_not base64!", id, timestamp, body).has_value());
  CHECK_FALSE(qw::sign_standard_webhooks("whsec_abc", id, timestamp, body).has_value());
}

TEST_CASE("verifier accepts the reference vector", "[signature][verify]") {
  const qw::standard_webhooks_verifier verifier(secret, fixed_clock(timestamp_seconds));
  REQUIRE(verifier.status() == verify_reason::ok);

  const qw::verify_result result = verifier.verify(id, timestamp, signature, body);
  CHECK(name(result.reason) == "ok");
  CHECK(result.ok());
  CHECK(static_cast<bool>(result));
  CHECK(result.message == "ok");

  // The explicit-now overload ignores the configured clock.
  CHECK(verifier.verify(id, timestamp, signature, body, at(timestamp_seconds)).ok());
  CHECK(name(verifier.verify(id, timestamp, signature, body, at(timestamp_seconds + 1000)).reason) ==
        "timestamp_too_old");

  // A bare base64 secret is the same key.
  const qw::standard_webhooks_verifier bare(secret.substr(6), fixed_clock(timestamp_seconds));
  CHECK(bare.verify(id, timestamp, signature, body).ok());
}

TEST_CASE("verifier uses the system clock by default", "[signature][verify]") {
  const qw::standard_webhooks_verifier verifier(secret);
  // The reference vector is from 2021.
  CHECK(name(verifier.verify(id, timestamp, signature, body).reason) == "timestamp_too_old");

  const std::string now =
      std::to_string(std::chrono::duration_cast<seconds>(system_clock::now().time_since_epoch()).count());
  CHECK(verifier.verify(id, now, sign(secret, id, now, body), body).ok());
}

TEST_CASE("webhook-signature entries", "[signature][verify]") {
  const qw::standard_webhooks_verifier verifier(secret, fixed_clock(timestamp_seconds));
  const auto reason = [&](std::string_view header) {
    return name(verifier.verify(id, timestamp, header, body).reason);
  };

  SECTION("decoys plus the real signature pass, wherever the real one is") {
    CHECK(reason(join(join(decoy1, signature), decoy2)) == "ok");
    CHECK(reason(join(decoy1, signature)) == "ok");
    CHECK(reason(join(signature, decoy1)) == "ok");
    CHECK(reason(join(join("v2,abc", "v1a,xyz"), signature)) == "ok");
    CHECK(reason("  " + std::string(signature) + "  ") == "ok");
  }
  SECTION("only decoys fail") {
    CHECK(reason(decoy1) == "no_matching_signature");
    CHECK(reason(join(decoy1, decoy2)) == "no_matching_signature");
  }
  SECTION("malformed or foreign entries fail") {
    CHECK(reason("v1,") == "no_matching_signature");
    CHECK(reason("v1") == "no_matching_signature");
    CHECK(reason(" ") == "no_matching_signature");
    // The right bytes under another version, or without a version, do not count.
    CHECK(reason("v2," + std::string(signature.substr(3))) == "no_matching_signature");
    CHECK(reason("v1a," + std::string(signature.substr(3))) == "no_matching_signature");
    CHECK(reason(signature.substr(3)) == "no_matching_signature");
    CHECK(reason("V1," + std::string(signature.substr(3))) == "no_matching_signature");
    // Truncated, extended, or with the unpadded base64.
    CHECK(reason(signature.substr(0, signature.size() - 1)) == "no_matching_signature");
    CHECK(reason(std::string(signature) + "A") == "no_matching_signature");
    CHECK(reason(std::string(signature) + ",") == "no_matching_signature");
  }
}

TEST_CASE("webhook-timestamp format", "[signature][verify]") {
  const qw::standard_webhooks_verifier verifier(secret, fixed_clock(timestamp_seconds));
  // Each value is signed correctly, so only the timestamp check can reject it.
  for (const std::string_view bad : {"abc", "-1614265330", "+1614265330", "1614265330.0", " 1614265330", "1614265330 ",
                                     "1614265330s", "0x60377b72", "1234567890123456789"}) {
    INFO("timestamp: '" << std::string(bad) << "'");
    const qw::verify_result result = verifier.verify(id, bad, sign(secret, id, bad, body), body);
    CHECK(name(result.reason) == "invalid_timestamp");
    CHECK_FALSE(result.ok());
  }
  // Leading zeros are still digits of the same number.
  const std::string padded = "0" + std::string(timestamp);
  CHECK(verifier.verify(id, padded, sign(secret, id, padded, body), body).ok());
}

TEST_CASE("webhook-timestamp tolerance", "[signature][verify]") {
  const auto reason_at = [](std::int64_t now, qw::standard_webhooks_options options) {
    const std::int64_t offset = now;
    options.clock = [offset] { return at(offset); };
    const qw::standard_webhooks_verifier verifier(secret, std::move(options));
    return name(verifier.verify(id, timestamp, signature, body).reason);
  };
  const qw::standard_webhooks_options defaults;
  CHECK(defaults.tolerance == seconds(300));

  // "now" after the timestamp: the message is old.
  CHECK(reason_at(timestamp_seconds + 299, defaults) == "ok");
  CHECK(reason_at(timestamp_seconds + 300, defaults) == "ok");
  CHECK(reason_at(timestamp_seconds + 301, defaults) == "timestamp_too_old");
  CHECK(reason_at(timestamp_seconds + 100000, defaults) == "timestamp_too_old");
  // "now" before the timestamp: the message claims to come from the future.
  CHECK(reason_at(timestamp_seconds - 299, defaults) == "ok");
  CHECK(reason_at(timestamp_seconds - 300, defaults) == "ok");
  CHECK(reason_at(timestamp_seconds - 301, defaults) == "timestamp_too_new");
  CHECK(reason_at(0, defaults) == "timestamp_too_new");

  qw::standard_webhooks_options narrow;
  narrow.tolerance = seconds(10);
  CHECK(reason_at(timestamp_seconds + 10, narrow) == "ok");
  CHECK(reason_at(timestamp_seconds + 11, narrow) == "timestamp_too_old");
  CHECK(reason_at(timestamp_seconds - 11, narrow) == "timestamp_too_new");

  qw::standard_webhooks_options negative;
  negative.tolerance = seconds(-5);
  CHECK(reason_at(timestamp_seconds, negative) == "ok");
  CHECK(reason_at(timestamp_seconds + 1, negative) == "timestamp_too_old");
}

TEST_CASE("missing headers", "[signature][verify]") {
  const qw::standard_webhooks_verifier verifier(secret, fixed_clock(timestamp_seconds));

  const qw::verify_result no_id = verifier.verify("", timestamp, signature, body);
  CHECK(name(no_id.reason) == "missing_header");
  CHECK(no_id.message.find("webhook-id") != std::string_view::npos);

  const qw::verify_result no_timestamp = verifier.verify(id, "", signature, body);
  CHECK(name(no_timestamp.reason) == "missing_header");
  CHECK(no_timestamp.message.find("webhook-timestamp") != std::string_view::npos);

  const qw::verify_result no_signature = verifier.verify(id, timestamp, "", body);
  CHECK(name(no_signature.reason) == "missing_header");
  CHECK(no_signature.message.find("webhook-signature") != std::string_view::npos);
}

TEST_CASE("tampered content fails", "[signature][verify]") {
  const qw::standard_webhooks_verifier verifier(secret, fixed_clock(timestamp_seconds));
  const auto reason = [&](std::string_view msg_id, std::string_view ts, std::string_view payload) {
    return name(verifier.verify(msg_id, ts, signature, payload).reason);
  };
  CHECK(reason(id, timestamp, body) == "ok");
  CHECK(reason(id, timestamp, R"({"test": 2432232315})") == "no_matching_signature");
  CHECK(reason(id, timestamp, R"({"test": 2432232314} )") == "no_matching_signature");
  CHECK(reason(id, timestamp, "") == "no_matching_signature");
  CHECK(reason("msg_p5jXN8AQM9LWM0D4loKWxJeK", timestamp, body) == "no_matching_signature");
  CHECK(reason("msg_p5jXN8AQM9LWM0D4loKWxJek.", timestamp, body) == "no_matching_signature");
  // Still within the tolerance, but not the signed timestamp.
  CHECK(reason(id, "1614265331", body) == "no_matching_signature");
}

TEST_CASE("secret rotation", "[signature][verify]") {
  const qw::standard_webhooks_verifier rotating({secret, other_secret}, fixed_clock(timestamp_seconds));
  REQUIRE(rotating.status() == verify_reason::ok);
  const std::string by_old = sign(secret, id, timestamp, body);
  const std::string by_new = sign(other_secret, id, timestamp, body);
  const std::string by_third = sign(third_secret, id, timestamp, body);
  REQUIRE(by_old != by_new);

  CHECK(rotating.verify(id, timestamp, by_old, body).ok());
  CHECK(rotating.verify(id, timestamp, by_new, body).ok());
  CHECK(rotating.verify(id, timestamp, join(by_new, by_old), body).ok());
  CHECK(name(rotating.verify(id, timestamp, by_third, body).reason) == "no_matching_signature");

  // The same through the std::vector<std::string> constructor.
  const qw::standard_webhooks_verifier from_config(
      std::vector<std::string>{std::string(other_secret), std::string(secret)}, fixed_clock(timestamp_seconds));
  CHECK(from_config.verify(id, timestamp, by_old, body).ok());
  CHECK(from_config.verify(id, timestamp, by_new, body).ok());
}

TEST_CASE("wrong secret fails", "[signature][verify]") {
  const qw::standard_webhooks_verifier verifier(other_secret, fixed_clock(timestamp_seconds));
  REQUIRE(verifier.status() == verify_reason::ok);
  CHECK(name(verifier.verify(id, timestamp, signature, body).reason) == "no_matching_signature");
}

TEST_CASE("invalid secrets fail closed", "[signature][verify]") {
  for (const std::string_view bad :
       {"", "whsec_", "whsec_not base64!", "whsec_abc", "whsec_Zh==", "whsec_YQ", "Zm9v\n"}) {
    INFO("secret: '" << std::string(bad) << "'");
    const qw::standard_webhooks_verifier verifier(bad, fixed_clock(timestamp_seconds));
    CHECK(name(verifier.status()) == "invalid_secret");
    // Even a request signed with the valid secret is rejected, and the configuration error wins over the request's.
    CHECK(name(verifier.verify(id, timestamp, signature, body).reason) == "invalid_secret");
    CHECK(name(verifier.verify("", "", "", body).reason) == "invalid_secret");
  }
  // One bad secret among good ones poisons the whole verifier, so the mistake is not missed.
  const qw::standard_webhooks_verifier mixed({secret, "whsec_%%%%"}, fixed_clock(timestamp_seconds));
  CHECK(name(mixed.status()) == "invalid_secret");
  CHECK(name(mixed.verify(id, timestamp, signature, body).reason) == "invalid_secret");

  const qw::standard_webhooks_verifier none(std::vector<std::string>{}, fixed_clock(timestamp_seconds));
  CHECK(name(none.status()) == "invalid_secret");
  CHECK(name(none.verify(id, timestamp, signature, body).reason) == "invalid_secret");
}

TEST_CASE("shared-secret header", "[signature][shared_secret]") {
  const qw::shared_secret_verifier verifier("authorization", "Bearer s3cr3t-t0ken");
  REQUIRE(verifier.status() == verify_reason::ok);
  CHECK(verifier.header_name() == "authorization");

  CHECK(verifier.verify("Bearer s3cr3t-t0ken").ok());
  CHECK(name(verifier.verify("Bearer s3cr3t-t0keN").reason) == "shared_secret_mismatch");
  CHECK(name(verifier.verify("Bearer s3cr3t-t0ke").reason) == "shared_secret_mismatch");
  CHECK(name(verifier.verify("Bearer s3cr3t-t0ken ").reason) == "shared_secret_mismatch");
  CHECK(name(verifier.verify("s3cr3t-t0ken").reason) == "shared_secret_mismatch");
  CHECK(name(verifier.verify(std::string("Bearer s3cr3t-t0ken\0", 20)).reason) == "shared_secret_mismatch");
  CHECK(name(verifier.verify("").reason) == "missing_header");

  const qw::shared_secret_verifier no_value("authorization", "");
  CHECK(name(no_value.status()) == "invalid_secret");
  CHECK(name(no_value.verify("").reason) == "invalid_secret");
  CHECK(name(no_value.verify("anything").reason) == "invalid_secret");
  const qw::shared_secret_verifier no_name("", "Bearer x");
  CHECK(name(no_name.status()) == "invalid_secret");
}

TEST_CASE("authenticator with Standard Webhooks and various header lookups", "[signature][authenticator]") {
  const auto auth = qw::authenticator::standard_webhooks(
      qw::standard_webhooks_verifier({other_secret, secret}, fixed_clock(timestamp_seconds)));
  CHECK(auth.kind() == qw::authentication_kind::standard_webhooks);
  CHECK(qw::to_string(auth.kind()) == "standard_webhooks");
  CHECK(auth.status() == verify_reason::ok);

  std::map<std::string, std::string, std::less<>> headers{{"webhook-id", std::string(id)},
                                                          {"webhook-timestamp", std::string(timestamp)},
                                                          {"webhook-signature", std::string(signature)},
                                                          {"content-type", "application/json"}};
  std::vector<std::string> asked;
  // Returns std::optional<std::string_view>.
  const auto optional_lookup = [&](std::string_view header) -> std::optional<std::string_view> {
    asked.emplace_back(header);
    const auto it = headers.find(header);
    if (it == headers.end()) return std::nullopt;
    return std::string_view(it->second);
  };
  // Returns a pointer, null when absent (a mutable lambda, to check verify() takes the lookup by forwarding reference).
  auto pointer_lookup = [&headers](std::string_view header) mutable -> const std::string* {
    const auto it = headers.find(header);
    return it == headers.end() ? nullptr : &it->second;
  };
  // Returns a std::string by value, empty when absent: verify() must keep the temporaries alive.
  const auto string_lookup = [&headers](std::string_view header) -> std::string {
    const auto it = headers.find(header);
    return it == headers.end() ? std::string() : it->second + "";
  };
  // Returns std::optional<std::string> by value.
  const auto optional_string_lookup = [&headers](std::string_view header) -> std::optional<std::string> {
    const auto it = headers.find(header);
    if (it == headers.end()) return std::nullopt;
    return it->second;
  };

  CHECK(auth.verify(optional_lookup, body).ok());
  CHECK(asked == std::vector<std::string>{"webhook-id", "webhook-timestamp", "webhook-signature"});
  CHECK(auth.verify(pointer_lookup, body).ok());
  CHECK(auth.verify(string_lookup, body).ok());
  CHECK(auth.verify(optional_string_lookup, body).ok());
  CHECK(name(auth.verify(optional_lookup, "{}").reason) == "no_matching_signature");
  CHECK(name(auth.verify(string_lookup, "{}").reason) == "no_matching_signature");

  for (const char* header : {"webhook-id", "webhook-timestamp", "webhook-signature"}) {
    INFO("without " << header);
    auto saved = headers.extract(header);
    CHECK(name(auth.verify(optional_lookup, body).reason) == "missing_header");
    CHECK(name(auth.verify(pointer_lookup, body).reason) == "missing_header");
    CHECK(name(auth.verify(string_lookup, body).reason) == "missing_header");
    CHECK(name(auth.verify(optional_string_lookup, body).reason) == "missing_header");
    headers.insert(std::move(saved));
  }
  // Present but empty counts as missing too.
  headers["webhook-signature"] = "";
  CHECK(name(auth.verify(optional_lookup, body).reason) == "missing_header");
}

TEST_CASE("authenticator with a shared-secret header", "[signature][authenticator]") {
  const auto auth = qw::authenticator::shared_secret(qw::shared_secret_verifier("x-qurable-token", "t0ps3cret"));
  CHECK(auth.kind() == qw::authentication_kind::shared_secret);
  CHECK(auth.status() == verify_reason::ok);

  std::optional<std::string> value = "t0ps3cret";
  std::vector<std::string> asked;
  const auto lookup = [&](std::string_view header) -> std::optional<std::string_view> {
    asked.emplace_back(header);
    if (header != "x-qurable-token" || !value) return std::nullopt;
    return std::string_view(*value);
  };
  CHECK(auth.verify(lookup, body).ok());
  CHECK(asked == std::vector<std::string>{"x-qurable-token"});
  value = "t0ps3creT";
  CHECK(name(auth.verify(lookup, body).reason) == "shared_secret_mismatch");
  value.reset();
  CHECK(name(auth.verify(lookup, body).reason) == "missing_header");

  const auto misconfigured = qw::authenticator::shared_secret(qw::shared_secret_verifier("x-qurable-token", ""));
  CHECK(name(misconfigured.status()) == "invalid_secret");
  value = "";
  CHECK(name(misconfigured.verify(lookup, body).reason) == "invalid_secret");
}

TEST_CASE("disabled and unconfigured authenticators", "[signature][authenticator]") {
  int calls = 0;
  const auto lookup = [&calls](std::string_view) -> std::optional<std::string_view> {
    ++calls;
    return std::nullopt;
  };

  const auto disabled = qw::authenticator::none_i_know_what_i_am_doing();
  CHECK(disabled.kind() == qw::authentication_kind::disabled);
  CHECK(qw::to_string(disabled.kind()) == "disabled");
  CHECK(disabled.status() == verify_reason::ok);
  const qw::verify_result passed = disabled.verify(lookup, "anything");
  CHECK(passed.ok());
  CHECK(passed.message == "verification disabled");
  CHECK(calls == 0);

  const qw::authenticator unconfigured;
  CHECK(unconfigured.kind() == qw::authentication_kind::not_configured);
  CHECK(name(unconfigured.status()) == "not_configured");
  const qw::verify_result rejected = unconfigured.verify(lookup, body);
  CHECK(name(rejected.reason) == "not_configured");
  CHECK_FALSE(rejected.ok());
  CHECK_FALSE(static_cast<bool>(rejected));

  // Authenticators are values: copies and moved-to objects behave like the original.
  auto copy =
      qw::authenticator::standard_webhooks(qw::standard_webhooks_verifier(secret, fixed_clock(timestamp_seconds)));
  const qw::authenticator moved = std::move(copy);
  const auto headers = [](std::string_view header) -> std::string_view {
    if (header == "webhook-id") return id;
    if (header == "webhook-timestamp") return timestamp;
    if (header == "webhook-signature") return signature;
    return {};
  };
  CHECK(moved.verify(headers, body).ok());
  qw::authenticator assigned;
  assigned = moved;
  CHECK(assigned.verify(headers, body).ok());
  CHECK(moved.verify(headers, body).ok());
}

TEST_CASE("reason names", "[signature]") {
  const std::array<verify_reason, 10> all{verify_reason::ok,
                                          verify_reason::missing_header,
                                          verify_reason::invalid_timestamp,
                                          verify_reason::timestamp_too_old,
                                          verify_reason::timestamp_too_new,
                                          verify_reason::no_matching_signature,
                                          verify_reason::shared_secret_mismatch,
                                          verify_reason::invalid_secret,
                                          verify_reason::not_configured,
                                          verify_reason::crypto_failure};
  std::vector<std::string> names;
  for (const verify_reason reason : all) {
    const std::string n = name(reason);
    CHECK(n != "unknown");
    CHECK(std::find(names.begin(), names.end(), n) == names.end());
    names.push_back(n);
    // Every failure carries a message, and ok() agrees with the reason.
    const qw::verify_result result = qw::detail::failure(reason);
    CHECK(result.reason == reason);
    CHECK_FALSE(result.message.empty());
    CHECK(result.ok() == (reason == verify_reason::ok));
  }
  CHECK(names[5] == "no_matching_signature");
}

TEST_CASE("base64 encodes the RFC 4648 vectors", "[signature][base64]") {
  CHECK(encode("") == "");
  CHECK(encode("f") == "Zg==");
  CHECK(encode("fo") == "Zm8=");
  CHECK(encode("foo") == "Zm9v");
  CHECK(encode("foob") == "Zm9vYg==");
  CHECK(encode("fooba") == "Zm9vYmE=");
  CHECK(encode("foobar") == "Zm9vYmFy");
  CHECK(encode(std::string("\xff\xfe\xfd", 3)) == "//79");
  CHECK(encode(std::string("\xfb\xef\xbe", 3)) == "++++");

  CHECK(decode("") == std::string());
  CHECK(decode("Zg==") == std::string("f"));
  CHECK(decode("Zm8=") == std::string("fo"));
  CHECK(decode("Zm9vYmFy") == std::string("foobar"));
  CHECK(decode("//79") == std::string("\xff\xfe\xfd", 3));
}

TEST_CASE("base64 round trips", "[signature][base64]") {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes.push_back(static_cast<char>(i));
  for (std::size_t size = 0; size <= bytes.size(); ++size) {
    // Rotate so that every length sees different bytes at the padded tail.
    const std::string input = bytes.substr(size % 7, size) + bytes.substr(0, size > 249 ? size - 249 : 0);
    const std::string encoded = encode(input);
    INFO("size " << input.size() << " -> " << encoded);
    CHECK(encoded.size() == qw::detail::base64::encoded_size(input.size()));
    CHECK(encoded.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") ==
          std::string::npos);
    CHECK(decode(encoded) == input);
  }
}

TEST_CASE("base64 rejects invalid input", "[signature][base64]") {
  for (const std::string_view bad : {"Zg", "Zg=", "Zm9vY", "Z===", "====", "=Zg=", "Zg==Zg==", "Zm9=", "Zh==", "Zm 9v",
                                     "Zm9v\n", " Zm9v", "Zm9-", "Zm9_", "Zg=A", "Z=g="}) {
    INFO("input: '" << std::string(bad) << "'");
    CHECK_FALSE(decode(bad).has_value());
  }
  CHECK_FALSE(decode(std::string_view("Zm9v\0AAA", 8)).has_value());
  // The length is checked before anything is read: these views are followed by valid base64 in memory.
  CHECK_FALSE(decode(std::string_view("Zm9vYg==").substr(0, 6)).has_value());
  CHECK_FALSE(decode(std::string_view("Zm9vZm9v").substr(0, 5)).has_value());
}

TEST_CASE("base64 works at compile time", "[signature][base64]") {
  constexpr auto encoded = [] {
    std::array<char, 8> out{};
    const unsigned char in[] = {'f', 'o', 'o', 'b'};
    qw::detail::base64::encode(in, sizeof in, out.data());
    return out;
  }();
  STATIC_REQUIRE(encoded[0] == 'Z');
  STATIC_REQUIRE(encoded[5] == 'g');
  STATIC_REQUIRE(encoded[7] == '=');
}
