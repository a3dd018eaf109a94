/* The smartsim-ai Valkey module: RedisAI 1.2's AI.* commands, as the SmartRedis clients use
 * them, over the tensor layout our Python client shares (docs/tensor-format.md). Loaded by the
 * database shards with --loadmodule; models and scripts run in the shard's Python inference
 * workers (see dispatch.h). */
#include "api.h"
#include "dispatch.h"
#include "objects.h"
#include "tensor.h"

#define MODULE_NAME "smartsim-ai"
#define MODULE_VERSION 10200 /* the RedisAI command surface it follows: 1.2 */

typedef struct {
    const char *name;
    VMCmdFunc fn;
    const char *flags;
    int first, last, step;
} CommandSpec;

static const CommandSpec COMMANDS[] = {
    {"AI.TENSORSET", cmd_tensorset, "write deny-oom", 1, 1, 1},
    {"AI.TENSORGET", cmd_tensorget, "readonly", 1, 1, 1},
    {"AI.MODELSTORE", cmd_modelstore, "write deny-oom", 1, 1, 1},
    {"AI.MODELSET", cmd_modelstore, "write deny-oom", 1, 1, 1},
    {"AI.MODELGET", cmd_modelget, "readonly", 1, 1, 1},
    {"AI.MODELDEL", cmd_modeldel, "write", 1, 1, 1},
    {"AI.MODELEXECUTE", cmd_modelexecute, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.SCRIPTSET", cmd_scriptset, "write deny-oom", 1, 1, 1},
    {"AI.SCRIPTSTORE", cmd_scriptstore, "write deny-oom", 1, 1, 1},
    {"AI.SCRIPTGET", cmd_scriptget, "readonly", 1, 1, 1},
    {"AI.SCRIPTDEL", cmd_scriptdel, "write", 1, 1, 1},
    {"AI.SCRIPTEXECUTE", cmd_scriptexecute, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.SCRIPTRUN", cmd_scriptexecute, "write deny-oom getkeys-api", 1, 1, 1},
    {"AI.INFO", cmd_info, "readonly", 1, 1, 1},
    {"AI.CONFIG", cmd_config, "admin", 0, 0, 0},
    /* The inference workers' side: results in, next jobs out (never refused when full, so
     * that a full database still answers its callers). */
    {"AI._WORK", cmd_work, "write", 0, 0, 0},
};

__attribute__((visibility("default"))) int ValkeyModule_OnLoad(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    if (api_init(ctx, MODULE_NAME, MODULE_VERSION) != VM_OK) return VM_ERR;
    for (size_t i = 0; i < sizeof(COMMANDS) / sizeof(COMMANDS[0]); i++) {
        const CommandSpec *c = &COMMANDS[i];
        if (ValkeyModule_CreateCommand(ctx, c->name, c->fn, c->flags, c->first, c->last, c->step) !=
            VM_OK) {
            ValkeyModule_Log(ctx, "warning", "smartsim-ai: could not register %s", c->name);
            return VM_ERR;
        }
    }
    objects_init(ctx);
    if (dispatch_init(ctx) != VM_OK) return VM_ERR;
    ValkeyModule_Log(ctx, "notice", "smartsim-ai: AI commands ready (RedisAI 1.2 surface)");
    return VM_OK;
}
