#include "bundle/fastcdc.h"

#include <string>

namespace edgeinfer::bundle {
namespace {

// SplitMix64 from seed 0x45646765696e6665; bundle_test checks the table against the generator.
constexpr uint64_t kGear[256] = {
    0xc01400534ec66c48ULL, 0x14fd643a245393c4ULL, 0xe60faa7b04a0bdafULL, 0x1ec0acbc460cfac1ULL,
    0x3c9035cbbf98e098ULL, 0x7f5e91b4c40a4b18ULL, 0xe59e12f52cc72452ULL, 0x3c46d9abf2bc3677ULL,
    0xaa14928ea47bfee1ULL, 0x3035424ad530f13cULL, 0xf75c9ca205111daaULL, 0xcc77e3a412e23976ULL,
    0x25f2a87cdce6d3c8ULL, 0xc5c3d979828b3941ULL, 0x71e5b4cb52e0fb99ULL, 0xfd6372eeebe22bc1ULL,
    0xe9935b3c1016fb1eULL, 0x96b532b644fbcbbbULL, 0x6bff897512a1b5bdULL, 0xac4fcc490289b791ULL,
    0x0113735423ceecc8ULL, 0xc5a1492a6634ee09ULL, 0x22455bb5b4e29f5fULL, 0xdb0106e7708dcc96ULL,
    0xa77f4ab037576241ULL, 0xc49b26e533765d51ULL, 0x44d6612fcd1cce0fULL, 0xd4a35c47046416c7ULL,
    0x253ab08afcd9e3d9ULL, 0xf78568d14b52aac6ULL, 0x5826b7fce91090cbULL, 0xb64900cbc3ca9093ULL,
    0xde4fcb0ff200c2cdULL, 0xf5902a8daf05310dULL, 0x83332ff7d375be47ULL, 0x6e015b28d283a1a2ULL,
    0x73f7c8b2d0ebdd9bULL, 0x27d3a46046e67300ULL, 0x9543dde44465cc1fULL, 0xb1ccc1cb230b914dULL,
    0xf9d9601003dc5709ULL, 0x1f2db567b57e085bULL, 0xa4c745fc0458f3e1ULL, 0x47ddf7aca29cc1d1ULL,
    0xe9ac821f187c975cULL, 0x05cebae0d813b6adULL, 0x956ccef28e13be01ULL, 0xe0b72397eef3beacULL,
    0x04cb9fb007c59672ULL, 0x2ab8cdfb87299e05ULL, 0x7ae71b33cb555e5cULL, 0xfcee1f42c3888de3ULL,
    0x0547ca74215c79eeULL, 0xc07e2e887c786178ULL, 0x29a4a5f4965f9640ULL, 0xbfcc91eb7944f37fULL,
    0x6395b540a7337739ULL, 0x4e835ba7f0c71d0aULL, 0x517078e17cca9090ULL, 0x15655c484651be3bULL,
    0x4be52e4b2a33032eULL, 0xa607e23930592620ULL, 0x785f2c59afc56c71ULL, 0xf4548579042cc3a5ULL,
    0xf507b2bce1bf1608ULL, 0x4030bd3b7b8cc1bdULL, 0x98cfa8c52eb1800eULL, 0x52deb9206efb43f2ULL,
    0x33ecea3d64605074ULL, 0x6499f257e1e917b1ULL, 0x144384afb3ebbf5eULL, 0xbebecbc476be4752ULL,
    0x76286ec67342d5e5ULL, 0x285a6da8303df516ULL, 0xd41a8dfdb7cbe997ULL, 0x526d850811f03628ULL,
    0xc78c5d0b9d31a6b1ULL, 0x54587b5a4d387322ULL, 0x242b33b46d7aac15ULL, 0x2a8e4277c3d4e0d7ULL,
    0xb13a18e05f17531bULL, 0xc070859f66a231eeULL, 0x6801009d526f6722ULL, 0xfabf5af14d27a27aULL,
    0x6b6eafa5099773edULL, 0x0e84455cb0482de8ULL, 0xfdd7271f753e8b8dULL, 0x3d2e0a6f9cf14d82ULL,
    0xe41417a563b35f69ULL, 0xbd9a76a1c0318508ULL, 0x8b415b6aa5cb3043ULL, 0x5c6468783f032bf2ULL,
    0xa5c41b270536c456ULL, 0x1ba407860cc7ea74ULL, 0xbd177fd4ee39d756ULL, 0xc8d34ef5a4259a64ULL,
    0x2c4a63de08a0dcabULL, 0x6389bd044a513b76ULL, 0x379797ed0e66b9bcULL, 0x9b4bec43d8253ac7ULL,
    0xf4db43663acc85d8ULL, 0x310e705a24d994c9ULL, 0xd5fe2c06fe7b5dcdULL, 0x99aace3d5e6e8190ULL,
    0xc9c1dc59e7b7419fULL, 0x96700022b37d53ccULL, 0x1bdab99065aad912ULL, 0x3595f8d3b867009bULL,
    0x373a2d9e5e07033cULL, 0xd2a03fb55bd209a1ULL, 0x8b15de27825c4c59ULL, 0x2baab6552e8cae6fULL,
    0x54cff6345717fde5ULL, 0x1e29754057a41538ULL, 0xb3512ff3bd1b9809ULL, 0xd936f2e341b1563bULL,
    0xb1c9857bc06fe6c5ULL, 0x515d7987c08ce8aaULL, 0x945fdd438808e6ebULL, 0xc2ebc3f28eb6d599ULL,
    0xf740971f47ea1130ULL, 0x5e1b0c2f7e3df0f6ULL, 0x41f9763c402f43a4ULL, 0xa7924ed4b89ae375ULL,
    0x8dc47a52492c0cefULL, 0xdc5d5c3fd6525cd0ULL, 0xfb170042b0c782c0ULL, 0x7c95b2b51c11b7a5ULL,
    0xeb494c7e3bea0171ULL, 0x615bf12d6a54c698ULL, 0x6d58dd7b04f79db2ULL, 0xae72d0bd0c33fdf3ULL,
    0xe3b7c2b69a6b81b9ULL, 0x9f6a90198d722c4bULL, 0xbadd16478185fa66ULL, 0x881e91bc6e003ae7ULL,
    0xc6d07dbc4ddc1c0dULL, 0x08120e4209af180dULL, 0x0ec0817edaac8d45ULL, 0x862b9a1b5ae0b74bULL,
    0x945c41fa9fad170fULL, 0xed1847a9cf311216ULL, 0x26bf8a05dfeb0d2aULL, 0xb301a9b932440877ULL,
    0x2b7e02d742cd7e5aULL, 0xc7e910d2cdb4b83bULL, 0x77e2422ce0b44803ULL, 0xe719086e7e9bb831ULL,
    0xc58c7965dfe43267ULL, 0x8d760a7be3a9d62aULL, 0xa7b9de0ef3e90c36ULL, 0x31f9eaa9cb51553aULL,
    0xbf36dda12fd426bdULL, 0x6493820d409d4790ULL, 0x90269866d13d80aeULL, 0x19b3abcc2d428d46ULL,
    0x934d441ef95b0211ULL, 0x81c4197331091c7eULL, 0xcb479b358b8e661aULL, 0x69c79fe8fbf8455aULL,
    0x126de7e98cbe1d14ULL, 0x3984c98f635f7c92ULL, 0xc1d4d8d5be50760dULL, 0x7dfe8a7c7958bc29ULL,
    0x6470e47aafb1c8e8ULL, 0x72aae8147e1c80f6ULL, 0x04c2c7ae6a7c56bdULL, 0x0f478d0f1bf787f5ULL,
    0x69fda21385e3a5b1ULL, 0xaac406eff04c73d8ULL, 0x2119e3d55c520c0aULL, 0x8c4863ee0c3b7841ULL,
    0xa640f2ebdcde98e2ULL, 0xb0b1cc4318997528ULL, 0x6f9643860830d2abULL, 0xe25f3086add6ee76ULL,
    0x182dea65ddd84659ULL, 0x02dfcb7b35a7d135ULL, 0xc9359e47be1ed7b7ULL, 0x5a3b4c2e1cc1b02eULL,
    0xbb6e879491a07209ULL, 0x3f52a4edb40e20dbULL, 0xd01bf9b5880801beULL, 0x799b77af253732a8ULL,
    0x6c7a03fa90a44d58ULL, 0x2168893523f86ca0ULL, 0x9e5a4a4a61eab537ULL, 0x41f9d796e0a0977eULL,
    0x2fc8cdb1450bb435ULL, 0x853ccd835256ff7fULL, 0x5e0905552d41494fULL, 0x3ae0bf4dedddc99dULL,
    0xa39459f65bf2cd0aULL, 0x0b294d152c853211ULL, 0x12a43c80f0e26125ULL, 0x30cebe89a25875d2ULL,
    0x7f02c98613007d12ULL, 0xdb81d69a10a9a220ULL, 0xe2b2098e0e485046ULL, 0x16fb6865c953736eULL,
    0x6ac5a2e056305a0cULL, 0x5b33e1e0092b2a63ULL, 0x7b2fda02595589edULL, 0x363aea3c4d3087edULL,
    0xa773308503888413ULL, 0xf045560359944e63ULL, 0x18b0058fce5957acULL, 0xe30ed48b1f9c39f2ULL,
    0xe08991b5383c9d45ULL, 0x586c75f5c07baa78ULL, 0xcde2623c5926e963ULL, 0x6ef4e1851cd7de0cULL,
    0xe31c5a52817d4173ULL, 0x929c7afcef486030ULL, 0x998e89657d1543ffULL, 0xda26e64661c6a2e3ULL,
    0x36041bbc198083a8ULL, 0xdd389735c7203b3bULL, 0xa61a97d012aad7b7ULL, 0x6de007e635acb92cULL,
    0xd7bc7389b387e951ULL, 0x3a2cf9520bfe620aULL, 0x064eaa56ab0f59c1ULL, 0x0f6591771f3bf899ULL,
    0xc361a819d7472c35ULL, 0x817c96ba5a9f911aULL, 0x4f3481f818a363dbULL, 0xe5750cb39b105f72ULL,
    0x2f8518254b86c1c5ULL, 0x478d0aa5c3092503ULL, 0x8eac17d42bf490acULL, 0x38f3d3daa398f896ULL,
    0x9254163cf16b118dULL, 0xb6439abe4b154bc3ULL, 0xc5a14127fd7c671eULL, 0x17b308d809e329a0ULL,
    0x9aa92bd292d3e4ceULL, 0x610bdd10ee3fcaa3ULL, 0xcecbd029e0ee9a50ULL, 0x2af882464d331614ULL,
    0x95c527177fa0e6e3ULL, 0x66eb0e0eaf7fb3b5ULL, 0xda5eefbb301d681aULL, 0x173932ae1378e2acULL,
    0xc62f0b2a450434e9ULL, 0xbfabf67731cda448ULL, 0x695b8e87b33e8708ULL, 0x2b4b79266291a8c1ULL,
    0x5636db0664750a68ULL, 0xd0a4712a7cf18242ULL, 0xb4009927ec1c00e0ULL, 0x679df57ac1d51e87ULL,
    0xfefe8a8a4beb5e95ULL, 0xdb9205da3ace4850ULL, 0x569799f1a43be740ULL, 0x6ea390f487c7c0c9ULL,
};

int log2_exact(size_t v) {
  int b = 0;
  while ((size_t{1} << b) < v) ++b;
  return b;
}

// The top `bits` bits of a 64-bit hash.
uint64_t top_mask(int bits) {
  if (bits <= 0) return 0;
  if (bits >= 64) return ~uint64_t{0};
  return ~uint64_t{0} << (64 - bits);
}

}  // namespace

const uint64_t* gear_table() { return kGear; }

Status validate_chunking(const ChunkingParams& p) {
  if (p.avg_size < 256 || (p.avg_size & (p.avg_size - 1)) != 0)
    return invalid_argument("chunking: avg_size " + std::to_string(p.avg_size) + " is not a power of two >= 256");
  if (p.min_size < 64 || p.min_size > p.avg_size)
    return invalid_argument("chunking: min_size " + std::to_string(p.min_size) + " must be in [64, avg_size]");
  if (p.max_size < p.avg_size || p.max_size > (size_t{64} << 20))
    return invalid_argument("chunking: max_size " + std::to_string(p.max_size) + " must be in [avg_size, 64 MiB]");
  return Status::ok();
}

size_t fastcdc_cut(const uint8_t* data, size_t n, const ChunkingParams& p) {
  if (n <= p.min_size) return n;
  if (n > p.max_size) n = p.max_size;
  const size_t normal = n < p.avg_size ? n : p.avg_size;
  const int bits = log2_exact(p.avg_size);
  const uint64_t mask_s = top_mask(bits + 2);  // harder: before the average size
  const uint64_t mask_l = top_mask(bits - 2);  // easier: after it
  uint64_t h = 0;
  size_t i = p.min_size;
  for (; i < normal; ++i) {
    h = (h << 1) + kGear[data[i]];
    if ((h & mask_s) == 0) return i + 1;
  }
  for (; i < n; ++i) {
    h = (h << 1) + kGear[data[i]];
    if ((h & mask_l) == 0) return i + 1;
  }
  return n;
}

std::vector<ChunkSpan> fastcdc_chunks(const uint8_t* data, size_t n, const ChunkingParams& p) {
  std::vector<ChunkSpan> out;
  size_t off = 0;
  while (off < n) {
    const size_t len = fastcdc_cut(data + off, n - off, p);
    out.push_back({off, len});
    off += len;
  }
  return out;
}

}  // namespace edgeinfer::bundle
