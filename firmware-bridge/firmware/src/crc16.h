// CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, no reflection, no final xor. Check value 0x29B1
// over "123456789" (tested in test/test_bridge.cpp and, for the host, test/firmware-bridge).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace ewfw {

inline uint16_t crc16CcittFalse(const uint8_t* data, size_t length, uint16_t crc = 0xFFFF) {
  for (size_t i = 0; i < length; i++) {
    crc ^= static_cast<uint16_t>(data[i]) << 8;
    for (int bit = 0; bit < 8; bit++) crc = (crc & 0x8000) ? static_cast<uint16_t>((crc << 1) ^ 0x1021) : static_cast<uint16_t>(crc << 1);
  }
  return crc;
}

}  // namespace ewfw
