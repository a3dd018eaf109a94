/* Models and scripts are hashes at their key (fields "ai.*", written only by this module), so
 * they persist with the rest of the data; AI.MODELSTORE/AI.SCRIPTSTORE first have a worker
 * load the object, so bad model bytes or a script that does not compile store nothing. */
#include "objects.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dispatch.h"
#include "tensor.h"

static ValkeyModuleDict *stats_by_key = NULL;
#define DEFAULT_CHUNK (511LL * 1024 * 1024)
static long long chunk_size = DEFAULT_CHUNK;
static ValkeyModuleString *backends_path = NULL;

static const char *const BACKENDS[] = {"TORCH", "TF", "TFLITE", "ONNX", NULL};

void objects_init(ValkeyModuleCtx *ctx) {
    stats_by_key = ValkeyModule_CreateDict(ctx);
    backends_path = ValkeyModule_CreateString(NULL, "", 0);
}

long long model_chunk_size(void) { return chunk_size; }

void list_free(StringList *list) {
    for (int i = 0; i < list->count; i++) ValkeyModule_FreeString(NULL, list->items[i]);
    if (list->items) ValkeyModule_Free(list->items);
    list->items = NULL;
    list->count = 0;
}

void list_take(StringList *list, ValkeyModuleString **argv, int count) {
    list_free(list);
    list->count = count;
    list->items = ValkeyModule_Alloc(sizeof(*list->items) * (count ? count : 1));
    for (int i = 0; i < count; i++) list->items[i] = ValkeyModule_HoldString(NULL, argv[i]);
}

static void hold(ValkeyModuleString **slot, ValkeyModuleString *value) {
    if (*slot) ValkeyModule_FreeString(NULL, *slot);
    *slot = value ? ValkeyModule_HoldString(NULL, value) : NULL;
}

void object_def_free(ObjectDef *def) {
    hold(&def->backend, NULL);
    hold(&def->device, NULL);
    hold(&def->tag, NULL);
    list_free(&def->inputs);
    list_free(&def->outputs);
    list_free(&def->entry_points);
    list_free(&def->blobs);
}

static void new_version(ObjectDef *def) {
    ValkeyModule_GetRandomHexChars(def->version, 16);
    def->version[16] = '\0';
}

static int valid_device(ValkeyModuleString *device) {
    size_t len;
    const char *text = ValkeyModule_StringPtrLen(device, &len);
    if (len == 3 && strncasecmp(text, "CPU", 3) == 0) return 1;
    if (len < 3 || strncasecmp(text, "GPU", 3) != 0) return 0;
    if (len == 3) return 1;
    if (text[3] != ':' || len == 4) return 0;
    for (size_t i = 4; i < len; i++)
        if (text[i] < '0' || text[i] > '9') return 0;
    return 1;
}

/* Parse "<count> name..." at argv[*at]; advances *at past it. */
static int parse_counted(ValkeyModuleString **argv, int argc, int *at, StringList *list) {
    long long count;
    if (*at >= argc || ValkeyModule_StringToLongLong(argv[*at], &count) != VM_OK || count < 0 ||
        count > argc - *at - 1)
        return VM_ERR;
    list_take(list, argv + *at + 1, (int)count);
    *at += 1 + (int)count;
    return VM_OK;
}

static int parse_long(ValkeyModuleString **argv, int argc, int at, long long *out) {
    return at < argc && ValkeyModule_StringToLongLong(argv[at], out) == VM_OK && *out >= 0
               ? VM_OK
               : VM_ERR;
}

/* Refuse a key that holds something other than a stored object of `kind`. */
static int check_target(ValkeyModuleCtx *ctx, ValkeyModuleString *name, int kind) {
    ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, name, VM_READ);
    int type = ValkeyModule_KeyType(key);
    ValkeyModule_CloseKey(key);
    return type == VM_KEYTYPE_EMPTY || object_exists(ctx, name, kind) ? VM_OK : VM_ERR;
}

/* AI.MODELSTORE key backend device [TAG tag] [BATCHSIZE n [MINBATCHSIZE m
 *   [MINBATCHTIMEOUT t]]] [INPUTS count name...] [OUTPUTS count name...] BLOB chunk... */
