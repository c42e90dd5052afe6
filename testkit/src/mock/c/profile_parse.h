/* Shared by the profile reader's files: the parser's position and block, and its helpers. Every
   helper returns 0 on success and -1 after writing "file:line: field: reason" into p->msg. */
#ifndef GPUDRA_MOCK_PROFILE_PARSE_H
#define GPUDRA_MOCK_PROFILE_PARSE_H

#include "mock.h"

typedef enum { BLOCK_TOP, BLOCK_TABLE, BLOCK_MODEL, BLOCK_GPU } block_kind;

typedef struct {
  mock_node *node;
  const char *file;
  unsigned line;
  char *msg;
  size_t msg_len;
  block_kind block;
  mock_mig_table *table;
  mock_gpu *gpu;
  unsigned gpu_index;
  int depth;
} parser;

int profile_fail(parser *p, const char *field, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int profile_uint(parser *p, const char *field, const char *text, unsigned long long max, unsigned long long *out);
int profile_u32(parser *p, const char *field, const char *text, unsigned *out);
int profile_text(parser *p, const char *field, char *dst, size_t size, const char *src);
int profile_args(parser *p, char **tok, int count, int want);
int profile_find_table(const mock_node *node, const char *name);

/* profile_fields.c: one field line of a gpu or model block; a gi-profile line of a mig-table block. */
int profile_gpu_field(parser *p, mock_gpu *gpu, char **tok, int count, const char *rest);
int profile_gi_profile(parser *p, char **tok, int count);

/* profile_validate.c: rules that span lines, checked once the whole profile is read. */
int profile_validate(parser *p);

#endif
