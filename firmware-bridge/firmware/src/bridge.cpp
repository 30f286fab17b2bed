// See bridge.h. Little-endian fields, as the host decoder (devices/ewfw/packets.ts) reads them.
#include "bridge.h"

#include <string.h>

#include "cobs.h"
#include "crc16.h"

namespace ewfw {

namespace {
void put16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v);
  p[1] = static_cast<uint8_t>(v >> 8);
}
void put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
}  // namespace

Bridge::Bridge(Hal& hal, uint32_t sampleRateHz, double accuracy, const char* sensorName)
    : hal_(hal),
      sampleRateHz_(sampleRateHz),
      accuracyPer10k_(static_cast<uint16_t>(accuracy * 10000 + 0.5)),
      sensorName_(sensorName) {
  pin_ = hal_.windowPin();
  sendHello();
}

void Bridge::header(uint8_t* packet, uint8_t type) {
  packet[0] = type;
  put16(packet + 1, seq_++);
}

bool Bridge::send(uint8_t* packet, size_t length) {
  uint16_t crc = crc16CcittFalse(packet, length);
  packet[length] = static_cast<uint8_t>(crc);
  packet[length + 1] = static_cast<uint8_t>(crc >> 8);
  uint8_t framed[kMaxPacket + 2 + kMaxPacket / 254 + 2];
  size_t n = cobsEncode(packet, length + 2, framed);
  framed[n++] = 0;
  return hal_.write(framed, n) == n;
}

void Bridge::sendHello() {
  uint8_t packet[kMaxPacket + 2];
  size_t nameLength = strlen(sensorName_);
  if (nameLength > kMaxPacket - 11) nameLength = kMaxPacket - 11;
  header(packet, kTypeHello);
  put16(packet + 3, kProtocolVersion);
  put32(packet + 5, sampleRateHz_);
  put16(packet + 9, accuracyPer10k_);
  memcpy(packet + 11, sensorName_, nameLength);
  send(packet, 11 + nameLength);
}

void Bridge::sendStats() {
  uint8_t packet[15 + 2];
  header(packet, kTypeStats);
  put32(packet + 3, index_);
  put32(packet + 7, dropped_);
  put32(packet + 11, readFailures_);
  send(packet, 15);
}

void Bridge::sendMark(uint32_t index, uint8_t level, uint32_t timeUs) {
  uint8_t packet[12 + 2];
  header(packet, kTypeMark);
  put32(packet + 3, index);
  packet[7] = level;
  put32(packet + 8, timeUs);
  send(packet, 12);
}

void Bridge::flush() {
  if (batchCount_ == 0) return;
  uint8_t packet[kMaxPacket + 2];
  header(packet, kTypeSamples);
  put32(packet + 3, batchFirstIndex_);
  put32(packet + 7, batchFirstTimeUs_);
  packet[11] = static_cast<uint8_t>(batchCount_);
  for (size_t i = 0; i < batchCount_; i++) {
    put16(packet + 12 + i * kSampleBytes, batch_[i].busMv);
    put32(packet + 14 + i * kSampleBytes, static_cast<uint32_t>(batch_[i].currentUa));
  }
  if (!send(packet, 12 + batchCount_ * kSampleBytes)) dropped_ += static_cast<uint32_t>(batchCount_);
  batchCount_ = 0;
}

void Bridge::tick() {
  uint32_t now = hal_.micros();
  int pin = hal_.windowPin() ? 1 : 0;
  if (pin != pin_) {
    // Samples before the edge go out first: the host integrates strictly in index order.
    flush();
    sendMark(index_, static_cast<uint8_t>(pin), now);
    pin_ = pin;
  }
  Sample sample;
  if (hal_.readSample(sample)) {
    last_ = sample;
  } else {
    readFailures_++;
    sample = last_;  // hold the last reading: the index stream has no holes the host would misread
  }
  if (batchCount_ == 0) {
    batchFirstIndex_ = index_;
    batchFirstTimeUs_ = now;
  }
  batch_[batchCount_++] = sample;
  index_++;
  if (batchCount_ == kBatchSamples) flush();
  if (sampleRateHz_ > 0 && index_ % sampleRateHz_ == 0) {
    flush();
    sendStats();
    sendHello();
  }
}

}  // namespace ewfw
