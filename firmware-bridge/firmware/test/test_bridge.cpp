// Unit tests of the firmware logic on the host, against a fake hardware layer. Built and run by
// test/firmware-bridge/firmware.int.test.ts with the host's g++; exits non-zero on a failure.
#include <stdio.h>
#include <string.h>

#include <vector>

#include "../src/bridge.h"
#include "../src/cobs.h"
#include "../src/crc16.h"

using namespace ewfw;

static int failures = 0;
#define CHECK(cond)                                                   \
  do {                                                                \
    if (!(cond)) {                                                    \
      fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
      failures++;                                                     \
    }                                                                 \
  } while (0)

class FakeHal : public Hal {
 public:
  uint32_t now = 0;
  int pin = 0;
  bool failRead = false;
  size_t acceptLimit = SIZE_MAX;  // bytes the "USB buffer" takes per write
  Sample next{3300, 10000};
  std::vector<uint8_t> out;
  uint32_t micros() override { return now; }
  bool readSample(Sample& s) override {
    if (failRead) return false;
    s = next;
    return true;
  }
  int windowPin() override { return pin; }
  size_t write(const uint8_t* data, size_t length) override {
    size_t n = length < acceptLimit ? length : acceptLimit;
    out.insert(out.end(), data, data + n);
    return n;
  }
};

/** Splits the written stream at 0x00, COBS-decodes, checks the CRC; returns the packets. */
static std::vector<std::vector<uint8_t>> packets(const std::vector<uint8_t>& stream) {
  std::vector<std::vector<uint8_t>> result;
  std::vector<uint8_t> frame;
  for (uint8_t b : stream) {
    if (b != 0) {
      frame.push_back(b);
      continue;
    }
    std::vector<uint8_t> decoded(frame.size());
    long n = cobsDecode(frame.data(), frame.size(), decoded.data());
    CHECK(n >= 3);
    if (n >= 3) {
      uint16_t crc = crc16CcittFalse(decoded.data(), n - 2);
      CHECK((decoded[n - 2] | (decoded[n - 1] << 8)) == crc);
      decoded.resize(n - 2);
      result.push_back(decoded);
    }
    frame.clear();
  }
  return result;
}

static uint32_t get32(const std::vector<uint8_t>& p, size_t at) {
  return p[at] | (p[at + 1] << 8) | (p[at + 2] << 16) | (static_cast<uint32_t>(p[at + 3]) << 24);
}

static void testCrcCheckValue() {
  const char* check = "123456789";
  CHECK(crc16CcittFalse(reinterpret_cast<const uint8_t*>(check), 9) == 0x29B1);
}

static void testCobsRoundTrip() {
  for (size_t length : {0u, 1u, 253u, 254u, 255u, 600u}) {
    std::vector<uint8_t> in(length);
    for (size_t i = 0; i < length; i++) in[i] = static_cast<uint8_t>(i % 7 == 0 ? 0 : i);
    std::vector<uint8_t> enc(length + length / 254 + 2);
    size_t n = cobsEncode(in.data(), length, enc.data());
    for (size_t i = 0; i < n; i++) CHECK(enc[i] != 0);
    std::vector<uint8_t> dec(n + 1);
    long m = cobsDecode(enc.data(), n, dec.data());
    CHECK(m == static_cast<long>(length));
    CHECK(memcmp(dec.data(), in.data(), length) == 0);
  }
  uint8_t bad[] = {5, 1, 2};
  uint8_t out[8];
  CHECK(cobsDecode(bad, 3, out) == -1);
}

static void testHelloThenBatchedSamples() {
  FakeHal hal;
  Bridge bridge(hal, 1000, 0.01, "ina219");
  for (int i = 0; i < 64; i++) bridge.tick();
  auto ps = packets(hal.out);
  CHECK(ps.size() == 3);  // hello, two batches of 32
  CHECK(ps[0][0] == kTypeHello);
  CHECK(get32(ps[0], 5) == 1000);
  CHECK(ps[1][0] == kTypeSamples && get32(ps[1], 3) == 0 && ps[1][11] == 32);
  CHECK(ps[2][0] == kTypeSamples && get32(ps[2], 3) == 32);
  // packet sequence numbers increase by one
  for (size_t i = 0; i < ps.size(); i++) CHECK(static_cast<size_t>(ps[i][1] | (ps[i][2] << 8)) == i);
}

static void testMarkFlushesSamplesBeforeIt() {
  FakeHal hal;
  Bridge bridge(hal, 1000, 0.01, "ina219");
  for (int i = 0; i < 5; i++) bridge.tick();
  hal.pin = 1;
  bridge.tick();
  auto ps = packets(hal.out);
  CHECK(ps.size() == 3);  // hello, 5 samples, mark
  CHECK(ps[1][0] == kTypeSamples && ps[1][11] == 5);
  CHECK(ps[2][0] == kTypeMark && get32(ps[2], 3) == 5 && ps[2][7] == 1);
}

static void testStatsOncePerSecondAndDroppedCounted() {
  FakeHal hal;
  Bridge bridge(hal, 100, 0.01, "ina219");
  hal.acceptLimit = 4;  // the host is not reading: every packet is cut short
  for (int i = 0; i < 100; i++) bridge.tick();
  CHECK(bridge.samplesDropped() == 100);
  hal.acceptLimit = SIZE_MAX;
  hal.out.clear();
  hal.failRead = true;
  for (int i = 0; i < 100; i++) bridge.tick();
  CHECK(bridge.readFailures() == 100);
  auto ps = packets(hal.out);
  bool sawStats = false;
  for (auto& p : ps) {
    if (p[0] != kTypeStats) continue;
    sawStats = true;
    CHECK(get32(p, 3) == 200);
    CHECK(get32(p, 7) == 100);
    CHECK(get32(p, 11) == 100);
  }
  CHECK(sawStats);
}

int main() {
  testCrcCheckValue();
  testCobsRoundTrip();
  testHelloThenBatchedSamples();
  testMarkFlushesSamplesBeforeIt();
  testStatsOncePerSecondAndDroppedCounted();
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("firmware tests passed\n");
  return 0;
}
