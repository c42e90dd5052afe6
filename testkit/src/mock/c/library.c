/*
 * Library life cycle: profile selection, reference-counted nvmlInit/nvmlShutdown, fault injection
 * at entry, and the system-wide queries.
 *
 * Environment:
 *   GPUDRA_MOCK_NVML_PROFILE    built-in profile name or path of a profile file (default a100-8x)
 *   GPUDRA_MOCK_NVML_STATE      MIG state file (default ${TMPDIR:-/tmp}/gpudra-mock-nvml/<profile>.state)
 *   GPUDRA_MOCK_NVML_FAIL_INIT  NVML error name that nvmlInit returns, overriding the profile
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mock.h"

mock_node *mock_g_node = NULL;
static unsigned g_refcount = 0;
static pthread_mutex_t g_life_lock = PTHREAD_MUTEX_INITIALIZER;
static char g_builtin_dir[MOCK_PATH_LEN];
static char g_state_path[MOCK_PATH_LEN];

#define DEFAULT_PROFILE "a100-8x"

/* Built-in profiles sit in profiles/ next to this library, wherever it was copied. */
const char *mock_builtin_dir(void) {
  if (g_builtin_dir[0] == '\0') {
    Dl_info info;
    char self[MOCK_PATH_LEN] = ".";
    if (dladdr((void *)&mock_builtin_dir, &info) != 0 && info.dli_fname != NULL) {
      snprintf(self, sizeof self, "%s", info.dli_fname);
    }
    snprintf(g_builtin_dir, sizeof g_builtin_dir, "%s/profiles", dirname(self));
  }
  return g_builtin_dir;
}

const char *mock_state_path(void) { return g_state_path; }

/* Fills path and name from GPUDRA_MOCK_NVML_PROFILE; -1 when the result would not fit. */
static int resolve_profile(char *path, size_t path_len, char *name, size_t name_len) {
  const char *selected = getenv("GPUDRA_MOCK_NVML_PROFILE");
  if (selected == NULL || *selected == '\0') selected = DEFAULT_PROFILE;
  if (strchr(selected, '/') == NULL) {
    int a = snprintf(path, path_len, "%s/%s.profile", mock_builtin_dir(), selected);
    int b = snprintf(name, name_len, "%s", selected);
    return a < 0 || (size_t)a >= path_len || b < 0 || (size_t)b >= name_len ? -1 : 0;
  }
  char copy[MOCK_PATH_LEN];
  int a = snprintf(path, path_len, "%s", selected);
  snprintf(copy, sizeof copy, "%s", selected);
  char *base = basename(copy);
  char *dot = strrchr(base, '.');
  if (dot != NULL && dot != base) *dot = '\0';
  int b = snprintf(name, name_len, "%s", base);
  return a < 0 || (size_t)a >= path_len || b < 0 || (size_t)b >= name_len ? -1 : 0;
}

static void resolve_state_path(const char *profile_name) {
  const char *explicit_path = getenv("GPUDRA_MOCK_NVML_STATE");
  if (explicit_path != NULL && *explicit_path != '\0') {
    snprintf(g_state_path, sizeof g_state_path, "%s", explicit_path);
    return;
  }
  const char *tmp = getenv("TMPDIR");
  if (tmp == NULL || *tmp == '\0') tmp = "/tmp";
  snprintf(g_state_path, sizeof g_state_path, "%s/gpudra-mock-nvml/%s.state", tmp, profile_name);
}

