/* Hand-off between callers and the shard's inference workers.
 *
 * Workers are ordinary clients of this server (python -m smartsim._core.inference.worker)
 * that loop on AI._WORK: each call delivers the results of the jobs the worker finished and
 * returns the next jobs, blocking the worker until there are some. A caller of
 * AI.MODELSTORE/AI.SCRIPTSTORE (the worker checks that the object loads) or of
 * AI.MODELEXECUTE/AI.SCRIPTEXECUTE is blocked until its job's result arrives, its TIMEOUT
 * passes, or the worker running it disconnects; the server keeps serving everyone else. */
#ifndef SMARTSIM_AI_DISPATCH_H
#define SMARTSIM_AI_DISPATCH_H

#include "objects.h"

/* Block the caller and have a worker load `def` (taken over); stored at `name` if it loads. */
int dispatch_store(ValkeyModuleCtx *ctx, ValkeyModuleString *name, ObjectDef *def);

int cmd_modelexecute(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_scriptexecute(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);
int cmd_work(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc);

int dispatch_init(ValkeyModuleCtx *ctx);

#endif
