// SHA-256, base64 and Ed25519 for bundles, on OpenSSL libcrypto (EVP). Native only.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"

namespace edgeinfer::bundle {

std::string hex_encode(const uint8_t* data, size_t n);
inline std::string hex_encode(const std::vector<uint8_t>& v) { return hex_encode(v.data(), v.size()); }

// Lowercase hex SHA-256.
std::string sha256_hex(const uint8_t* data, size_t n);

// Incremental SHA-256 (the payload hash over chunk files read one by one).
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const uint8_t* data, size_t n);
  std::string final_hex();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Standard base64 (RFC 4648 section 4) with padding.
std::string base64_encode(const uint8_t* data, size_t n);
// Strict: standard alphabet, padding required, no whitespace, canonical trailing bits.
Result<std::vector<uint8_t>> base64_decode(const std::string& text);

// An Ed25519 key (private or public-only), owning an EVP_PKEY.
class Ed25519Key {
 public:
  Ed25519Key() = default;
  ~Ed25519Key();
  Ed25519Key(Ed25519Key&& o) noexcept;
  Ed25519Key& operator=(Ed25519Key&& o) noexcept;
  Ed25519Key(const Ed25519Key&) = delete;
  Ed25519Key& operator=(const Ed25519Key&) = delete;

  static Result<Ed25519Key> generate();
  static Result<Ed25519Key> from_private_pem(const std::string& pem);  // PKCS#8
  static Result<Ed25519Key> from_public_pem(const std::string& pem);   // SPKI
  static Result<Ed25519Key> from_raw_public(const std::vector<uint8_t>& raw32);

  bool has_private() const { return has_private_; }
  Result<std::string> private_pem() const;
  Result<std::string> public_pem() const;
  Result<std::vector<uint8_t>> raw_public() const;
  // First 8 bytes of SHA-256(raw public key), hex.
  Result<std::string> key_id() const;

  Result<std::vector<uint8_t>> sign(const std::string& message) const;
  // False for a wrong signature; an error only when the check could not run.
  Result<bool> verify(const std::string& message, const std::vector<uint8_t>& signature) const;

 private:
  void* pkey_ = nullptr;  // EVP_PKEY*
  bool has_private_ = false;
};

}  // namespace edgeinfer::bundle
