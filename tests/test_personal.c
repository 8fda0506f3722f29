/* test_personal.c - the personal example folder and mixing it into training: the default folder
 * follows XDG_DATA_HOME then HOME; a missing folder is an empty set; add -> load round trips;
 * the label file is the commit point (extra images ignored, missing images an error); removal;
 * bad labels refused; dataset_concat and the repeat factor (on average at least one personal
 * example per batch of 64, checked by sampling). Then nothing is lost on a crash: a child adds
 * examples over and over and is killed with SIGKILL at random moments, hundreds of times; after
 * each kill the folder loads, holds every add the child had reported done, and each example is
 * exactly the one added at that position. */
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "dataset.h"
#include "idx.h"
#include "personal.h"

#define KILLS 200

/* Example i of the deterministic sequence: label i % 10, pixels from i. */
static void example(int i, uint8_t img[784]) {
    for (int p = 0; p < 784; p++) img[p] = (uint8_t)((i * 131 + p * 7) & 0xff);
}

static int is_sequence(const Dataset *ds) {
    uint8_t img[784];
    for (int i = 0; i < ds->n; i++) {
        example(i, img);
        if (ds->y[i] != i % 10 || memcmp(ds->x + (size_t)i * 784, img, 784) != 0) return 0;
    }
    return 1;
}

static void rm_rf(const char *dir) {
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[1200];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
            rm_rf(p);
        else
            unlink(p);
    }
    if (d) closedir(d);
    rmdir(dir);
}

static void write_file(const char *path, const void *buf, size_t len) {
    FILE *f = fopen(path, "wb");
    if (f) {
        fwrite(buf, 1, len, f);
        fclose(f);
    }
}

