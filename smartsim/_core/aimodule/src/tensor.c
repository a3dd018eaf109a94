/* Tensors: one string per tensor in the layout of docs/tensor-format.md, which our Python
 * client reads and writes with plain GET/SET. AI.TENSORSET builds that string from RedisAI's
 * arguments; AI.TENSORGET answers in RedisAI's reply shapes. */
#include "tensor.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char MAGIC[4] = {'S', 'R', 'T', 'N'};
#define FORMAT_VERSION 1

typedef struct {
    const char *name;
    size_t size;
} TypeInfo;

/* Indexed by the format's type code (SmartRedis's SRTensorType values). */
static const TypeInfo TYPES[] = {
    {NULL, 0},      {"DOUBLE", 8}, {"FLOAT", 4}, {"INT8", 1},   {"INT16", 2},
    {"INT32", 4},   {"INT64", 8},  {"UINT8", 1}, {"UINT16", 2},
};
#define TYPE_COUNT 9

int arg_is(ValkeyModuleString *arg, const char *word) {
    size_t len;
    const char *text = ValkeyModule_StringPtrLen(arg, &len);
    return len == strlen(word) && strncasecmp(text, word, len) == 0;
}

static int type_code(ValkeyModuleString *arg) {
    for (int code = 1; code < TYPE_COUNT; code++) {
        if (arg_is(arg, TYPES[code].name)) return code;
    }
    return 0;
}

