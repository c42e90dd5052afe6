/* Minimal check framework for the mock NVML self-test: every check is counted, every failure is
   printed with its location, and main exits non-zero when any check failed. */
#ifndef GPUDRA_MOCK_NVML_CHECK_H
#define GPUDRA_MOCK_NVML_CHECK_H

#include <stdio.h>
#include <string.h>

#include "nvml.h"

extern int g_checks;
extern int g_failures;

#define CHECK(cond, ...)                                                 \
  do {                                                                   \
    g_checks++;                                                          \
    if (!(cond)) {                                                       \
      g_failures++;                                                      \
      fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);    \
      fprintf(stderr, __VA_ARGS__);                                      \
      fputc('\n', stderr);                                               \
    }                                                                    \
  } while (0)

#define CHECK_RC(expr, want)                                                                       \
  do {                                                                                             \
    nvmlReturn_t check_rc_ = (expr);                                                               \
    CHECK(check_rc_ == (want), "%s returned %d (%s), expected %d (%s)", #expr, (int)check_rc_,     \
          nvmlErrorString(check_rc_), (int)(want), nvmlErrorString(want));                         \
  } while (0)

#define CHECK_STR(actual, expected) \
  CHECK(strcmp((actual), (expected)) == 0, "got '%s', expected '%s'", (actual), (expected))

/* Selects a profile and a fresh state file, then initialises NVML; returns nvmlInit's code. */
nvmlReturn_t use_profile(const char *profile);
/* Writes text to a fresh file in the test's scratch directory and returns its path. */
const char *write_profile(const char *name, const char *text);
/* Runs nvmlInit with stderr captured into buffer. */
nvmlReturn_t init_capturing_stderr(char *buffer, size_t size);

/* Prints "ok  <what>" when no check failed since the previous report, "FAIL <what>" otherwise. */
void report(const char *format, ...) __attribute__((format(printf, 1, 2)));

void check_profiles(void);
void check_mig_lifecycle(void);
void check_faults(void);
void check_events(void);

#endif
