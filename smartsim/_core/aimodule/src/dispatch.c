/* Jobs for the inference workers: one queue per shard, idle workers blocked on AI._WORK,
 * callers blocked until their job's result (see dispatch.h). Everything here runs on the
 * server's main thread, so no locks are needed. */
#include "dispatch.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tensor.h"

#define MAX_JOBS_PER_CALL 64
#define STORE_TIMEOUT_MS 120000
/* How long requests wait for a replacement after the last worker disconnected (the shard
 * restarts workers that die) before they, and later ones, are refused. */
#define WORKER_GRACE_MS 15000
#define ERR_NO_WORKER                                                                          \
    "ERR no inference worker is running for this database (it exited; the shard's .err file " \
    "says why)"
#define ERR_WORKER_EXITED "ERR the inference worker running this request exited"

enum { OP_LOAD = 1, OP_RUN = 2 };

typedef struct Job {
    uint64_t id;
    int op;
    int kind;
    ValkeyModuleBlockedClient *bc; /* the caller */
    ValkeyModuleString *name;      /* the model or script */
    ObjectDef def;                 /* OP_LOAD: what to store once a worker loaded it */
    StringList inputs, outputs, args, keys; /* keys: AI.SCRIPTEXECUTE's KEYS, for the script */
    ValkeyModuleString *function;  /* OP_RUN of a script: its entry point */
    int variadic;                  /* AI.SCRIPTRUN: index of the first input after "$", or -1 */
    int timed_out;
    struct Job *next;
} Job;

/* The version of an object a worker holds. */
typedef struct {
    ValkeyModuleString *name;
    char version[17];
} LoadedObject;

typedef struct Worker {
    unsigned long long client_id;
    ValkeyModuleBlockedClient *bc; /* set while it waits for jobs */
    LoadedObject *loaded;
    int nloaded;
    Job *inflight;
    struct Worker *next;
} Worker;

/* What a blocked caller is answered: OK, or an error. */
typedef struct {
    char *error;
} Outcome;

static Job *queue_head = NULL, *queue_tail = NULL;
static Worker *workers = NULL;
static int workers_gone = 0; /* no worker came back within WORKER_GRACE_MS of the last one */
static uint64_t next_job_id = 1;

/* ---- small helpers ------------------------------------------------------------------------ */

static Outcome *outcome_new(const char *error) {
    Outcome *o = ValkeyModule_Alloc(sizeof(*o));
    o->error = NULL;
    if (error) {
        size_t len = strlen(error);
        o->error = ValkeyModule_Alloc(len + 1);
        memcpy(o->error, error, len + 1);
    }
    return o;
}

static Outcome *outcome_from(ValkeyModuleString *message) {
    size_t len;
    const char *text = ValkeyModule_StringPtrLen(message, &len);
    Outcome *o = ValkeyModule_Alloc(sizeof(*o));
    o->error = ValkeyModule_Alloc(len + 5);
    /* Replies from the worker carry their own error code ("ERR ..."); add one if missing. */
    int coded = len > 0 && text[0] >= 'A' && text[0] <= 'Z' && memchr(text, ' ', len) != NULL &&
                (strncmp(text, "ERR ", 4) == 0 || strncmp(text, "WRONGTYPE ", 10) == 0);
    snprintf(o->error, len + 5, "%s%.*s", coded ? "" : "ERR ", (int)len, text);
    return o;
}

static void outcome_free(ValkeyModuleCtx *ctx, void *privdata) {
    (void)ctx;
    Outcome *o = privdata;
    if (o == NULL) return;
    if (o->error) ValkeyModule_Free(o->error);
    ValkeyModule_Free(o);
}

static int caller_reply(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    Outcome *o = ValkeyModule_GetBlockedClientPrivateData(ctx);
    if (o != NULL && o->error != NULL) return ValkeyModule_ReplyWithError(ctx, o->error);
    return ValkeyModule_ReplyWithSimpleString(ctx, "OK");
}

static void job_free(Job *job) {
    object_def_free(&job->def);
    list_free(&job->inputs);
    list_free(&job->outputs);
    list_free(&job->args);
    list_free(&job->keys);
    if (job->function) ValkeyModule_FreeString(NULL, job->function);
    if (job->name) ValkeyModule_FreeString(NULL, job->name);
    ValkeyModule_Free(job);
}

/* Answer the job's caller (unless its TIMEOUT already did) and free the job. */
static void job_finish(Job *job, Outcome *outcome) {
    if (job->timed_out) {
        outcome_free(NULL, outcome);
        outcome = NULL;
    }
    ValkeyModule_UnblockClient(job->bc, outcome);
    job_free(job);
}

