/* The part of the Valkey module API this module uses, declared here by name and signature.
 *
 * A module receives the server's API as a table of named functions: the first field of the
 * context handed to OnLoad is a lookup function, and every other function is fetched from it
 * by its name ("ValkeyModule_<Name>"). We declare only what we call (see API_FUNCTIONS). */
#ifndef SMARTSIM_AI_API_H
#define SMARTSIM_AI_API_H

#include <stddef.h>
#include <stdint.h>

#define VM_OK 0
#define VM_ERR 1
#define VM_APIVER_1 1

#define VM_READ (1 << 0)
#define VM_WRITE (1 << 1)

#define VM_KEYTYPE_EMPTY 0
#define VM_KEYTYPE_STRING 1
#define VM_KEYTYPE_HASH 3

#define VM_HASH_NONE 0
#define VM_HASH_CFIELDS (1 << 2)

#define VM_CTX_FLAGS_MULTI (1 << 1)
#define VM_CTX_FLAGS_DENY_BLOCKING (1 << 21)

#define VM_EVENT_CLIENT_CHANGE 4
#define VM_SUBEVENT_CLIENT_CHANGE_DISCONNECTED 1

#define VM_ERRORMSG_WRONGTYPE "WRONGTYPE Operation against a key holding the wrong kind of value"

typedef struct ValkeyModuleCtx ValkeyModuleCtx;
typedef struct ValkeyModuleString ValkeyModuleString;
typedef struct ValkeyModuleKey ValkeyModuleKey;
typedef struct ValkeyModuleBlockedClient ValkeyModuleBlockedClient;
typedef struct ValkeyModuleDict ValkeyModuleDict;
typedef struct ValkeyModuleInfoCtx ValkeyModuleInfoCtx;
typedef void (*VMInfoFunc)(ValkeyModuleInfoCtx *ctx, int for_crash_report);

