/*
 * MIG state shared by every process that loads the library with the same state file.
 *
 * The file is text ("gi"/"ci" lines, see ../README.md). Readers hold a shared flock on
 * "<state>.lock" and writers an exclusive one; a writer replaces the file with a temp file in the
 * same directory (fsync, rename, fsync of the directory), so a reader never sees half a file. The
 * lock lives on a separate file because rename replaces the state file's inode. When the state
 * file does not exist, the profile's initial instances seed it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mock.h"

#define STATE_HEADER "gpudra-mock-nvml-state 1"

static pthread_mutex_t g_state_lock = PTHREAD_MUTEX_INITIALIZER;

static void report(const char *what, const char *path, int err) {
  fprintf(stderr, "gpudra mock NVML: %s %s: %s\n", what, path, strerror(err));
}

static int mkdirs(const char *dir) {
  char buffer[MOCK_PATH_LEN];
  snprintf(buffer, sizeof buffer, "%s", dir);
  for (char *p = buffer + 1; *p != '\0'; p++) {
    if (*p == '/') {
      *p = '\0';
      if (mkdir(buffer, 0777) != 0 && errno != EEXIST) return -1;
      *p = '/';
    }
  }
  return mkdir(buffer, 0777) != 0 && errno != EEXIST ? -1 : 0;
}

static void seed(mock_state *state) {
  const mock_node *n = mock_g_node;
  memset(state, 0, sizeof *state);
  state->next_serial = 1;
  for (unsigned i = 0; i < n->gi_seed_count; i++) {
    const mock_gi_seed *s = &n->gi_seeds[i];
    const mock_gi_profile *prof = &n->tables[n->gpus[s->gpu].mig_table].profiles[s->profile_index];
    unsigned size = 0;
    for (unsigned k = 0; k < prof->placement_count; k++) {
      if (prof->placements[k].start == s->start) size = prof->placements[k].size;
    }
    state->gi[s->gpu][s->id] = (mock_instance){1, s->profile_index, s->start, size, state->next_serial++};
  }
  for (unsigned i = 0; i < n->ci_seed_count; i++) {
    const mock_ci_seed *s = &n->ci_seeds[i];
    state->ci[s->gpu][s->gi][s->id] =
        (mock_instance){1, s->ci_profile, s->start, mock_ci_enum_slices[s->ci_profile], state->next_serial++};
  }
}

/* Parses the state file; a damaged file is reported with its line and refused, never guessed at. */
static nvmlReturn_t parse_state(FILE *f, const char *path, mock_state *state) {
  const mock_node *n = mock_g_node;
  memset(state, 0, sizeof *state);
  char line[256];
  unsigned number = 0;
  int header = 0;
  while (fgets(line, sizeof line, f) != NULL) {
    number++;
    unsigned gpu, gi, ci, profile, start, size, serial;
    if (number == 1) {
      header = strncmp(line, STATE_HEADER, strlen(STATE_HEADER)) == 0;
      if (!header) break;
      continue;
    }
    if (line[0] == '#') {
      continue;
    } else if (sscanf(line, "serial %u", &serial) == 1) {
      state->next_serial = serial;
    } else if (sscanf(line, "gi %u %u %u %u %u %u", &gpu, &gi, &profile, &start, &size, &serial) == 6) {
      if (gpu >= n->gpu_count || gi >= MOCK_MAX_GI || n->gpus[gpu].mig_table < 0 ||
          profile >= NVML_GPU_INSTANCE_PROFILE_COUNT || !n->tables[n->gpus[gpu].mig_table].profiles[profile].defined)
        goto bad;
      state->gi[gpu][gi] = (mock_instance){1, profile, start, size, serial};
    } else if (sscanf(line, "ci %u %u %u %u %u %u %u", &gpu, &gi, &ci, &profile, &start, &size, &serial) == 7) {
      if (gpu >= n->gpu_count || gi >= MOCK_MAX_GI || ci >= MOCK_MAX_CI || !state->gi[gpu][gi].used ||
          profile >= NVML_COMPUTE_INSTANCE_PROFILE_COUNT)
        goto bad;
      state->ci[gpu][gi][ci] = (mock_instance){1, profile, start, size, serial};
    } else {
      goto bad;
    }
  }
  if (!header) {
    fprintf(stderr, "gpudra mock NVML: state file %s: line 1: expected '%s'\n", path, STATE_HEADER);
    return NVML_ERROR_UNKNOWN;
  }
  return NVML_SUCCESS;
bad:
  fprintf(stderr, "gpudra mock NVML: state file %s: line %u: not a valid instance of this profile\n", path, number);
  return NVML_ERROR_UNKNOWN;
}