int cmd_modelstore(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    if (argc < 6) return ValkeyModule_WrongArity(ctx);
    int backend_ok = 0;
    for (int i = 0; BACKENDS[i]; i++) backend_ok |= arg_is(argv[2], BACKENDS[i]);
    if (!backend_ok) return ValkeyModule_ReplyWithError(ctx, "ERR unsupported backend");
    if (!valid_device(argv[3])) return ValkeyModule_ReplyWithError(ctx, "ERR Invalid DEVICE");
    if (check_target(ctx, argv[1], KIND_MODEL) != VM_OK)
        return ValkeyModule_ReplyWithError(ctx, VM_ERRORMSG_WRONGTYPE);
    ObjectDef def;
    memset(&def, 0, sizeof(def));
    def.kind = KIND_MODEL;
    for (int i = 0; BACKENDS[i]; i++) /* stored in RedisAI's spelling, whatever was sent */
        if (arg_is(argv[2], BACKENDS[i]))
            def.backend = ValkeyModule_CreateString(NULL, BACKENDS[i], strlen(BACKENDS[i]));
    hold(&def.device, argv[3]);
    const char *error = NULL;
    int at = 4, has_batch = 0;
    while (at < argc && error == NULL) {
        if (arg_is(argv[at], "TAG") && at + 1 < argc) {
            hold(&def.tag, argv[at + 1]);
            at += 2;
        } else if (arg_is(argv[at], "BATCHSIZE")) {
            if (parse_long(argv, argc, at + 1, &def.batchsize) != VM_OK)
                error = "ERR Invalid argument for BATCHSIZE";
            has_batch = 1;
            at += 2;
        } else if (arg_is(argv[at], "MINBATCHSIZE")) {
            if (!has_batch) error = "ERR MINBATCHSIZE specified without BATCHSIZE";
            else if (parse_long(argv, argc, at + 1, &def.minbatchsize) != VM_OK)
                error = "ERR Invalid argument for MINBATCHSIZE";
            at += 2;
        } else if (arg_is(argv[at], "MINBATCHTIMEOUT")) {
            if (def.minbatchsize == 0) error = "ERR MINBATCHTIMEOUT specified without MINBATCHSIZE";
            else if (parse_long(argv, argc, at + 1, &def.minbatchtimeout) != VM_OK)
                error = "ERR Invalid argument for MINBATCHTIMEOUT";
            at += 2;
        } else if (arg_is(argv[at], "INPUTS") || arg_is(argv[at], "OUTPUTS")) {
            int in = arg_is(argv[at], "INPUTS"); /* node names: only TF graphs take them */
            if (!arg_is(argv[2], "TF")) {
                error = in ? "ERR INPUTS argument should not be specified for this backend"
                           : "ERR OUTPUTS argument should not be specified for this backend";
                break;
            }
            at++;
            if (parse_counted(argv, argc, &at, in ? &def.inputs : &def.outputs) != VM_OK)
                error = in ? "ERR Invalid argument for input_count"
                           : "ERR Invalid argument for output_count";
        } else if (arg_is(argv[at], "BLOB")) {
            if (at + 1 >= argc) error = "ERR Insufficient arguments, missing model BLOB";
            else list_take(&def.blobs, argv + at + 1, argc - at - 1);
            at = argc;
        } else {
            error = "ERR Invalid argument, expected BLOB";
        }
    }
    if (error == NULL && def.blobs.count == 0) error = "ERR Insufficient arguments, missing model BLOB";
    if (error == NULL && has_batch && def.batchsize > 0 && arg_is(argv[2], "TFLITE"))
        error = "ERR Auto-batching not supported by the TFLITE backend";
    if (error == NULL && arg_is(argv[2], "TF") && def.inputs.count == 0)
        error = "ERR INPUTS not specified for TF";
    if (error == NULL && arg_is(argv[2], "TF") && def.outputs.count == 0)
        error = "ERR OUTPUTS not specified for TF";
    if (error != NULL) {
        object_def_free(&def);
        return ValkeyModule_ReplyWithError(ctx, error);
    }
    new_version(&def);
    return dispatch_store(ctx, argv[1], &def);
}

