/* worker.h - the training thread behind the window. It alone owns the live network, the
 * optimiser and the datasets (a Trainer); the UI posts commands (run, pause, step, reset,
 * configure, load) and copies a published Snapshot under a short lock. No call here waits for
 * training except worker_stop, which joins. POSIX threads, no SDL, so tests drive it headless. */
#ifndef DIGITREC_WORKER_H
#define DIGITREC_WORKER_H

#include <stdatomic.h>
#include <stdint.h>

#include "common.h"
#include "confusion.h"
#include "curve.h"
#include "dataset.h"
#include "embed.h"
#include "net.h"
#include "optim.h"
#include "train.h"

/* What a reset builds and how training runs. */
typedef struct {
    char arch[ARCH_MAX_TEXT];       /* the architecture, canonical (arch.h): "784-128-64-10", or a
                                       stack such as ARCH_CNN; net_create_str builds it */
    TrainConfig train;              /* optimiser, rate, schedule, batch, epochs, augmentation; its
                                       seed is also the He initialisation's: same seed, same start */
} WorkerConfig;

/* How much a message matters: the window colours it by this, never by its words. */
typedef enum { SEV_INFO = 0, SEV_WARN, SEV_ERROR } Severity;

/* One test-set measurement: on the first eval_subset test images every few steps (full = 0),
 * or on the whole test set at an epoch end (full = 1). */
typedef struct {
    long step;
    int epoch;
    double loss, acc;
    int full;
} EvalPoint;

/* The test set, shared read-only between the worker and the UI: immutable once published and
 * reference counted (the last release frees it), so a dataset switch never pulls images from
 * under a gallery the UI is showing. */
typedef struct {
    atomic_int refs;
    Dataset data;
} SharedData;

/* One network's predictions on the whole test set, made by the worker at evaluation time and
 * shared read-only with the UI like SharedData. Whoever holds a pointer owns one reference. */
typedef struct {
    atomic_int refs;
    SharedData *test;            /* one reference held; test->data.n == n */
    unsigned long generation;
    long step;                   /* the network's step count when it was measured */
    int n, K;                    /* test images, classes */
    uint8_t *pred;               /* (n) top class */
    float *prob;                 /* (n, K) probabilities */
    long confusion[CONF_K][CONF_K]; /* [true][predicted] */
    double acc;
    double seconds;              /* how long the pass took */
    /* the embedding map: the first nemb test images' features (what the last linear layer reads:
       the last hidden layer after its ReLU; the logits for a net without hidden layers), PCA to
       2-D, aligned with the previous view's map (embed.h) */
    int nemb;
    int emb_logits;              /* 1: the features are the logits */
    float *emb_xy;               /* (nemb, 2) map positions */
    Embed emb;                   /* the map: project a drawing's features of width emb.d */
    double emb_total_var;        /* the features' total variance (emb.var[] of it: the share shown) */
} TestView;

/* Adds a reference (NULL is ignored) and returns v. */
TestView *testview_retain(TestView *v);
/* Drops a reference; the last one frees the view (and its reference to the test set). */
void testview_release(TestView *v);

/* Every step's training loss of one generation, in full, in an unlinked temporary file (the
 * window keeps only a Curve of it in memory): what an export writes. Written by the worker
 * before each publish, read by anyone holding a reference; reference counted like TestView. */
typedef struct LossSpool LossSpool;
LossSpool *spool_retain(LossSpool *s);
void spool_release(LossSpool *s);
/* Reads losses [from, from + n) into out. Returns how many it read: fewer than n when the spool
 * holds fewer (a write failed, e.g. a full disk, or they are not written yet). */
long spool_read(const LossSpool *s, long from, long n, float *out);

/* What one run (a generation) actually trained with, as it went. */
typedef struct {
    char dataset[64];            /* the dataset's name */
    OptKind opt;                 /* the optimiser and batch of its last step */
    int batch;
    Schedule schedule;
    float lr_first, lr_last;     /* the rate it began with, the rate of its last step */
    float lr_min, lr_max;
    int changes;                 /* times the rate, optimiser or batch changed within the run */
    int stopped;                 /* times a divergence stopped it */
} RunInfo;

/* What the UI sees. History is append-only within one generation; a reset or a load starts a
 * new generation with empty history. */
typedef struct {
    unsigned long version;       /* bumped by every publish */
    unsigned long generation;
    Net net;                     /* the published parameters */
    Curve loss;                  /* training loss of every step of this generation, bucketed */
    LossSpool *spool;            /* the same losses in full, or NULL; one reference owned */
    RunInfo run;
    EvalPoint *evals;            /* (nevals) */
    int nevals, cap_evals;
    long step;                   /* steps in this generation */
    int epoch;                   /* completed epochs in this generation */
    long samples;
    double t_train;              /* seconds spent training in this generation */
    double sps;                  /* recent samples per second */
    WorkerConfig cfg;            /* the configuration in force */
    int running;                 /* training is on (the UI's Train state) */
    int finished;                /* a stop criterion (epoch limit) holds */
    int have_data;
    int data_loading;
    char data_desc[160];         /* e.g. "mnist 60000/10000" or why there is no data */
    char status[512];            /* last notable event from the worker, e.g. a divergence */
    Severity status_sev;
    unsigned long status_seq;    /* bumped with each new status */
    TestView *view;              /* latest test-set predictions or NULL; one reference owned */
    int extra_n;                 /* personal examples the worker holds */
    int mix;                     /* mixing them into training is switched on */
    int mix_per_batch;           /* of them in every training batch (0: not mixed: off, none to train
                                    on, or full-batch gd) */
    int train_n;                 /* examples in the training set (the dataset's) */
    int held_n;                  /* of the personal examples, held out of training to measure on:
                                    every fifth of each class (personal_split) */
    int held_right;              /* of those, read right by the network at its last evaluation
                                    (held_step); -1 when none are held out */
    int held_before;             /* read right by the network as it was when mixing began (switched
                                    on, or a new network while on): the "before" beside held_right's
                                    "after"; -1 while not mixing or none held out */
    long held_step;
    unsigned long data_seq;      /* bumped whenever a dataset is installed (at start or a switch) */
    char classes[DATASET_MAX_CLASSES][DATASET_CLASS_LEN]; /* the dataset's class names */
    int gen_cause;               /* what started this generation: GenCause */
    char data_dir[1024];         /* the folder the data came from ("" when given in memory) */
} Snapshot;