static void job_fail(Job *job, const char *error) { job_finish(job, outcome_new(error)); }

static const char *loaded_version(Worker *w, ValkeyModuleString *name) {
    for (int i = 0; i < w->nloaded; i++)
        if (ValkeyModule_StringPtrLen(w->loaded[i].name, NULL) &&
            arg_is(name, ValkeyModule_StringPtrLen(w->loaded[i].name, NULL)))
            return w->loaded[i].version;
    return NULL;
}

static void set_loaded(Worker *w, ValkeyModuleString *name, const char *version) {
    size_t len, olen;
    const char *text = ValkeyModule_StringPtrLen(name, &len);
    for (int i = 0; i < w->nloaded; i++) {
        const char *other = ValkeyModule_StringPtrLen(w->loaded[i].name, &olen);
        if (olen == len && memcmp(other, text, len) == 0) {
            if (version) {
                snprintf(w->loaded[i].version, sizeof(w->loaded[i].version), "%s", version);
            } else {
                ValkeyModule_FreeString(NULL, w->loaded[i].name);
                w->loaded[i] = w->loaded[--w->nloaded];
            }
            return;
        }
    }
    if (!version) return;
    w->loaded = ValkeyModule_Realloc(w->loaded, sizeof(*w->loaded) * (w->nloaded + 1));
    w->loaded[w->nloaded].name = ValkeyModule_HoldString(NULL, name);
    snprintf(w->loaded[w->nloaded].version, sizeof(w->loaded[0].version), "%s", version);
    w->nloaded++;
}

static Worker *worker_by_id(unsigned long long id) {
    for (Worker *w = workers; w; w = w->next)
        if (w->client_id == id) return w;
    return NULL;
}

/* ---- the queue ---------------------------------------------------------------------------- */

static void enqueue(Job *job) {
    job->next = NULL;
    if (queue_tail) queue_tail->next = job;
    else queue_head = job;
    queue_tail = job;
    for (Worker *w = workers; w; w = w->next) {
        if (w->bc) { /* wake one idle worker; its reply callback hands out the jobs */
            ValkeyModuleBlockedClient *bc = w->bc;
            w->bc = NULL;
            ValkeyModule_UnblockClient(bc, NULL);
            break;
        }
    }
}

static Job *dequeue(void) {
    Job *job = queue_head;
    if (job) {
        queue_head = job->next;
        if (queue_head == NULL) queue_tail = NULL;
        job->next = NULL;
    }
    return job;
}

static int unqueue(Job *target) {
    Job **link = &queue_head, *prev = NULL;
    for (Job *job = queue_head; job; prev = job, job = job->next) {
        if (job == target) {
            *link = job->next;
            if (queue_tail == job) queue_tail = prev;
            return 1;
        }
        link = &job->next;
    }
    return 0;
}

static Job *find_inflight(ValkeyModuleBlockedClient *bc) {
    for (Worker *w = workers; w; w = w->next)
        for (Job *job = w->inflight; job; job = job->next)
            if (job->bc == bc) return job;
    return NULL;
}

/* The caller blocked as `bc` gave up waiting: a queued job is dropped (it never runs), a
 * running one is marked so that its result is not answered. */
static void give_up(ValkeyModuleBlockedClient *bc) {
    for (Job *job = queue_head; job; job = job->next) {
        if (job->bc == bc) {
            unqueue(job);
            job->timed_out = 1;
            job_finish(job, NULL);
            return;
        }
    }
    Job *running = find_inflight(bc);
    if (running) running->timed_out = 1;
}

/* RedisAI answers a request whose TIMEOUT passed with the simple string TIMEDOUT. */
static int caller_timeout(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    give_up(ValkeyModule_GetBlockedClientHandle(ctx));
    return ValkeyModule_ReplyWithSimpleString(ctx, "TIMEDOUT");
}

/* A store no worker took in STORE_TIMEOUT_MS. */
static int store_timeout(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    give_up(ValkeyModule_GetBlockedClientHandle(ctx));
    return ValkeyModule_ReplyWithError(
        ctx, "ERR no inference worker took this request within 120 s; is the database's worker "
             "running?");
}

