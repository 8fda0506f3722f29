/* runs.c - earlier runs kept for comparison (their curves stay in the plots, fainter, with a
 * legend), the loss smoothing both the plot and they use, and the history of all runs as CSV.
 * Pure data: drawing is in view/plots.c, writing the file in src/session. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "optim.h"

void loss_smooth_init(LossSmooth *s, long n) {
    double tau = n / 60.0;
    tau = tau < 5 ? 5 : tau > 500 ? 500 : tau;
    s->beta = 1.0 - 1.0 / tau;
    s->ema = s->wsum = 0;
}

float loss_smooth_push(LossSmooth *s, float v) {
    if (isfinite(v)) {
        s->ema = s->beta * s->ema + (1 - s->beta) * v;
        s->wsum = s->beta * s->wsum + (1 - s->beta);
    }
    return loss_smooth_value(s);
}

float loss_smooth_value(const LossSmooth *s) { return s->wsum > 0 ? (float)(s->ema / s->wsum) : NAN; }

void app_run_label(const App *a, char *buf, size_t n) {
    const Snapshot *s = &a->snap;
    char arch[96], data[64];
    const char *preset = s->net.params ? net_preset_of(s->net.sizes, s->net.nlayers) : NULL;
    if (preset)
        snprintf(arch, sizeof arch, "%s", preset); /* the presets by name */
    else if (s->net.params)
        net_sizes_str(s->net.sizes, s->net.nlayers, arch, sizeof arch);
    else
        snprintf(arch, sizeof arch, "?");
    /* the dataset's name is data_desc's first word ("mnist 60000/10000") */
    snprintf(data, sizeof data, "%.63s", s->data_desc);
    data[strcspn(data, " ")] = 0;
    snprintf(buf, n, "%s %s %g%s%s%s", arch, optim_name(s->cfg.train.opt), (double)s->cfg.train.lr, data[0] ? ", " : "", data,
             s->mix_repeat > 0 ? " + mine" : "");
    for (char *p = buf; *p; p++) /* a folder's name may hold anything: keep the label plain for traces and CSV */
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20) *p = '_';
}

static void run_free(RunRecord *r) {
    free(r->loss);
    free(r->smooth);
    free(r->evals);
    memset(r, 0, sizeof *r);
}

void app_runs_free(App *a) {
    for (int i = 0; i < a->nruns; i++) run_free(&a->runs[i]);
    a->nruns = 0;
}

int app_archive_run(App *a) {
    const Snapshot *s = &a->snap;
    if (s->nloss <= 0 && s->nevals <= 0) return 0;
    RunRecord r = {0};
    app_run_label(a, r.label, sizeof r.label);
    r.nloss = s->nloss;
    r.nevals = s->nevals;
    r.loss = malloc(sizeof(float) * (size_t)(s->nloss ? s->nloss : 1));
    r.smooth = malloc(sizeof(float) * (size_t)(s->nloss ? s->nloss : 1));
    r.evals = malloc(sizeof(EvalPoint) * (size_t)(s->nevals ? s->nevals : 1));
    if (!r.loss || !r.smooth || !r.evals) {
        run_free(&r);
        return -1;
    }
    if (s->nloss) memcpy(r.loss, s->loss, sizeof(float) * (size_t)s->nloss);
    if (s->nevals) memcpy(r.evals, s->evals, sizeof(EvalPoint) * (size_t)s->nevals);
    /* the same moving average the loss plot draws for a run of this length */
    LossSmooth ls;
    loss_smooth_init(&ls, s->nloss);
    for (long i = 0; i < s->nloss; i++) r.smooth[i] = loss_smooth_push(&ls, s->loss[i]);
    r.final_acc = s->nevals ? s->evals[s->nevals - 1].acc : -1;
    if (a->nruns == APP_MAX_RUNS) {
        run_free(&a->runs[0]);
        memmove(&a->runs[0], &a->runs[1], sizeof(RunRecord) * (APP_MAX_RUNS - 1));
        a->nruns--;
    }
    a->runs[a->nruns++] = r;
    a->runs_total++;
    app_trace(a, "\"event\":\"run_kept\",\"runs\":%d,\"steps\":%ld,\"label\":\"%s\"", a->nruns, r.nloss, r.label);
    return 0;
}

/* Appends printf output to a growing buffer; returns -1 when out of memory. */
typedef struct {
    char *p;
    size_t n, cap;
} Buf;

static int bprintf(Buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
static int bprintf(Buf *b, const char *fmt, ...) {
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int w = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, ap);
        va_end(ap);
        if (w < 0) return -1;
        if (b->p && b->n + (size_t)w < b->cap) {
            b->n += (size_t)w;
            return 0;
        }
        size_t cap = b->cap ? b->cap * 2 : 65536;
        while (cap < b->n + (size_t)w + 1) cap *= 2;
        char *q = realloc(b->p, cap);
        if (!q) return -1;
        b->p = q;
        b->cap = cap;
    }
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

static int run_csv(Buf *b, const char *run, const char *label, const float *loss, long nloss, const EvalPoint *ev, int nev) {
    char lab[256];
    csv_field(lab, sizeof lab, label);
    for (long i = 0; i < nloss; i++)
        if (bprintf(b, "%s,%s,step,%ld,,%.6g,,,\n", run, lab, i + 1, (double)loss[i])) return -1;
    for (int i = 0; i < nev; i++)
        if (bprintf(b, "%s,%s,test,%ld,%d,,%.6g,%.6g,%s\n", run, lab, ev[i].step, ev[i].epoch, ev[i].loss, ev[i].acc,
                    ev[i].full ? "full" : "subset"))
            return -1;
    return 0;
}

int app_history_csv(const App *a, char **out, size_t *len) {
    Buf b = {0};
    int rc = bprintf(&b, "run,label,kind,step,epoch,train_loss,test_loss,test_acc,test_set\n");
    unsigned long first = a->runs_total - (unsigned long)a->nruns + 1;
    for (int i = 0; i < a->nruns && rc == 0; i++) {
        char run[32];
        snprintf(run, sizeof run, "%lu", first + (unsigned long)i);
        const RunRecord *r = &a->runs[i];
        rc = run_csv(&b, run, r->label, r->loss, r->nloss, r->evals, r->nevals);
    }
    if (rc == 0) {
        char label[96];
        app_run_label(a, label, sizeof label);
        rc = run_csv(&b, "current", label, a->snap.loss, a->snap.nloss, a->snap.evals, a->snap.nevals);
    }
    if (rc != 0) {
        free(b.p);
        return -1;
    }
    *out = b.p;
    *len = b.n;
    return 0;
}
