// stall_probe: how often this machine fails to run a thread on time.
//
//   stall_probe --seconds 10 [--period-us 1000] [--late-us 1000] [--fifo]
//
// Sleeps `period` over and over and reports how often a wake-up came more
// than `late` after it was due, and the worst. An ordinary thread that
// wakes is what a server thread is when a request arrives, so next to a
// latency benchmark this tells how late this machine ran such a thread: on
// a virtual machine whose vCPUs the host stops for milliseconds, every
// request in flight then is late, whatever the server does. --fifo (root)
// takes the guest scheduler out, leaving only the machine's own stalls; it
// also preempts the benchmark, so use it on an otherwise idle machine.
// A benchmark tool, not a test.
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <thread>

#include <CLI/CLI.hpp>

int main(int argc, char** argv) {
  double seconds = 10;
  long period_us = 1000;
  long late_us = 1000;
  bool want_fifo = false;
  CLI::App app{"stall_probe: count late wake-ups of a sleeping thread"};
  app.add_option("-s,--seconds", seconds, "how long to probe")->capture_default_str();
  app.add_option("--period-us", period_us, "sleep between wake-ups")->capture_default_str();
  app.add_option("--late-us", late_us, "a wake-up later than this counts as a stall")
      ->capture_default_str();
  app.add_flag("--fifo", want_fifo, "run as SCHED_FIFO (needs root)");
  CLI11_PARSE(app, argc, argv);
  seconds = std::clamp(seconds, 0.1, 600.0);
  period_us = std::clamp(period_us, 50L, 1000000L);

  sched_param sp{};
  sp.sched_priority = 1;
  const bool fifo = want_fifo && sched_setscheduler(0, SCHED_FIFO, &sp) == 0;

  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::microseconds(period_us);
  const auto late = std::chrono::microseconds(late_us);
  const auto end = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                      std::chrono::duration<double>(seconds));
  long wakeups = 0, stalls = 0;
  Clock::duration worst{}, stalled{};
  for (auto due = Clock::now() + period; due < end; due += period) {
    std::this_thread::sleep_until(due);
    const auto now = Clock::now();
    const auto behind = now - due;
    ++wakeups;
    worst = std::max(worst, behind);
    if (behind > late) {
      ++stalls;
      stalled += behind;
    }
    if (now > due + period) due = now;  // do not catch up with a burst after a stall
  }
  using ms = std::chrono::duration<double, std::milli>;
  std::printf(
      "stall_probe fifo=%s seconds=%.1f wakeups=%ld stalls_over_%ldus=%ld stalled_ms=%.1f "
      "worst_ms=%.2f\n",
      fifo ? "yes" : "no", seconds, wakeups, late_us, stalls, ms(stalled).count(),
      ms(worst).count());
  return 0;
}
