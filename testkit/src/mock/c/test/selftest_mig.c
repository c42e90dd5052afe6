/* MIG instance life cycle on the a100-8x profile: placement rules, ids, compute instances, MIG
   devices, destruction order, and one shared state across processes (including a creation race). */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#define PROFILE_1G_10GB 19
#define PROFILE_3G_40GB 9
#define PROFILE_4G_40GB 5
#define PROFILE_7G_80GB 0

static unsigned remaining(nvmlDevice_t dev, unsigned profile_id) {
  unsigned count = 99;
  CHECK_RC(nvmlDeviceGetGpuInstanceRemainingCapacity(dev, profile_id, &count), NVML_SUCCESS);
  return count;
}

static unsigned instances(nvmlDevice_t dev, unsigned profile_id, unsigned *ids) {
  nvmlGpuInstance_t gis[8];
  unsigned count = 0;
  CHECK_RC(nvmlDeviceGetGpuInstances(dev, profile_id, gis, &count), NVML_SUCCESS);
  for (unsigned i = 0; i < count && ids != NULL; i++) {
    nvmlGpuInstanceInfo_t info;
    CHECK_RC(nvmlGpuInstanceGetInfo(gis[i], &info), NVML_SUCCESS);
    ids[i] = info.id;
  }
  return count;
}

/* Child process: creates one 1g.10gb instance on GPU 2 and exits with NVML's return code. */
static void child_creates_1g(void) {
  nvmlDevice_t dev;
  nvmlGpuInstance_t gi;
  if (nvmlDeviceGetHandleByIndex_v2(2, &dev) != NVML_SUCCESS) _exit(100);
  _exit((int)nvmlDeviceCreateGpuInstance(dev, PROFILE_1G_10GB, &gi));
}

