/*
 * Internal model of the mock NVML library: the node a profile describes, the MIG state shared
 * between processes, and the helpers the exported NVML entry points are built from.
 *
 * Thread-safety: the profile (mock_node) is immutable between the first nvmlInit and the last
 * nvmlShutdown, so queries read it without locking. MIG state lives in a file and is read or
 * changed only through mock_state_read/mock_state_update, which serialise threads with a mutex and
 * processes with flock.
 */
#ifndef GPUDRA_MOCK_NVML_H
#define GPUDRA_MOCK_NVML_H

#include <stddef.h>

#include "nvml.h"

#define MOCK_EXPORT __attribute__((visibility("default")))

#define MOCK_MAX_GPUS 16
#define MOCK_MAX_MODELS 16
#define MOCK_MAX_TABLES 8
#define MOCK_MAX_PLACEMENTS 8
#define MOCK_MAX_GI 16 /* GPU instance ids per GPU: 0..15 */
#define MOCK_MAX_CI 8  /* compute instance ids per GPU instance: 0..7 */
#define MOCK_MAX_DELAYS 32
#define MOCK_NAME_LEN 64
#define MOCK_PATH_LEN 4096

/* Compute-instance profile enum index -> compute slices it spans (0: not modelled). */
extern const unsigned mock_ci_enum_slices[NVML_COMPUTE_INSTANCE_PROFILE_COUNT];

typedef struct {
  unsigned start;
  unsigned size;
} mock_span;

/* One row of `nvidia-smi mig -lgip`, keyed by its NVML_GPU_INSTANCE_PROFILE_* enum index. */
typedef struct {
  int defined;
  unsigned id; /* the profile id NVML reports and creation takes */
  char name[MOCK_NAME_LEN];
  unsigned slices; /* compute slices */
  unsigned long long memory_mib;
  unsigned sm, ce, dec, enc, jpeg, ofa, instances;
  unsigned placement_count;
  mock_span placements[MOCK_MAX_PLACEMENTS]; /* memory-slice placements */
} mock_gi_profile;

typedef struct {
  char name[MOCK_NAME_LEN];
  unsigned memory_slices;
  unsigned compute_slices;
  mock_gi_profile profiles[NVML_GPU_INSTANCE_PROFILE_COUNT];
} mock_mig_table;

/* Every field a GPU serves; models and GPUs share the type so a model is a set of defaults. */
typedef struct {
  int defined;
  char model[MOCK_NAME_LEN];
  char name[NVML_DEVICE_NAME_V2_BUFFER_SIZE];
  unsigned brand;
  unsigned architecture;
  int cc_major, cc_minor;
  unsigned long long memory_mib;
  unsigned long long reserved_mib;
  char uuid[NVML_DEVICE_UUID_V2_BUFFER_SIZE];
  unsigned pci_domain, pci_bus, pci_device;
  unsigned pci_device_id, pci_subsystem_id;
  unsigned minor;
  int mig_table; /* index into mock_node.tables, -1 when the GPU has no MIG support */
  unsigned mig_current, mig_pending;
  /* Where the GPU sits in the host's PCI tree. NVML does not serve these; the test fakes that build
   * a sysfs tree for the node read them from the profile. Empty root: the GPU has no sysfs entry. */
  char pcie_root[16];
  int numa_node; /* -1: the kernel knows no node */
  unsigned line; /* where the block was opened, for error messages */
} mock_gpu;

typedef struct {
  unsigned gpu, id, profile_index, start, line;
} mock_gi_seed;

typedef struct {
  unsigned gpu, gi, id, ci_profile, start, line;
} mock_ci_seed;

typedef struct {
  char function[MOCK_NAME_LEN];
  unsigned millis;
} mock_delay;

/* A fully parsed profile. */
typedef struct {
  char profile_name[MOCK_NAME_LEN];
  char profile_path[MOCK_PATH_LEN];
  char driver_version[NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE];
  char nvml_version[NVML_SYSTEM_NVML_VERSION_BUFFER_SIZE];
  int cuda_driver_version;
  unsigned table_count;
  mock_mig_table tables[MOCK_MAX_TABLES];
  unsigned model_count;
  mock_gpu models[MOCK_MAX_MODELS];
  unsigned gpu_count;
  mock_gpu gpus[MOCK_MAX_GPUS];
  unsigned gi_seed_count;
  mock_gi_seed gi_seeds[MOCK_MAX_GPUS * MOCK_MAX_GI];
  unsigned ci_seed_count;
  mock_ci_seed ci_seeds[MOCK_MAX_GPUS * MOCK_MAX_GI];
  nvmlReturn_t init_error; /* NVML_SUCCESS when nvmlInit is not failed on purpose */
  int lost_gpu;            /* -1 when no GPU is lost */
  unsigned delay_count;
  mock_delay delays[MOCK_MAX_DELAYS];
} mock_node;

/* MIG instances of one node, as stored in the state file. serial makes MIG UUIDs unique per creation. */
typedef struct {
  int used;
  unsigned profile_index;
  unsigned start, size;
  unsigned serial;
} mock_instance;

