/* cli_places.c - how the command line uses places (src/session/places.h): the named data
 * folders at start-up, the one-line "no data" hint, and the window's default places handed on
 * as options. It decides no place itself. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "common.h"
#include "dataset.h"
#include "places.h"

void cli_places_init(void) {
    PlacesEnv env;
    places_env_from_process(&env);
    char mnist[PLACES_PATH_LEN], fashion[PLACES_PATH_LEN], err[ERR_LEN];
    places_fashion_dir(fashion, sizeof fashion, &env);
    if (places_mnist_dir(mnist, sizeof mnist, &env, NULL, err) != 0) mnist[0] = 0; /* keeps core's own */
    dataset_set_named_dirs(mnist, fashion);
}

/* 1 when dir holds at least one of the four files (raw or .gz). */
static int any_mnist_file(const char *dir) {
    static const char *names[] = {"train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte",
                                  "t10k-labels-idx1-ubyte"};
    for (int i = 0; i < 4; i++)
        for (int gz = 0; gz < 2; gz++) {
            char p[PLACES_PATH_LEN + 64];
            struct stat st;
            snprintf(p, sizeof p, "%s/%s%s", dir, names[i], gz ? ".gz" : "");
            if (stat(p, &st) == 0 && S_ISREG(st.st_mode)) return 1;
        }
    return 0;
}

int cli_check_data(const char *cmd, const char *data) {
    const char *dir = dataset_default_dir(data);
    struct stat st;
    if (!dir || !*dir) {
        fprintf(stderr, "digitrec %s: no data folder; get MNIST with `digitrec data fetch`, or pass --data DIR\n", cmd);
        return -1;
    }
    if (stat(dir, &st) != 0) {
        fprintf(stderr, "digitrec %s: no MNIST files in %s (no such folder); get them with `digitrec data fetch`, "
                        "or pass --data DIR\n", cmd, dir);
        return -1;
    }
    if (S_ISDIR(st.st_mode) && !any_mnist_file(dir)) {
        fprintf(stderr, "digitrec %s: no MNIST files in %s; get them with `digitrec data fetch`, or pass --data DIR\n",
                cmd, dir);
        return -1;
    }
    return 0; /* a file, or a folder with some files: dataset_load_dir says what is wrong */
}

/* 1 when argv holds the option name, as "--name" or "--name=...". */
static int has_option(int argc, char **argv, const char *name) {
    size_t n = strlen(name);
    for (int i = 1; i < argc; i++)
        if (!strncmp(argv[i], name, n) && (argv[i][n] == 0 || argv[i][n] == '=')) return 1;
    return 0;
}

int cli_window_argv(int argc, char **argv, char ***out) {
    *out = NULL;
    char **v = calloc((size_t)argc + 7, sizeof *v);
    if (!v) return argc;
    int k = 0;
    for (int i = 0; i < argc; i++) v[k++] = argv[i];
    *out = v;
    if (has_option(argc, argv, "--help") || has_option(argc, argv, "-h") || has_option(argc, argv, "--help-window"))
        return k;
    /* called once per process: the answers live as long as the window */
    static char model[PLACES_PATH_LEN], assets[PLACES_PATH_LEN], models_dir[PLACES_PATH_LEN];
    PlacesEnv env;
    places_env_from_process(&env);
    char err[ERR_LEN];
    if (!has_option(argc, argv, "--model") && !has_option(argc, argv, "--arch") &&
        places_default_model(model, sizeof model, &env, NULL, err) == 0) {
        v[k++] = "--model";
        v[k++] = model;
    }
    if (!has_option(argc, argv, "--assets") && places_assets_dir(assets, sizeof assets, &env, NULL, err) == 0) {
        v[k++] = "--assets";
        v[k++] = assets;
    }
    if (!has_option(argc, argv, "--models-dir") && places_models_dir(models_dir, sizeof models_dir, &env, NULL, err) == 0) {
        v[k++] = "--models-dir";
        v[k++] = models_dir;
    }
    return k;
}
