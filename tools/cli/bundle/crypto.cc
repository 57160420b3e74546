#include "bundle/crypto.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

namespace edgeinfer::bundle {
namespace {

std::string openssl_error(const std::string& what) {
  const unsigned long e = ERR_get_error();
  char buf[256] = {0};
  if (e) ERR_error_string_n(e, buf, sizeof(buf));
  ERR_clear_error();
  return what + (e ? std::string(": ") + buf : std::string());
}

EVP_PKEY* as_pkey(void* p) { return static_cast<EVP_PKEY*>(p); }

std::string bio_string(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return n > 0 ? std::string(data, static_cast<size_t>(n)) : std::string();
}

}  // namespace

std::string hex_encode(const uint8_t* data, size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string s(n * 2, '0');
  for (size_t i = 0; i < n; ++i) {
    s[2 * i] = kHex[data[i] >> 4];
    s[2 * i + 1] = kHex[data[i] & 15];
  }
  return s;
}

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
};

Sha256::Sha256() : impl_(new Impl) {
  impl_->ctx = EVP_MD_CTX_new();
  if (impl_->ctx) EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(impl_->ctx); }

void Sha256::update(const uint8_t* data, size_t n) {
  if (n) EVP_DigestUpdate(impl_->ctx, data, n);
}

std::string Sha256::final_hex() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  return hex_encode(md, len);
}

std::string sha256_hex(const uint8_t* data, size_t n) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(data, n, md, &len, EVP_sha256(), nullptr);
  return hex_encode(md, len);
}

std::string base64_encode(const uint8_t* data, size_t n) {
  static const char* kAlpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8) | data[i + 2];
    out += kAlpha[v >> 18];
    out += kAlpha[(v >> 12) & 63];
    out += kAlpha[(v >> 6) & 63];
    out += kAlpha[v & 63];
  }
  if (n - i == 1) {
    const uint32_t v = uint32_t{data[i]} << 16;
    out += kAlpha[v >> 18];
    out += kAlpha[(v >> 12) & 63];
    out += "==";
  } else if (n - i == 2) {
    const uint32_t v = (uint32_t{data[i]} << 16) | (uint32_t{data[i + 1]} << 8);
    out += kAlpha[v >> 18];
    out += kAlpha[(v >> 12) & 63];
    out += kAlpha[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

Result<std::vector<uint8_t>> base64_decode(const std::string& text) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  if (text.size() % 4 != 0)
    return invalid_argument("base64: length " + std::to_string(text.size()) + " is not a multiple of 4");
  std::vector<uint8_t> out;
  out.reserve(text.size() / 4 * 3);
  for (size_t i = 0; i < text.size(); i += 4) {
    const bool last = i + 4 == text.size();
    int pad = 0;
    if (last && text[i + 3] == '=') pad = text[i + 2] == '=' ? 2 : 1;
    int v[4];
    for (int k = 0; k < 4 - pad; ++k) {
      v[k] = val(text[i + static_cast<size_t>(k)]);
      if (v[k] < 0)
        return invalid_argument("base64: invalid character at position " + std::to_string(i + static_cast<size_t>(k)));
    }
    for (int k = 4 - pad; k < 4; ++k) v[k] = 0;
    const uint32_t w = (static_cast<uint32_t>(v[0]) << 18) | (static_cast<uint32_t>(v[1]) << 12) |
                       (static_cast<uint32_t>(v[2]) << 6) | static_cast<uint32_t>(v[3]);
    out.push_back(static_cast<uint8_t>(w >> 16));
    if (pad < 2) out.push_back(static_cast<uint8_t>(w >> 8));
    if (pad < 1) out.push_back(static_cast<uint8_t>(w));
    // Non-canonical encodings (stray bits under the padding) would let two texts mean one value.
    if ((pad == 1 && (w & 0xFF) != 0) || (pad == 2 && (w & 0xFFFF) != 0))
      return invalid_argument("base64: non-zero bits under the padding");
  }
  return out;
}

Ed25519Key::~Ed25519Key() { EVP_PKEY_free(as_pkey(pkey_)); }

Ed25519Key::Ed25519Key(Ed25519Key&& o) noexcept : pkey_(o.pkey_), has_private_(o.has_private_) { o.pkey_ = nullptr; }

Ed25519Key& Ed25519Key::operator=(Ed25519Key&& o) noexcept {
  if (this != &o) {
    EVP_PKEY_free(as_pkey(pkey_));
    pkey_ = o.pkey_;
    has_private_ = o.has_private_;
    o.pkey_ = nullptr;
  }
  return *this;
}

Result<Ed25519Key> Ed25519Key::generate() {
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  EVP_PKEY* pkey = nullptr;
  const bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &pkey) == 1;
  EVP_PKEY_CTX_free(ctx);
  if (!ok) return internal_error(openssl_error("Ed25519 key generation failed"));
  Ed25519Key k;
  k.pkey_ = pkey;
  k.has_private_ = true;
  return k;
}

