/* runs.c - earlier runs kept for comparison (their curves stay in the plots, fainter, with a
 * legend), their labels (what each run actually trained with), and the history of all runs as
 * CSV, streamed from the runs' loss spools. Pure data: drawing is in view/plots.c, writing the
 * file in src/session. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "optim.h"

/* "0.05", or "1->0.05" for a rate that changed, at most n bytes. */
static void lr_text(const RunInfo *r, char *buf, size_t n) {
    if (r->changes > 0 && r->lr_first != r->lr_last)
        snprintf(buf, n, "%g->%g", (double)r->lr_first, (double)r->lr_last);
    else
        snprintf(buf, n, "%g", (double)r->lr_last);
}

void app_run_label(const App *a, char *buf, size_t n) {
    const Snapshot *s = &a->snap;
    const RunInfo *r = &s->run;
    char arch[96], lr[48], batch[24] = "", changes[32] = "";
    const char *preset = s->net.params ? net_preset_name(&s->net) : NULL;
    if (preset)
        snprintf(arch, sizeof arch, "%s", preset); /* the presets by name */
    else if (s->net.params)
        net_arch_str(&s->net, arch, sizeof arch);
    else
        snprintf(arch, sizeof arch, "?");
    lr_text(r, lr, sizeof lr);
    if (r->opt != OPT_GD && r->batch > 0) snprintf(batch, sizeof batch, " b%d", r->batch);
    if (r->changes > 0) snprintf(changes, sizeof changes, " (%d change%s)", r->changes, r->changes == 1 ? "" : "s");
    snprintf(buf, n, "%s %s %s%s%s%s%s%s", arch, optim_name(r->opt), lr, batch, changes, r->dataset[0] ? ", " : "",
             r->dataset, s->mix_per_batch > 0 ? " + mine" : "");
    for (char *p = buf; *p; p++) /* a folder's name may hold anything: keep the label plain for traces and CSV */
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) *p = '_';
}

static void run_free(RunRecord *r) {
    free(r->evals);
    spool_release(r->spool);
    memset(r, 0, sizeof *r);
}

void app_runs_free(App *a) {
    for (int i = 0; i < a->nruns; i++) run_free(&a->runs[i]);
    a->nruns = 0;
}

int app_archive_run(App *a) {
    const Snapshot *s = &a->snap;
    if (s->loss.n <= 0 && s->nevals <= 0) return 0;
    RunRecord *r = NULL;
    EvalPoint *ev = malloc(sizeof(EvalPoint) * (size_t)(s->nevals ? s->nevals : 1));
    if (!ev) return -1;
    if (s->nevals) memcpy(ev, s->evals, sizeof(EvalPoint) * (size_t)s->nevals);
    if (a->nruns == APP_MAX_RUNS) {
        run_free(&a->runs[0]);
        memmove(&a->runs[0], &a->runs[1], sizeof(RunRecord) * (APP_MAX_RUNS - 1));
        memset(&a->runs[APP_MAX_RUNS - 1], 0, sizeof(RunRecord));
        a->nruns--;
    }
    r = &a->runs[a->nruns++];
    app_run_label(a, r->label, sizeof r->label);
    r->loss = s->loss;
    r->evals = ev;
    r->nevals = s->nevals;
    r->final_acc = s->nevals ? s->evals[s->nevals - 1].acc : -1;
    r->spool = spool_retain(s->spool);
    a->runs_total++;
    app_trace(a, "\"event\":\"run_kept\",\"runs\":%d,\"steps\":%ld,\"label\":\"%s\"", a->nruns, r->loss.n, r->label);
    return 0;
}

/* printf into a small buffer, then out through the sink. */
typedef struct {
    CsvSink sink;
    void *ud;
    int failed;
} Out;

static void outf(Out *o, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static void outf(Out *o, const char *fmt, ...) {
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof buf || o->failed) return;
    if (o->sink(o->ud, buf, (size_t)n) != 0) o->failed = 1;
}

/* A label as a CSV field: quoted, inner quotes doubled. */
static void csv_field(char *out, size_t n, const char *s) {
    size_t j = 0;
    out[j++] = '"';
    for (; *s && j + 3 < n; s++) {
        if (*s == '"') out[j++] = '"';
        out[j++] = *s;
    }
    out[j++] = '"';
    out[j] = 0;
}

/* One run's rows: every step's loss from the spool, then the test points. Returns the steps the
 * spool could not give. */
static long run_csv(Out *o, const char *run, const char *label, const LossSpool *spool, long nsteps, const EvalPoint *ev,
                    int nev) {
    char lab[256];
    csv_field(lab, sizeof lab, label);
    enum { CHUNK = 4096 };
    float buf[CHUNK];
    long done = 0;
    while (done < nsteps && !o->failed) {
        long want = nsteps - done < CHUNK ? nsteps - done : CHUNK;
        long got = spool_read(spool, done, want, buf);
        for (long i = 0; i < got; i++) outf(o, "%s,%s,step,%ld,,%.6g,,,\n", run, lab, done + i + 1, (double)buf[i]);
        done += got;
        if (got < want) break;
    }
    for (int i = 0; i < nev; i++)
        outf(o, "%s,%s,test,%ld,%d,,%.6g,%.6g,%s\n", run, lab, ev[i].step, ev[i].epoch, ev[i].loss, ev[i].acc,
             ev[i].full ? "full" : "subset");
    return nsteps - done;
}

int app_history_csv(const App *a, CsvSink sink, void *ud, long *missing) {
    Out o = {sink, ud, 0};
    long miss = 0;
    outf(&o, "run,label,kind,step,epoch,train_loss,test_loss,test_acc,test_set\n");
    unsigned long first = a->runs_total - (unsigned long)a->nruns + 1;
    for (int i = 0; i < a->nruns; i++) {
        char run[32];
        snprintf(run, sizeof run, "%lu", first + (unsigned long)i);
        const RunRecord *r = &a->runs[i];
        miss += run_csv(&o, run, r->label, r->spool, r->loss.n, r->evals, r->nevals);
    }
    char label[96];
    app_run_label(a, label, sizeof label);
    miss += run_csv(&o, "current", label, a->snap.spool, a->snap.loss.n, a->snap.evals, a->snap.nevals);
    if (missing) *missing = miss;
    return o.failed ? -1 : 0;
}