static void check_placement_rules(nvmlDevice_t dev) {
  /* GPU 2 holds a 4g.40gb instance (id 0) on memory slices 0-3 and no compute instance. */
  CHECK(remaining(dev, PROFILE_3G_40GB) == 1, "one 3g.40gb fits next to the 4g.40gb");
  CHECK(remaining(dev, PROFILE_7G_80GB) == 0, "7g.80gb cannot fit");
  CHECK(remaining(dev, PROFILE_1G_10GB) == 3, "three 1g.10gb fit on slices 4-6");
  nvmlGpuInstance_t gi;
  nvmlGpuInstancePlacement_t overlapping = {0, 4}, unaligned = {1, 4}, free_half = {4, 4};
  CHECK_RC(nvmlDeviceCreateGpuInstanceWithPlacement(dev, PROFILE_3G_40GB, &overlapping, &gi),
           NVML_ERROR_INSUFFICIENT_RESOURCES);
  CHECK_RC(nvmlDeviceCreateGpuInstanceWithPlacement(dev, PROFILE_3G_40GB, &unaligned, &gi), NVML_ERROR_INVALID_ARGUMENT);
  CHECK_RC(nvmlDeviceCreateGpuInstanceWithPlacement(dev, 77, &free_half, &gi), NVML_ERROR_INVALID_ARGUMENT);
  CHECK_RC(nvmlDeviceCreateGpuInstanceWithPlacement(dev, PROFILE_3G_40GB, &free_half, &gi), NVML_SUCCESS);
  nvmlGpuInstanceInfo_t info;
  CHECK_RC(nvmlGpuInstanceGetInfo(gi, &info), NVML_SUCCESS);
  CHECK(info.id == 1 && info.profileId == PROFILE_3G_40GB && info.placement.start == 4 && info.placement.size == 4,
        "new GPU instance id %u profile %u at %u:%u", info.id, info.profileId, info.placement.start, info.placement.size);
  CHECK(info.device == dev, "GPU instance info names its GPU");
  CHECK(remaining(dev, PROFILE_3G_40GB) == 0 && remaining(dev, PROFILE_1G_10GB) == 0, "GPU is full");
  nvmlGpuInstance_t extra;
  CHECK_RC(nvmlDeviceCreateGpuInstance(dev, PROFILE_1G_10GB, &extra), NVML_ERROR_INSUFFICIENT_RESOURCES);

  /* Compute instances of the 3g.40gb instance. */
  nvmlComputeInstanceProfileInfo_v2_t full = {.version = nvmlComputeInstanceProfileInfo_v2};
  nvmlComputeInstanceProfileInfo_t one;
  CHECK_RC(nvmlGpuInstanceGetComputeInstanceProfileInfoV(gi, NVML_COMPUTE_INSTANCE_PROFILE_3_SLICE,
                                                         NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &full),
           NVML_SUCCESS);
  CHECK_STR(full.name, "3g.40gb");
  CHECK(full.multiprocessorCount == 42 && full.instanceCount == 1, "full compute instance profile");
  CHECK_RC(nvmlGpuInstanceGetComputeInstanceProfileInfo(gi, NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE,
                                                        NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &one),
           NVML_SUCCESS);
  CHECK(one.sliceCount == 1 && one.instanceCount == 3 && one.multiprocessorCount == 14, "1c.3g.40gb profile");
  CHECK_RC(nvmlGpuInstanceGetComputeInstanceProfileInfo(gi, NVML_COMPUTE_INSTANCE_PROFILE_7_SLICE,
                                                        NVML_COMPUTE_INSTANCE_ENGINE_PROFILE_SHARED, &one),
           NVML_ERROR_NOT_SUPPORTED);
  nvmlComputeInstance_t ci, ci_extra;
  CHECK_RC(nvmlGpuInstanceCreateComputeInstance(gi, NVML_COMPUTE_INSTANCE_PROFILE_3_SLICE, &ci), NVML_SUCCESS);
  CHECK_RC(nvmlGpuInstanceCreateComputeInstance(gi, NVML_COMPUTE_INSTANCE_PROFILE_1_SLICE, &ci_extra),
           NVML_ERROR_INSUFFICIENT_RESOURCES);
  nvmlComputeInstanceInfo_t ci_info;
  CHECK_RC(nvmlComputeInstanceGetInfo_v2(ci, &ci_info), NVML_SUCCESS);
  CHECK(ci_info.id == 0 && ci_info.gpuInstance == gi && ci_info.placement.size == 3, "compute instance info");

  /* The new compute instance is a MIG device. */
  nvmlDevice_t mig;
  char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE], uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
  CHECK_RC(nvmlDeviceGetMigDeviceHandleByIndex(dev, 0, &mig), NVML_SUCCESS);
  CHECK_RC(nvmlDeviceGetMigDeviceHandleByIndex(dev, 1, &mig), NVML_ERROR_NOT_FOUND);
  CHECK_RC(nvmlDeviceGetMigDeviceHandleByIndex(dev, 0, &mig), NVML_SUCCESS);
  CHECK_RC(nvmlDeviceGetName(mig, name, sizeof name), NVML_SUCCESS);
  CHECK_STR(name, "NVIDIA A100-SXM4-80GB MIG 3g.40gb");
  CHECK_RC(nvmlDeviceGetUUID(mig, uuid, sizeof uuid), NVML_SUCCESS);
  nvmlDeviceAttributes_t attributes;
  CHECK_RC(nvmlDeviceGetAttributes_v2(mig, &attributes), NVML_SUCCESS);
  CHECK(attributes.multiprocessorCount == 42 && attributes.gpuInstanceSliceCount == 3 &&
            attributes.computeInstanceSliceCount == 3 && attributes.memorySizeMB == 40192 &&
            attributes.sharedDecoderCount == 2,
        "MIG device attributes");
  CHECK_RC(nvmlDeviceGetAttributes_v2(dev, &attributes), NVML_ERROR_NOT_SUPPORTED);

  /* Destruction: compute instances first. */
  CHECK_RC(nvmlGpuInstanceDestroy(gi), NVML_ERROR_IN_USE);
  CHECK_RC(nvmlComputeInstanceDestroy(ci), NVML_SUCCESS);
  CHECK_RC(nvmlDeviceGetUUID(mig, uuid, sizeof uuid), NVML_ERROR_INVALID_ARGUMENT);
  CHECK_RC(nvmlComputeInstanceDestroy(ci), NVML_ERROR_INVALID_ARGUMENT);
  CHECK_RC(nvmlGpuInstanceDestroy(gi), NVML_SUCCESS);
  CHECK_RC(nvmlGpuInstanceDestroy(gi), NVML_ERROR_INVALID_ARGUMENT);
  CHECK_RC(nvmlDeviceGetGpuInstanceById(dev, 1, &gi), NVML_ERROR_NOT_FOUND);
  CHECK(instances(dev, PROFILE_4G_40GB, NULL) == 1, "the seeded 4g.40gb instance remains");
  report("MIG placement, overlap, capacity, smallest-free ids, compute instances, MIG devices, destroy order\n");
}

