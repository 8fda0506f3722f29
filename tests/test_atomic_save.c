/* test_atomic_save.c - nothing is lost on save: a child process saves two different models
 * to the same path over and over and is killed with SIGKILL at random moments, hundreds of
 * times; after every kill the file must load and be exactly one of the two models. A save to
 * a folder that cannot be written fails cleanly and leaves the old file intact. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "check.h"
#include "common.h"
#include "model_io.h"
#include "net.h"

#define KILLS 300

static int same(const Net *a, const Net *b) {
    return net_same_shape(a, b) && memcmp(a->params, b->params, a->nparams * sizeof(float)) == 0;
}

int main(void) {
    char err[ERR_LEN], dir[] = "/tmp/digitrec_atomic_XXXXXX";
    CHECK(mkdtemp(dir) != NULL, "mkdtemp");
    char path[512];
    snprintf(path, sizeof path, "%s/model.safetensors", dir);
    int sizes[] = {784, 128, 64, 10};
    Net a, b;
    net_create(&a, sizes, 3, BIAS_NEURON, 0, err);
    net_create(&b, sizes, 3, BIAS_NEURON, 0, err);
    net_init_he(&a, 1);
    net_init_he(&b, 2);
    ModelMeta meta = {0};
    CHECK(model_save(path, &a, &meta, err) == 0, "%s", err);

    Rng r;
    rng_seed(&r, (uint64_t)time(NULL));
    int survived = 0, as_a = 0, as_b = 0;
    for (int k = 0; k < KILLS; k++) {
        pid_t pid = fork();
        if (pid == 0) {
            for (int i = 0;; i++) model_save(path, i % 2 ? &a : &b, &meta, NULL);
        }
        usleep(200 + rng_below(&r, 15000));
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        Net got = {0};
        if (model_load(path, &got, NULL, err) != 0) {
            CHECK(0, "after kill %d the model does not load: %s", k, err);
            break;
        }
        int isa = same(&got, &a), isb = same(&got, &b);
        CHECK(isa || isb, "after kill %d the file is neither the old nor the new model", k);
        survived += isa || isb;
        as_a += isa;
        as_b += isb;
        net_free(&got);
    }
    printf("SIGKILL during save: %d/%d kills left a complete model (%d old, %d new)\n", survived, KILLS, as_a, as_b);
    CHECK(as_a > 0 && as_b > 0, "kills landed during both saves (a %d, b %d)", as_a, as_b);

    /* leftovers from killed saves are temp files only, never the target */
    DIR *d = opendir(dir);
    struct dirent *e;
    int others = 0;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || strcmp(e->d_name, "model.safetensors") == 0) continue;
        others += strstr(e->d_name, ".tmp") == NULL;
        char p2[1024];
        snprintf(p2, sizeof p2, "%s/%s", dir, e->d_name);
        unlink(p2);
    }
    if (d) closedir(d);
    CHECK(others == 0, "only temp files are left by killed saves");

    /* a save that cannot write (read-only folder as non-root, or a path into a missing folder)
       fails with a message and the old file stays */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/missing/dir/model.safetensors", dir);
    CHECK(model_save(bad, &a, &meta, err) != 0 && strlen(err) > 0, "save into a missing folder fails");
    Net got = {0};
    CHECK(model_load(path, &got, NULL, err) == 0, "old model intact: %s", err);
    net_free(&got);
    unlink(path);
    rmdir(dir);
    net_free(&a);
    net_free(&b);
    return check_summary("atomic_save");
}