typedef struct {
  unsigned next_serial;
  mock_instance gi[MOCK_MAX_GPUS][MOCK_MAX_GI];
  mock_instance ci[MOCK_MAX_GPUS][MOCK_MAX_GI][MOCK_MAX_CI];
} mock_state;

/* Handles: addresses inside these tables, so a handle is validated by a range check. */
struct nvmlDevice_st {
  unsigned gpu;
  int is_mig;
  unsigned gi, ci;
};
struct nvmlGpuInstance_st {
  unsigned gpu, gi;
};
struct nvmlComputeInstance_st {
  unsigned gpu, gi, ci;
};

/* errors.c */
int mock_error_from_name(const char *name, nvmlReturn_t *code);

/* profile_parse.c: 0 on success; on failure *msg holds "file:line: field: reason". */
int mock_profile_load(const char *path, const char *name, mock_node *node, char *msg, size_t msg_len);
int mock_table_profile_by_id(const mock_mig_table *table, unsigned id);

/* library.c */
extern mock_node *mock_g_node;
const char *mock_builtin_dir(void);
nvmlReturn_t mock_enter(const char *function);
#define MOCK_ENTER()                                                                                         \
  do {                                                                                                       \
    nvmlReturn_t mock_enter_rc_ = mock_enter(__func__);                                                      \
    if (mock_enter_rc_ != NVML_SUCCESS) return mock_enter_rc_;                                               \
  } while (0)
nvmlReturn_t mock_copy_string(char *dst, unsigned length, const char *src);
const char *mock_state_path(void);

/* handles.c */
nvmlDevice_t mock_gpu_handle(unsigned gpu);
nvmlDevice_t mock_mig_handle(unsigned gpu, unsigned gi, unsigned ci);
nvmlGpuInstance_t mock_gi_handle(unsigned gpu, unsigned gi);
nvmlComputeInstance_t mock_ci_handle(unsigned gpu, unsigned gi, unsigned ci);
int mock_is_device(nvmlDevice_t device);
int mock_is_gi(nvmlGpuInstance_t gi);
int mock_is_ci(nvmlComputeInstance_t ci);
/* Resolves a GPU or MIG device handle: INVALID_ARGUMENT for foreign handles and for MIG handles whose
   compute instance no longer exists, GPU_IS_LOST for the GPU a profile marks as lost. */
nvmlReturn_t mock_check_device(nvmlDevice_t device);
const mock_gpu *mock_gpu_of(nvmlDevice_t device);
const mock_mig_table *mock_table_of(const mock_gpu *gpu);

/* mig_state.c */
nvmlReturn_t mock_state_read(mock_state *state);
typedef nvmlReturn_t (*mock_state_mutator)(mock_state *state, void *context);
nvmlReturn_t mock_state_update(mock_state_mutator mutator, void *context);

/* mig_rules.c: pure placement rules shared by creation and capacity queries. */
int mock_span_overlaps(mock_span a, mock_span b);
unsigned mock_gi_remaining(const mock_mig_table *table, const mock_state *state, unsigned gpu,
                           unsigned profile_index);
int mock_gi_placement_free(const mock_mig_table *table, const mock_state *state, unsigned gpu,
                           unsigned profile_index, mock_span placement);
int mock_ci_profile_valid(const mock_gi_profile *gi, unsigned ci_profile);
void mock_ci_profile_info(const mock_gi_profile *gi, unsigned ci_profile, nvmlComputeInstanceProfileInfo_v2_t *out);
unsigned mock_ci_remaining(const mock_gi_profile *gi, const mock_state *state, unsigned gpu, unsigned gi_id,
                           unsigned ci_profile);
int mock_ci_first_free(const mock_gi_profile *gi, const mock_state *state, unsigned gpu, unsigned gi_id,
                       unsigned ci_profile, mock_span *out);
void mock_mig_uuid(const mock_gpu *parent, unsigned serial, char *out, size_t len);

/* injection.c: the fault log next to the state file (see there for its format). */
#define MOCK_NO_INSTANCE 0xFFFFFFFFu
typedef enum { MOCK_FAULT_XID = 1, MOCK_FAULT_ECC_DBE, MOCK_FAULT_LOST, MOCK_FAULT_BACK } mock_fault_kind;
typedef struct {
  mock_fault_kind kind;
  unsigned gpu;
  unsigned long long xid;
  unsigned gi, ci; /* MOCK_NO_INSTANCE when the fault is not pinned to an instance */
} mock_fault;
void mock_faults_path(char *out, size_t len);
long mock_faults_end(void);
int mock_fault_parse(const char *line, mock_fault *fault);
/* Reads from offset: returns -(offset after the fault)-1 with *fault set, or the end offset when no fault. */
long mock_faults_next(long offset, mock_fault *fault);
/* The profile's lost GPU, or one the fault log lost and did not bring back. */
int mock_gpu_lost(unsigned gpu);

#endif
