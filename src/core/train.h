/* train.h - the training loop as a stepper: the CLI and the window's worker thread both call
 * trainer_step until it says stop. Owns the optimiser, batch buffers and history; the network
 * it trains is its own copy. Evaluation and history CSV live here too. */
#ifndef DIGITREC_TRAIN_H
#define DIGITREC_TRAIN_H

#include <stdint.h>

#include "common.h"
#include "dataset.h"
#include "model_io.h"
#include "net.h"
#include "optim.h"

typedef enum { SCHED_CONST = 0, SCHED_COSINE } Schedule;

typedef struct {
    OptKind opt;
    float lr;
    int batch;            /* ignored by gd (one step = one pass over all K images) */
    int epochs;           /* maximum epochs (gd: one epoch = one iteration) */
    long max_iters;       /* maximum steps, 0 = no limit */
    double tol;           /* stop when |loss change| < tol (gd: between iterations;
                             mini-batch: between epoch mean train losses); 0 = off */
    double target_acc;    /* stop at this test accuracy (0..1) at an epoch end; 0 = off */
    Schedule schedule;    /* learning rate over the planned steps */
    uint64_t seed;        /* shuffling and augmentation (the init seed is applied by the caller) */
    int augment;          /* 1: each training image through augment.c's random affine + elastic map
                             (augment_defaults), drawn from (seed, epoch, image index); 2: also the
                             ink changes (augment_ink_defaults: stroke width, coarser grids); 28x28
                             images, mini-batch optimisers (gd ignores it) */
} TrainConfig;

/* Sensible defaults for the named preset ("softmax", "mlp", "cnn", or anything else = custom).
 * cnn: momentum 0.9, lr 0.05, batch 64, 4 epochs, cosine, no augmentation (docs/cnn.md). */
void train_config_default(TrainConfig *c, const char *arch);
/* Switches c to optimiser k with that optimiser's own default learning rate for the preset arch
 * (Adam's is not SGD's), and full-batch gd's iteration count. */
void train_config_optimizer(TrainConfig *c, OptKind k, const char *arch);

typedef struct {
    int epoch;
    long step;
    double train_loss;    /* mean over the epoch's batches */
    double test_loss;
    double test_acc;
    double seconds;       /* wall time since training began */
} EpochRecord;

typedef struct {
    long nsteps, cap_steps;
    float *step_loss;     /* (nsteps) loss of every step */
    int nepochs, cap_epochs;
    EpochRecord *epochs;
} History;

typedef struct {
    double loss, acc;
    long n;
    long confusion[10][10]; /* [true][predicted] */
} EvalResult;

typedef enum {
    STEP_OK = 0,     /* a step was taken */
    STEP_EPOCH,      /* a step was taken and it finished an epoch (record appended) */
    STEP_DONE,       /* a stop criterion holds; no step taken */
    STEP_NONFINITE,  /* the loss or weights went NaN/Inf; parameters rolled back to before the step */
    STEP_DIVERGED,   /* the loss shot far above its recent level (see trainer_step): parameters rolled
                        back to the last good ones (backup_step) and the optimiser's state reset */
    STEP_ERROR
} StepStatus;

typedef enum { STOP_NONE = 0, STOP_EPOCHS, STOP_ITERS, STOP_TOL, STOP_TARGET } StopReason;

#define TRAIN_RECENT 64   /* step losses the divergence test looks back on */

typedef struct {
    Net net;               /* the live network, owned */
    Optim opt;
    TrainConfig cfg;
    const Dataset *train, *test;  /* borrowed */
    const Dataset *extra;  /* borrowed, or NULL: examples put into every mini-batch (trainer_set_extra) */
    int extra_k;           /* of them in each mini-batch (0: none) */
    int *extra_idx;        /* (extra_k) this step's picks from extra */
    NetWork wk;
    float *grad, *gacc;    /* (nparams) */
    float *backup;         /* (nparams) last good parameters: finite, taken while the loss was in line */
    long backup_step;      /* the step they are from */
    float recent[TRAIN_RECENT]; /* the last steps' losses, a ring, for the divergence test */
    int nrecent, recent_pos, over; /* losses in the ring, next slot, steps in a row above the line */
    float diverged_loss, diverged_median; /* what the last STEP_DIVERGED saw */
    float *xb;             /* (batch, D) */
    int *yb;               /* (batch) */
    const uint8_t **aug_img; /* (batch) the batch's images, for augmentation */
    uint64_t *aug_idx;     /* (batch) and their indices in the training set */
    int *perm;             /* (train->n) */
    int chunk;             /* rows per forward in gd / eval */
    long step;             /* steps taken */
    int epoch;             /* completed epochs */
    int pos;               /* position in perm within the epoch */
    double epoch_loss_sum;
    long epoch_batches;
    double prev_loss;      /* for tol */
    StopReason stop_reason;
    double t_start, t_train;  /* wall clock; time spent in steps */
    long samples;          /* examples processed */
    History hist;
    Rng rng;
} Trainer;

