/* Error injection, field overrides through include, and rejection of malformed profiles. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"

static void check_init_failures(void) {
  const char *path = write_profile("init-error", "include a100-8x\nfault init-error DRIVER_NOT_LOADED\n");
  CHECK_RC(use_profile(path), NVML_ERROR_DRIVER_NOT_LOADED);
  unsigned count;
  CHECK_RC(nvmlDeviceGetCount_v2(&count), NVML_ERROR_UNINITIALIZED);

  setenv("GPUDRA_MOCK_NVML_FAIL_INIT", "NVML_ERROR_LIB_RM_VERSION_MISMATCH", 1);
  CHECK_RC(use_profile("l4-1x"), NVML_ERROR_LIB_RM_VERSION_MISMATCH);
  setenv("GPUDRA_MOCK_NVML_FAIL_INIT", "GPU_IS_LOST", 1);
  CHECK_RC(use_profile("l4-1x"), NVML_ERROR_GPU_IS_LOST);
  unsetenv("GPUDRA_MOCK_NVML_FAIL_INIT");
  CHECK_RC(use_profile("l4-1x"), NVML_SUCCESS);
  CHECK_RC(nvmlShutdown(), NVML_SUCCESS);
  report("nvmlInit fails with the profile's init-error and with GPUDRA_MOCK_NVML_FAIL_INIT\n");
}

static void check_lost_gpu_and_delay(void) {
  const char *path = write_profile("lost", "include h100-8x\nfault gpu-lost 3\nfault delay nvmlDeviceGetName 150\n");
  CHECK_RC(use_profile(path), NVML_SUCCESS);
  nvmlDevice_t lost, healthy;
  char text[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
  CHECK_RC(nvmlDeviceGetHandleByIndex_v2(3, &lost), NVML_SUCCESS);
  CHECK_RC(nvmlDeviceGetUUID(lost, text, sizeof text), NVML_ERROR_GPU_IS_LOST);
  nvmlMemory_t mem;
  CHECK_RC(nvmlDeviceGetMemoryInfo(lost, &mem), NVML_ERROR_GPU_IS_LOST);
  CHECK_RC(nvmlDeviceGetHandleByIndex_v2(2, &healthy), NVML_SUCCESS);
  CHECK_RC(nvmlDeviceGetUUID(healthy, text, sizeof text), NVML_SUCCESS);

  struct timespec start, end;
  clock_gettime(CLOCK_MONOTONIC, &start);
  CHECK_RC(nvmlDeviceGetName(healthy, text, sizeof text), NVML_SUCCESS);
  clock_gettime(CLOCK_MONOTONIC, &end);
  long elapsed_ms = (end.tv_sec - start.tv_sec) * 1000 + (end.tv_nsec - start.tv_nsec) / 1000000;
  CHECK(elapsed_ms >= 150, "nvmlDeviceGetName took %ld ms, at least 150 ms injected", elapsed_ms);
  CHECK_RC(nvmlShutdown(), NVML_SUCCESS);
  report("gpu-lost answers NVML_ERROR_GPU_IS_LOST for that GPU only; delay slows the named call\n");
}

static void check_overrides(void) {
  const char *path = write_profile("override",
                                   "include l4-1x\n"
                                   "gpu 0\n"
                                   "  name NVIDIA L4 (patched)\n"
                                   "  memory-mib 16384\n"
                                   "end\n"
                                   "gpu 1\n"
                                   "  model l4\n"
                                   "  uuid GPU-00000000-1111-2222-3333-444444444444\n"
                                   "  pci-bus-id 00000000:00:04.0\n"
                                   "  minor 1\n"
                                   "end\n");
  CHECK_RC(use_profile(path), NVML_SUCCESS);
  unsigned count = 0;
  CHECK_RC(nvmlDeviceGetCount_v2(&count), NVML_SUCCESS);
  CHECK(count == 2, "override adds a GPU (%u)", count);
  nvmlDevice_t dev;
  char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
  nvmlMemory_t mem;
  CHECK_RC(nvmlDeviceGetHandleByIndex_v2(0, &dev), NVML_SUCCESS);
  CHECK_RC(nvmlDeviceGetName(dev, name, sizeof name), NVML_SUCCESS);
  CHECK_STR(name, "NVIDIA L4 (patched)");
  CHECK_RC(nvmlDeviceGetMemoryInfo(dev, &mem), NVML_SUCCESS);
  CHECK(mem.total == 16384ULL << 20, "overridden memory");
  int major = 0, minor = 0;
  CHECK_RC(nvmlDeviceGetCudaComputeCapability(dev, &major, &minor), NVML_SUCCESS);
  CHECK(major == 8 && minor == 9, "fields not overridden keep the included value");
  CHECK_RC(nvmlShutdown(), NVML_SUCCESS);
  report("a profile file includes a built-in one and overrides single GPU fields\n");
}

typedef struct {
  const char *name, *text, *expected;
} malformed;

static const malformed MALFORMED[] = {
    {"unknown-field", "include l4-1x\ngpu 0\n  colour green\nend\n", "unknown-field.profile:3: colour: unknown field"},
    {"bad-number", "include l4-1x\ngpu 0\n  memory-mib lots\nend\n", "bad-number.profile:3: memory-mib: 'lots' is not a number"},
    {"bad-uuid", "include l4-1x\ngpu 0\n  uuid 1234\nend\n", "bad-uuid.profile:3: uuid:"},
    {"overlap",
     "include a100-8x\ngpu 4\n  mig-mode enabled\n  gpu-instance 1 4g.40gb 0\n  gpu-instance 2 3g.40gb 0\nend\n",
     "overlap.profile:5: start: overlaps"},
    {"unclosed", "include l4-1x\ngpu 0\n  minor 3\n", "unclosed.profile:3: end: block not closed"},
    {"missing-include", "include no-such-node\n", "missing-include.profile:1: include: no built-in profile 'no-such-node'"},
    {"duplicate-minor", "include l4-1x\ngpu 1\n  model l4\n  uuid GPU-00000000-1111-2222-3333-444444444444\n"
                        "  pci-bus-id 00000000:00:04.0\nend\n",
     "duplicate-minor.profile:2: minor: GPU 1 has the same minor as GPU 0"},
    {"bad-fault", "include l4-1x\nfault init-error NOT_AN_ERROR\n", "bad-fault.profile:2: init-error: unknown NVML error"},
    {"bad-pcie-root", "include l4-1x\ngpu 0\n  pcie-root pci0000:C0\nend\n",
     "bad-pcie-root.profile:3: pcie-root: expected pciDDDD:BB in lower-case hex, found 'pci0000:C0'"},
    {"bad-numa-node", "include l4-1x\ngpu 0\n  numa-node -2\nend\n",
     "bad-numa-node.profile:3: numa-node: expected -1 or a node number, found '-2'"},
};

static void check_malformed_profiles(void) {
  for (unsigned i = 0; i < sizeof MALFORMED / sizeof MALFORMED[0]; i++) {
    const malformed *m = &MALFORMED[i];
    const char *path = write_profile(m->name, m->text);
    setenv("GPUDRA_MOCK_NVML_PROFILE", path, 1);
    char err[2048];
    CHECK_RC(init_capturing_stderr(err, sizeof err), NVML_ERROR_UNKNOWN);
    CHECK(strstr(err, m->expected) != NULL, "%s: stderr '%s' lacks '%s'", m->name, err, m->expected);
    CHECK(strchr(err, '\n') == err + strlen(err) - 1, "%s: one line expected, got '%s'", m->name, err);
  }
  report("%zu malformed profiles rejected with NVML_ERROR_UNKNOWN and one line naming file, line and field\n",
         sizeof MALFORMED / sizeof MALFORMED[0]);
}

void check_faults(void) {
  check_init_failures();
  check_lost_gpu_and_delay();
  check_overrides();
  check_malformed_profiles();
}