/* Parse AI.SCRIPTSET/AI.SCRIPTSTORE: key device [TAG tag] [ENTRY_POINTS n name...] SOURCE s */
static int script_store(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc, int store) {
    if (argc < 5) return ValkeyModule_WrongArity(ctx);
    if (!valid_device(argv[2])) return ValkeyModule_ReplyWithError(ctx, "ERR Invalid DEVICE");
    if (check_target(ctx, argv[1], KIND_SCRIPT) != VM_OK)
        return ValkeyModule_ReplyWithError(ctx, VM_ERRORMSG_WRONGTYPE);
    ObjectDef def;
    memset(&def, 0, sizeof(def));
    def.kind = KIND_SCRIPT;
    def.backend = ValkeyModule_CreateString(NULL, "TORCH", 5);
    hold(&def.device, argv[2]);
    const char *error = NULL;
    int at = 3;
    while (at < argc && error == NULL) {
        if (arg_is(argv[at], "TAG") && at + 1 < argc) {
            hold(&def.tag, argv[at + 1]);
            at += 2;
        } else if (store && arg_is(argv[at], "ENTRY_POINTS")) {
            at++;
            if (parse_counted(argv, argc, &at, &def.entry_points) != VM_OK || def.entry_points.count == 0)
                error = "ERR Invalid arguments: ENTRY_POINTS count must be a positive integer";
        } else if (arg_is(argv[at], "SOURCE")) {
            if (at + 2 != argc) error = "ERR Insufficient arguments, missing script SOURCE";
            else list_take(&def.blobs, argv + at + 1, 1);
            at = argc;
        } else {
            error = "ERR Invalid argument";
        }
    }
    if (error == NULL && def.blobs.count == 0) error = "ERR Insufficient arguments, missing script SOURCE";
    if (error == NULL && store && def.entry_points.count == 0)
        error = "ERR Insufficient arguments, missing script entry points";
    if (error != NULL) {
        object_def_free(&def);
        return ValkeyModule_ReplyWithError(ctx, error);
    }
    new_version(&def);
    return dispatch_store(ctx, argv[1], &def);
}

int cmd_scriptset(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    return script_store(ctx, argv, argc, 0);
}

int cmd_scriptstore(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    return script_store(ctx, argv, argc, 1);
}

/* ---- the stored hash --------------------------------------------------------------------- */

static ValkeyModuleString *hash_field(ValkeyModuleKey *key, const char *field) {
    ValkeyModuleString *value = NULL;
    ValkeyModule_HashGet(key, VM_HASH_CFIELDS, field, &value, NULL);
    return value;
}

static long long hash_long(ValkeyModuleKey *key, const char *field) {
    ValkeyModuleString *value = hash_field(key, field);
    long long out = 0;
    if (value) {
        ValkeyModule_StringToLongLong(value, &out);
        ValkeyModule_FreeString(NULL, value);
    }
    return out;
}

static void hash_set_long(ValkeyModuleKey *key, const char *field, long long value) {
    ValkeyModuleString *text = ValkeyModule_CreateStringPrintf(NULL, "%lld", value);
    ValkeyModule_HashSet(key, VM_HASH_CFIELDS, field, text, NULL);
    ValkeyModule_FreeString(NULL, text);
}

static void read_list(ValkeyModuleKey *key, const char *field, StringList *list) {
    long long count = hash_long(key, field);
    list_free(list);
    list->count = (int)count;
    list->items = ValkeyModule_Alloc(sizeof(*list->items) * (count ? count : 1));
    char name[64];
    for (long long i = 0; i < count; i++) {
        snprintf(name, sizeof(name), "%s.%lld", field, i);
        list->items[i] = hash_field(key, name);
        if (list->items[i] == NULL) list->items[i] = ValkeyModule_CreateString(NULL, "", 0);
    }
}

static void write_list(ValkeyModuleKey *key, const char *field, const StringList *list) {
    hash_set_long(key, field, list->count);
    char name[64];
    for (int i = 0; i < list->count; i++) {
        snprintf(name, sizeof(name), "%s.%d", field, i);
        ValkeyModule_HashSet(key, VM_HASH_CFIELDS, name, list->items[i], NULL);
    }
}

static int kind_of(ValkeyModuleKey *key) {
    if (ValkeyModule_KeyType(key) != VM_KEYTYPE_HASH) return 0;
    ValkeyModuleString *kind = hash_field(key, "ai.kind");
    int out = 0;
    if (kind) {
        out = arg_is(kind, "MODEL") ? KIND_MODEL : arg_is(kind, "SCRIPT") ? KIND_SCRIPT : 0;
        ValkeyModule_FreeString(NULL, kind);
    }
    return out;
}