static void check_shared_state(nvmlDevice_t dev) {
  pid_t pid = fork();
  if (pid == 0) child_creates_1g();
  int status = 0;
  waitpid(pid, &status, 0);
  CHECK(WIFEXITED(status) && WEXITSTATUS(status) == NVML_SUCCESS, "child process created a GPU instance");
  unsigned ids[8];
  CHECK(instances(dev, PROFILE_1G_10GB, ids) == 1, "instance created by another process is visible");
  CHECK(ids[0] == 1, "smallest free id is 1, got %u", ids[0]);

  /* Four processes race for the two 1g.10gb placements left. */
  pid_t children[4];
  for (int i = 0; i < 4; i++) {
    children[i] = fork();
    if (children[i] == 0) child_creates_1g();
  }
  int created = 0, refused = 0;
  for (int i = 0; i < 4; i++) {
    waitpid(children[i], &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == NVML_SUCCESS) created++;
    if (WIFEXITED(status) && WEXITSTATUS(status) == NVML_ERROR_INSUFFICIENT_RESOURCES) refused++;
  }
  CHECK(created == 2 && refused == 2, "racing processes: %d created, %d refused", created, refused);
  unsigned count = instances(dev, PROFILE_1G_10GB, ids);
  CHECK(count == 3 && ids[0] != ids[1] && ids[1] != ids[2] && ids[0] != ids[2], "three distinct 1g.10gb instances");

  /* The state outlives the session. */
  CHECK_RC(nvmlShutdown(), NVML_SUCCESS);
  CHECK_RC(nvmlInit_v2(), NVML_SUCCESS);
  CHECK_RC(nvmlDeviceGetHandleByIndex_v2(2, &dev), NVML_SUCCESS);
  nvmlGpuInstance_t gis[8];
  CHECK_RC(nvmlDeviceGetGpuInstances(dev, PROFILE_1G_10GB, gis, &count), NVML_SUCCESS);
  CHECK(count == 3, "instances persist across sessions (%u)", count);
  for (unsigned i = 0; i < count; i++) CHECK_RC(nvmlGpuInstanceDestroy(gis[i]), NVML_SUCCESS);
  CHECK(remaining(dev, PROFILE_1G_10GB) == 3, "capacity returns after destruction");
  report("MIG state shared across processes under flock: visibility, a 4-process race, persistence\n");
}

typedef struct {
  nvmlDevice_t dev;
  int created, unexpected;
} churn;

/* Creates and destroys 1g.10gb instances in a loop; only INSUFFICIENT_RESOURCES may refuse. */
static void *churn_instances(void *arg) {
  churn *c = arg;
  for (int i = 0; i < 25; i++) {
    nvmlGpuInstance_t gi;
    nvmlReturn_t rc = nvmlDeviceCreateGpuInstance(c->dev, PROFILE_1G_10GB, &gi);
    if (rc == NVML_SUCCESS) {
      c->created++;
      if (nvmlGpuInstanceDestroy(gi) != NVML_SUCCESS) c->unexpected++;
    } else if (rc != NVML_ERROR_INSUFFICIENT_RESOURCES) {
      c->unexpected++;
    }
  }
  return NULL;
}

static void check_threads(nvmlDevice_t dev) {
  pthread_t threads[6];
  churn work[6];
  for (int i = 0; i < 6; i++) {
    work[i] = (churn){dev, 0, 0};
    pthread_create(&threads[i], NULL, churn_instances, &work[i]);
  }
  int created = 0, unexpected = 0;
  for (int i = 0; i < 6; i++) {
    pthread_join(threads[i], NULL);
    created += work[i].created;
    unexpected += work[i].unexpected;
  }
  CHECK(unexpected == 0 && created > 0, "6 threads: %d created, %d unexpected results", created, unexpected);
  CHECK(remaining(dev, PROFILE_1G_10GB) == 3, "no instance leaked by the threads");
  report("6 threads creating and destroying instances concurrently leave a consistent state\n");
}

static void check_damaged_state(void) {
  const char *state = getenv("GPUDRA_MOCK_NVML_STATE");
  FILE *f = fopen(state, "w");
  fputs("gpudra-mock-nvml-state 1\ngi 0 1 banana\n", f);
  fclose(f);
  nvmlDevice_t dev;
  unsigned count;
  CHECK_RC(nvmlDeviceGetHandleByIndex_v2(0, &dev), NVML_SUCCESS);
  fflush(stderr);
  FILE *saved = stderr;
  stderr = fopen("/dev/null", "w");
  nvmlReturn_t rc = nvmlDeviceGetGpuInstanceRemainingCapacity(dev, PROFILE_1G_10GB, &count);
  fclose(stderr);
  stderr = saved;
  CHECK_RC(rc, NVML_ERROR_UNKNOWN);
  unlink(state);
  CHECK(remaining(dev, PROFILE_1G_10GB) == 0, "a deleted state file is seeded again from the profile");
  report("a damaged state file fails MIG calls with NVML_ERROR_UNKNOWN; deleting it resets the node\n");
}

void check_mig_lifecycle(void) {
  CHECK_RC(use_profile("a100-8x"), NVML_SUCCESS);
  nvmlDevice_t dev;
  CHECK_RC(nvmlDeviceGetHandleByIndex_v2(2, &dev), NVML_SUCCESS);
  check_placement_rules(dev);
  check_shared_state(dev);
  check_threads(dev);
  check_damaged_state();
  nvmlDevice_t full;
  CHECK_RC(nvmlDeviceGetHandleByIndex_v2(0, &full), NVML_SUCCESS);
  CHECK(remaining(full, PROFILE_1G_10GB) == 0, "GPU 0 is fully partitioned");
  CHECK_RC(nvmlShutdown(), NVML_SUCCESS);
}
