// The reference bridge firmware's logic, free of hardware: call tick() once per sample period
// (a timer interrupt on the board sets a flag; loop() calls tick()). It reads one sample and the
// window pin, buffers samples, and sends framed packets (packets.h): samples in batches of up to
// kBatchSamples, a mark whenever the window pin changes (the samples before it are flushed first,
// so the host sees them in order), and hello + stats once a second so a host that connects late
// learns the rate. A packet the USB buffer cannot take whole is dropped and its samples counted.
#pragma once
#include <stddef.h>
#include <stdint.h>

#include "hal.h"

namespace ewfw {

constexpr uint8_t kTypeHello = 0x01;
constexpr uint8_t kTypeSamples = 0x02;
constexpr uint8_t kTypeMark = 0x03;
constexpr uint8_t kTypeStats = 0x04;
constexpr uint16_t kProtocolVersion = 1;
constexpr size_t kBatchSamples = 32;
constexpr size_t kSampleBytes = 6;
constexpr size_t kMaxPacket = 12 + kBatchSamples * kSampleBytes;

class Bridge {
 public:
  Bridge(Hal& hal, uint32_t sampleRateHz, double accuracy, const char* sensorName);
  /** Takes one sample; call at sampleRateHz. */
  void tick();
  /** Sends what is buffered (end of a run). */
  void flush();

  uint32_t samplesTaken() const { return index_; }
  uint32_t samplesDropped() const { return dropped_; }
  uint32_t readFailures() const { return readFailures_; }

 private:
  void sendHello();
  void sendStats();
  void sendMark(uint32_t index, uint8_t level, uint32_t timeUs);
  /** Frames (CRC + COBS + 0x00) and writes; false when the host link did not take it whole. */
  bool send(uint8_t* packet, size_t length);
  void header(uint8_t* packet, uint8_t type);

  Hal& hal_;
  uint32_t sampleRateHz_;
  uint16_t accuracyPer10k_;
  const char* sensorName_;
  uint16_t seq_ = 0;
  uint32_t index_ = 0;
  uint32_t dropped_ = 0;
  uint32_t readFailures_ = 0;
  int pin_ = 0;
  Sample batch_[kBatchSamples];
  size_t batchCount_ = 0;
  uint32_t batchFirstIndex_ = 0;
  uint32_t batchFirstTimeUs_ = 0;
  Sample last_{0, 0};
};

}  // namespace ewfw