/* Block the caller and queue the job, or fail it at once when no worker can ever take it. */
static int submit(ValkeyModuleCtx *ctx, Job *job, long long timeout_ms, int is_store) {
    int flags = ValkeyModule_GetContextFlags(ctx);
    if (flags & (VM_CTX_FLAGS_MULTI | VM_CTX_FLAGS_DENY_BLOCKING)) {
        job_free(job);
        return ValkeyModule_ReplyWithError(
            ctx, "ERR AI commands that run or store models cannot be used inside MULTI or scripts");
    }
    if (workers_gone && workers == NULL) {
        job_free(job);
        return ValkeyModule_ReplyWithError(ctx, ERR_NO_WORKER);
    }
    job->id = next_job_id++;
    if (is_store)
        job->bc = ValkeyModule_BlockClient(ctx, caller_reply, store_timeout, outcome_free,
                                           STORE_TIMEOUT_MS);
    else
        job->bc = ValkeyModule_BlockClient(ctx, caller_reply, caller_timeout, outcome_free,
                                           timeout_ms);
    enqueue(job);
    return VM_OK;
}

int dispatch_store(ValkeyModuleCtx *ctx, ValkeyModuleString *name, ObjectDef *def) {
    Job *job = ValkeyModule_Alloc(sizeof(*job));
    memset(job, 0, sizeof(*job));
    job->op = OP_LOAD;
    job->kind = def->kind;
    job->name = ValkeyModule_HoldString(NULL, name);
    job->def = *def; /* taken over */
    memset(def, 0, sizeof(*def));
    return submit(ctx, job, 0, 1);
}

/* ---- execution requests ------------------------------------------------------------------- */

/* Parse "<count> item..." after the keyword at argv[*at]. */
static int counted(ValkeyModuleString **argv, int argc, int *at, StringList *list) {
    long long count;
    if (*at + 1 >= argc || ValkeyModule_StringToLongLong(argv[*at + 1], &count) != VM_OK ||
        count < 0 || count > argc - *at - 2)
        return VM_ERR;
    list_take(list, argv + *at + 2, (int)count);
    *at += 2 + (int)count;
    return VM_OK;
}

static int parse_timeout(ValkeyModuleString **argv, int argc, int *at, long long *timeout) {
    if (*at + 1 >= argc || ValkeyModule_StringToLongLong(argv[*at + 1], timeout) != VM_OK ||
        *timeout <= 0)
        return VM_ERR;
    *at += 2;
    return VM_OK;
}

/* Report the positions of counted key lists ("KEYWORD n k1 .. kn") for cluster routing. */
static void key_positions(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc, int start) {
    ValkeyModule_KeyAtPos(ctx, 1);
    for (int at = start; at < argc; at++) {
        if (arg_is(argv[at], "KEYS") || arg_is(argv[at], "INPUTS") || arg_is(argv[at], "OUTPUTS")) {
            long long count;
            if (at + 1 >= argc || ValkeyModule_StringToLongLong(argv[at + 1], &count) != VM_OK)
                return;
            for (long long i = 0; i < count && at + 2 + i < argc; i++)
                ValkeyModule_KeyAtPos(ctx, (int)(at + 2 + i));
            at += 1 + (int)count;
        } else if (arg_is(argv[at], "ARGS") || arg_is(argv[at], "TIMEOUT")) {
            long long count = 0;
            if (arg_is(argv[at], "ARGS") && at + 1 < argc)
                ValkeyModule_StringToLongLong(argv[at + 1], &count);
            at += 1 + (int)count;
        }
    }
}

static const char *check_inputs(ValkeyModuleCtx *ctx, const StringList *inputs) {
    for (int i = 0; i < inputs->count; i++)
        if (!tensor_exists(ctx, inputs->items[i])) {
            ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, inputs->items[i], VM_READ);
            int empty = ValkeyModule_KeyType(key) == VM_KEYTYPE_EMPTY;
            ValkeyModule_CloseKey(key);
            return empty ? "ERR tensor key is empty or in a different shard" : VM_ERRORMSG_WRONGTYPE;
        }
    return NULL;
}

/* Outputs may replace tensors or strings, never a key of another type (checked before the
 * run, and again before its outputs are written). */
static const char *check_outputs(ValkeyModuleCtx *ctx, const StringList *outputs) {
    for (int i = 0; i < outputs->count; i++) {
        ValkeyModuleKey *key = ValkeyModule_OpenKey(ctx, outputs->items[i], VM_READ);
        int type = ValkeyModule_KeyType(key);
        ValkeyModule_CloseKey(key);
        if (type != VM_KEYTYPE_EMPTY && type != VM_KEYTYPE_STRING) return VM_ERRORMSG_WRONGTYPE;
    }
    return NULL;
}