static uint32_t read_u32(const char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

static uint64_t read_u64(const char *p) {
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

static void write_header(char *out, int code, int rank, const uint64_t *dims, uint32_t parts) {
    memcpy(out, MAGIC, 4);
    out[4] = FORMAT_VERSION;
    out[5] = (char)code;
    out[6] = (char)rank;
    out[7] = 0;
    memcpy(out + 8, &parts, 4);
    memset(out + 12, 0, 4);
    for (int i = 0; i < rank; i++) memcpy(out + TENSOR_FIXED + 8 * i, &dims[i], 8);
}

/* Element count of dims, 0 with *overflow set when it does not fit. */
static size_t element_count(const char *dims, int rank, size_t elem, int *overflow) {
    size_t count = 1;
    *overflow = 0;
    for (int i = 0; i < rank; i++) {
        uint64_t d = read_u64(dims + 8 * i);
        if (d != 0 && count > (SIZE_MAX / elem) / d) {
            *overflow = 1;
            return 0;
        }
        count *= (size_t)d;
    }
    return count;
}

typedef struct {
    int code, rank;
    uint32_t parts;
    size_t payload; /* total payload bytes the dims call for */
} Header;

/* Parse the fixed header and dims; VM_ERR when `data` is not a tensor of this format. */
static int parse_header(const char *data, size_t len, Header *h) {
    if (len < TENSOR_FIXED || memcmp(data, MAGIC, 4) != 0 || data[4] != FORMAT_VERSION)
        return VM_ERR;
    h->code = (unsigned char)data[5];
    h->rank = (unsigned char)data[6];
    h->parts = read_u32(data + 8);
    if (h->code < 1 || h->code >= TYPE_COUNT || h->parts < 1) return VM_ERR;
    if (len < TENSOR_FIXED + 8 * (size_t)h->rank) return VM_ERR;
    int overflow;
    size_t count = element_count(data + TENSOR_FIXED, h->rank, TYPES[h->code].size, &overflow);
    if (overflow) return VM_ERR;
    h->payload = count * TYPES[h->code].size;
    return VM_OK;
}

int tensor_valid(const char *data, size_t len) {
    Header h;
    if (parse_header(data, len, &h) != VM_OK || h.parts != 1) return 0;
    return len == TENSOR_FIXED + 8 * (size_t)h.rank + h.payload;
}

static ValkeyModuleString *part_name(ValkeyModuleCtx *ctx, ValkeyModuleString *name, uint32_t i) {
    size_t len;
    const char *text = ValkeyModule_StringPtrLen(name, &len);
    return ValkeyModule_CreateStringPrintf(ctx, "%.*s#part%u", (int)len, text, i);
}

/* Copy parts 1..parts-1 after part 0 into one buffer of ours (a header saying 1 part). */
static int gather_parts(ValkeyModuleCtx *ctx, ValkeyModuleString *name, TensorView *view,
                        const Header *h, size_t head, const char **error) {
    size_t total = head + h->payload;
    char *buf = ValkeyModule_Alloc(total);
    memcpy(buf, view->data, head + TENSOR_PART_BYTES);
    uint32_t one = 1;
    memcpy(buf + 8, &one, 4);
    size_t at = head + TENSOR_PART_BYTES;
    for (uint32_t i = 1; i < h->parts; i++) {
        ValkeyModuleString *pname = part_name(ctx, name, i);
        ValkeyModuleKey *pkey = ValkeyModule_OpenKey(ctx, pname, VM_READ);
        ValkeyModule_FreeString(ctx, pname);
        size_t plen = 0;
        const char *pdata = NULL;
        if (ValkeyModule_KeyType(pkey) == VM_KEYTYPE_STRING)
            pdata = ValkeyModule_StringDMA(pkey, &plen, VM_READ);
        size_t want = h->payload - (at - head);
        if (want > TENSOR_PART_BYTES) want = TENSOR_PART_BYTES;
        if (pdata == NULL || plen != want) {
            ValkeyModule_CloseKey(pkey);
            ValkeyModule_Free(buf);
            *error = "ERR a part of this tensor is missing or damaged (it was stored in parts "
                     "that are not all on this shard)";
            return VM_ERR;
        }
        memcpy(buf + at, pdata, plen);
        at += plen;
        ValkeyModule_CloseKey(pkey);
    }
    view->owned = buf;
    view->data = buf;
    view->len = total;
    return VM_OK;
}

int tensor_open(ValkeyModuleCtx *ctx, ValkeyModuleString *name, TensorView *view,
                const char **error) {
    memset(view, 0, sizeof(*view));
    view->key = ValkeyModule_OpenKey(ctx, name, VM_READ);
    int type = ValkeyModule_KeyType(view->key);
    if (type == VM_KEYTYPE_EMPTY) {
        *error = "ERR tensor key is empty or in a different shard";
        tensor_close(view);
        return VM_ERR;
    }
    Header h;
    if (type == VM_KEYTYPE_STRING) view->data = ValkeyModule_StringDMA(view->key, &view->len, VM_READ);
    if (view->data == NULL || parse_header(view->data, view->len, &h) != VM_OK) {
        *error = VM_ERRORMSG_WRONGTYPE;
        tensor_close(view);
        return VM_ERR;
    }
    size_t head = TENSOR_FIXED + 8 * (size_t)h.rank;
    view->code = h.code;
    view->rank = h.rank;
    if (h.parts == 1) {
        if (view->len != head + h.payload) {
            *error = "ERR the tensor's stored length does not match its shape and type";
            tensor_close(view);
            return VM_ERR;
        }
    } else if (view->len != head + TENSOR_PART_BYTES ||
               gather_parts(ctx, name, view, &h, head, error) != VM_OK) {
        if (view->owned == NULL && *error == NULL) *error = "ERR damaged tensor";
        tensor_close(view);
        return VM_ERR;
    }
    view->dims = (const uint64_t *)(view->data + TENSOR_FIXED);
    return VM_OK;
}

void tensor_close(TensorView *view) {
    if (view->owned) ValkeyModule_Free(view->owned);
    if (view->key) ValkeyModule_CloseKey(view->key);
    memset(view, 0, sizeof(*view));
}

int tensor_exists(ValkeyModuleCtx *ctx, ValkeyModuleString *name) {
    ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, name, VM_READ);
    int found = 0;
    if (ValkeyModule_KeyType(key) == VM_KEYTYPE_STRING) {
        size_t len;
        const char *data = ValkeyModule_StringDMA(key, &len, VM_READ);
        Header h;
        found = data != NULL && parse_header(data, len, &h) == VM_OK;
    }
    ValkeyModule_CloseKey(key);
    return found;
}

/* Delete parts 1.. of the tensor value held by `key` (open for writing), if it has any. */
static void drop_old_parts(ValkeyModuleCtx *ctx, ValkeyModuleString *name, ValkeyModuleKey *key) {
    if (ValkeyModule_KeyType(key) != VM_KEYTYPE_STRING) return;
    size_t len;
    const char *data = ValkeyModule_StringDMA(key, &len, VM_READ);
    Header h;
    if (data == NULL || parse_header(data, len, &h) != VM_OK) return;
    for (uint32_t i = 1; i < h.parts; i++) {
        ValkeyModuleString *pname = part_name(ctx, name, i);
        ValkeyModuleKey *pkey = ValkeyModule_OpenKey(ctx, pname, VM_WRITE);
        ValkeyModule_DeleteKey(pkey);
        ValkeyModule_CloseKey(pkey);
        ValkeyModule_FreeString(ctx, pname);
    }
}

/* Open `name` for a new tensor value: refuse other value types, drop an old value's parts. */
static ValkeyModuleKey *open_for_tensor(ValkeyModuleCtx *ctx, ValkeyModuleString *name,
                                        const char **error) {
    ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, name, VM_READ | VM_WRITE);
    int type = ValkeyModule_KeyType(key);
    if (type != VM_KEYTYPE_EMPTY && type != VM_KEYTYPE_STRING) {
        ValkeyModule_CloseKey(key);
        *error = VM_ERRORMSG_WRONGTYPE;
        return NULL;
    }
    drop_old_parts(ctx, name, key);
    return key;
}

