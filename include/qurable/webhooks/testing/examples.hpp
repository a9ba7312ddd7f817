#pragma once
// The platform's documented example events, exactly as its documentation shows them (pretty-printed), byte for byte
// as in tests/fixtures/*.json (a test checks that they still match). Embedded so that the test kit needs no files.

#include <string_view>

#include "../events/event_type.hpp"

namespace qurable::webhooks::testing {

namespace examples {

inline constexpr std::string_view member_created = R"json({
  "event": {
    "loyaltyEventId": "1262268",
    "eventType": "member-created",
    "status": "success",
    "executionResults": {
      "tiers": [
        {
          "loyaltyTierId": 1,
          "loyaltyProgramId": 1,
          "loyaltyManualTierId": null,
          "loyaltySystemTierId": 1
        }
      ],
      "active": true,
      "onChain": {
        "wallets": []
      },
      "profile": {
        "name": "John",
        "email": "test-user@email.com",
        "govId": {
          "id": "94343643",
          "type": "DNI",
          "issuingCountry": "Ar"
        },
        "emails": [
          "test-user@email.com"
        ],
        "lastName": "Doe",
        "birthdate": "2025-04-24T13:20:24.404Z",
        "phoneNumber": "541123364526"
      },
      "createdAt": "2025-04-24T13:22:50.049Z",
      "updatedAt": "2025-04-24T13:22:50.049Z",
      "organizations": [
        {
          "active": true,
          "createdAt": "2025-04-24T13:22:50.156Z",
          "updatedAt": "2025-04-24T13:22:50.156Z",
          "loyaltyMemberId": "test-user@email.com",
          "publicLoyaltyMemberId": "11111-11111"
        }
      ],
      "ledgerWalletId": 16069,
      "ledgerWalletKey": "wal_01JSKZE71W1MD7KWS453W9VJDH"
    },
    "payload": {
      "active": true,
      "profile": {
        "name": "John",
        "email": "test-user@email.com",
        "govId": {
          "id": "94343643",
          "type": "DNI",
          "issuingCountry": "Ar"
        },
        "lastName": "Doe",
        "birthdate": "2025-04-24T13:20:24.404Z",
        "phoneNumber": "541123364526"
      },
      "loyaltyMemberId": "test-user@email.com",
      "publicLoyaltyMemberId": "11111-11111"
    },
    "externalEventDate": null,
    "evaluationStatus": 0,
    "systemUniqueKey": "8952c2f4-d76f-40f3-890d-aef3af273356",
    "loyaltyEventKey": "ev_01JSKZG24NMDB0RRQHF247NSCX",
    "updatedAt": "2025-04-24T13:23:50.586Z",
    "createdAt": "2025-04-24T13:23:50.586Z",
    "externalId": null,
    "lastError": null,
    "description": null,
    "tags": null,
    "evaluationResults": null
  }
}
)json";

inline constexpr std::string_view coupon_code_assigned = R"json({
  "event": {
    "eventType": "coupon-code-assigned",
    "loyaltyEventKey": "ev_01JSG9YM0YZHBS9X3G0VMVMAW6",
    "updatedAt": "2025-04-23T03:09:35.646Z",
    "createdAt": "2025-04-23T03:09:35.646Z",
    "systemUniqueKey": "6efee6f7-2128-4f9b-9d0e-9d771a4a8dec",
    "loyaltyMemberId": "11111111",
    "status": "success",
    "executionResults": {
      "coupon": {
        "code": "PyMsNLgHR3yfMQAAc11viQ",
        "createdAt": "2025-04-23T03:08:29.976Z",
        "expiredAt": "2025-06-23T01:52:32.275Z",
        "updatedAt": "2025-04-23T03:08:29.976Z",
        "totalUsages": 0,
        "totalAssigned": 0,
        "couponBookKey": "cbk_01JSG2C0V4AJHVZ6P3E0PQH9EV",
        "customAttributes": null
      },
      "createdAt": "2025-04-23T03:08:30.031Z",
      "updatedAt": "2025-04-23T03:08:30.031Z",
      "amountUsed": 0,
      "amountAssigned": 1,
      "couponUsageKey": "cbu_01JSG9WKYEJDKTSKVYABF2WQBC",
      "revertedUsageId": null,
      "systemUniqueKey": "6efee6f7-2128-4f9b-9d0e-9d771a4a8dec",
      "customAttributes": null,
      "updatedTotalUsages": 0,
      "updatedTotalAssigned": 1
    },
    "payload": {
      "usage": {
        "coupon": {
          "code": "PyMsNLgHR3yfMQAAc11viQ",
          "couponBookKey": "cbk_01JSG2C0V4AJHVZ6P3E0PQH9EV",
          "createdAt": "2025-04-23T03:08:29.976Z",
          "expiredAt": "2025-06-23T01:52:32.275Z",
          "updatedAt": "2025-04-23T03:08:29.976Z",
          "totalUsages": 0,
          "totalAssigned": 0,
          "customAttributes": null
        },
        "createdAt": "2025-04-23T03:08:30.031Z",
        "updatedAt": "2025-04-23T03:08:30.031Z",
        "amountUsed": 0,
        "amountAssigned": 1,
        "couponUsageKey": "cbu_01JSG9WKYEJDKTSKVYABF2WQBC",
        "revertedUsageId": null,
        "systemUniqueKey": "6efee6f7-2128-4f9b-9d0e-9d771a4a8dec",
        "loyaltyMemberId": "11111111",
        "customAttributes": null,
        "updatedTotalUsages": 0,
        "updatedTotalAssigned": 1
      },
      "couponBook": {
        "couponBookKey": "cbk_01JSG2C0V4AJHVZ6P3E0PQH9EV",
        "name": "Test discount",
        "type": "generated",
        "externalId": "Y6QF-TEST",
        "pictureUrl": "https://example.com/coupon-image.png",
        "description": "<p>Test discount description</p>",
        "validToDate": null,
        "validFromDate": null,
        "discountType": "percentage",
        "discountAmount": 20,
        "tags": null,
        "customAttributes": null
      }
    },
    "externalEventDate": null,
    "evaluationStatus": 0,
    "externalId": null,
    "lastError": null,
    "description": null,
    "tags": null,
    "evaluationResults": null
  }
}
)json";

