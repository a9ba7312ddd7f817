#pragma once
// Thin RAII wrappers over the few libcrypto calls auth/standard_webhooks.hpp needs: streaming HMAC-SHA256 (so the
// signed content "id.timestamp.body" never has to be concatenated into a buffer), one-shot SHA-256, and a key buffer
// that is wiped when released. OpenSSL 3 uses EVP_MAC because every HMAC_CTX function is deprecated there (and -Werror
// would reject them); OpenSSL 1.1, LibreSSL and BoringSSL have no EVP_MAC and use HMAC_CTX.

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include <array>
#include <cstddef>
#include <string_view>
#include <utility>
#include <vector>

// Overridable only so that the fallback can be exercised against OpenSSL 3 headers.
#ifndef QURABLE_WEBHOOKS_DETAIL_EVP_MAC
#if OPENSSL_VERSION_NUMBER >= 0x30000000L && !defined(LIBRESSL_VERSION_NUMBER) && !defined(OPENSSL_IS_BORINGSSL)
#define QURABLE_WEBHOOKS_DETAIL_EVP_MAC 1
#else
#define QURABLE_WEBHOOKS_DETAIL_EVP_MAC 0
#endif
#endif

#if QURABLE_WEBHOOKS_DETAIL_EVP_MAC
#include <openssl/core_names.h>
#include <openssl/params.h>
#else
#include <openssl/hmac.h>
#include <climits>
#endif

namespace qurable::webhooks::detail {

inline constexpr std::size_t sha256_size = 32;
using sha256_digest = std::array<unsigned char, sha256_size>;

// Constant-time equality of two equal-length buffers.
inline bool equal_constant_time(const void* a, const void* b, std::size_t size) noexcept {
  return CRYPTO_memcmp(a, b, size) == 0;
}

inline bool sha256(std::string_view data, sha256_digest& out) noexcept {
  unsigned int size = 0;
  return EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr) == 1 && size == sha256_size;
}

// Owned secret bytes, overwritten before their memory is released.
class secret_bytes {
 public:
  secret_bytes() = default;
  secret_bytes(const secret_bytes&) = default;
  secret_bytes(secret_bytes&&) noexcept = default;
  secret_bytes& operator=(const secret_bytes& other) {
    if (this != &other) {
      wipe();
      bytes_ = other.bytes_;
    }
    return *this;
  }
  secret_bytes& operator=(secret_bytes&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
    }
    return *this;
  }
  ~secret_bytes() { wipe(); }

  std::vector<unsigned char>& bytes() noexcept { return bytes_; }
  const std::vector<unsigned char>& bytes() const noexcept { return bytes_; }

 private:
  void wipe() noexcept {
    if (!bytes_.empty()) OPENSSL_cleanse(bytes_.data(), bytes_.size());
  }
  std::vector<unsigned char> bytes_;
};

#if QURABLE_WEBHOOKS_DETAIL_EVP_MAC

// The fetched "HMAC" algorithm. Fetching goes through OpenSSL's method store, so it is done once per verifier and
// shared (EVP_MAC is reference counted and immutable, hence safe to use from several threads).
class hmac_algorithm {
 public:
  hmac_algorithm() noexcept : mac_(EVP_MAC_fetch(nullptr, OSSL_MAC_NAME_HMAC, nullptr)) {}
  hmac_algorithm(const hmac_algorithm& other) noexcept : mac_(other.mac_) {
    if (mac_ != nullptr && EVP_MAC_up_ref(mac_) != 1) mac_ = nullptr;
  }
  hmac_algorithm(hmac_algorithm&& other) noexcept : mac_(std::exchange(other.mac_, nullptr)) {}
  hmac_algorithm& operator=(hmac_algorithm other) noexcept {
    std::swap(mac_, other.mac_);
    return *this;
  }
  ~hmac_algorithm() { EVP_MAC_free(mac_); }

  bool valid() const noexcept { return mac_ != nullptr; }
  EVP_MAC* get() const noexcept { return mac_; }

 private:
  EVP_MAC* mac_;
};

// One HMAC-SHA256 computation context; re-keyable, so one context serves every secret of a verification.
class hmac_sha256 {
 public:
  explicit hmac_sha256(const hmac_algorithm& algorithm) noexcept
      : ctx_(algorithm.valid() ? EVP_MAC_CTX_new(algorithm.get()) : nullptr) {
    if (ctx_ == nullptr) return;
    char digest[] = "SHA256";  // OSSL_PARAM wants a mutable buffer
    const OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                                 OSSL_PARAM_construct_end()};
    if (EVP_MAC_CTX_set_params(ctx_, params) != 1) {
      EVP_MAC_CTX_free(ctx_);
      ctx_ = nullptr;
    }
  }
  hmac_sha256(const hmac_sha256&) = delete;
  hmac_sha256& operator=(const hmac_sha256&) = delete;
  ~hmac_sha256() { EVP_MAC_CTX_free(ctx_); }

  bool valid() const noexcept { return ctx_ != nullptr; }
  bool init(const unsigned char* key, std::size_t size) noexcept {
    return ctx_ != nullptr && EVP_MAC_init(ctx_, key, size, nullptr) == 1;
  }
  bool update(std::string_view data) noexcept {
    return EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  }
  bool final(sha256_digest& out) noexcept {
    std::size_t size = 0;
    return EVP_MAC_final(ctx_, out.data(), &size, out.size()) == 1 && size == sha256_size;
  }

 private:
  EVP_MAC_CTX* ctx_;
};

#else

class hmac_algorithm {
 public:
  bool valid() const noexcept { return true; }
};

class hmac_sha256 {
 public:
  explicit hmac_sha256(const hmac_algorithm&) noexcept : ctx_(HMAC_CTX_new()) {}
  hmac_sha256(const hmac_sha256&) = delete;
  hmac_sha256& operator=(const hmac_sha256&) = delete;
  ~hmac_sha256() { HMAC_CTX_free(ctx_); }

  bool valid() const noexcept { return ctx_ != nullptr; }
  bool init(const unsigned char* key, std::size_t size) noexcept {
    return ctx_ != nullptr && size <= static_cast<std::size_t>(INT_MAX) &&
           HMAC_Init_ex(ctx_, key, static_cast<int>(size), EVP_sha256(), nullptr) == 1;
  }
  bool update(std::string_view data) noexcept {
    return HMAC_Update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
  }
  bool final(sha256_digest& out) noexcept {
    unsigned int size = 0;
    return HMAC_Final(ctx_, out.data(), &size) == 1 && size == sha256_size;
  }

 private:
  HMAC_CTX* ctx_;
};

#endif

}  // namespace qurable::webhooks::detail
