#pragma once
// `member-created`: executionResults is the member the platform created, payload the request that created it.

#include <cstdint>
#include <optional>
#include <string_view>

#include "event_envelope.hpp"
#include "json.hpp"
#include "schema.hpp"
#include "timestamp.hpp"

namespace qurable::webhooks {

struct tier {
  std::int64_t loyalty_tier_id = 0;                    // loyaltyTierId
  std::int64_t loyalty_program_id = 0;                 // loyaltyProgramId
  std::optional<std::int64_t> loyalty_manual_tier_id;  // loyaltyManualTierId
  std::optional<std::int64_t> loyalty_system_tier_id;  // loyaltySystemTierId
};

struct gov_id {
  std::string_view id;               // id
  std::string_view type;             // type, e.g. "DNI"
  std::string_view issuing_country;  // issuingCountry, e.g. "Ar"
};

// Personal data: every member may lack some of it, so each field is optional.
struct member_profile {
  std::optional<std::string_view> name;          // name
  std::optional<std::string_view> email;         // email
  std::optional<webhooks::gov_id> gov_id;        // govId
  array_view<std::string_view> emails;           // emails (empty when absent)
  std::optional<std::string_view> last_name;     // lastName
  std::optional<timestamp> birthdate;            // birthdate
  std::optional<std::string_view> phone_number;  // phoneNumber
};

struct on_chain {
  raw_json wallets;  // wallets: an array whose items the platform does not document yet
};

struct organization {
  bool active = false;                        // active
  timestamp created_at;                       // createdAt
  timestamp updated_at;                       // updatedAt
  std::string_view loyalty_member_id;         // loyaltyMemberId
  std::string_view public_loyalty_member_id;  // publicLoyaltyMemberId
};

// executionResults of member-created.
struct member {
  array_view<tier> tiers;                             // tiers
  bool active = false;                                // active
  webhooks::on_chain on_chain;                        // onChain (wallets absent when onChain is)
  member_profile profile;                             // profile
  timestamp created_at;                               // createdAt
  timestamp updated_at;                               // updatedAt
  array_view<organization> organizations;             // organizations
  std::optional<std::int64_t> ledger_wallet_id;       // ledgerWalletId
  std::optional<std::string_view> ledger_wallet_key;  // ledgerWalletKey
};

// payload of member-created: the request that created the member.
struct member_request {
  bool active = false;                                       // active
  member_profile profile;                                    // profile
  std::string_view loyalty_member_id;                        // loyaltyMemberId
  std::optional<std::string_view> public_loyalty_member_id;  // publicLoyaltyMemberId
};

struct member_created {
  static constexpr std::string_view type_name = "member-created";

  event_envelope envelope;
  member execution_results;
  member_request payload;
};

// --- descriptions (docs/events.md is checked against them) -------------------------------------------------------
template <>
struct schema<tier> {
  static constexpr std::string_view name = "tier";
  static constexpr auto fields =
      std::make_tuple(field("loyaltyTierId", &tier::loyalty_tier_id, rule::required | rule::id),
                      field("loyaltyProgramId", &tier::loyalty_program_id, rule::required | rule::id),
                      field("loyaltyManualTierId", &tier::loyalty_manual_tier_id, rule::optional | rule::id),
                      field("loyaltySystemTierId", &tier::loyalty_system_tier_id, rule::optional | rule::id));
};

template <>
struct schema<gov_id> {
  static constexpr std::string_view name = "gov_id";
  static constexpr auto fields =
      std::make_tuple(field("id", &gov_id::id, rule::required | rule::id), field("type", &gov_id::type, rule::required),
                      field("issuingCountry", &gov_id::issuing_country, rule::required));
};

template <>
struct schema<member_profile> {
  static constexpr std::string_view name = "member_profile";
  using P = member_profile;
  static constexpr auto fields = std::make_tuple(
      field("name", &P::name, rule::optional), field("email", &P::email, rule::optional),
      field("govId", &P::gov_id, rule::optional), field("emails", &P::emails, rule::optional),
      field("lastName", &P::last_name, rule::optional), field("birthdate", &P::birthdate, rule::optional),
      field("phoneNumber", &P::phone_number, rule::optional));
};

template <>
struct schema<on_chain> {
  static constexpr std::string_view name = "on_chain";
  static constexpr auto fields = std::make_tuple(field("wallets", &on_chain::wallets, rule::optional));
};

template <>
struct schema<organization> {
  static constexpr std::string_view name = "organization";
  using O = organization;
  static constexpr auto fields =
      std::make_tuple(field("active", &O::active, rule::required), field("createdAt", &O::created_at, rule::required),
                      field("updatedAt", &O::updated_at, rule::required),
                      field("loyaltyMemberId", &O::loyalty_member_id, rule::required | rule::id),
                      field("publicLoyaltyMemberId", &O::public_loyalty_member_id, rule::required | rule::id));
};

template <>
struct schema<member> {
  static constexpr std::string_view name = "member";
  using M = member;
  static constexpr auto fields = std::make_tuple(
      field("tiers", &M::tiers, rule::required), field("active", &M::active, rule::required),
      field("onChain", &M::on_chain, rule::optional), field("profile", &M::profile, rule::required),
      field("createdAt", &M::created_at, rule::required), field("updatedAt", &M::updated_at, rule::required),
      field("organizations", &M::organizations, rule::required),
      field("ledgerWalletId", &M::ledger_wallet_id, rule::optional | rule::id),
      field("ledgerWalletKey", &M::ledger_wallet_key, rule::optional));
};

template <>
struct schema<member_request> {
  static constexpr std::string_view name = "member_request";
  using R = member_request;
  static constexpr auto fields =
      std::make_tuple(field("active", &R::active, rule::required), field("profile", &R::profile, rule::required),
                      field("loyaltyMemberId", &R::loyalty_member_id, rule::required | rule::id),
                      field("publicLoyaltyMemberId", &R::public_loyalty_member_id, rule::optional | rule::id));
};

// An event type: its executionResults and payload (the envelope's other members are schema<event_envelope>).
template <>
struct schema<member_created> {
  static constexpr std::string_view name = "member_created";
  static constexpr auto fields =
      std::make_tuple(field("executionResults", &member_created::execution_results, rule::required),
                      field("payload", &member_created::payload, rule::required));
};

}  // namespace qurable::webhooks
