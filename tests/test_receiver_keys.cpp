// The idempotency key: "<eventType>:<loyaltyEventKey>" by default (so one loyalty event may produce several webhook
// types), the body hash for events without a key, and an integrator's own key function (e.g. `webhook-id`).
#include "catch.hpp"

#include <qurable/webhooks/http/receiver.hpp>
#include <qurable/webhooks/idempotency/memory_store.hpp>
#include <qurable/webhooks/queue/async_receiver.hpp>
#include <qurable/webhooks/testing/event_builder.hpp>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace qw = qurable::webhooks;
namespace qwt = qurable::webhooks::testing;

namespace {

const qw::authentication no_auth = qw::authentication::none_i_know_what_i_am_doing();

// A real memory_store that also records the keys it was asked to reserve.
class recording_store : public qw::idempotency_store {
 public:
  qw::reserve_result reserve(std::string_view key) noexcept override {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      keys_.emplace_back(key);
    }
    return store_.reserve(key);
  }
  qw::store_status commit(std::string_view key, std::uint64_t token) noexcept override {
    return store_.commit(key, token);
  }
  qw::store_status release(std::string_view key, std::uint64_t token) noexcept override {
    return store_.release(key, token);
  }
  std::vector<std::string> keys() {
    std::lock_guard<std::mutex> lock(mutex_);
    return keys_;
  }

 private:
  qw::memory_store store_;
  std::mutex mutex_;
  std::vector<std::string> keys_;
};

struct counting {
  std::atomic<int>* handled;
  void operator()(const qw::event_envelope&) const { ++*handled; }
};

}  // namespace

TEST_CASE("default key: event type and loyaltyEventKey", "[receiver][idempotency][keys]") {
  recording_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  std::atomic<int> handled{0};
  const qw::receiver rx(counting{&handled}, no_auth, options);

  // The same loyaltyEventKey under two webhook types: two events, both handled.
  const std::string assigned =
      qwt::event_builder(qwt::examples::coupon_code_assigned).loyalty_event_key("ev_shared").body();
  const std::string used = qwt::event_builder(qwt::examples::coupon_code_used).loyalty_event_key("ev_shared").body();
  CHECK(rx.handle("POST", qwt::json_headers(), assigned).outcome().kind == qw::outcome_kind::dispatched);
  CHECK(rx.handle("POST", qwt::json_headers(), used).outcome().kind == qw::outcome_kind::dispatched);
  CHECK(rx.handle("POST", qwt::json_headers(), used).outcome().kind == qw::outcome_kind::duplicate);
  CHECK(handled == 2);

  // A type the decoder does not know, with the characters that are escaped; and a keyless event.
  const std::string odd = qwt::event_builder().event_type("a:b#c%d").loyalty_event_key("k:1").body();
  const std::string keyless = qwt::event_builder().event_type("x-new").remove("/event/loyaltyEventKey").body();
  CHECK(rx.handle("POST", qwt::json_headers(), odd).status() == 200);
  CHECK(rx.handle("POST", qwt::json_headers(), keyless).status() == 200);
  CHECK(rx.handle("POST", qwt::json_headers(), keyless).outcome().kind == qw::outcome_kind::duplicate);

  const std::vector<std::string> keys = store.keys();
  REQUIRE(keys.size() == 6);
  CHECK(keys[0] == "coupon-code-assigned:ev_shared");
  CHECK(keys[1] == "coupon-code-used:ev_shared");
  CHECK(keys[2] == "coupon-code-used:ev_shared");
  CHECK(keys[3] == "a%3Ab%23c%25d:k:1");
  CHECK(keys[4] == "x-new#" + qw::body_key(keyless));
  CHECK(keys[4].size() == std::string("x-new#body:").size() + 16);
  CHECK(keys[5] == keys[4]);
}