int object_version(ValkeyModuleCtx *ctx, ValkeyModuleString *name, int kind, char out[17]) {
    ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, name, VM_READ);
    int found = kind_of(key) == kind;
    if (found) {
        ValkeyModuleString *version = hash_field(key, "ai.version");
        size_t len = 0;
        const char *text = version ? ValkeyModule_StringPtrLen(version, &len) : "";
        snprintf(out, 17, "%.*s", (int)len, text);
        if (version) ValkeyModule_FreeString(NULL, version);
    }
    ValkeyModule_CloseKey(key);
    return found;
}

int object_exists(ValkeyModuleCtx *ctx, ValkeyModuleString *name, int kind) {
    ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, name, VM_READ);
    int found = kind_of(key) == kind;
    ValkeyModule_CloseKey(key);
    return found;
}

int object_def_read(ValkeyModuleCtx *ctx, ValkeyModuleString *name, int kind, ObjectDef *def,
                    const char **error) {
    memset(def, 0, sizeof(*def));
    ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, name, VM_READ);
    int type = ValkeyModule_KeyType(key);
    if (type == VM_KEYTYPE_EMPTY) {
        ValkeyModule_CloseKey(key);
        *error = kind == KIND_MODEL ? "ERR model key is empty" : "ERR script key is empty";
        return VM_ERR;
    }
    if (kind_of(key) != kind) {
        ValkeyModule_CloseKey(key);
        *error = VM_ERRORMSG_WRONGTYPE;
        return VM_ERR;
    }
    def->kind = kind;
    def->backend = hash_field(key, "ai.backend");
    def->device = hash_field(key, "ai.device");
    def->tag = hash_field(key, "ai.tag");
    def->batchsize = hash_long(key, "ai.batchsize");
    def->minbatchsize = hash_long(key, "ai.minbatchsize");
    def->minbatchtimeout = hash_long(key, "ai.minbatchtimeout");
    read_list(key, "ai.inputs", &def->inputs);
    read_list(key, "ai.outputs", &def->outputs);
    read_list(key, "ai.entry_points", &def->entry_points);
    read_list(key, "ai.blob", &def->blobs);
    ValkeyModuleString *version = hash_field(key, "ai.version");
    if (version) {
        size_t len;
        const char *text = ValkeyModule_StringPtrLen(version, &len);
        snprintf(def->version, sizeof(def->version), "%.*s", (int)len, text);
        ValkeyModule_FreeString(NULL, version);
    }
    ValkeyModule_CloseKey(key);
    return VM_OK;
}

void object_def_write(ValkeyModuleCtx *ctx, ValkeyModuleString *name, const ObjectDef *def) {
    ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, name, VM_READ | VM_WRITE);
    ValkeyModule_DeleteKey(key);
    ValkeyModuleString *kind = ValkeyModule_CreateString(
        NULL, def->kind == KIND_MODEL ? "MODEL" : "SCRIPT", def->kind == KIND_MODEL ? 5 : 6);
    ValkeyModuleString *version = ValkeyModule_CreateString(NULL, def->version, strlen(def->version));
    ValkeyModuleString *empty = ValkeyModule_CreateString(NULL, "", 0);
    ValkeyModule_HashSet(key, VM_HASH_CFIELDS, "ai.kind", kind, "ai.backend", def->backend,
                         "ai.device", def->device, "ai.tag", def->tag ? def->tag : empty,
                         "ai.version", version, NULL);
    hash_set_long(key, "ai.batchsize", def->batchsize);
    hash_set_long(key, "ai.minbatchsize", def->minbatchsize);
    hash_set_long(key, "ai.minbatchtimeout", def->minbatchtimeout);
    write_list(key, "ai.inputs", &def->inputs);
    write_list(key, "ai.outputs", &def->outputs);
    write_list(key, "ai.entry_points", &def->entry_points);
    write_list(key, "ai.blob", &def->blobs);
    ValkeyModule_CloseKey(key);
    ValkeyModule_FreeString(NULL, kind);
    ValkeyModule_FreeString(NULL, version);
    ValkeyModule_FreeString(NULL, empty);
    Stats *stats = stats_of(name, 1);
    memset(stats, 0, sizeof(*stats));
}

