/* kernels_pool.c - the persistent worker threads behind kernels_run: a job is a list of
 * independent tasks that the caller and the workers claim one at a time. It does no maths.
 *
 * Tasks are claimed, not assigned: if a worker is descheduled (the window's UI thread or
 * another program wants the core), the caller simply runs more of the tasks itself instead of
 * waiting for it. Which thread ran a task never changes its result, so runs are reproducible.
 * The caller claims from the front of the list and the workers from the back, so with jobs
 * cut alike (a layer's forward, its dW, the optimiser step) each core keeps working on the
 * same rows of the weights and their cache lines stay in its own L2.
 * Workers spin briefly for the next job (a training step posts one every few tens of
 * microseconds, and waking a sleeping thread costs more than that), then sleep on a condition
 * variable, so an idle pool uses no CPU. A call made while another thread is using the pool
 * (the window predicting while its worker trains) runs all its tasks on the calling thread.
 *
 * When the cores are shared with other busy programs, a worker is sometimes preempted in the
 * middle of a task and the caller waits for it for a whole time slice. The pool watches for
 * that: if over a window of jobs the caller spent more than a quarter of the time waiting for
 * late workers, it runs the next jobs on the caller alone, then tries again; the stretch alone
 * doubles while the windows between stay bad and halves again once they are good. Results do not
 * change (they never depend on who runs a task), only the speed. */
#include "kernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define cpu_relax() _mm_pause()
#else
#define cpu_relax() ((void)0)
#endif

#define POOL_MAX 64
#define SPIN_SECONDS 2e-3 /* how long an idle worker polls before it sleeps */

/* One job's description. Two slots alternate, so a worker that wakes late reads a slot the
 * caller is not rewriting; every field is atomic because such a late read may still race. */
typedef struct {
    _Atomic(KernelsTask) fn;
    _Atomic(void *) ctx;
} JobSlot;

typedef struct {
    pthread_t tid[POOL_MAX];
    int nworkers;                  /* threads besides the caller */
    JobSlot slot[2];               /* slot[gen & 1] is the current job */
    _Atomic uint32_t gen;          /* bumped once per job */
    _Atomic uint64_t claim;        /* gen << 32 | front << 16 | back: tasks [front, back) are free */
    atomic_int done;               /* tasks finished in the current job */
    atomic_int sleepers;
    atomic_int quit;
    pthread_mutex_t mu;
    pthread_cond_t cv;
} Pool;

static Pool g_pool = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};
static atomic_int g_want = 1;      /* kernels_set_threads' value */
static atomic_flag g_busy = ATOMIC_FLAG_INIT;
static atomic_int g_rest;          /* set: idle workers sleep now instead of spinning */

/* Contention watch, touched only by the thread holding g_busy. */
#define WATCH_JOBS 64     /* jobs per measurement window */
#define SOLO_MIN 64       /* jobs run on the caller alone after a bad window... */
#define SOLO_MAX 2048     /* ...doubling, up to this, while the windows between stay bad */
static struct {
    int jobs, solo, next_solo;
    double busy, waited;  /* seconds in parallel jobs; of which waiting for late workers */
} g_watch;

static double seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

#define CLAIM(g, front, back) ((uint64_t)(g) << 32 | (uint64_t)(front) << 16 | (uint64_t)(back))

/* Claims and runs tasks of job g until none are left (or the job is no longer g): from the
 * front for the caller, from the back for a worker. */
static void run_tasks(uint32_t g, int from_back) {
    const JobSlot *s = &g_pool.slot[g & 1];
    KernelsTask fn = atomic_load_explicit(&s->fn, memory_order_relaxed);
    void *ctx = atomic_load_explicit(&s->ctx, memory_order_relaxed);
    uint64_t c = atomic_load(&g_pool.claim);
    for (;;) {
        uint32_t front = (uint32_t)(c >> 16) & 0xffff, back = (uint32_t)c & 0xffff;
        if ((uint32_t)(c >> 32) != g || front >= back) return;
        uint32_t task = from_back ? back - 1 : front;
        uint64_t next = from_back ? CLAIM(g, front, back - 1) : CLAIM(g, front + 1, back);
        if (!atomic_compare_exchange_weak(&g_pool.claim, &c, next)) continue;
        /* the claim succeeded while the job was still g, so fn and ctx were g's */
        fn(ctx, (int)task);
        atomic_fetch_add_explicit(&g_pool.done, 1, memory_order_release);
        c = atomic_load(&g_pool.claim);
    }
}