/* Copies net and borrows the datasets (test may be NULL). Returns 0 or -1 with err. */
int trainer_create(Trainer *t, const Net *net, const Dataset *train, const Dataset *test,
                   const TrainConfig *cfg, char *err);
void trainer_free(Trainer *t);
/* One mini-batch step, or one full-batch GD iteration. At an epoch end it evaluates the
 * test set (if any) and appends an EpochRecord. Divergence: a loss above max(10 x the median of
 * the last TRAIN_RECENT in-line losses, 0.9 ln K) for three steps in a row, or above ten times
 * that line once, returns STEP_DIVERGED with the parameters put back to the last good ones. */
StepStatus trainer_step(Trainer *t);
/* Mixing: from the next step on, every mini-batch holds k examples of extra (borrowed: it must
 * outlive the trainer or the next call) in place of k training images, so an epoch (one pass over
 * the training set) takes ceil(n / (batch - k)) steps. Which k: a function of (cfg.seed, step)
 * alone, distinct within a batch when extra has at least k examples; augmented like the training
 * images when cfg.augment is on. Full-batch gd ignores the set. extra NULL or k = 0 removes it
 * (the trainer is then exactly one that never had it). Call before the first step: returns -1 with
 * err after one, when 1 <= k < batch does not hold, or when extra's images or labels do not fit
 * the network; the trainer is then unchanged. */
int trainer_set_extra(Trainer *t, const Dataset *extra, int k, char *err);
/* How many of n_extra examples trainer_set_extra should put into a batch of `batch`: batch / 16
 * (4 of 64), at least 1, at most n_extra and batch - 1; 0 when n_extra is 0 or batch < 2. */
int train_extra_per_batch(int batch, int n_extra);
/* Steps per epoch under the current config. */
long trainer_steps_per_epoch(const Trainer *t);
/* Current learning rate from the schedule. */
float trainer_lr(const Trainer *t);
/* Applies c to a running trainer: the learning rate, schedule, augmentation and stop criteria
 * (epochs, max_iters, tol, target_acc) take effect at the next step, and a limit raised past the point
 * where training stopped lets it go on. The optimiser and batch size cannot change under a
 * trainer: returns 1 (nothing applied) when c differs from t->cfg in either, so the caller builds
 * a new trainer; else 0. c's seed is ignored (shuffling keeps the stream it was created with). */
int trainer_retune(Trainer *t, const TrainConfig *c);
const char *trainer_stop_reason(const Trainer *t);

/* Accuracy, mean loss and confusion matrix of net on ds (n = 0: all). wk's capacity sets the chunk. */
int evaluate(const Net *net, NetWork *wk, const Dataset *ds, int n, EvalResult *out, char *err);

/* How many of ds's examples net reads right (top class = label), with its own forward buffers
 * (at most 250 rows at a time): for small sets such as held-out personal examples. Returns the
 * count (0 for an empty ds), or -1 with err. */
long evaluate_right(const Net *net, const Dataset *ds, char *err);

/* How a model was trained, as its file's metadata records it. */
typedef struct {
    const TrainConfig *cfg;          /* optimiser, lr, schedule, batch, seed */
    const char *dataset;             /* its name, or NULL */
    const char (*classes)[DATASET_CLASS_LEN]; /* nclass names, or NULL */
    int nclass;
    long steps;
    int epochs;                      /* completed */
    double test_acc;                 /* 0..1, or < 0 when never measured */
    const char *source;              /* e.g. "digitrec window", or NULL */
} TrainRecord;
/* Adds r to m as strings: classes, dataset, optimizer, lr, schedule, batch, epochs, steps, seed,
 * augment (when on), test_accuracy, source and trained_by (existing keys are replaced). Returns 0, or -1 when m
 * is full (what fitted is kept). */
int train_record_meta(ModelMeta *m, const TrainRecord *r);

/* Writes the history as CSV: one row per step (kind=step) and one per epoch (kind=epoch). Atomic. */
int history_write_csv(const History *h, const char *path, char *err);
void history_free(History *h);
/* Forgets the per-step losses recorded so far (epoch records stay), for a caller that keeps its
 * own copy of a long run. */
void history_clear_steps(History *h);

#endif