Stats *stats_of(ValkeyModuleString *name, int create) {
    size_t len;
    const char *text = ValkeyModule_StringPtrLen(name, &len);
    int nokey = 0;
    Stats *stats = ValkeyModule_DictGetC(stats_by_key, (void *)text, len, &nokey);
    if (stats == NULL && create) {
        stats = ValkeyModule_Alloc(sizeof(*stats));
        memset(stats, 0, sizeof(*stats));
        ValkeyModule_DictSetC(stats_by_key, (void *)text, len, stats);
    }
    return stats;
}

static void stats_drop(ValkeyModuleString *name) {
    size_t len;
    const char *text = ValkeyModule_StringPtrLen(name, &len);
    Stats *old = NULL;
    if (ValkeyModule_DictDelC(stats_by_key, (void *)text, len, &old) == VM_OK && old)
        ValkeyModule_Free(old);
}

/* ---- reading and deleting ---------------------------------------------------------------- */

static void reply_list(ValkeyModuleCtx *ctx, const StringList *list) {
    ValkeyModule_ReplyWithArray(ctx, list->count);
    for (int i = 0; i < list->count; i++) ValkeyModule_ReplyWithString(ctx, list->items[i]);
}

static void reply_or_empty(ValkeyModuleCtx *ctx, ValkeyModuleString *value) {
    if (value) ValkeyModule_ReplyWithString(ctx, value);
    else ValkeyModule_ReplyWithCString(ctx, "");
}

/* The "device" and "tag" fields both META replies start with. */
static void reply_device_tag(ValkeyModuleCtx *ctx, const ObjectDef *def) {
    ValkeyModule_ReplyWithCString(ctx, "device");
    ValkeyModule_ReplyWithString(ctx, def->device);
    ValkeyModule_ReplyWithCString(ctx, "tag");
    reply_or_empty(ctx, def->tag);
}

/* A model's bytes: one string, or, as RedisAI does, len / MODEL_CHUNK_SIZE + 1 chunks when
 * that is more than one (the last chunk is empty when the size is an exact multiple). */
static void reply_blob(ValkeyModuleCtx *ctx, const StringList *blobs) {
    size_t total = 0, len;
    for (int i = 0; i < blobs->count; i++) {
        ValkeyModule_StringPtrLen(blobs->items[i], &len);
        total += len;
    }
    char *all = ValkeyModule_Alloc(total ? total : 1);
    size_t at = 0;
    for (int i = 0; i < blobs->count; i++) {
        const char *p = ValkeyModule_StringPtrLen(blobs->items[i], &len);
        memcpy(all + at, p, len);
        at += len;
    }
    size_t chunk = (size_t)chunk_size;
    long n = (long)(total / chunk + 1);
    if (n == 1) {
        ValkeyModule_ReplyWithStringBuffer(ctx, all, total);
    } else {
        ValkeyModule_ReplyWithArray(ctx, n);
        for (long i = 0; i < n; i++) {
            size_t start = (size_t)i * chunk, size = total - start < chunk ? total - start : chunk;
            ValkeyModule_ReplyWithStringBuffer(ctx, all + start, size);
        }
    }
    ValkeyModule_Free(all);
}

/* Parse "key [META] [<body>]" of AI.MODELGET (body BLOB) or AI.SCRIPTGET (body SOURCE) and
 * read the object; on a bad request reply the error and return VM_ERR. */
static int get_request(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc, int kind,
                       int *meta, int *body, ObjectDef *def) {
    const char *command = kind == KIND_MODEL ? "AI.MODELGET" : "AI.SCRIPTGET";
    const char *word = kind == KIND_MODEL ? "BLOB" : "SOURCE";
    if (argc < 2 || argc > 4) {
        ValkeyModule_WrongArity(ctx);
        return VM_ERR;
    }
    *meta = *body = 0;
    for (int i = 2; i < argc; i++) {
        if (arg_is(argv[i], "META")) {
            *meta = 1;
        } else if (arg_is(argv[i], word)) {
            *body = 1;
        } else {
            ValkeyModule_ReplyWithErrorFormat(ctx, "ERR unrecognized parameter to %s", command);
            return VM_ERR;
        }
    }
    const char *error = NULL;
    if (!*meta && !*body) {
        ValkeyModule_ReplyWithErrorFormat(ctx, "ERR no META or %s specified", word);
        return VM_ERR;
    }
    if (object_def_read(ctx, argv[1], kind, def, &error) != VM_OK) {
        ValkeyModule_ReplyWithError(ctx, error);
        return VM_ERR;
    }
    return VM_OK;
}