static void *worker_main(void *arg) {
    /* the generation when the pool started this thread: a thread that starts late must still
     * see every job (and the quit) posted after that */
    uint32_t seen = (uint32_t)(uintptr_t)arg;
    for (;;) {
        uint32_t g;
        double spin_start = 0;
        int spins = 0;
        while ((g = atomic_load(&g_pool.gen)) == seen) {
            if (++spins < 256) {
                cpu_relax();
                continue;
            }
            spins = 0;
            double now = seconds();
            if (spin_start == 0) spin_start = now;
            if (now - spin_start < SPIN_SECONDS && !atomic_load(&g_rest)) continue;
            /* Dekker with the poster: sleepers is raised before gen is re-read, the poster
             * bumps gen before it reads sleepers, both sequentially consistent. */
            pthread_mutex_lock(&g_pool.mu);
            atomic_fetch_add(&g_pool.sleepers, 1);
            while (atomic_load(&g_pool.gen) == seen) pthread_cond_wait(&g_pool.cv, &g_pool.mu);
            atomic_fetch_sub(&g_pool.sleepers, 1);
            pthread_mutex_unlock(&g_pool.mu);
            spin_start = 0;
        }
        seen = g;
        if (atomic_load(&g_pool.quit)) return NULL;
        run_tasks(g, 1);
    }
}

/* Publishes a job; returns its generation. */
static uint32_t post(KernelsTask fn, void *ctx, int ntasks) {
    uint32_t g = atomic_load(&g_pool.gen) + 1;
    JobSlot *s = &g_pool.slot[g & 1];
    atomic_store_explicit(&s->fn, fn, memory_order_relaxed);
    atomic_store_explicit(&s->ctx, ctx, memory_order_relaxed);
    atomic_store(&g_pool.done, 0);
    atomic_store(&g_rest, 0);
    atomic_store(&g_pool.claim, CLAIM(g, 0, ntasks));
    atomic_store(&g_pool.gen, g);
    if (atomic_load(&g_pool.sleepers) > 0) {
        pthread_mutex_lock(&g_pool.mu);
        pthread_cond_broadcast(&g_pool.cv);
        pthread_mutex_unlock(&g_pool.mu);
    }
    return g;
}

static void pool_stop(void) {
    if (g_pool.nworkers == 0) return;
    atomic_store(&g_pool.quit, 1);
    post(NULL, NULL, 0);
    for (int i = 0; i < g_pool.nworkers; i++) pthread_join(g_pool.tid[i], NULL);
    g_pool.nworkers = 0;
    atomic_store(&g_pool.quit, 0);
}

/* Grows or shrinks the pool to want-1 workers; runs with fewer if threads cannot start. */
static void pool_resize(int want) {
    if (want - 1 == g_pool.nworkers) return;
    pool_stop();
    for (int i = 0; i < want - 1; i++) {
        void *gen_now = (void *)(uintptr_t)atomic_load(&g_pool.gen);
        if (pthread_create(&g_pool.tid[i], NULL, worker_main, gen_now) != 0) break;
        g_pool.nworkers++;
    }
}

void kernels_set_threads(int n) {
    if (n < 1) n = 1;
    if (n > POOL_MAX) n = POOL_MAX;
    atomic_store(&g_want, n);
}

int kernels_get_threads(void) { return atomic_load(&g_want); }

void kernels_run(KernelsTask fn, void *ctx, int ntasks) {
    if (ntasks <= 0) return;
    if (ntasks == 1 || ntasks > 0xffff || atomic_load(&g_want) <= 1 || atomic_flag_test_and_set(&g_busy)) {
        for (int i = 0; i < ntasks; i++) fn(ctx, i);
        return;
    }
    pool_resize(atomic_load(&g_want));
    if (g_pool.nworkers == 0 || g_watch.solo > 0) {
        if (g_watch.solo > 0) g_watch.solo--;
        atomic_flag_clear(&g_busy);
        for (int i = 0; i < ntasks; i++) fn(ctx, i);
        return;
    }
    double t0 = seconds();
    uint32_t g = post(fn, ctx, ntasks);
    run_tasks(g, 0);
    double t1 = seconds();
    /* every task is claimed; wait for the ones a worker is still running */
    for (int spins = 0; atomic_load_explicit(&g_pool.done, memory_order_acquire) != ntasks; spins++) {
        if (spins < 4096) cpu_relax();
        else sched_yield(); /* the worker may be waiting for this very core */
    }
    double t2 = seconds();
    g_watch.busy += t2 - t0;
    g_watch.waited += t2 - t1;
    if (++g_watch.jobs == WATCH_JOBS) {
        /* one late wake-up (a host taking a core for a moment) costs a short solo stretch; cores
         * taken for good by another program, longer and longer ones */
        if (g_watch.next_solo < SOLO_MIN) g_watch.next_solo = SOLO_MIN;
        if (g_watch.waited > 0.25 * g_watch.busy) {
            g_watch.solo = g_watch.next_solo;
            if (g_watch.next_solo < SOLO_MAX) g_watch.next_solo *= 2;
            kernels_rest();
        } else if (g_watch.next_solo > SOLO_MIN) {
            g_watch.next_solo /= 2;
        }
        g_watch.jobs = 0;
        g_watch.busy = g_watch.waited = 0;
    }
    atomic_flag_clear(&g_busy);
}

void kernels_rest(void) { atomic_store(&g_rest, 1); }

void kernels_split(int n, int align, int part, int nparts, int *lo, int *hi) {
    int units = (n + align - 1) / align;
    int a = (int)((long)units * part / nparts), b = (int)((long)units * (part + 1) / nparts);
    *lo = a * align < n ? a * align : n;
    *hi = b * align < n ? b * align : n;
}