int main(void) {
    char err[ERR_LEN], root[] = "/tmp/digitrec_personal_XXXXXX";
    CHECK(mkdtemp(root) != NULL, "mkdtemp");
    char dir[600];

    /* a folder that does not exist yet: an empty set */
    snprintf(dir, sizeof dir, "%s/deep/er/personal", root);
    Dataset ds;
    CHECK(personal_load(dir, &ds, err) == 0 && ds.n == 0, "missing folder = empty: %s", err);

    /* add three; the folder and its parents appear; load gives them back */
    uint8_t img[784];
    for (int i = 0; i < 3; i++) {
        example(i, img);
        CHECK(personal_add(dir, &ds, img, i % 10, err) == 0, "add %d: %s", i, err);
    }
    Dataset back;
    CHECK(personal_load(dir, &back, err) == 0 && back.n == 3 && is_sequence(&back), "round trip: %s", err);
    CHECK(back.rows == 28 && back.cols == 28 && back.d == 784 && !strcmp(back.name, "personal"), "28x28 'personal'");
    /* the files are plain MNIST-layout IDX */
    char ip[1300], lp[1300];
    snprintf(ip, sizeof ip, "%s/%s", dir, PERSONAL_IMAGES);
    snprintf(lp, sizeof lp, "%s/%s", dir, PERSONAL_LABELS);
    IdxImages im;
    IdxLabels lb;
    CHECK(idx_load_images(ip, &im, err) == 0 && im.n == 3, "images file: %s", err);
    CHECK(idx_load_labels(lp, 10, &lb, err) == 0 && lb.n == 3 && lb.labels[2] == 2, "labels file: %s", err);
    idx_images_free(&im);
    idx_labels_free(&lb);
    dataset_free(&back);

    /* bad labels are refused and change nothing */
    CHECK(personal_add(dir, &ds, img, 10, err) == -1 && ds.n == 3, "label 10 refused: %s", err);
    CHECK(personal_add(dir, &ds, img, -1, err) == -1 && ds.n == 3, "label -1 refused");

    /* the commit point: an image file with an extra image (an unfinished add) loads 3 */
    {
        Dataset four = {0};
        dataset_subset(&ds, 3, &four, err);
        example(3, img);
        personal_append(&four, img, 3, err);
        IdxImages i4 = {four.n, 28, 28, four.x};
        uint8_t *enc;
        size_t len;
        idx_encode_images(&i4, &enc, &len, err);
        write_file(ip, enc, len);
        free(enc);
        CHECK(personal_load(dir, &back, err) == 0 && back.n == 3 && is_sequence(&back), "uncommitted image ignored");
        dataset_free(&back);
        /* and the next add writes a consistent pair again */
        CHECK(personal_add(dir, &ds, img, 3, err) == 0, "%s", err);
        CHECK(personal_load(dir, &back, err) == 0 && back.n == 4 && is_sequence(&back), "four after the next add");
        dataset_free(&back);
        dataset_free(&four);
    }
    /* fewer images than labels, or another image size: errors, not a crash */
    {
        Dataset two = {0};
        dataset_subset(&ds, 2, &two, err);
        IdxImages i2 = {2, 28, 28, two.x};
        uint8_t *enc;
        size_t len;
        idx_encode_images(&i2, &enc, &len, err);
        write_file(ip, enc, len);
        free(enc);
        CHECK(personal_load(dir, &back, err) == -1 && strstr(err, "at least as many"), "too few images: %s", err);
        IdxImages small = {2, 10, 10, two.x};
        idx_encode_images(&small, &enc, &len, err);
        write_file(ip, enc, len);
        free(enc);
        CHECK(personal_load(dir, &back, err) == -1, "10x10 images refused: %s", err);
        write_file(ip, "junk", 4);
        CHECK(personal_load(dir, &back, err) == -1, "junk refused: %s", err);
        unlink(ip);
        CHECK(personal_load(dir, &back, err) == -1 && strstr(err, "no " PERSONAL_IMAGES), "labels without images: %s", err);
        dataset_free(&two);
        CHECK(personal_save(dir, &ds, 0, err) == 0, "rewrite: %s", err);
    }

    /* remove the last: 3 left; down to none removes the files; removing more is a no-op */
    CHECK(personal_remove_last(dir, &ds, err) == 0 && ds.n == 3, "removed one");
    CHECK(personal_load(dir, &back, err) == 0 && back.n == 3 && is_sequence(&back), "3 on disk");
    dataset_free(&back);
    for (int i = 0; i < 3; i++) personal_remove_last(dir, &ds, err);
    CHECK(ds.n == 0 && access(lp, F_OK) != 0 && access(ip, F_OK) != 0, "no examples, no files");
    CHECK(personal_remove_last(dir, &ds, err) == 1, "nothing more to remove");
    CHECK(personal_load(dir, &back, err) == 0 && back.n == 0, "empty again");
    dataset_free(&ds);

    /* input floats -> bytes */
    float in[784];
    for (int i = 0; i < 784; i++) in[i] = (float)i / 783.0f;
    in[0] = -1, in[1] = 2, in[2] = 0.5f;
    personal_from_input(img, in);
    CHECK(img[0] == 0 && img[1] == 255 && img[2] == 128 && img[783] == 255, "input to bytes");

    /* mixing: concat with repeats, and the repeat factor */
    Dataset base = {0}, mine = {0}, mix;
    base.n = 600, base.rows = base.cols = 28, base.d = 784, base.nclass = 10;
    snprintf(base.name, sizeof base.name, "mnist");
    base.x = calloc(600 * 784, 1);
    base.y = calloc(600, 1);
    for (int i = 0; i < 5; i++) {
        example(i, img);
        personal_append(&mine, img, i % 10, err);
    }
    CHECK(dataset_concat(&base, &mine, 3, &mix, err) == 0 && mix.n == 615 && !strcmp(mix.name, "mnist"), "600 + 3 x 5");
    int rep_ok = 1;
    for (int r = 0; r < 3; r++)
        for (int i = 0; i < 5; i++) {
            example(i, img);
            rep_ok &= mix.y[600 + r * 5 + i] == i % 10 && !memcmp(mix.x + (size_t)(600 + r * 5 + i) * 784, img, 784);
        }
    CHECK(rep_ok && mix.x[0] == 0, "the base, then the repeats in order");
    dataset_free(&mix);
    CHECK(dataset_concat(&base, NULL, 3, &mix, err) == 0 && mix.n == 600, "nothing to add");
    dataset_free(&mix);
    Dataset odd = mine;
    odd.rows = 14, odd.d = 392;
    CHECK(dataset_concat(&base, &odd, 1, &mix, err) == -1, "another image size refused: %s", err);
    CHECK(dataset_mix_repeat(60000, 0, 64) == 0, "no extra, no repeat");
    CHECK(dataset_mix_repeat(60000, 10, 64) == 96, "60000 + 10 mine: x%d", dataset_mix_repeat(60000, 10, 64));
    CHECK(dataset_mix_repeat(100, 1000, 64) == 1, "more mine than base: once");
    CHECK(dataset_mix_repeat(60000, 1, 1) == 953, "batch 1 counts as 64");
    CHECK(dataset_mix_repeat(60000000, 1, 64) == 10000, "capped");
    /* sampled: batches of 64 from 60000 + 7 x r hold at least one personal example on average */
    {
        int r = dataset_mix_repeat(60000, 7, 64), total = 60000 + 7 * r;
        Rng g;
        rng_seed(&g, 3);
        long hits = 0, batches = 20000;
        for (long b = 0; b < batches; b++)
            for (int k = 0; k < 64; k++) hits += rng_below(&g, (uint32_t)total) >= 60000;
        double mean = (double)hits / batches;
        CHECK(mean >= 1.0 && mean < 1.1, "%.3f personal examples per batch of 64 (x%d)", mean, r);
    }
    dataset_free(&base);
    dataset_free(&mine);

    /* SIGKILL during adds: every reported add survives, and only whole examples appear */
    char kdir[700];
    snprintf(kdir, sizeof kdir, "%s/kill", root);
    int survived = 0, mid = 0, maxn = 0, between = 0;
    Rng r;
    rng_seed(&r, (uint64_t)time(NULL));
    for (int k = 0; k < KILLS; k++) {
        int fds[2];
        if (pipe(fds) != 0) break;
        pid_t pid = fork();
        if (pid == 0) {
            close(fds[0]);
            Dataset cur;
            char e2[ERR_LEN];
            if (personal_load(kdir, &cur, e2) != 0) _exit(3);
            uint8_t im2[784];
            for (;;) {
                example(cur.n, im2);
                if (personal_add(kdir, &cur, im2, cur.n % 10, e2) != 0) _exit(4);
                int n = cur.n;
                if (write(fds[1], &n, sizeof n) != (ssize_t)sizeof n) _exit(5); /* reported only once saved */
                if (cur.n > 400) { /* keep the files small: start the sequence over */
                    while (cur.n > 0) personal_remove_last(kdir, &cur, e2);
                }
            }
        }
        close(fds[1]);
        /* the child's first saved add of this round, however slow the machine: then a random moment */
        int n, last = -1, progressed = read(fds[0], &n, sizeof n) == (ssize_t)sizeof n;
        if (progressed) last = n;
        usleep(300 + rng_below(&r, 20000));
        kill(pid, SIGKILL);
        int st;
        waitpid(pid, &st, 0);
        while (read(fds[0], &n, sizeof n) == (ssize_t)sizeof n) last = n;
        CHECK(progressed, "round %d: the child saved an example before the kill", k);
        close(fds[0]);
        if (WIFEXITED(st)) {
            CHECK(0, "the child failed on its own (status %d) at kill %d", WEXITSTATUS(st), k);
            break;
        }
        Dataset got;
        if (personal_load(kdir, &got, err) != 0) {
            CHECK(0, "after kill %d the folder does not load: %s", k, err);
            break;
        }
        int ok = is_sequence(&got);
        /* the child may have been removing (n drops to 0) or adding (n is the last report or one more) */
        int counted = last < 0 || got.n == last || got.n == last + 1 || (last > 400 && got.n <= last);
        CHECK(ok && counted, "after kill %d: %d examples, last reported %d, sequence %s", k, got.n, last, ok ? "ok" : "broken");
        survived += ok && counted;
        char kip[800];
        snprintf(kip, sizeof kip, "%s/%s", kdir, PERSONAL_IMAGES);
        IdxImages kim;
        if (got.n > 0 && idx_load_images(kip, &kim, err) == 0) {
            between += kim.n > got.n; /* killed between the image and the label write */
            idx_images_free(&kim);
        }
        mid += last >= 0 && got.n == last + 1;
        if (got.n > maxn) maxn = got.n;
        dataset_free(&got);
    }
    printf("SIGKILL during personal adds: %d/%d kills left every reported example (%d between the two writes, %d right "
           "after an unreported save, up to %d examples)\n", survived, KILLS, between, mid, maxn);
    CHECK(between > 0, "some kills landed between the image and the label write");
    CHECK(survived == KILLS, "every kill survived");
    /* every round adds at least one example to the folder the next round starts from */
    CHECK(maxn > 20, "the child got somewhere (%d examples)", maxn);

    rm_rf(root);
    return check_summary("test_personal");
}