/* AI.MODELGET key [META] [BLOB] */
int cmd_modelget(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    int meta, blob;
    ObjectDef def;
    if (get_request(ctx, argv, argc, KIND_MODEL, &meta, &blob, &def) != VM_OK) return VM_OK;
    if (!meta) {
        reply_blob(ctx, &def.blobs);
        object_def_free(&def);
        return VM_OK;
    }
    ValkeyModule_ReplyWithArray(ctx, blob ? 18 : 16);
    ValkeyModule_ReplyWithCString(ctx, "backend");
    ValkeyModule_ReplyWithString(ctx, def.backend);
    reply_device_tag(ctx, &def);
    ValkeyModule_ReplyWithCString(ctx, "batchsize");
    ValkeyModule_ReplyWithLongLong(ctx, def.batchsize);
    ValkeyModule_ReplyWithCString(ctx, "minbatchsize");
    ValkeyModule_ReplyWithLongLong(ctx, def.minbatchsize);
    ValkeyModule_ReplyWithCString(ctx, "inputs");
    reply_list(ctx, &def.inputs);
    ValkeyModule_ReplyWithCString(ctx, "outputs");
    reply_list(ctx, &def.outputs);
    ValkeyModule_ReplyWithCString(ctx, "minbatchtimeout");
    ValkeyModule_ReplyWithLongLong(ctx, def.minbatchtimeout);
    if (blob) {
        ValkeyModule_ReplyWithCString(ctx, "blob");
        reply_blob(ctx, &def.blobs);
    }
    object_def_free(&def);
    return VM_OK;
}

/* AI.SCRIPTGET key [META] [SOURCE] */
int cmd_scriptget(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    int meta, source;
    ObjectDef def;
    if (get_request(ctx, argv, argc, KIND_SCRIPT, &meta, &source, &def) != VM_OK) return VM_OK;
    if (!meta) {
        ValkeyModule_ReplyWithString(ctx, def.blobs.items[0]);
        object_def_free(&def);
        return VM_OK;
    }
    int entries = def.entry_points.count > 0; /* stored with AI.SCRIPTSTORE */
    ValkeyModule_ReplyWithArray(ctx, 4 + (source ? 2 : 0) + (entries ? 2 : 0));
    reply_device_tag(ctx, &def);
    if (entries) {
        ValkeyModule_ReplyWithCString(ctx, "Entry Points");
        reply_list(ctx, &def.entry_points);
    }
    if (source) {
        ValkeyModule_ReplyWithCString(ctx, "source");
        ValkeyModule_ReplyWithString(ctx, def.blobs.items[0]);
    }
    object_def_free(&def);
    return VM_OK;
}

static int object_delete(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc, int kind) {
    if (argc != 2) return ValkeyModule_WrongArity(ctx);
    ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, argv[1], VM_READ | VM_WRITE);
    int type = ValkeyModule_KeyType(key);
    const char *error = NULL;
    if (type == VM_KEYTYPE_EMPTY)
        error = kind == KIND_MODEL ? "ERR model key is empty" : "ERR script key is empty";
    else if (kind_of(key) != kind)
        error = VM_ERRORMSG_WRONGTYPE;
    if (error) {
        ValkeyModule_CloseKey(key);
        return ValkeyModule_ReplyWithError(ctx, error);
    }
    ValkeyModule_DeleteKey(key);
    ValkeyModule_CloseKey(key);
    stats_drop(argv[1]);
    ValkeyModule_ReplicateVerbatim(ctx);
    return ValkeyModule_ReplyWithSimpleString(ctx, "OK");
}

int cmd_modeldel(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    return object_delete(ctx, argv, argc, KIND_MODEL);
}

int cmd_scriptdel(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    return object_delete(ctx, argv, argc, KIND_SCRIPT);
}