/* A run job for the object at `name`, or NULL once an error was replied (no such object). */
static Job *run_job(ValkeyModuleCtx *ctx, ValkeyModuleString *name, int kind) {
    if (!object_exists(ctx, name, kind)) {
        ObjectDef probe;
        const char *error = NULL;
        object_def_read(ctx, name, kind, &probe, &error); /* missing, or another type: which */
        ValkeyModule_ReplyWithError(ctx, error);
        return NULL;
    }
    Job *job = ValkeyModule_Alloc(sizeof(*job));
    memset(job, 0, sizeof(*job));
    job->variadic = -1;
    job->op = OP_RUN;
    job->kind = kind;
    job->name = ValkeyModule_HoldString(NULL, name);
    return job;
}

/* AI.MODELEXECUTE key INPUTS n in... OUTPUTS m out... [TIMEOUT ms] */
int cmd_modelexecute(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    if (ValkeyModule_IsKeysPositionRequest(ctx)) {
        key_positions(ctx, argv, argc, 2);
        return VM_OK;
    }
    if (argc < 4) return ValkeyModule_WrongArity(ctx);
    const char *error = NULL;
    Job *job = run_job(ctx, argv[1], KIND_MODEL);
    if (job == NULL) return VM_OK;
    long long timeout = 0;
    int at = 2, has_inputs = 0, has_outputs = 0;
    while (at < argc && error == NULL) {
        if (arg_is(argv[at], "INPUTS") && !has_inputs) {
            has_inputs = 1;
            if (counted(argv, argc, &at, &job->inputs) != VM_OK)
                error = "ERR Invalid argument for input_count";
            else if (job->inputs.count == 0)
                error = "ERR Input count must be a positive integer";
        } else if (arg_is(argv[at], "OUTPUTS") && !has_outputs) {
            has_outputs = 1;
            if (counted(argv, argc, &at, &job->outputs) != VM_OK)
                error = "ERR Invalid argument for output_count";
            else if (job->outputs.count == 0)
                error = "ERR Output count must be a positive integer";
        } else if (arg_is(argv[at], "TIMEOUT")) {
            if (parse_timeout(argv, argc, &at, &timeout) != VM_OK) error = "ERR Invalid value for TIMEOUT";
        } else {
            job_free(job);
            return ValkeyModule_ReplyWithErrorFormat(ctx, "Invalid argument: %s",
                                                     ValkeyModule_StringPtrLen(argv[at], NULL));
        }
    }
    if (error == NULL && !has_inputs) error = "ERR INPUTS not specified";
    if (error == NULL && !has_outputs) error = "ERR OUTPUTS not specified";
    if (error == NULL) error = check_inputs(ctx, &job->inputs);
    if (error == NULL) error = check_outputs(ctx, &job->outputs);
    if (error != NULL) {
        job_free(job);
        return ValkeyModule_ReplyWithError(ctx, error);
    }
    return submit(ctx, job, timeout, 0);
}

/* The sections of AI.SCRIPTRUN key fn [TIMEOUT t] INPUTS in... [$ in...] OUTPUTS out...,
 * with TIMEOUT allowed anywhere after fn; `positions` set: report the key positions instead. */
static const char *scriptrun_sections(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc,
                                      Job *job, long long *timeout, int positions) {
    ValkeyModuleString *ins[argc], *outs[argc];
    int nin = 0, nout = 0, section = 0, seen_in = 0, seen_out = 0;
    for (int at = 3; at < argc; at++) {
        if (arg_is(argv[at], "TIMEOUT")) {
            if (!positions && parse_timeout(argv, argc, &at, timeout) != VM_OK)
                return "ERR Invalid value for TIMEOUT";
            if (positions) at++;
            else at--; /* parse_timeout moved past the value; the loop adds one */
        } else if (arg_is(argv[at], "INPUTS")) {
            if (seen_in) return "ERR Already encountered an INPUTS section in SCRIPTRUN";
            seen_in = section = 1;
        } else if (arg_is(argv[at], "OUTPUTS")) {
            if (seen_out) return "ERR Already encountered an OUTPUTS keyword in SCRIPTRUN";
            seen_out = 1;
            section = 2;
        } else if (arg_is(argv[at], "$")) {
            if (section != 1)
                return "ERR Encountered a variable size list of tensors outside of input section";
            if (job != NULL && job->variadic < 0) job->variadic = nin;
        } else if (section == 0) {
            return "ERR Unrecongnized parameter to SCRIPTRUN";
        } else if (positions) {
            ValkeyModule_KeyAtPos(ctx, at);
        } else if (section == 1) {
            ins[nin++] = argv[at];
        } else {
            outs[nout++] = argv[at];
        }
    }
    if (!positions) {
        list_take(&job->inputs, ins, nin);
        list_take(&job->outputs, outs, nout);
    }
    return NULL;
}

