/* Stored models and scripts: their definition, their hash in the keyspace, their run
 * statistics, and the commands that store, read and delete them. */
#ifndef SMARTSIM_AI_OBJECTS_H
#define SMARTSIM_AI_OBJECTS_H

#include "api.h"

enum { KIND_MODEL = 1, KIND_SCRIPT = 2 };

/* A list of strings we hold (HoldString) until object_def_free. */
typedef struct {
    int count;
    ValkeyModuleString **items;
} StringList;

/* Everything stored about a model or a script. */
typedef struct {
    int kind;
    ValkeyModuleString *backend; /* TORCH for scripts */
    ValkeyModuleString *device;
    ValkeyModuleString *tag;
    long long batchsize, minbatchsize, minbatchtimeout;
    StringList inputs, outputs, entry_points;
    StringList blobs; /* a model's chunks, or a script's source */
    char version[17]; /* a fresh id per store: workers reload a changed object */
} ObjectDef;

typedef struct {
    long long duration_us, samples, calls, errors;
} Stats;

/* Hold `count` strings from `argv` in `list` (what it held before is freed). */
void list_take(StringList *list, ValkeyModuleString **argv, int count);
/* Free the strings `list` holds. */
void list_free(StringList *list);

void object_def_free(ObjectDef *def);

/* Read the object at `name`; VM_ERR with *error set when it is missing or not a `kind`. */
int object_def_read(ValkeyModuleCtx *ctx, ValkeyModuleString *name, int kind, ObjectDef *def,
                    const char **error);

/* Whether `name` holds a stored object of `kind`; its version into `out` when it does. */
int object_version(ValkeyModuleCtx *ctx, ValkeyModuleString *name, int kind, char out[17]);

/* Whether `name` holds a stored object of `kind`. */
int object_exists(ValkeyModuleCtx *ctx, ValkeyModuleString *name, int kind);

/* Replace whatever `name` holds by the object (its statistics start anew). */
void object_def_write(ValkeyModuleCtx *ctx, ValkeyModuleString *name, const ObjectDef *def);

/* Statistics of the object at `name` (created when asked). */
Stats *stats_of(ValkeyModuleString *name, int create);

/* The current MODEL_CHUNK_SIZE (bytes per BLOB chunk in AI.MODELGET replies). */
long long model_chunk_size(void);

void objects_init(ValkeyModuleCtx *ctx);

int cmd_modelstore(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_modelget(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_modeldel(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_scriptset(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_scriptstore(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_scriptget(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_scriptdel(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_info(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_config(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);

#endif
