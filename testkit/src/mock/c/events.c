/*
 * NVML events: event sets, registration per GPU, and waiting, fed by the fault log (injection.c).
 * The mock supports the event types the 12.4 header defines for data-centre GPUs: single- and
 * double-bit ECC, XID critical errors and MIG configuration changes. GPUDRA_MOCK_NVML_FAIL_EVENTS
 * (an NVML error name) makes nvmlEventSetCreate fail, as a driver without events would.
 *
 * As in NVML, operations on one set are not thread-safe; different sets are independent.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock.h"

#define EVENT_SET_MAGIC 0x6770756476656e74ULL
#define SUPPORTED_EVENTS                                                                             \
  (nvmlEventTypeSingleBitEccError | nvmlEventTypeDoubleBitEccError | nvmlEventTypeXidCriticalError | \
   nvmlEventMigConfigChange)

struct nvmlEventSet_st {
  unsigned long long magic;
  unsigned long long registered[MOCK_MAX_GPUS];
  long offset; /* next unread byte of the fault log */
};

static int valid_set(nvmlEventSet_t set) { return set != NULL && set->magic == EVENT_SET_MAGIC; }

MOCK_EXPORT nvmlReturn_t nvmlEventSetCreate(nvmlEventSet_t *set) {
  MOCK_ENTER();
  if (set == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  const char *forced = getenv("GPUDRA_MOCK_NVML_FAIL_EVENTS");
  if (forced != NULL && *forced != '\0') {
    nvmlReturn_t code;
    if (mock_error_from_name(forced, &code) != 0) return NVML_ERROR_UNKNOWN;
    if (code != NVML_SUCCESS) return code;
  }
  struct nvmlEventSet_st *created = calloc(1, sizeof *created);
  if (created == NULL) return NVML_ERROR_MEMORY;
  created->magic = EVENT_SET_MAGIC;
  created->offset = mock_faults_end();
  *set = created;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlEventSetFree(nvmlEventSet_t set) {
  MOCK_ENTER();
  if (!valid_set(set)) return NVML_ERROR_INVALID_ARGUMENT;
  set->magic = 0;
  free(set);
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlDeviceGetSupportedEventTypes(nvmlDevice_t device, unsigned long long *eventTypes) {
  MOCK_ENTER();
  if (eventTypes == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (device->is_mig) return NVML_ERROR_NOT_SUPPORTED;
  *eventTypes = SUPPORTED_EVENTS;
  return NVML_SUCCESS;
}

/* Registration uses the parent GPU's handle; MIG handles are refused, as NVML does. */
MOCK_EXPORT nvmlReturn_t nvmlDeviceRegisterEvents(nvmlDevice_t device, unsigned long long eventTypes,
                                                  nvmlEventSet_t set) {
  MOCK_ENTER();
  if (!valid_set(set) || (eventTypes & ~(unsigned long long)nvmlEventTypeAll) != 0) return NVML_ERROR_INVALID_ARGUMENT;
  nvmlReturn_t rc = mock_check_device(device);
  if (rc != NVML_SUCCESS) return rc;
  if (device->is_mig) return NVML_ERROR_NOT_SUPPORTED;
  unsigned long long accepted = eventTypes & SUPPORTED_EVENTS;
  if (accepted == 0) return NVML_ERROR_NOT_SUPPORTED;
  set->registered[device->gpu] |= accepted;
  return NVML_SUCCESS;
}

static void sleep_millis(unsigned millis) {
  struct timespec pause = {millis / 1000, (long)(millis % 1000) * 1000000L};
  while (nanosleep(&pause, &pause) != 0) {
  }
}

static long long now_millis(void) {
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  return (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
}

/* Delivers the next fault of a registered GPU; a lost registered GPU ends the wait with GPU_IS_LOST. */
MOCK_EXPORT nvmlReturn_t nvmlEventSetWait_v2(nvmlEventSet_t set, nvmlEventData_t *data, unsigned int timeoutms) {
  MOCK_ENTER();
  if (!valid_set(set) || data == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  long long deadline = now_millis() + timeoutms;
  for (;;) {
    mock_fault fault;
    long next = mock_faults_next(set->offset, &fault);
    if (next < 0) {
      set->offset = -next - 1;
      if (fault.gpu >= mock_g_node->gpu_count) continue;
      unsigned long long registered = set->registered[fault.gpu];
      if (fault.kind == MOCK_FAULT_LOST && registered != 0) return NVML_ERROR_GPU_IS_LOST;
      unsigned long long type = fault.kind == MOCK_FAULT_XID       ? nvmlEventTypeXidCriticalError
                                : fault.kind == MOCK_FAULT_ECC_DBE ? nvmlEventTypeDoubleBitEccError
                                                                   : 0;
      if ((registered & type) == 0) continue;
      data->device = mock_gpu_handle(fault.gpu);
      data->eventType = type;
      data->eventData = type == nvmlEventTypeXidCriticalError ? fault.xid : 0;
      data->gpuInstanceId = fault.gi;
      data->computeInstanceId = fault.ci;
      return NVML_SUCCESS;
    }
    set->offset = next;
    long long left = deadline - now_millis();
    if (left <= 0) return NVML_ERROR_TIMEOUT;
    sleep_millis(left < 5 ? (unsigned)left : 5);
  }
}
