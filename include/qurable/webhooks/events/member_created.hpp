#pragma once
// `member-created`: executionResults is the member the platform created, payload the request that created it.

#include <cstdint>
#include <optional>
#include <string_view>

#include "event_envelope.hpp"
#include "json.hpp"
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

}  // namespace qurable::webhooks