typedef int (*VMCmdFunc)(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
typedef void (*VMFreePrivdata)(ValkeyModuleCtx *ctx, void *privdata);
typedef void (*VMDisconnectFunc)(ValkeyModuleCtx *ctx, ValkeyModuleBlockedClient *bc);
typedef void (*VMTimerProc)(ValkeyModuleCtx *ctx, void *data);
typedef uint64_t VMTimerID;

/* A server event id, passed by value to SubscribeToServerEvent. */
typedef struct {
    uint64_t id;
    uint64_t dataver;
} VMEvent;
typedef void (*VMEventCallback)(ValkeyModuleCtx *ctx, VMEvent eid, uint64_t subevent, void *data);

/* The data of a client-change event (version 1). */
typedef struct {
    uint64_t version;
    uint64_t flags;
    uint64_t id;
    char addr[46];
    uint16_t port;
    uint16_t db;
} VMClientInfo;

/* X(return type, name, parameter list) for every API function used. */
#define API_FUNCTIONS(X)                                                                       \
    X(void *, Alloc, (size_t bytes))                                                           \
    X(void *, Realloc, (void *ptr, size_t bytes))                                              \
    X(void, Free, (void *ptr))                                                                 \
    X(int, CreateCommand,                                                                      \
      (ValkeyModuleCtx * ctx, const char *name, VMCmdFunc fn, const char *flags, int first,    \
       int last, int step))                                                                    \
    X(void, SetModuleAttribs, (ValkeyModuleCtx * ctx, const char *name, int ver, int apiver))  \
    X(int, IsModuleNameBusy, (const char *name))                                               \
    X(int, WrongArity, (ValkeyModuleCtx * ctx))                                                \
    X(int, ReplyWithLongLong, (ValkeyModuleCtx * ctx, long long value))                        \
    X(int, ReplyWithDouble, (ValkeyModuleCtx * ctx, double value))                             \
    X(int, ReplyWithError, (ValkeyModuleCtx * ctx, const char *err))                           \
    X(int, ReplyWithErrorFormat, (ValkeyModuleCtx * ctx, const char *fmt, ...))                \
    X(int, ReplyWithSimpleString, (ValkeyModuleCtx * ctx, const char *msg))                    \
    X(int, ReplyWithArray, (ValkeyModuleCtx * ctx, long len))                                  \
    X(void, ReplySetArrayLength, (ValkeyModuleCtx * ctx, long len))                            \
    X(int, ReplyWithStringBuffer, (ValkeyModuleCtx * ctx, const char *buf, size_t len))        \
    X(int, ReplyWithCString, (ValkeyModuleCtx * ctx, const char *buf))                         \
    X(int, ReplyWithString, (ValkeyModuleCtx * ctx, ValkeyModuleString * str))                 \
    X(int, ReplyWithNull, (ValkeyModuleCtx * ctx))                                             \
    X(ValkeyModuleString *, CreateString, (ValkeyModuleCtx * ctx, const char *ptr, size_t len)) \
    X(ValkeyModuleString *, CreateStringPrintf, (ValkeyModuleCtx * ctx, const char *fmt, ...)) \
    X(ValkeyModuleString *, HoldString, (ValkeyModuleCtx * ctx, ValkeyModuleString * str))     \
    X(void, FreeString, (ValkeyModuleCtx * ctx, ValkeyModuleString * str))                     \
    X(const char *, StringPtrLen, (const ValkeyModuleString *str, size_t *len))                \
    X(int, StringToLongLong, (const ValkeyModuleString *str, long long *value))                \
    X(int, StringToDouble, (const ValkeyModuleString *str, double *value))                     \
    X(ValkeyModuleKey *, OpenKey, (ValkeyModuleCtx * ctx, ValkeyModuleString * name, int mode)) \
    X(void, CloseKey, (ValkeyModuleKey * key))                                                 \
    X(int, KeyType, (ValkeyModuleKey * key))                                                   \
    X(int, DeleteKey, (ValkeyModuleKey * key))                                                 \
    X(int, StringSet, (ValkeyModuleKey * key, ValkeyModuleString * str))                       \
    X(char *, StringDMA, (ValkeyModuleKey * key, size_t *len, int mode))                       \
    X(int, StringTruncate, (ValkeyModuleKey * key, size_t newlen))                             \
    X(int, StringAppendBuffer,                                                                 \
      (ValkeyModuleCtx * ctx, ValkeyModuleString * str, const char *buf, size_t len))          \
    X(int, HashSet, (ValkeyModuleKey * key, int flags, ...))                                   \
    X(int, HashGet, (ValkeyModuleKey * key, int flags, ...))                                   \
    X(ValkeyModuleBlockedClient *, BlockClient,                                                \
      (ValkeyModuleCtx * ctx, VMCmdFunc reply, VMCmdFunc timeout, VMFreePrivdata free_priv,    \
       long long timeout_ms))                                                                  \
    X(int, UnblockClient, (ValkeyModuleBlockedClient * bc, void *privdata))                    \
    X(void *, GetBlockedClientPrivateData, (ValkeyModuleCtx * ctx))                            \
    X(ValkeyModuleBlockedClient *, GetBlockedClientHandle, (ValkeyModuleCtx * ctx))            \
    X(void, SetDisconnectCallback, (ValkeyModuleBlockedClient * bc, VMDisconnectFunc cb))      \
    X(unsigned long long, GetClientId, (ValkeyModuleCtx * ctx))                                \
    X(int, GetContextFlags, (ValkeyModuleCtx * ctx))                                           \
    X(int, SubscribeToServerEvent, (ValkeyModuleCtx * ctx, VMEvent event, VMEventCallback cb)) \
    X(int, IsKeysPositionRequest, (ValkeyModuleCtx * ctx))                                     \
    X(void, KeyAtPos, (ValkeyModuleCtx * ctx, int pos))                                        \
    X(int, ReplicateVerbatim, (ValkeyModuleCtx * ctx))                                         \
    X(void, GetRandomHexChars, (char *dst, size_t len))                                        \
    X(uint64_t, MonotonicMicroseconds, (void))                                                 \
    X(VMTimerID, CreateTimer, (ValkeyModuleCtx * ctx, long long period_ms, VMTimerProc cb, void *data)) \
    X(void, Log, (ValkeyModuleCtx * ctx, const char *level, const char *fmt, ...))             \
    X(int, RegisterInfoFunc, (ValkeyModuleCtx * ctx, VMInfoFunc cb))                           \
    X(int, InfoAddSection, (ValkeyModuleInfoCtx * ctx, const char *name))                      \
    X(int, InfoAddFieldLongLong, (ValkeyModuleInfoCtx * ctx, const char *field, long long v))  \
    X(ValkeyModuleDict *, CreateDict, (ValkeyModuleCtx * ctx))                                 \
    X(void, FreeDict, (ValkeyModuleCtx * ctx, ValkeyModuleDict * d))                           \
    X(int, DictSetC, (ValkeyModuleDict * d, void *key, size_t keylen, void *ptr))              \
    X(int, DictReplaceC, (ValkeyModuleDict * d, void *key, size_t keylen, void *ptr))          \
    X(void *, DictGetC, (ValkeyModuleDict * d, void *key, size_t keylen, int *nokey))          \
    X(int, DictDelC, (ValkeyModuleDict * d, void *key, size_t keylen, void *oldval))

#define API_DECLARE(ret, name, params) extern ret(*ValkeyModule_##name) params;
API_FUNCTIONS(API_DECLARE)
#undef API_DECLARE

/* Fetch every function of API_FUNCTIONS from the server; VM_ERR if one is missing. */
int api_init(ValkeyModuleCtx *ctx, const char *name, int version);

#endif