TEST_CASE("default key: different (type, key) pairs never share a key", "[receiver][idempotency][keys]") {
  qw::memory_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  std::atomic<int> handled{0};
  const qw::receiver rx(counting{&handled}, no_auth, options);
  // Joined naively with ':', both would be "a:b:c".
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::event_builder().event_type("a:b").loyalty_event_key("c").body())
            .outcome()
            .kind == qw::outcome_kind::dispatched);
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::event_builder().event_type("a").loyalty_event_key("b:c").body())
            .outcome()
            .kind == qw::outcome_kind::dispatched);
  // A keyless event of type "t" and an event of type "t" whose key looks like a body hash.
  const std::string keyless = qwt::event_builder().event_type("t").remove("/event/loyaltyEventKey").body();
  const std::string lookalike = qwt::event_builder().event_type("t").loyalty_event_key(qw::body_key(keyless)).body();
  CHECK(rx.handle("POST", qwt::json_headers(), keyless).outcome().kind == qw::outcome_kind::dispatched);
  CHECK(rx.handle("POST", qwt::json_headers(), lookalike).outcome().kind == qw::outcome_kind::dispatched);
  CHECK(handled == 4);
}

TEST_CASE("an integrator's key function: the webhook-id header", "[receiver][idempotency][keys]") {
  recording_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  std::atomic<int> key_calls{0};
  bool throw_now = false;
  options.idempotency_key = [&](const qw::event& e, const qw::header_lookup& headers, std::string_view,
                                std::string& key) {
    ++key_calls;
    if (throw_now) throw std::runtime_error("key service down");
    CHECK(key.empty());
    CHECK_FALSE(e.envelope().event_type.empty());
    if (const std::optional<std::string_view> id = headers("webhook-id")) key.assign("id:").append(*id);
  };
  std::atomic<int> handled{0};
  const qw::receiver rx(counting{&handled}, no_auth, options);

  const auto with_id = [](const char* id) { return qwt::json_headers().set("webhook-id", id); };
  // The same webhook-id is the same delivery, whatever the body says now (e.g. re-serialized by a retry).
  CHECK(rx.handle("POST", with_id("msg_1"), qwt::examples::member_created).outcome().kind ==
        qw::outcome_kind::dispatched);
  CHECK(rx.handle("POST", with_id("msg_1"), qwt::examples::coupon_code_used).outcome().kind ==
        qw::outcome_kind::duplicate);
  // And the same event under another webhook-id is another delivery to this key function.
  CHECK(rx.handle("POST", with_id("msg_2"), qwt::examples::member_created).outcome().kind ==
        qw::outcome_kind::dispatched);
  // No header: the key stays empty and the default key is used.
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_used).outcome().kind ==
        qw::outcome_kind::dispatched);
  // A throwing key function: the default key, counted; the answer is the one the default key gives.
  throw_now = true;
  CHECK(rx.handle("POST", with_id("msg_3"), qwt::examples::coupon_code_used).outcome().kind ==
        qw::outcome_kind::duplicate);
  CHECK(rx.hook_failures() == 1);
  CHECK(key_calls == 5);
  CHECK(handled == 3);

  const std::vector<std::string> keys = store.keys();
  REQUIRE(keys.size() == 5);
  CHECK(keys[0] == "id:msg_1");
  CHECK(keys[1] == "id:msg_1");
  CHECK(keys[2] == "id:msg_2");
  CHECK(keys[3] == "coupon-code-used:ev_c11viQYM0YZHBS9X3G0VMVyfMQ");
  CHECK(keys[4] == keys[3]);
}

TEST_CASE("async_receiver uses the same key, and the key function", "[receiver][idempotency][keys][queue]") {
  recording_store store;
  qw::receiver_options options;
  options.idempotency = &store;
  options.idempotency_key = [](const qw::event&, const qw::header_lookup& headers, std::string_view, std::string& key) {
    if (const std::optional<std::string_view> id = headers("webhook-id")) key.assign(*id);
  };
  std::atomic<int> handled{0};
  qw::async_receiver rx(counting{&handled}, no_auth, options);
  CHECK(rx.handle("POST", qwt::json_headers().set("webhook-id", "msg_9"), qwt::examples::member_created).status() ==
        202);
  CHECK(rx.handle("POST", qwt::json_headers(), qwt::examples::coupon_code_assigned).status() == 202);
  rx.shutdown();
  CHECK(handled == 2);
  // Each event is reserved when it arrives and again when a worker starts it (a whole lease for the handler): both
  // times under the same key, the key function's where it gave one.
  std::vector<std::string> keys = store.keys();
  std::sort(keys.begin(), keys.end());
  keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
  CHECK(keys == std::vector<std::string>{"coupon-code-assigned:ev_01JSG9YM0YZHBS9X3G0VMVMAW6", "msg_9"});
  CHECK(store.keys().size() >= 2);
}