static nvmlReturn_t write_state(const char *path, const mock_state *state) {
  const mock_node *n = mock_g_node;
  char tmp[MOCK_PATH_LEN + 32];
  snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (f == NULL) {
    report("cannot write", tmp, errno);
    return NVML_ERROR_UNKNOWN;
  }
  fprintf(f, "%s\n# profile %s\nserial %u\n", STATE_HEADER, n->profile_name, state->next_serial);
  for (unsigned g = 0; g < n->gpu_count; g++) {
    for (unsigned i = 0; i < MOCK_MAX_GI; i++) {
      const mock_instance *gi = &state->gi[g][i];
      if (!gi->used) continue;
      fprintf(f, "gi %u %u %u %u %u %u\n", g, i, gi->profile_index, gi->start, gi->size, gi->serial);
      for (unsigned c = 0; c < MOCK_MAX_CI; c++) {
        const mock_instance *ci = &state->ci[g][i][c];
        if (ci->used) fprintf(f, "ci %u %u %u %u %u %u %u\n", g, i, c, ci->profile_index, ci->start, ci->size, ci->serial);
      }
    }
  }
  int failed = fflush(f) != 0 || fsync(fileno(f)) != 0;
  failed |= fclose(f) != 0;
  if (failed || rename(tmp, path) != 0) {
    report("cannot replace", path, errno);
    unlink(tmp);
    return NVML_ERROR_UNKNOWN;
  }
  char dir[MOCK_PATH_LEN];
  snprintf(dir, sizeof dir, "%s", path);
  int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
  if (dfd >= 0) {
    fsync(dfd);
    close(dfd);
  }
  return NVML_SUCCESS;
}

/* Opens and locks "<state>.lock"; returns the descriptor or -1. */
static int lock_state(const char *path, int operation) {
  char dir[MOCK_PATH_LEN], lock[MOCK_PATH_LEN + 8];
  snprintf(dir, sizeof dir, "%s", path);
  if (mkdirs(dirname(dir)) != 0) {
    report("cannot create the directory of", path, errno);
    return -1;
  }
  snprintf(lock, sizeof lock, "%s.lock", path);
  int fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    report("cannot open", lock, errno);
    return -1;
  }
  while (flock(fd, operation) != 0) {
    if (errno != EINTR) {
      report("cannot lock", lock, errno);
      close(fd);
      return -1;
    }
  }
  return fd;
}

/* Reads the state, seeding the file first when it does not exist. Caller holds the exclusive lock
   when seeding may be needed. */
static nvmlReturn_t load(const char *path, mock_state *state, int may_seed, int *missing) {
  FILE *f = fopen(path, "r");
  if (f == NULL) {
    if (errno != ENOENT) {
      report("cannot read", path, errno);
      return NVML_ERROR_UNKNOWN;
    }
    *missing = 1;
    seed(state);
    return may_seed ? write_state(path, state) : NVML_SUCCESS;
  }
  nvmlReturn_t rc = parse_state(f, path, state);
  fclose(f);
  return rc;
}

nvmlReturn_t mock_state_read(mock_state *state) {
  const char *path = mock_state_path();
  pthread_mutex_lock(&g_state_lock);
  int fd = lock_state(path, LOCK_SH);
  nvmlReturn_t rc = NVML_ERROR_UNKNOWN;
  if (fd >= 0) {
    int missing = 0;
    rc = load(path, state, 0, &missing);
    close(fd);
    /* A missing file reads as the seed; it is written by the first update. */
  }
  pthread_mutex_unlock(&g_state_lock);
  return rc;
}

nvmlReturn_t mock_state_update(mock_state_mutator mutator, void *context) {
  const char *path = mock_state_path();
  mock_state *state = malloc(sizeof *state);
  if (state == NULL) return NVML_ERROR_MEMORY;
  pthread_mutex_lock(&g_state_lock);
  int fd = lock_state(path, LOCK_EX);
  nvmlReturn_t rc = NVML_ERROR_UNKNOWN;
  if (fd >= 0) {
    int missing = 0;
    rc = load(path, state, 1, &missing);
    if (rc == NVML_SUCCESS) {
      rc = mutator(state, context);
      if (rc == NVML_SUCCESS) rc = write_state(path, state);
    }
    close(fd);
  }
  pthread_mutex_unlock(&g_state_lock);
  free(state);
  return rc;
}