static const char *parse_scriptrun(ValkeyModuleString **argv, int argc, Job *job,
                                   long long *timeout) {
    return scriptrun_sections(NULL, argv, argc, job, timeout, 0);
}

/* AI.SCRIPTEXECUTE key function [KEYS n k...] [INPUTS n in...] [ARGS n a...] [OUTPUTS n out...]
 *   [TIMEOUT ms], and the older AI.SCRIPTRUN key function INPUTS in... [$ in...] OUTPUTS out... */
int cmd_scriptexecute(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    int legacy = strcasecmp(ValkeyModule_StringPtrLen(argv[0], NULL), "AI.SCRIPTRUN") == 0;
    if (ValkeyModule_IsKeysPositionRequest(ctx)) {
        if (!legacy) {
            key_positions(ctx, argv, argc, 3);
        } else {
            long long unused;
            ValkeyModule_KeyAtPos(ctx, 1);
            scriptrun_sections(ctx, argv, argc, NULL, &unused, 1);
        }
        return VM_OK;
    }
    if (argc < 3) return ValkeyModule_WrongArity(ctx);
    const char *error = NULL;
    Job *job = run_job(ctx, argv[1], KIND_SCRIPT);
    if (job == NULL) return VM_OK;
    job->function = ValkeyModule_HoldString(NULL, argv[2]);
    long long timeout = 0;
    int at = 3;
    if (legacy) error = parse_scriptrun(argv, argc, job, &timeout);
    while (!legacy && at < argc && error == NULL) {
        if (arg_is(argv[at], "KEYS") && job->keys.items == NULL) {
            if (counted(argv, argc, &at, &job->keys) != VM_OK) error = "ERR Invalid arguments for KEYS";
        } else if (arg_is(argv[at], "INPUTS") && job->inputs.items == NULL) {
            if (counted(argv, argc, &at, &job->inputs) != VM_OK) error = "ERR Invalid argument for input_count";
        } else if (arg_is(argv[at], "ARGS") && job->args.items == NULL) {
            if (counted(argv, argc, &at, &job->args) != VM_OK) error = "ERR Invalid argument for args_count";
        } else if (arg_is(argv[at], "OUTPUTS") && job->outputs.items == NULL) {
            if (counted(argv, argc, &at, &job->outputs) != VM_OK) error = "ERR Invalid argument for output_count";
        } else if (arg_is(argv[at], "TIMEOUT")) {
            if (parse_timeout(argv, argc, &at, &timeout) != VM_OK) error = "ERR Invalid value for TIMEOUT";
        } else {
            error = "ERR Invalid argument";
        }
    }
    if (error == NULL) error = check_inputs(ctx, &job->inputs);
    if (error == NULL) error = check_outputs(ctx, &job->outputs);
    if (error != NULL) {
        job_free(job);
        return ValkeyModule_ReplyWithError(ctx, error);
    }
    return submit(ctx, job, timeout, 0);
}

/* ---- the worker side ---------------------------------------------------------------------- */

static void reply_list(ValkeyModuleCtx *ctx, const StringList *list) {
    ValkeyModule_ReplyWithArray(ctx, list->count);
    for (int i = 0; i < list->count; i++) ValkeyModule_ReplyWithString(ctx, list->items[i]);
}

static void reply_maybe(ValkeyModuleCtx *ctx, ValkeyModuleString *s) {
    if (s) ValkeyModule_ReplyWithString(ctx, s);
    else ValkeyModule_ReplyWithCString(ctx, "");
}

/* ["load", id, name, kind, version, backend, device, tag, batchsize, minbatchsize,
 *  minbatchtimeout, [inputs], [outputs], [entry points], [blob chunks | source]] */