static nvmlReturn_t init_locked(void) {
  if (g_refcount > 0) {
    g_refcount++;
    return NVML_SUCCESS;
  }
  const char *forced = getenv("GPUDRA_MOCK_NVML_FAIL_INIT");
  if (forced != NULL && *forced != '\0') {
    nvmlReturn_t code;
    if (mock_error_from_name(forced, &code) != 0) {
      fprintf(stderr, "gpudra mock NVML: GPUDRA_MOCK_NVML_FAIL_INIT: unknown NVML error '%s'\n", forced);
      return NVML_ERROR_UNKNOWN;
    }
    if (code != NVML_SUCCESS) return code;
  }
  mock_node *node = calloc(1, sizeof *node);
  if (node == NULL) return NVML_ERROR_MEMORY;
  char path[MOCK_PATH_LEN], name[MOCK_NAME_LEN], msg[1024];
  if (resolve_profile(path, sizeof path, name, sizeof name) != 0) {
    fprintf(stderr, "gpudra mock NVML: GPUDRA_MOCK_NVML_PROFILE: profile path or name too long\n");
    free(node);
    return NVML_ERROR_UNKNOWN;
  }
  if (mock_profile_load(path, name, node, msg, sizeof msg) != 0) {
    fprintf(stderr, "gpudra mock NVML: invalid profile: %s\n", msg);
    free(node);
    return NVML_ERROR_UNKNOWN;
  }
  if (node->init_error != NVML_SUCCESS) {
    nvmlReturn_t code = node->init_error;
    free(node);
    return code;
  }
  resolve_state_path(node->profile_name);
  mock_g_node = node;
  g_refcount = 1;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlInitWithFlags(unsigned int flags) {
  /* NO_GPUS and NO_ATTACH change nothing for a node that exists only in a file. */
  if (flags & ~(unsigned)(NVML_INIT_FLAG_NO_GPUS | NVML_INIT_FLAG_NO_ATTACH)) return NVML_ERROR_INVALID_ARGUMENT;
  pthread_mutex_lock(&g_life_lock);
  nvmlReturn_t rc = init_locked();
  pthread_mutex_unlock(&g_life_lock);
  return rc;
}

MOCK_EXPORT nvmlReturn_t nvmlInit_v2(void) { return nvmlInitWithFlags(0); }

MOCK_EXPORT nvmlReturn_t nvmlShutdown(void) {
  pthread_mutex_lock(&g_life_lock);
  nvmlReturn_t rc = NVML_SUCCESS;
  if (g_refcount == 0) {
    rc = NVML_ERROR_UNINITIALIZED;
  } else if (--g_refcount == 0) {
    free(mock_g_node);
    mock_g_node = NULL;
  }
  pthread_mutex_unlock(&g_life_lock);
  return rc;
}

nvmlReturn_t mock_enter(const char *function) {
  const mock_node *node = mock_g_node;
  if (node == NULL) return NVML_ERROR_UNINITIALIZED;
  for (unsigned i = 0; i < node->delay_count; i++) {
    if (strcmp(node->delays[i].function, function) == 0) {
      struct timespec pause = {node->delays[i].millis / 1000, (long)(node->delays[i].millis % 1000) * 1000000L};
      while (nanosleep(&pause, &pause) != 0) {
      }
    }
  }
  return NVML_SUCCESS;
}

nvmlReturn_t mock_copy_string(char *dst, unsigned length, const char *src) {
  if (dst == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  if (strlen(src) + 1 > length) return NVML_ERROR_INSUFFICIENT_SIZE;
  memcpy(dst, src, strlen(src) + 1);
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlSystemGetDriverVersion(char *version, unsigned int length) {
  MOCK_ENTER();
  return mock_copy_string(version, length, mock_g_node->driver_version);
}

MOCK_EXPORT nvmlReturn_t nvmlSystemGetNVMLVersion(char *version, unsigned int length) {
  MOCK_ENTER();
  return mock_copy_string(version, length, mock_g_node->nvml_version);
}

MOCK_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion(int *cudaDriverVersion) {
  /* The real library answers this one before nvmlInit too (it reads libcuda); the mock needs its profile. */
  MOCK_ENTER();
  if (cudaDriverVersion == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *cudaDriverVersion = mock_g_node->cuda_driver_version;
  return NVML_SUCCESS;
}

MOCK_EXPORT nvmlReturn_t nvmlSystemGetCudaDriverVersion_v2(int *cudaDriverVersion) {
  MOCK_ENTER();
  if (cudaDriverVersion == NULL) return NVML_ERROR_INVALID_ARGUMENT;
  *cudaDriverVersion = mock_g_node->cuda_driver_version;
  return NVML_SUCCESS;
}