int tensor_store(ValkeyModuleCtx *ctx, ValkeyModuleString *name, ValkeyModuleString *value,
                 const char **error) {
    ValkeyModuleKey *key = open_for_tensor(ctx, name, error);
    if (key == NULL) return VM_ERR;
    ValkeyModule_StringSet(key, value);
    ValkeyModule_CloseKey(key);
    return VM_OK;
}

/* Write one element parsed from a VALUES argument. */
static int put_value(char *out, int code, ValkeyModuleString *arg) {
    if (code == 1 || code == 2) {
        double d;
        if (ValkeyModule_StringToDouble(arg, &d) != VM_OK) return VM_ERR;
        if (code == 1) {
            memcpy(out, &d, 8);
        } else {
            float f = (float)d;
            memcpy(out, &f, 4);
        }
        return VM_OK;
    }
    long long v;
    if (ValkeyModule_StringToLongLong(arg, &v) != VM_OK) return VM_ERR;
    switch (code) {
    case 3: { int8_t x = (int8_t)v; memcpy(out, &x, 1); break; }
    case 4: { int16_t x = (int16_t)v; memcpy(out, &x, 2); break; }
    case 5: { int32_t x = (int32_t)v; memcpy(out, &x, 4); break; }
    case 6: { int64_t x = (int64_t)v; memcpy(out, &x, 8); break; }
    case 7: { uint8_t x = (uint8_t)v; memcpy(out, &x, 1); break; }
    default: { uint16_t x = (uint16_t)v; memcpy(out, &x, 2); break; }
    }
    return VM_OK;
}

/* AI.TENSORSET key type dim [dim ...] [BLOB data | VALUES value [value ...]] */
int cmd_tensorset(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    if (argc < 4) return ValkeyModule_WrongArity(ctx);
    int code = type_code(argv[2]);
    if (code == 0) return ValkeyModule_ReplyWithError(ctx, "ERR invalid data type");
    uint64_t dims[TENSOR_MAX_RANK];
    int rank = 0, at = 3;
    for (; at < argc; at++) {
        if (arg_is(argv[at], "BLOB") || arg_is(argv[at], "VALUES")) break;
        long long d;
        if (ValkeyModule_StringToLongLong(argv[at], &d) != VM_OK || d <= 0)
            return ValkeyModule_ReplyWithError(ctx,
                                               "ERR invalid or negative value found in tensor shape");
        if (rank == TENSOR_MAX_RANK)
            return ValkeyModule_ReplyWithError(ctx, "ERR a tensor has at most 255 dimensions");
        dims[rank++] = (uint64_t)d;
    }
    if (rank == 0) return ValkeyModule_WrongArity(ctx);
    char head[TENSOR_FIXED + 8 * TENSOR_MAX_RANK];
    write_header(head, code, rank, dims, 1);
    size_t elem = TYPES[code].size, headlen = TENSOR_FIXED + 8 * (size_t)rank;
    int overflow;
    size_t count = element_count(head + TENSOR_FIXED, rank, elem, &overflow);
    if (overflow) return ValkeyModule_ReplyWithError(ctx, "ERR tensor shape is too large");
    size_t payload = count * elem;
    const char *blob = NULL;
    int values_at = -1;
    if (at < argc) {
        if (arg_is(argv[at], "BLOB")) {
            if (argc != at + 2)
                return ValkeyModule_ReplyWithError(ctx, "ERR a single binary string should come "
                                                        "after the BLOB argument in 'AI.TENSORSET' command");
            size_t len;
            blob = ValkeyModule_StringPtrLen(argv[at + 1], &len);
            if (len != payload)
                return ValkeyModule_ReplyWithError(
                    ctx, "ERR data length does not match tensor shape and type");
        } else {
            values_at = at + 1;
            if ((size_t)(argc - values_at) != count)
                return ValkeyModule_ReplyWithError(ctx, "ERR wrong number of values was given in 'AI.TENSORSET' command");
        }
    }
    /* Build the whole value first: nothing is touched unless every argument is good.
     * (Appending, unlike StringTruncate, is not capped at 512 MiB: a larger BLOB that
     * proto-max-bulk-len let in is stored in one piece.) */
    ValkeyModuleString *value = ValkeyModule_CreateString(NULL, head, headlen);
    if (blob != NULL) {
        ValkeyModule_StringAppendBuffer(NULL, value, blob, payload);
    } else {
        char *data = ValkeyModule_Alloc(payload ? payload : 1);
        memset(data, 0, payload);
        for (size_t i = 0; values_at >= 0 && i < count; i++) {
            if (put_value(data + i * elem, code, argv[values_at + i]) != VM_OK) {
                ValkeyModule_Free(data);
                ValkeyModule_FreeString(NULL, value);
                return ValkeyModule_ReplyWithError(ctx, "ERR invalid value");
            }
        }
        ValkeyModule_StringAppendBuffer(NULL, value, data, payload);
        ValkeyModule_Free(data);
    }
    const char *error = NULL;
    int stored = tensor_store(ctx, argv[1], value, &error);
    ValkeyModule_FreeString(NULL, value);
    if (stored != VM_OK) return ValkeyModule_ReplyWithError(ctx, error);
    ValkeyModule_ReplicateVerbatim(ctx);
    return ValkeyModule_ReplyWithSimpleString(ctx, "OK");
}