static void reply_load(ValkeyModuleCtx *ctx, uint64_t id, ValkeyModuleString *name,
                       const ObjectDef *def) {
    ValkeyModule_ReplyWithArray(ctx, 15);
    ValkeyModule_ReplyWithCString(ctx, "load");
    ValkeyModule_ReplyWithLongLong(ctx, (long long)id);
    ValkeyModule_ReplyWithString(ctx, name);
    ValkeyModule_ReplyWithCString(ctx, def->kind == KIND_MODEL ? "MODEL" : "SCRIPT");
    ValkeyModule_ReplyWithCString(ctx, def->version);
    reply_maybe(ctx, def->backend);
    reply_maybe(ctx, def->device);
    reply_maybe(ctx, def->tag);
    ValkeyModule_ReplyWithLongLong(ctx, def->batchsize);
    ValkeyModule_ReplyWithLongLong(ctx, def->minbatchsize);
    ValkeyModule_ReplyWithLongLong(ctx, def->minbatchtimeout);
    reply_list(ctx, &def->inputs);
    reply_list(ctx, &def->outputs);
    reply_list(ctx, &def->entry_points);
    reply_list(ctx, &def->blobs);
}

/* Emit the entries for one run job (a load first when the worker lacks the current version);
 * returns how many entries were emitted, 0 when the job failed instead. */
static int reply_run(ValkeyModuleCtx *ctx, Worker *w, Job *job) {
    char version[17];
    const char *error = NULL;
    if (!object_version(ctx, job->name, job->kind, version)) {
        ObjectDef probe; /* gone or replaced by something else since the call: say which */
        object_def_read(ctx, job->name, job->kind, &probe, &error);
        job_fail(job, error);
        return 0;
    }
    TensorView views[job->inputs.count ? job->inputs.count : 1];
    int opened = 0;
    for (; opened < job->inputs.count; opened++)
        if (tensor_open(ctx, job->inputs.items[opened], &views[opened], &error) != VM_OK) break;
    if (opened < job->inputs.count) {
        for (int i = 0; i < opened; i++) tensor_close(&views[i]);
        job_fail(job, error ? error : "ERR could not read an input tensor");
        return 0;
    }
    int entries = 0;
    const char *have = loaded_version(w, job->name);
    if (have == NULL || strcmp(have, version) != 0) { /* the worker needs it (again) */
        ObjectDef def;
        object_def_read(ctx, job->name, job->kind, &def, &error);
        reply_load(ctx, 0, job->name, &def);
        set_loaded(w, job->name, def.version);
        object_def_free(&def);
        entries++;
    }
    /* ["run", id, name, kind, version, function, [input tensors], output count, [args],
     *  [keys], variadic] */
    ValkeyModule_ReplyWithArray(ctx, 11);
    ValkeyModule_ReplyWithCString(ctx, "run");
    ValkeyModule_ReplyWithLongLong(ctx, (long long)job->id);
    ValkeyModule_ReplyWithString(ctx, job->name);
    ValkeyModule_ReplyWithCString(ctx, job->kind == KIND_MODEL ? "MODEL" : "SCRIPT");
    ValkeyModule_ReplyWithCString(ctx, version);
    reply_maybe(ctx, job->function);
    ValkeyModule_ReplyWithArray(ctx, job->inputs.count);
    for (int i = 0; i < job->inputs.count; i++) {
        ValkeyModule_ReplyWithStringBuffer(ctx, views[i].data, views[i].len);
        tensor_close(&views[i]);
    }
    ValkeyModule_ReplyWithLongLong(ctx, job->outputs.count);
    reply_list(ctx, &job->args);
    reply_list(ctx, &job->keys);
    ValkeyModule_ReplyWithLongLong(ctx, job->variadic);
    job->next = w->inflight;
    w->inflight = job;
    return entries + 1;
}

/* Hand queued jobs to worker `w` as the reply to its AI._WORK. */
static void reply_jobs(ValkeyModuleCtx *ctx, Worker *w) {
    ValkeyModule_ReplyWithArray(ctx, -1);
    long entries = 0;
    for (int taken = 0; taken < MAX_JOBS_PER_CALL && queue_head; taken++) {
        Job *job = dequeue();
        if (job->op == OP_LOAD) {
            reply_load(ctx, job->id, job->name, &job->def);
            set_loaded(w, job->name, job->def.version);
            job->next = w->inflight;
            w->inflight = job;
            entries++;
        } else {
            entries += reply_run(ctx, w, job);
        }
    }
    ValkeyModule_ReplySetArrayLength(ctx, entries);
}

static int worker_reply(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    Worker *w = worker_by_id(ValkeyModule_GetClientId(ctx));
    if (w == NULL) return ValkeyModule_ReplyWithArray(ctx, 0);
    reply_jobs(ctx, w);
    return VM_OK;
}