/* AI.INFO key [RESETSTAT] */
int cmd_info(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    if (argc < 2 || argc > 3) return ValkeyModule_WrongArity(ctx);
    if (argc == 3 && !arg_is(argv[2], "RESETSTAT"))
        return ValkeyModule_ReplyWithError(ctx, "ERR unrecognized parameter to AI.INFO");
    ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, argv[1], VM_READ);
    int kind = kind_of(key);
    int empty = ValkeyModule_KeyType(key) == VM_KEYTYPE_EMPTY;
    ValkeyModule_CloseKey(key);
    if (kind == 0)
        return ValkeyModule_ReplyWithError(
            ctx, empty ? "ERR cannot find run info for key" : VM_ERRORMSG_WRONGTYPE);
    Stats *stats = stats_of(argv[1], 1);
    if (argc == 3) {
        memset(stats, 0, sizeof(*stats));
        return ValkeyModule_ReplyWithSimpleString(ctx, "OK");
    }
    ObjectDef def;
    const char *error = NULL;
    if (object_def_read(ctx, argv[1], kind, &def, &error) != VM_OK)
        return ValkeyModule_ReplyWithError(ctx, error);
    ValkeyModule_ReplyWithArray(ctx, 18);
    ValkeyModule_ReplyWithCString(ctx, "key");
    ValkeyModule_ReplyWithString(ctx, argv[1]);
    ValkeyModule_ReplyWithCString(ctx, "type");
    ValkeyModule_ReplyWithCString(ctx, kind == KIND_MODEL ? "MODEL" : "SCRIPT");
    ValkeyModule_ReplyWithCString(ctx, "backend");
    ValkeyModule_ReplyWithString(ctx, def.backend);
    ValkeyModule_ReplyWithCString(ctx, "device");
    ValkeyModule_ReplyWithString(ctx, def.device);
    ValkeyModule_ReplyWithCString(ctx, "tag");
    reply_or_empty(ctx, def.tag);
    ValkeyModule_ReplyWithCString(ctx, "duration");
    ValkeyModule_ReplyWithLongLong(ctx, stats->duration_us);
    ValkeyModule_ReplyWithCString(ctx, "samples");
    ValkeyModule_ReplyWithLongLong(ctx, kind == KIND_MODEL ? stats->samples : -1);
    ValkeyModule_ReplyWithCString(ctx, "calls");
    ValkeyModule_ReplyWithLongLong(ctx, stats->calls);
    ValkeyModule_ReplyWithCString(ctx, "errors");
    ValkeyModule_ReplyWithLongLong(ctx, stats->errors);
    object_def_free(&def);
    return VM_OK;
}

/* AI.CONFIG MODEL_CHUNK_SIZE n | BACKENDSPATH path | LOADBACKEND backend path
 *         | GET MODEL_CHUNK_SIZE | GET BACKENDSPATH */
int cmd_config(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    if (argc < 2) return ValkeyModule_WrongArity(ctx);
    if (arg_is(argv[1], "GET")) {
        if (argc != 3) return ValkeyModule_WrongArity(ctx);
        if (arg_is(argv[2], "MODEL_CHUNK_SIZE")) return ValkeyModule_ReplyWithLongLong(ctx, chunk_size);
        if (arg_is(argv[2], "BACKENDSPATH")) return ValkeyModule_ReplyWithString(ctx, backends_path);
        return ValkeyModule_ReplyWithNull(ctx);
    }
    if (arg_is(argv[1], "MODEL_CHUNK_SIZE")) {
        long long size;
        if (argc < 3) return ValkeyModule_ReplyWithError(ctx, "ERR MODEL_CHUNK_SIZE: missing chunk size");
        /* As in RedisAI, a value that is not a positive number restores the default. */
        if (ValkeyModule_StringToLongLong(argv[2], &size) != VM_OK || size <= 0) size = DEFAULT_CHUNK;
        chunk_size = size;
        return ValkeyModule_ReplyWithSimpleString(ctx, "OK");
    }
    if (arg_is(argv[1], "BACKENDSPATH")) {
        if (argc < 3) return ValkeyModule_ReplyWithError(ctx, "ERR BACKENDSPATH: missing path argument");
        hold(&backends_path, argv[2]);
        return ValkeyModule_ReplyWithSimpleString(ctx, "OK");
    }
    if (arg_is(argv[1], "LOADBACKEND")) {
        /* Backends are Python packages the worker imports when a model needs one. */
        if (argc != 4) return ValkeyModule_WrongArity(ctx);
        int known = 0;
        for (int i = 0; BACKENDS[i]; i++) known |= arg_is(argv[2], BACKENDS[i]);
        if (!known) return ValkeyModule_ReplyWithError(ctx, "ERR unsupported backend");
        return ValkeyModule_ReplyWithSimpleString(ctx, "OK");
    }
    return ValkeyModule_ReplyWithError(ctx, "ERR unsupported subcommand");
}
