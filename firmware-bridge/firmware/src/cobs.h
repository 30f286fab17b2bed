// COBS encoding (Cheshire & Baker): no zero byte in the output, so 0x00 delimits packets and a
// receiver resynchronises after noise at the next delimiter. Output is at most n + n/254 + 1 bytes.
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace ewfw {

inline size_t cobsEncode(const uint8_t* in, size_t length, uint8_t* out) {
  size_t codeIndex = 0;
  size_t o = 1;
  uint8_t code = 1;
  for (size_t i = 0; i < length; i++) {
    if (in[i] == 0) {
      out[codeIndex] = code;
      codeIndex = o++;
      code = 1;
      continue;
    }
    out[o++] = in[i];
    if (++code == 0xFF) {
      out[codeIndex] = code;
      codeIndex = o++;
      code = 1;
    }
  }
  out[codeIndex] = code;
  return o;
}

/** Decodes into out; returns the decoded length, or -1 for a malformed packet. */
inline long cobsDecode(const uint8_t* in, size_t length, uint8_t* out) {
  size_t i = 0;
  size_t o = 0;
  while (i < length) {
    uint8_t code = in[i];
    if (code == 0 || i + code > length) return -1;
    for (size_t k = 1; k < code; k++) out[o++] = in[i + k];
    i += code;
    if (code != 0xFF && i < length) out[o++] = 0;
  }
  return static_cast<long>(o);
}

}  // namespace ewfw