/* A worker that asked to WAIT at most some time for jobs gets an empty list. */
static int worker_timeout(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    (void)argv;
    (void)argc;
    ValkeyModuleBlockedClient *bc = ValkeyModule_GetBlockedClientHandle(ctx);
    for (Worker *w = workers; w; w = w->next) {
        if (w->bc == bc) {
            w->bc = NULL;
            ValkeyModule_UnblockClient(bc, NULL);
            break;
        }
    }
    return ValkeyModule_ReplyWithArray(ctx, 0);
}

static void worker_disconnected(ValkeyModuleCtx *ctx, ValkeyModuleBlockedClient *bc) {
    (void)ctx;
    for (Worker *w = workers; w; w = w->next) {
        if (w->bc == bc) {
            w->bc = NULL;
            ValkeyModule_UnblockClient(bc, NULL);
            return;
        }
    }
}

static Job *take_inflight(Worker *w, uint64_t id) {
    for (Job **link = &w->inflight; *link; link = &(*link)->next) {
        if ((*link)->id == id) {
            Job *job = *link;
            *link = job->next;
            job->next = NULL;
            return job;
        }
    }
    return NULL;
}

/* Apply one result: store the object, or write a run's outputs; then answer the caller. */
static void apply_result(ValkeyModuleCtx *ctx, Worker *w, Job *job, int ok,
                         ValkeyModuleString *message, ValkeyModuleString **blobs, int nblobs,
                         long long duration, long long samples) {
    if (job->op == OP_LOAD) {
        if (!ok) {
            set_loaded(w, job->name, NULL);
            job_finish(job, outcome_from(message));
            return;
        }
        object_def_write(ctx, job->name, &job->def);
        job_finish(job, outcome_new(NULL));
        return;
    }
    Stats *stats = stats_of(job->name, 1);
    stats->calls++;
    if (!ok) {
        stats->errors++;
        job_finish(job, outcome_from(message));
        return;
    }
    stats->duration_us += duration;
    stats->samples += samples;
    if (job->timed_out) {
        job_finish(job, NULL);
        return;
    }
    if (nblobs != job->outputs.count) {
        char text[160];
        snprintf(text, sizeof(text), "ERR the %s produced %d outputs but %d were requested",
                 job->kind == KIND_MODEL ? "model" : "script", nblobs, job->outputs.count);
        stats->errors++;
        job_fail(job, text);
        return;
    }
    const char *error = check_outputs(ctx, &job->outputs);
    for (int i = 0; i < nblobs && error == NULL; i++) {
        size_t len;
        const char *data = ValkeyModule_StringPtrLen(blobs[i], &len);
        if (!tensor_valid(data, len)) error = "ERR the worker returned a damaged tensor";
    }
    for (int i = 0; i < nblobs && error == NULL; i++)
        tensor_store(ctx, job->outputs.items[i], blobs[i], &error);
    if (error) {
        job_fail(job, error);
        return;
    }
    job_finish(job, outcome_new(NULL));
}

/* AI._WORK [WAIT ms] [id OK duration_us samples n blob... | id ERR message | id NOMODEL msg]...
 * Delivers a worker's results, then returns its next jobs, blocking until there are some
 * (at most `ms` milliseconds with WAIT; then the list is empty). */
int cmd_work(ValkeyModuleCtx *ctx, ValkeyModuleString **argv, int argc) {
    unsigned long long client = ValkeyModule_GetClientId(ctx);
    Worker *w = worker_by_id(client);
    if (w == NULL) {
        w = ValkeyModule_Alloc(sizeof(*w));
        memset(w, 0, sizeof(*w));
        w->client_id = client;
        w->next = workers;
        workers = w;
        workers_gone = 0;
        ValkeyModule_Log(ctx, "notice", "smartsim-ai: inference worker connected (client %llu)", client);
    }
    int at = 1;
    long long wait_ms = 0;
    if (argc > 2 && arg_is(argv[1], "WAIT")) {
        if (ValkeyModule_StringToLongLong(argv[2], &wait_ms) != VM_OK || wait_ms < 0)
            return ValkeyModule_ReplyWithError(ctx, "ERR malformed AI._WORK WAIT");
        at = 3;
    }
    while (at + 1 < argc) {
        long long id;
        if (ValkeyModule_StringToLongLong(argv[at], &id) != VM_OK)
            return ValkeyModule_ReplyWithError(ctx, "ERR malformed AI._WORK result");
        Job *job = take_inflight(w, (uint64_t)id);
        if (arg_is(argv[at + 1], "OK")) {
            long long duration, samples, n;
            if (at + 4 >= argc || ValkeyModule_StringToLongLong(argv[at + 2], &duration) != VM_OK ||
                ValkeyModule_StringToLongLong(argv[at + 3], &samples) != VM_OK ||
                ValkeyModule_StringToLongLong(argv[at + 4], &n) != VM_OK || n < 0 ||
                at + 5 + n > argc)
                return ValkeyModule_ReplyWithError(ctx, "ERR malformed AI._WORK result");
            if (job) apply_result(ctx, w, job, 1, NULL, argv + at + 5, (int)n, duration, samples);
            at += 5 + (int)n;
        } else {
            int nomodel = arg_is(argv[at + 1], "NOMODEL");
            if (at + 2 >= argc) return ValkeyModule_ReplyWithError(ctx, "ERR malformed AI._WORK result");
            if (job) {
                if (nomodel) set_loaded(w, job->name, NULL);
                apply_result(ctx, w, job, 0, argv[at + 2], NULL, 0, 0, 0);
            }
            at += 3;
        }
    }
    if (queue_head) {
        reply_jobs(ctx, w);
        return VM_OK;
    }
    w->bc = ValkeyModule_BlockClient(ctx, worker_reply, wait_ms ? worker_timeout : NULL, NULL,
                                     wait_ms);
    ValkeyModule_SetDisconnectCallback(w->bc, worker_disconnected);
    return VM_OK;
}