/* Why a generation began: the classes a window shows follow the data after a reset or a data
 * switch, and a model's own after a load. */
typedef enum { GEN_START = 0, GEN_RESET, GEN_LOAD, GEN_DATA } GenCause;

typedef struct {
    const char *data_dir;        /* loaded by the thread; NULL = no data unless given below */
    Dataset *train, *test;       /* if non-NULL, moved into the worker (the caller's struct is zeroed) */
    int publish_ms;              /* 0 = 50 */
    int eval_subset;             /* test images for the frequent evals; 0 = 1000 */
    Dataset *extra;              /* personal examples, moved in like train (NULL: none) */
    int mix;                     /* mix them into training from the start */
} WorkerSetup;

typedef struct Worker Worker;

/* Starts the thread with a copy of net (the live network until a reset or load) and cfg.
 * Returns NULL with err set on failure; nothing is then left running. */
Worker *worker_start(const WorkerSetup *setup, const Net *net, const WorkerConfig *cfg, char *err);
/* Asks the thread to stop, joins it (at most one training step of delay), copies the last
 * publish into final (if non-NULL; it holds every finished step) and frees everything. */
void worker_stop(Worker *w, Snapshot *final);

void worker_set_running(Worker *w, int on);
/* Queues n single steps (one mini-batch or one GD iteration each); meaningful while paused. */
void worker_step(Worker *w, int n);
/* A fresh He-initialised network of cfg's architecture from cfg's seed; history restarts. */
void worker_reset(Worker *w, const WorkerConfig *cfg);
/* cfg's training settings apply at the next step (trainer_retune); a new optimiser or batch size
 * rebuilds the trainer (the optimiser's state restarts). Architecture and seed wait for a reset. */
void worker_configure(Worker *w, const WorkerConfig *cfg);
/* Hands *net to the worker (which takes ownership of its memory; *net is zeroed) to become the
 * live network; history restarts. The caller has checked its shape. */
void worker_load(Worker *w, Net *net);
/* Personal examples: *extra (moved in; *extra is zeroed) replaces the worker's set, or NULL keeps
 * it; mix says whether training uses them. Every fifth example of each class is held out
 * (personal_split) and measured at each evaluation (held_right); the rest, while mixing, go into
 * every mini-batch through trainer_set_extra (train_extra_per_batch of them). A change that affects
 * training rebuilds the trainer: the optimiser's state restarts, history and counters go on. */
void worker_set_extra(Worker *w, Dataset *extra, int mix);
/* Switches to the IDX folder dir (MNIST's four file names, raw or gzipped, 28x28 images): loaded
 * by the thread (data_loading is published meanwhile); on success a new generation starts with a
 * fresh network from cfg (as a reset), on failure the current data stays and the status says
 * why. */
void worker_set_data(Worker *w, const char *dir, const WorkerConfig *cfg);

/* Copies the latest publish into dst when it is newer than dst->version. Returns 1 if dst
 * changed, 0 if not, -1 when out of memory (dst keeps its old contents). dst starts zeroed
 * and is freed with snapshot_free. */
int worker_sync(Worker *w, Snapshot *dst);
/* Like worker_sync, but when the publish starts a new generation while dst still holds history of
 * another one, returns 2 and leaves dst untouched, so the caller can keep that run's curves first
 * (then empty dst's history and sync again). */
int worker_sync_run(Worker *w, Snapshot *dst);
/* Makes dst a copy of src (a deep copy of the network and history, new references to the shared
 * parts), reusing dst's memory. hold: as worker_sync_run, returns 2 (dst untouched) when src
 * starts a new generation while dst holds history of another. Returns 1 when dst changed, 0 when
 * it was as new, -1 when out of memory (dst keeps its old contents). */
int snapshot_copy(Snapshot *dst, const Snapshot *src, int hold);
void snapshot_free(Snapshot *s);

/* Fills cfg with arch (a preset, "softmax", "mlp", "cnn", or any grammar string; anything that
 * does not parse gives mlp) and the command line's recipe for it, at a constant learning rate
 * (the window's: what the control shows is what is used). */
void worker_config_default(WorkerConfig *cfg, const char *arch);
/* The recipe name train_config_default takes for cfg's architecture: "softmax", "mlp", "cnn"
 * (the presets) or "custom". */
const char *worker_recipe(const WorkerConfig *cfg);

#endif
