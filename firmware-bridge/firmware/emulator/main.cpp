// ewfw-emulator: the reference firmware's logic (src/bridge.cpp) on a simulated board, speaking
// the real bytes over a serial device (a pseudo-terminal in tests). The simulated device under test
// runs one inference every --period-ms for --infer-ms, drawing --infer-ma instead of --idle-ma,
// with seeded relative noise; its window pin is high during each inference. For every window it
// prints the true energy (the unquantised power the simulation drew, over the same samples the
// host integrates) as a JSON line on stdout, so a test can hold the host to it.
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <cmath>
#include <random>
#include <string>

#include "../src/bridge.h"

using namespace ewfw;

struct Options {
  std::string port = "-";
  uint32_t rateHz = 1000;
  double seconds = 5;
  double periodMs = 200;
  double inferMs = 50;
  double offsetMs = 30;
  double idleMa = 5;
  double inferMa = 20;
  double mv = 3300;
  double noise = 0.01;
  uint32_t seed = 1;
  bool realtime = true;
  uint64_t garbageEvery = 0;  // every N samples, write a few garbage bytes (line noise)
};

class SimulatedBoard : public Hal {
 public:
  SimulatedBoard(const Options& o, int fd) : o_(o), fd_(fd), rng_(o.seed), noise_(0.0, o.noise) {}
  uint32_t micros() override { return static_cast<uint32_t>(sampleIndex_ * 1000000ull / o_.rateHz); }
  int windowPin() override { return inWindow(sampleIndex_) ? 1 : 0; }
  bool readSample(Sample& s) override {
    double amps = (inWindow(sampleIndex_) ? o_.inferMa : o_.idleMa) / 1000.0 * (1 + noise_(rng_));
    double volts = o_.mv / 1000.0;
    lastTrueW_ = amps * volts;
    s.busMv = static_cast<uint16_t>(std::lround(volts * 1000));
    s.currentUa = static_cast<int32_t>(std::lround(amps * 1e6));
    return true;
  }
  size_t write(const uint8_t* data, size_t length) override {
    size_t done = 0;
    while (done < length) {
      ssize_t n = ::write(fd_, data + done, length - done);
      if (n <= 0) break;  // buffer full (non-blocking): the rest is lost, as on a USB CDC port
      done += static_cast<size_t>(n);
    }
    return done;
  }
  bool inWindow(uint64_t index) const {
    double tMs = index * 1000.0 / o_.rateHz;
    if (tMs < o_.offsetMs) return false;
    return std::fmod(tMs - o_.offsetMs, o_.periodMs) < o_.inferMs;
  }
  uint64_t sampleIndex_ = 0;
  double lastTrueW_ = 0;

 private:
  const Options& o_;
  int fd_;
  std::mt19937 rng_;
  std::normal_distribution<double> noise_;
};

static int openPort(const std::string& path) {
  if (path == "-") return STDOUT_FILENO;
  int fd = open(path.c_str(), O_RDWR | O_NOCTTY | O_NONBLOCK | O_CREAT, 0644);
  if (fd < 0) {
    perror(path.c_str());
    exit(2);
  }
  termios tio;
  if (tcgetattr(fd, &tio) == 0) {
    cfmakeraw(&tio);
    tcsetattr(fd, TCSANOW, &tio);
  }
  return fd;
}

int main(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    const char* v = argv[i + 1];
    if (k == "--port") o.port = v;
    else if (k == "--rate") o.rateHz = static_cast<uint32_t>(atol(v));
    else if (k == "--seconds") o.seconds = atof(v);
    else if (k == "--period-ms") o.periodMs = atof(v);
    else if (k == "--infer-ms") o.inferMs = atof(v);
    else if (k == "--offset-ms") o.offsetMs = atof(v);
    else if (k == "--idle-ma") o.idleMa = atof(v);
    else if (k == "--infer-ma") o.inferMa = atof(v);
    else if (k == "--mv") o.mv = atof(v);
    else if (k == "--noise") o.noise = atof(v);
    else if (k == "--seed") o.seed = static_cast<uint32_t>(atol(v));
    else if (k == "--realtime") o.realtime = atoi(v) != 0;
    else if (k == "--garbage-every") o.garbageEvery = static_cast<uint64_t>(atoll(v));
    else {
      fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  int fd = openPort(o.port);
  SimulatedBoard board(o, fd);
  Bridge bridge(board, o.rateHz, 0.01, "simulated-ina219");
  uint64_t total = static_cast<uint64_t>(o.seconds * o.rateHz);
  timespec next;
  clock_gettime(CLOCK_MONOTONIC, &next);
  double windowEnergyJ = 0;
  uint64_t windowStart = 0;
  bool open = false;
  int windows = 0;
  const uint8_t garbage[] = {0x55, 0x00, 0xAA, 0x13, 0x37, 0x00};
  for (uint64_t i = 0; i < total; i++) {
    board.sampleIndex_ = i;
    bool in = board.inWindow(i);
    if (in && !open) {
      open = true;
      windowStart = i;
      windowEnergyJ = 0;
    } else if (!in && open) {
      open = false;
      printf("{\"window\":%d,\"startIndex\":%llu,\"endIndex\":%llu,\"energyJ\":%.12g}\n", windows++,
             static_cast<unsigned long long>(windowStart), static_cast<unsigned long long>(i), windowEnergyJ);
      fflush(stdout);
    }
    bridge.tick();
    if (open) windowEnergyJ += board.lastTrueW_ / o.rateHz;
    if (o.garbageEvery > 0 && i % o.garbageEvery == o.garbageEvery - 1) board.write(garbage, sizeof garbage);
    if (o.realtime) {
      next.tv_nsec += 1000000000L / o.rateHz;
      while (next.tv_nsec >= 1000000000L) {
        next.tv_nsec -= 1000000000L;
        next.tv_sec++;
      }
      clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, nullptr);
    }
  }
  bridge.flush();
  fprintf(stderr, "{\"samplesTaken\":%u,\"samplesDropped\":%u}\n", bridge.samplesTaken(), bridge.samplesDropped());
  return 0;
}
