/* cli_places.c - how the command line uses places (src/session/places.h): the named data
 * folders at start-up and the one-line "no data" hint. It decides no place itself. */
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
