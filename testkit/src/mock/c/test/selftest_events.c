/* NVML events fed by the fault log: XIDs (whole GPU and MIG instance), ECC, lost and recovered GPUs. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

static void inject(const char *line) {
  char path[4300];
  snprintf(path, sizeof path, "%s.faults", getenv("GPUDRA_MOCK_NVML_STATE"));
  FILE *file = fopen(path, "a");
  CHECK(file != NULL, "cannot open %s", path);
  if (file == NULL) return;
  fputs(line, file);
  fclose(file);
}

static void check_event_delivery(void) {
  CHECK_RC(use_profile("a100-8x"), NVML_SUCCESS);
  inject("xid 1 48\n"); /* before the set exists: never delivered */
  nvmlEventSet_t set;
  CHECK_RC(nvmlEventSetCreate(&set), NVML_SUCCESS);
  nvmlDevice_t gpu0, gpu1;
  CHECK_RC(nvmlDeviceGetHandleByIndex_v2(0, &gpu0), NVML_SUCCESS);
  CHECK_RC(nvmlDeviceGetHandleByIndex_v2(1, &gpu1), NVML_SUCCESS);
  unsigned long long supported = 0;
  CHECK_RC(nvmlDeviceGetSupportedEventTypes(gpu0, &supported), NVML_SUCCESS);
  CHECK((supported & nvmlEventTypeXidCriticalError) != 0, "XID events supported: %llx", supported);
  CHECK_RC(nvmlDeviceRegisterEvents(gpu0, nvmlEventTypeXidCriticalError | nvmlEventTypeDoubleBitEccError, set),
           NVML_SUCCESS);
  CHECK_RC(nvmlDeviceRegisterEvents(gpu1, nvmlEventTypePState, set), NVML_ERROR_NOT_SUPPORTED);
  nvmlEventData_t data;
  CHECK_RC(nvmlEventSetWait_v2(set, &data, 20), NVML_ERROR_TIMEOUT);

  inject("xid 3 79\nxid 0 79\nxid 0 94 1 0\necc-dbe 0\n");
  CHECK_RC(nvmlEventSetWait_v2(set, &data, 1000), NVML_SUCCESS);
  CHECK(data.device == gpu0 && data.eventType == nvmlEventTypeXidCriticalError && data.eventData == 79,
        "XID 79 on GPU 0, got type %llx data %llu", data.eventType, data.eventData);
  CHECK(data.gpuInstanceId == 0xFFFFFFFFu && data.computeInstanceId == 0xFFFFFFFFu, "not pinned to an instance");
  CHECK_RC(nvmlEventSetWait_v2(set, &data, 1000), NVML_SUCCESS);
  CHECK(data.eventData == 94 && data.gpuInstanceId == 1 && data.computeInstanceId == 0, "XID 94 on GI 1 CI 0");
  CHECK_RC(nvmlEventSetWait_v2(set, &data, 1000), NVML_SUCCESS);
  CHECK(data.eventType == nvmlEventTypeDoubleBitEccError && data.eventData == 0, "double-bit ECC event");
  CHECK_RC(nvmlEventSetWait_v2(set, &data, 20), NVML_ERROR_TIMEOUT);
  report("events: XIDs and ECC errors of registered GPUs arrive in order, with MIG instance ids\n");

  char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
  inject("lost 0\n");
  CHECK_RC(nvmlDeviceGetUUID(gpu0, uuid, sizeof uuid), NVML_ERROR_GPU_IS_LOST);
  CHECK_RC(nvmlEventSetWait_v2(set, &data, 1000), NVML_ERROR_GPU_IS_LOST);
  CHECK_RC(nvmlDeviceGetUUID(gpu1, uuid, sizeof uuid), NVML_SUCCESS);
  inject("back 0\n");
  CHECK_RC(nvmlDeviceGetUUID(gpu0, uuid, sizeof uuid), NVML_SUCCESS);
  report("events: a lost GPU fails its queries and the wait until it is back\n");

  CHECK_RC(nvmlEventSetFree(set), NVML_SUCCESS);
  CHECK_RC(nvmlShutdown(), NVML_SUCCESS);

  setenv("GPUDRA_MOCK_NVML_FAIL_EVENTS", "NOT_SUPPORTED", 1);
  CHECK_RC(use_profile("l4-1x"), NVML_SUCCESS);
  CHECK_RC(nvmlEventSetCreate(&set), NVML_ERROR_NOT_SUPPORTED);
  unsetenv("GPUDRA_MOCK_NVML_FAIL_EVENTS");
  CHECK_RC(nvmlShutdown(), NVML_SUCCESS);
  report("events: GPUDRA_MOCK_NVML_FAIL_EVENTS fails event set creation\n");
}

void check_events(void) { check_event_delivery(); }