inline constexpr std::string_view coupon_code_used = R"json({
  "event": {
    "eventType": "coupon-code-used",
    "loyaltyEventKey": "ev_c11viQYM0YZHBS9X3G0VMVyfMQ",
    "updatedAt": "2025-04-23T03:09:35.646Z",
    "createdAt": "2025-04-23T03:09:35.646Z",
    "systemUniqueKey": "6efee6f7-2128-4f9b-9d0e-9d771a4a8dec",
    "loyaltyMemberId": "11111111",
    "status": "success",
    "executionResults": {
      "coupon": {
        "code": "PyMsNLgHR3yfMQAAc11viQ",
        "createdAt": "2025-04-23T03:08:29.976Z",
        "expiredAt": "2025-06-23T01:52:32.275Z",
        "updatedAt": "2025-04-23T03:08:29.976Z",
        "totalUsages": 0,
        "totalAssigned": 1,
        "couponBookKey": "cbk_01JSG2C0V4AJHVZ6P3E0PQH9EV",
        "customAttributes": null
      },
      "createdAt": "2025-04-23T03:08:30.031Z",
      "updatedAt": "2025-04-23T03:08:30.031Z",
      "amountUsed": 1,
      "amountAssigned": 1,
      "couponUsageKey": "cbu_01JJQ1KNAEV5E0RVZPE0E27AR7",
      "revertedUsageId": null,
      "systemUniqueKey": "6efee6f7-2128-4f9b-9d0e-9d771a4a8dec",
      "customAttributes": null,
      "updatedTotalUsages": 1,
      "updatedTotalAssigned": 1
    },
    "payload": {
      "usage": {
        "coupon": {
          "code": "PyMsNLgHR3yfMQAAc11viQ",
          "couponBookKey": "cbk_01JSG2C0V4AJHVZ6P3E0PQH9EV",
          "createdAt": "2025-04-23T03:08:29.976Z",
          "expiredAt": "2025-06-23T01:52:32.275Z",
          "updatedAt": "2025-04-23T03:08:29.976Z",
          "totalUsages": 0,
          "totalAssigned": 1,
          "customAttributes": null
        },
        "createdAt": "2025-04-23T03:08:30.031Z",
        "updatedAt": "2025-04-23T03:08:30.031Z",
        "amountUsed": 1,
        "amountAssigned": 1,
        "couponUsageKey": "cbu_01JSG9WKYEJDKTSKVYABF2WQBC",
        "revertedUsageId": null,
        "systemUniqueKey": "6efee6f7-2128-4f9b-9d0e-9d771a4a8dec",
        "loyaltyMemberId": "11111111",
        "customAttributes": null,
        "updatedTotalUsages": 1,
        "updatedTotalAssigned": 1
      },
      "couponBook": {
        "couponBookKey": "cbk_01JSG2C0V4AJHVZ6P3E0PQH9EV",
        "name": "Test discount",
        "type": "generated",
        "externalId": "Y6QF-TEST",
        "pictureUrl": "https://example.com/coupon-image.png",
        "description": "<p>Test discount description</p>",
        "validToDate": null,
        "validFromDate": null,
        "discountType": "percentage",
        "discountAmount": 20,
        "tags": null,
        "customAttributes": null
      }
    },
    "externalEventDate": null,
    "evaluationStatus": 0,
    "externalId": null,
    "lastError": null,
    "description": null,
    "tags": null,
    "evaluationResults": null
  }
}
)json";

}  // namespace examples

// The example of a known type; empty for event_type::unknown.
constexpr std::string_view example(event_type type) noexcept {
  switch (type) {
    case event_type::member_created: return examples::member_created;
    case event_type::coupon_code_assigned: return examples::coupon_code_assigned;
    case event_type::coupon_code_used: return examples::coupon_code_used;
    case event_type::unknown: break;
  }
  return {};
}

}  // namespace qurable::webhooks::testing
