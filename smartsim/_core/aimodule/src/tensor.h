/* The stored tensor format (docs/tensor-format.md) and the AI.TENSORSET/AI.TENSORGET commands. */
#ifndef SMARTSIM_AI_TENSOR_H
#define SMARTSIM_AI_TENSOR_H

#include "api.h"

#define TENSOR_FIXED 16
#define TENSOR_MAX_RANK 255
/* Payload bytes per stored string; a longer tensor continues at "<key>#part<i>". */
#define TENSOR_PART_BYTES ((size_t)((512u << 20) - (1u << 20)))

/* A stored tensor opened for reading: one contiguous value in the stored format. */
typedef struct {
    ValkeyModuleKey *key; /* kept open while `data` points into it */
    const char *data;     /* header, dims and the whole payload */
    size_t len;
    char *owned;          /* set when the parts were gathered into a buffer of ours */
    int code;
    int rank;
    const uint64_t *dims; /* into data; may be unaligned on exotic platforms */
} TensorView;

/* Open the tensor at `name`; on failure return VM_ERR and set *error to the reply text. */
int tensor_open(ValkeyModuleCtx *ctx, ValkeyModuleString *name, TensorView *view,
                const char **error);
void tensor_close(TensorView *view);

/* Whether `name` holds a value in the stored tensor format (checked from the header). */
int tensor_exists(ValkeyModuleCtx *ctx, ValkeyModuleString *name);

/* Store a value already in the stored format at `name`, removing stale parts of an old value. */
int tensor_store(ValkeyModuleCtx *ctx, ValkeyModuleString *name, ValkeyModuleString *value,
                 const char **error);

/* Whether `data` is a well-formed single-part value (used on results from workers). */
int tensor_valid(const char *data, size_t len);

int cmd_tensorset(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_tensorget(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);

/* Case-insensitive comparison of an argument with a keyword. */
int arg_is(ValkeyModuleString *arg, const char *word);

#endif
