// The hardware the bridge firmware needs, as an interface: an Arduino build implements it with an
// INA219/INA226 on I2C, a GPIO and the USB serial port (arduino/ewfw_bridge.ino); the host build
// with a fake (test/) or a simulated board writing to a pseudo-terminal (emulator/).
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace ewfw {

struct Sample {
  uint16_t busMv;
  int32_t currentUa;
};

class Hal {
 public:
  virtual ~Hal() = default;
  /** Microseconds since boot (wraps at 2^32, like Arduino's micros()). */
  virtual uint32_t micros() = 0;
  /** One reading of the power monitor; false when the I2C read failed. */
  virtual bool readSample(Sample& sample) = 0;
  /** The inference-window pin the device under test drives: 1 while an inference runs. */
  virtual int windowPin() = 0;
  /** Writes bytes to the host; returns how many were accepted (a full USB buffer takes fewer). */
  virtual size_t write(const uint8_t* data, size_t length) = 0;
};

}  // namespace ewfw