static void reply_values(ValkeyModuleCtx *ctx, const TensorView *view, size_t count) {
    const char *p = view->data + TENSOR_FIXED + 8 * (size_t)view->rank;
    ValkeyModule_ReplyWithArray(ctx, (long)count);
    for (size_t i = 0; i < count; i++) {
        switch (view->code) {
        case 1: { double x; memcpy(&x, p + 8 * i, 8); ValkeyModule_ReplyWithDouble(ctx, x); break; }
        case 2: { float x; memcpy(&x, p + 4 * i, 4); ValkeyModule_ReplyWithDouble(ctx, x); break; }
        case 3: ValkeyModule_ReplyWithLongLong(ctx, ((const int8_t *)p)[i]); break;
        case 4: { int16_t x; memcpy(&x, p + 2 * i, 2); ValkeyModule_ReplyWithLongLong(ctx, x); break; }
        case 5: { int32_t x; memcpy(&x, p + 4 * i, 4); ValkeyModule_ReplyWithLongLong(ctx, x); break; }
        case 6: { int64_t x; memcpy(&x, p + 8 * i, 8); ValkeyModule_ReplyWithLongLong(ctx, x); break; }
        case 7: ValkeyModule_ReplyWithLongLong(ctx, ((const uint8_t *)p)[i]); break;
        default: { uint16_t x; memcpy(&x, p + 2 * i, 2); ValkeyModule_ReplyWithLongLong(ctx, x); }
        }
    }
}

/* AI.TENSORGET key [META] [BLOB | VALUES]  (META and BLOB when no option is given) */
int cmd_tensorget(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    if (argc < 2 || argc > 4) return ValkeyModule_WrongArity(ctx);
    int meta = 0, blob = 0, values = 0;
    for (int i = 2; i < argc; i++) {
        if (arg_is(argv[i], "META")) meta = 1;
        else if (arg_is(argv[i], "BLOB")) blob = 1;
        else if (arg_is(argv[i], "VALUES")) values = 1;
        else return ValkeyModule_ReplyWithError(ctx, "ERR unsupported data format");
    }
    if (blob && values)
        return ValkeyModule_ReplyWithError(ctx, "ERR both BLOB and VALUES specified");
    if (argc == 2) meta = blob = 1;
    TensorView view;
    const char *error = NULL;
    if (tensor_open(ctx, argv[1], &view, &error) != VM_OK)
        return ValkeyModule_ReplyWithError(ctx, error);
    size_t head = TENSOR_FIXED + 8 * (size_t)view.rank;
    size_t payload = view.len - head;
    size_t count = payload / TYPES[view.code].size;
    if (meta) {
        ValkeyModule_ReplyWithArray(ctx, 4 + ((blob || values) ? 2 : 0));
        ValkeyModule_ReplyWithCString(ctx, "dtype");
        ValkeyModule_ReplyWithCString(ctx, TYPES[view.code].name);
        ValkeyModule_ReplyWithCString(ctx, "shape");
        ValkeyModule_ReplyWithArray(ctx, view.rank);
        for (int i = 0; i < view.rank; i++)
            ValkeyModule_ReplyWithLongLong(ctx, (long long)read_u64(view.data + TENSOR_FIXED + 8 * i));
        if (blob) ValkeyModule_ReplyWithCString(ctx, "blob");
        if (values) ValkeyModule_ReplyWithCString(ctx, "values");
    }
    if (blob) ValkeyModule_ReplyWithStringBuffer(ctx, view.data + head, payload);
    if (values) reply_values(ctx, &view, count);
    tensor_close(&view);
    return VM_OK;
}
