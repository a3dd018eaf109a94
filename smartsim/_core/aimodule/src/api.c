/* Resolves the module API functions declared in api.h from the server's lookup function. */
#include "api.h"

#define API_DEFINE(ret, name, params) ret(*ValkeyModule_##name) params = NULL;
API_FUNCTIONS(API_DEFINE)
#undef API_DEFINE

typedef int (*GetApiFunc)(const char *name, void *target);

int api_init(ValkeyModuleCtx *ctx, const char *name, int version) {
    /* The server puts its lookup function first in every context it hands to a module. */
    GetApiFunc get_api = (GetApiFunc)(((void **)ctx)[0]);
    int missing = 0;
#define API_FETCH(ret, fname, params)                                                          \
    if (get_api("ValkeyModule_" #fname, (void *)&ValkeyModule_##fname) != VM_OK) missing = 1;
    API_FUNCTIONS(API_FETCH)
#undef API_FETCH
    if (missing) return VM_ERR;
    if (ValkeyModule_IsModuleNameBusy(name)) return VM_ERR;
    ValkeyModule_SetModuleAttribs(ctx, name, version, VM_APIVER_1);
    return VM_OK;
}
