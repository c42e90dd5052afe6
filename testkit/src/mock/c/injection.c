/*
 * Fault injection at run time: a log of faults next to the MIG state file, `<state>.faults`, that
 * tests append lines to while processes use the mock. One line per fault:
 *
 *   xid GPU XID [GI CI]   an XID critical error on GPU (and GPU/compute instance GI/CI when given)
 *   ecc-dbe GPU           a double-bit ECC error event
 *   lost GPU              GPU falls off the bus: every query returns NVML_ERROR_GPU_IS_LOST
 *   back GPU              the lost GPU answers again (after a reset)
 *
 * Event sets read the log from where it ended when they were created (NVML records no event that
 * happened before registration). Lines are appended with one write each, so a reader sees only
 * whole lines or none; a trailing partial line is left for the next read.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "mock.h"

void mock_faults_path(char *out, size_t len) { snprintf(out, len, "%s.faults", mock_state_path()); }

long mock_faults_end(void) {
  char path[MOCK_PATH_LEN + 8];
  mock_faults_path(path, sizeof path);
  struct stat st;
  return stat(path, &st) == 0 ? (long)st.st_size : 0;
}

int mock_fault_parse(const char *line, mock_fault *fault) {
  char kind[16];
  unsigned gi = MOCK_NO_INSTANCE, ci = MOCK_NO_INSTANCE, gpu = 0;
  unsigned long long xid = 0;
  memset(fault, 0, sizeof *fault);
  if (sscanf(line, "%15s", kind) != 1) return -1;
  if (strcmp(kind, "xid") == 0) {
    int n = sscanf(line, "%*s %u %llu %u %u", &gpu, &xid, &gi, &ci);
    if (n != 2 && n != 4) return -1;
    fault->kind = MOCK_FAULT_XID;
  } else if (strcmp(kind, "ecc-dbe") == 0 || strcmp(kind, "lost") == 0 || strcmp(kind, "back") == 0) {
    if (sscanf(line, "%*s %u", &gpu) != 1) return -1;
    fault->kind = kind[0] == 'e' ? MOCK_FAULT_ECC_DBE : kind[0] == 'l' ? MOCK_FAULT_LOST : MOCK_FAULT_BACK;
  } else {
    return -1;
  }
  if (gpu >= MOCK_MAX_GPUS) return -1;
  fault->gpu = gpu;
  fault->xid = xid;
  fault->gi = gi;
  fault->ci = ci;
  return 0;
}

long mock_faults_next(long offset, mock_fault *fault) {
  char path[MOCK_PATH_LEN + 8];
  mock_faults_path(path, sizeof path);
  FILE *file = fopen(path, "r");
  if (file == NULL) return offset;
  long result = offset;
  if (fseek(file, offset, SEEK_SET) == 0) {
    char line[256];
    while (fgets(line, sizeof line, file) != NULL) {
      size_t length = strlen(line);
      if (length == 0 || line[length - 1] != '\n') break; /* partial line: not written yet */
      result += (long)length;
      if (mock_fault_parse(line, fault) == 0) {
        fclose(file);
        return -result - 1; /* a fault: encoded as negative so the caller can tell */
      }
      fprintf(stderr, "gpudra mock NVML: %s: ignoring malformed line: %s", path, line);
    }
  }
  fclose(file);
  return result;
}

/* The lost GPUs: the profile's `fault gpu-lost` plus the log's lost/back lines, cached by size. */
static long g_lost_size = -1;
static char g_lost_path[MOCK_PATH_LEN + 8];
static unsigned char g_lost[MOCK_MAX_GPUS];

int mock_gpu_lost(unsigned gpu) {
  if (mock_g_node == NULL) return 0;
  if ((int)gpu == mock_g_node->lost_gpu) return 1;
  char path[MOCK_PATH_LEN + 8];
  mock_faults_path(path, sizeof path);
  long end = mock_faults_end();
  /* Races between threads only recompute the same answer; the arrays are small. */
  if (end != g_lost_size || strcmp(path, g_lost_path) != 0) {
    unsigned char lost[MOCK_MAX_GPUS] = {0};
    long offset = 0;
    mock_fault fault;
    for (;;) {
      long next = mock_faults_next(offset, &fault);
      if (next >= 0) break;
      offset = -next - 1;
      if (fault.kind == MOCK_FAULT_LOST) lost[fault.gpu] = 1;
      if (fault.kind == MOCK_FAULT_BACK) lost[fault.gpu] = 0;
    }
    memcpy(g_lost, lost, sizeof lost);
    snprintf(g_lost_path, sizeof g_lost_path, "%s", path);
    g_lost_size = end;
  }
  return gpu < MOCK_MAX_GPUS && g_lost[gpu];
}
