// edgewatt reference bridge firmware for an Arduino-class board with an INA219 (or INA226) on I2C
// and the device under test's inference-window pin on WINDOW_PIN. The logic is ../../src/bridge.cpp
// (copy bridge.h, bridge.cpp, cobs.h, crc16.h, hal.h next to this sketch); this file is only the
// hardware layer. Not built here (no Arduino toolchain in CI): the same logic is built with g++ and
// tested against a fake hardware layer and an emulator (firmware-bridge/firmware/test, emulator).
//
// Wiring (see firmware-bridge/README.md): INA219 VIN+ from the supply, VIN- to the DUT's supply
// input, SDA/SCL to the board's I2C pins; the DUT drives WINDOW_PIN high while an inference runs.

#include <Wire.h>

#include "bridge.h"

static const uint8_t INA219_ADDRESS = 0x40;
static const int WINDOW_PIN = 2;
static const uint32_t SAMPLE_RATE_HZ = 1000;
// 0.1 Ω shunt, calibration for a 0.1 mA current LSB (INA219 datasheet, section 8.5.1).
static const float SHUNT_OHMS = 0.1f;
static const float CURRENT_LSB_A = 0.0001f;

static uint16_t readRegister(uint8_t reg, bool& ok) {
  Wire.beginTransmission(INA219_ADDRESS);
  Wire.write(reg);
  ok = Wire.endTransmission(false) == 0 && Wire.requestFrom(INA219_ADDRESS, (uint8_t)2) == 2;
  if (!ok) return 0;
  return (uint16_t(Wire.read()) << 8) | Wire.read();
}

class ArduinoHal : public ewfw::Hal {
 public:
  uint32_t micros() override { return ::micros(); }
  int windowPin() override { return digitalRead(WINDOW_PIN); }
  bool readSample(ewfw::Sample& s) override {
    bool okBus, okCurrent;
    uint16_t bus = readRegister(0x02, okBus);         // bus voltage, LSB 4 mV in bits 15..3
    int16_t current = (int16_t)readRegister(0x04, okCurrent);  // current register, LSB = CURRENT_LSB_A
    if (!okBus || !okCurrent) return false;
    s.busMv = (bus >> 3) * 4;
    s.currentUa = (int32_t)(current * CURRENT_LSB_A * 1e6f);
    return true;
  }
  size_t write(const uint8_t* data, size_t length) override {
    // Never block the sampling loop: take what the USB buffer can hold; the rest is counted lost.
    size_t room = Serial.availableForWrite();
    size_t n = length <= room ? length : 0;  // whole packets only
    if (n > 0) Serial.write(data, n);
    return n;
  }
};

static ArduinoHal hal;
static ewfw::Bridge* bridge = nullptr;
static volatile bool tickDue = false;
static uint32_t nextTickUs = 0;

void setup() {
  Serial.begin(921600);
  Wire.begin();
  Wire.setClock(400000);
  pinMode(WINDOW_PIN, INPUT);
  // Calibration register: trunc(0.04096 / (CURRENT_LSB_A * SHUNT_OHMS)).
  uint16_t cal = (uint16_t)(0.04096f / (CURRENT_LSB_A * SHUNT_OHMS));
  Wire.beginTransmission(INA219_ADDRESS);
  Wire.write(0x05);
  Wire.write(cal >> 8);
  Wire.write(cal & 0xFF);
  Wire.endTransmission();
  static ewfw::Bridge instance(hal, SAMPLE_RATE_HZ, 0.01, "ina219");
  bridge = &instance;
  nextTickUs = micros();
}

void loop() {
  // A fixed-rate loop on micros(); a timer interrupt setting a flag does the same on boards that have one free.
  if ((int32_t)(micros() - nextTickUs) < 0) return;
  nextTickUs += 1000000UL / SAMPLE_RATE_HZ;
  bridge->tick();
}