Result<Ed25519Key> Ed25519Key::from_private_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!pkey) return invalid_argument(openssl_error("not a PEM private key"));
  if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(pkey);
    return invalid_argument("the private key is not an Ed25519 key");
  }
  Ed25519Key k;
  k.pkey_ = pkey;
  k.has_private_ = true;
  return k;
}

Result<Ed25519Key> Ed25519Key::from_public_pem(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* pkey = bio ? PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!pkey) return invalid_argument(openssl_error("not a PEM public key (SPKI)"));
  if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(pkey);
    return invalid_argument("the public key is not an Ed25519 key");
  }
  Ed25519Key k;
  k.pkey_ = pkey;
  return k;
}

Result<Ed25519Key> Ed25519Key::from_raw_public(const std::vector<uint8_t>& raw32) {
  if (raw32.size() != 32)
    return invalid_argument("an Ed25519 public key is 32 bytes, got " + std::to_string(raw32.size()));
  EVP_PKEY* pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, raw32.data(), raw32.size());
  if (!pkey) return invalid_argument(openssl_error("not a valid Ed25519 public key"));
  Ed25519Key k;
  k.pkey_ = pkey;
  return k;
}

Result<std::string> Ed25519Key::private_pem() const {
  if (!pkey_ || !has_private_) return invalid_argument("no private key");
  BIO* bio = BIO_new(BIO_s_mem());
  // PEM_write_bio_PrivateKey writes PKCS#8 ("BEGIN PRIVATE KEY").
  const bool ok = bio && PEM_write_bio_PrivateKey(bio, as_pkey(pkey_), nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::string s = ok ? bio_string(bio) : std::string();
  BIO_free(bio);
  if (!ok) return internal_error(openssl_error("writing the private key failed"));
  return s;
}

Result<std::string> Ed25519Key::public_pem() const {
  if (!pkey_) return invalid_argument("no key");
  BIO* bio = BIO_new(BIO_s_mem());
  const bool ok = bio && PEM_write_bio_PUBKEY(bio, as_pkey(pkey_)) == 1;
  std::string s = ok ? bio_string(bio) : std::string();
  BIO_free(bio);
  if (!ok) return internal_error(openssl_error("writing the public key failed"));
  return s;
}

Result<std::vector<uint8_t>> Ed25519Key::raw_public() const {
  if (!pkey_) return invalid_argument("no key");
  std::vector<uint8_t> raw(32);
  size_t len = raw.size();
  if (EVP_PKEY_get_raw_public_key(as_pkey(pkey_), raw.data(), &len) != 1 || len != 32)
    return internal_error(openssl_error("reading the raw public key failed"));
  return raw;
}

Result<std::string> Ed25519Key::key_id() const {
  EI_ASSIGN_OR_RETURN(std::vector<uint8_t> raw, raw_public());
  return sha256_hex(raw.data(), raw.size()).substr(0, 16);
}

Result<std::vector<uint8_t>> Ed25519Key::sign(const std::string& message) const {
  if (!pkey_ || !has_private_) return invalid_argument("signing needs a private key");
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  std::vector<uint8_t> sig(64);
  size_t len = sig.size();
  const bool ok = ctx && EVP_DigestSignInit(ctx, nullptr, nullptr, nullptr, as_pkey(pkey_)) == 1 &&
                  EVP_DigestSign(ctx, sig.data(), &len, reinterpret_cast<const unsigned char*>(message.data()),
                                 message.size()) == 1 &&
                  len == 64;
  EVP_MD_CTX_free(ctx);
  if (!ok) return internal_error(openssl_error("Ed25519 signing failed"));
  return sig;
}

Result<bool> Ed25519Key::verify(const std::string& message, const std::vector<uint8_t>& signature) const {
  if (!pkey_) return invalid_argument("no key");
  if (signature.size() != 64) return false;
  EVP_MD_CTX* ctx = EVP_MD_CTX_new();
  if (!ctx || EVP_DigestVerifyInit(ctx, nullptr, nullptr, nullptr, as_pkey(pkey_)) != 1) {
    EVP_MD_CTX_free(ctx);
    return internal_error(openssl_error("Ed25519 verification could not start"));
  }
  const int rc = EVP_DigestVerify(ctx, signature.data(), signature.size(),
                                  reinterpret_cast<const unsigned char*>(message.data()), message.size());
  EVP_MD_CTX_free(ctx);
  ERR_clear_error();
  return rc == 1;
}

}  // namespace edgeinfer::bundle