/* No worker reconnected in time: waiting requests fail, and so do new ones until one does. */
static void no_worker_came_back(ValkeyModuleCtx *ctx, void *data) {
    (void)data;
    if (workers != NULL) return;
    ValkeyModule_Log(ctx, "warning", "smartsim-ai: no inference worker came back; refusing requests");
    workers_gone = 1;
    Job *job;
    while ((job = dequeue()) != NULL) job_fail(job, ERR_NO_WORKER);
}

/* A worker's connection closed: the jobs it was running fail now; queued ones wait for a
 * replacement (see WORKER_GRACE_MS). */
static void on_client_change(ValkeyModuleCtx *ctx, VMEvent eid, uint64_t subevent, void *data) {
    (void)eid;
    if (subevent != VM_SUBEVENT_CLIENT_CHANGE_DISCONNECTED) return;
    VMClientInfo *info = data;
    Worker **link = &workers, *w = NULL;
    for (; *link; link = &(*link)->next)
        if ((*link)->client_id == info->id) {
            w = *link;
            break;
        }
    if (w == NULL) return;
    *link = w->next;
    ValkeyModule_Log(ctx, "warning", "smartsim-ai: inference worker disconnected (client %llu)",
                     (unsigned long long)info->id);
    if (w->bc) ValkeyModule_UnblockClient(w->bc, NULL);
    while (w->inflight) {
        Job *job = w->inflight;
        w->inflight = job->next;
        job_fail(job, ERR_WORKER_EXITED);
    }
    for (int i = 0; i < w->nloaded; i++) ValkeyModule_FreeString(NULL, w->loaded[i].name);
    if (w->loaded) ValkeyModule_Free(w->loaded);
    ValkeyModule_Free(w);
    if (workers == NULL) ValkeyModule_CreateTimer(ctx, WORKER_GRACE_MS, no_worker_came_back, NULL);
}

/* INFO's "smartsim_ai" section (INFO smartsim_ai / INFO modules): workers and jobs now. */
static void info_section(ValkeyModuleInfoCtx *ctx, int for_crash_report) {
    (void)for_crash_report;
    long long count = 0, idle = 0, queued = 0, running = 0;
    for (Worker *w = workers; w; w = w->next) {
        count++;
        idle += w->bc != NULL;
        for (Job *job = w->inflight; job; job = job->next) running++;
    }
    for (Job *job = queue_head; job; job = job->next) queued++;
    ValkeyModule_InfoAddSection(ctx, "");
    ValkeyModule_InfoAddFieldLongLong(ctx, "workers", count);
    ValkeyModule_InfoAddFieldLongLong(ctx, "idle_workers", idle);
    ValkeyModule_InfoAddFieldLongLong(ctx, "queued_jobs", queued);
    ValkeyModule_InfoAddFieldLongLong(ctx, "running_jobs", running);
}

int dispatch_init(ValkeyModuleCtx *ctx) {
    VMEvent client_change = {VM_EVENT_CLIENT_CHANGE, 1};
    if (ValkeyModule_RegisterInfoFunc(ctx, info_section) != VM_OK) return VM_ERR;
    return ValkeyModule_SubscribeToServerEvent(ctx, client_change, on_client_change);
}
