// NumPy .npy files: the tensor exchange format of the CLI, the golden tests and the model tooling.
// Reads format versions 1.0, 2.0 and 3.0 in C order, little- or big-endian (converted to native
// little-endian), and writes version 1.0 (2.0 when the header does not fit in 64 KiB).
// dtypes: float32, float64, float16, int64, int32, int16, int8, uint64, uint32, uint16, uint8, bool.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/status.h"
#include "core/tensor.h"

namespace edgeinfer {

// Parses an in-memory .npy image. `source` names the file (or buffer) in error messages.
// Errors: kInvalidArgument for malformed or truncated data, kUnsupported for valid .npy content
// outside the supported set (fortran_order=True, object/string/complex dtypes),
// kResourceExhausted for tensors over the runtime's size limits.
Result<Tensor> parse_npy(const uint8_t* data, size_t size, const std::string& source = "<npy buffer>");

// Reads and parses a .npy file.
Result<Tensor> read_npy(const std::string& path);

// Serialises a tensor as a .npy image (little-endian, C order).
Result<std::vector<uint8_t>> encode_npy(const Tensor& tensor);

// Writes a tensor to `path`, replacing any existing file.
Status write_npy(const std::string& path, const Tensor& tensor);

// The NumPy descr for a dtype ("<f4", "|u1", "|b1", ...); empty for dtypes .npy cannot hold here.
std::string npy_descr(DataType dtype);

}  // namespace edgeinfer
