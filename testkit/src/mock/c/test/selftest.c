/*
 * Self-test of the mock NVML library, run by the build. It links against the built library through
 * the real nvml.h, exercises every shipped profile, MIG creation and destruction (also across
 * processes) and error injection, prints what it checked, and exits non-zero on any mismatch.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

int g_checks = 0;
int g_failures = 0;
static char g_scratch[4096];
static unsigned g_counter = 0;

nvmlReturn_t use_profile(const char *profile) {
  char state[4200];
  snprintf(state, sizeof state, "%s/state-%u.state", g_scratch, g_counter++);
  unlink(state);
  setenv("GPUDRA_MOCK_NVML_PROFILE", profile, 1);
  setenv("GPUDRA_MOCK_NVML_STATE", state, 1);
  return nvmlInit_v2();
}

const char *write_profile(const char *name, const char *text) {
  static char path[4200];
  snprintf(path, sizeof path, "%s/%s.profile", g_scratch, name);
  FILE *f = fopen(path, "w");
  if (f == NULL) {
    perror(path);
    exit(2);
  }
  fputs(text, f);
  fclose(f);
  return path;
}

nvmlReturn_t init_capturing_stderr(char *buffer, size_t size) {
  char path[4200];
  snprintf(path, sizeof path, "%s/stderr-%u.txt", g_scratch, g_counter++);
  fflush(stderr);
  int saved = dup(STDERR_FILENO);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  dup2(fd, STDERR_FILENO);
  close(fd);
  nvmlReturn_t rc = nvmlInit_v2();
  fflush(stderr);
  dup2(saved, STDERR_FILENO);
  close(saved);
  FILE *f = fopen(path, "r");
  size_t n = f == NULL ? 0 : fread(buffer, 1, size - 1, f);
  buffer[n] = '\0';
  if (f != NULL) fclose(f);
  return rc;
}

void report(const char *format, ...) {
  static int reported_failures = 0;
  va_list args;
  va_start(args, format);
  printf("%s", g_failures == reported_failures ? "ok   " : "FAIL ");
  vprintf(format, args);
  va_end(args);
  fflush(stdout);
  reported_failures = g_failures;
}

static void check_before_init(void) {
  unsigned count;
  CHECK_RC(nvmlDeviceGetCount_v2(&count), NVML_ERROR_UNINITIALIZED);
  CHECK_RC(nvmlShutdown(), NVML_ERROR_UNINITIALIZED);
  CHECK_STR(nvmlErrorString(NVML_ERROR_GPU_IS_LOST), "GPU is lost");
  CHECK_STR(nvmlErrorString(NVML_ERROR_INSUFFICIENT_RESOURCES), "Insufficient Resources");
  CHECK_STR(nvmlErrorString(NVML_ERROR_UNINITIALIZED), "Uninitialized");
  report("calls before nvmlInit return NVML_ERROR_UNINITIALIZED; nvmlErrorString gives NVML's strings\n");
}

static void check_reference_counting(void) {
  unsigned count;
  CHECK_RC(use_profile("l4-1x"), NVML_SUCCESS);
  CHECK_RC(nvmlInitWithFlags(NVML_INIT_FLAG_NO_GPUS), NVML_SUCCESS);
  CHECK_RC(nvmlShutdown(), NVML_SUCCESS);
  CHECK_RC(nvmlDeviceGetCount_v2(&count), NVML_SUCCESS);
  CHECK_RC(nvmlShutdown(), NVML_SUCCESS);
  CHECK_RC(nvmlDeviceGetCount_v2(&count), NVML_ERROR_UNINITIALIZED);
  CHECK_RC(nvmlShutdown(), NVML_ERROR_UNINITIALIZED);
  report("nvmlInit/nvmlShutdown are reference-counted\n");
}

int main(void) {
  const char *tmp = getenv("GPUDRA_MOCK_NVML_SELFTEST_DIR");
  snprintf(g_scratch, sizeof g_scratch, "%s", tmp != NULL ? tmp : "/tmp/gpudra-mock-nvml-selftest");
  char command[2 * sizeof g_scratch + 64];
  int length = snprintf(command, sizeof command, "rm -rf '%s' && mkdir -p '%s'", g_scratch, g_scratch);
  if (length < 0 || (size_t)length >= sizeof command || system(command) != 0) return 2;
  unsetenv("GPUDRA_MOCK_NVML_FAIL_INIT");

  check_before_init();
  check_reference_counting();
  check_profiles();
  check_mig_lifecycle();
  check_faults();
  check_events();

  printf("%s: %d checks, %d failed\n", g_failures == 0 ? "PASSED" : "FAILED", g_checks, g_failures);
  return g_failures == 0 ? 0 : 1;
}
