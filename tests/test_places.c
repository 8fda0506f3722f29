/* test_places.c - where digitrec looks, on fake trees in a temp folder with hand-made
 * environments: an installed prefix (<exe>/../share/digitrec), a clone's build folder, the XDG
 * data folders, explicit options and the DIGITREC_* overrides in their order; the user's data,
 * config, models, exports and personal folders; MNIST's chain (the names mnist and
 * fashion-mnist, $DIGITREC_DATA, the user's folder when it holds the files, the clone's); every
 * failure a -1 with a message and the output untouched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "places.h"

static char root[] = "/tmp/digitrec_test_places_XXXXXX";
static char P[64][PLACES_PATH_LEN];
static int np;

/* root/rel, kept in a static slot so tests can hold several at once. */
static const char *at(const char *rel) {
    char *p = P[np++ % 64];
    snprintf(p, PLACES_PATH_LEN, "%s/%s", root, rel);
    return p;
}

static void mkdirs(const char *rel) {
    char p[PLACES_PATH_LEN];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    for (char *s = p + strlen(root) + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            mkdir(p, 0777);
            *s = '/';
        }
    mkdir(p, 0777);
}

static void touch(const char *rel) {
    char dir[PLACES_PATH_LEN];
    snprintf(dir, sizeof dir, "%s", rel);
    char *slash = strrchr(dir, '/');
    if (slash) {
        *slash = 0;
        mkdirs(dir);
    }
    FILE *f = fopen(at(rel), "w");
    if (f) {
        fputs("x", f);
        fclose(f);
    }
}

/* An environment with nothing set but the binary's path (under root). */
static PlacesEnv env_at(const char *exe_rel) {
    PlacesEnv e;
    memset(&e, 0, sizeof e);
    if (exe_rel) snprintf(e.exe, sizeof e.exe, "%s/%s", root, exe_rel);
    e.xdg_data_dirs = at("nodirs"); /* keeps the real /usr/share out unless a test wants it */
    return e;
}

static void test_share(void) {
    char out[PLACES_PATH_LEN], err[ERR_LEN];
    PlacesEnv e = env_at("inst/bin/digitrec");
    CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("inst/share/digitrec")),
          "installed: <exe>/../share/digitrec: %s", out);
    CHECK(places_source_tree(out, sizeof out, &e) == 0, "an installed prefix is not a source tree");

    CHECK(places_share_dir(out, sizeof out, &e, at("other"), err) == 0 && !strcmp(out, at("other")),
          "an explicit folder wins: %s", out);
    strcpy(out, "untouched");
    CHECK(places_share_dir(out, sizeof out, &e, at("missing"), err) == -1 && strstr(err, "missing") &&
              !strcmp(out, "untouched"),
          "a missing explicit folder is an error: %s", err);
    e.share = at("other");
    CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("other")),
          "$DIGITREC_SHARE comes before the binary's prefix: %s", out);
    e.share = at("nowhere");
    CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == -1 && strstr(err, "DIGITREC_SHARE"),
          "a missing $DIGITREC_SHARE is an error, not skipped: %s", err);
    e.share = "";
    CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("inst/share/digitrec")),
          "an empty $DIGITREC_SHARE is unset");

    e = env_at("clone/build/digitrec");
    CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("clone")),
          "a clone's build/digitrec uses the source tree: %s", out);
    CHECK(places_source_tree(out, sizeof out, &e) == 1 && !strcmp(out, at("clone")), "source tree %s", out);
    e = env_at("notaclone/build/digitrec");
    CHECK(places_source_tree(out, sizeof out, &e) == 0, "models/ and assets/ alone do not make a source tree");

    /* nothing beside the binary: the XDG data folders, in order, absolute ones only */
    e = env_at("loose/digitrec");
    char dirs[3 * PLACES_PATH_LEN];
    snprintf(dirs, sizeof dirs, "relative/xdg::%s:%s/", at("xdg0"), at("xdg1"));
    e.xdg_data_dirs = dirs;
    CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("xdg1/digitrec")),
          "the first XDG data folder holding digitrec/models (xdg0 has none): %s", out);
    e.exe[0] = 0;
    CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("xdg1/digitrec")),
          "an unknown binary path goes straight to XDG: %s", out);
    e.xdg_data_dirs = at("xdg0");
    strcpy(out, "untouched");
    CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == -1 && strstr(err, "DIGITREC_SHARE") &&
              strstr(err, "xdg0/digitrec") && !strcmp(out, "untouched"),
          "nothing found: one line naming what was tried: %s", err);
    /* the default XDG_DATA_DIRS is /usr/local/share:/usr/share */
    e.xdg_data_dirs = NULL;
    struct stat st;
    if (stat("/usr/share/digitrec/models", &st) != 0 && stat("/usr/local/share/digitrec/models", &st) != 0)
        CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == -1 && strstr(err, "/usr/local/share/digitrec") &&
                  strstr(err, "/usr/share/digitrec"),
              "default XDG_DATA_DIRS searched: %s", err);
    else
        CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == 0 && strstr(out, "share/digitrec"),
              "an installed copy in /usr[/local]/share is found: %s", out);
    /* a binary at the root of the file system: /share/digitrec, never a crash */
    snprintf(e.exe, sizeof e.exe, "/digitrec");
    e.xdg_data_dirs = at("xdg1");
    CHECK(places_share_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("xdg1/digitrec")), "exe at /");

    e = env_at("inst/bin/digitrec");
    CHECK(places_share_dir(out, 8, &e, NULL, err) == -1 && strstr(err, "too long"), "a short buffer: %s", err);
}

static void test_shipped_files(void) {
    char out[PLACES_PATH_LEN], err[ERR_LEN];
    PlacesEnv e = env_at("inst/bin/digitrec");
    CHECK(places_default_model(out, sizeof out, &e, NULL, err) == 0 &&
              !strcmp(out, at("inst/share/digitrec/models/mlp.safetensors")),
          "default model installed: %s", out);
    CHECK(places_assets_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("inst/share/digitrec/assets")),
          "assets installed: %s", out);
    CHECK(places_fetch_script(out, sizeof out, &e, err) == 0 && !strcmp(out, at("inst/share/digitrec/fetch_mnist.sh")),
          "fetch script installed: %s", out);
    strcpy(out, "untouched");
    CHECK(places_default_model(out, sizeof out, &e, at("other"), err) == -1 && strstr(err, "no shipped model") &&
              !strcmp(out, "untouched"),
          "a shared folder without the model: %s", err);
    CHECK(places_fetch_script(out, sizeof out, &(PlacesEnv){.exe = "", .xdg_data_dirs = at("xdg1")}, err) == -1 &&
              strstr(err, "fetch_mnist.sh"),
          "no script: %s", err);

    e = env_at("clone/build/digitrec");
    CHECK(places_default_model(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("clone/models/mlp.safetensors")),
          "default model from a clone: %s", out);
    /* the CNN comes first once it is shipped beside the MLP */
    touch("clone/models/cnn.safetensors");
    CHECK(places_default_model(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("clone/models/cnn.safetensors")),
          "the CNN is the default when shipped: %s", out);
    remove(at("clone/models/cnn.safetensors"));
    CHECK(places_default_model(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("clone/models/mlp.safetensors")),
          "the MLP when the CNN is gone: %s", out);
    CHECK(places_fetch_script(out, sizeof out, &e, err) == 0 && !strcmp(out, at("clone/scripts/fetch_mnist.sh")),
          "fetch script from a clone: %s", out);
    e.share = at("xdg1/digitrec");
    CHECK(places_fetch_script(out, sizeof out, &e, err) == 0 && !strcmp(out, at("clone/scripts/fetch_mnist.sh")),
          "a shared folder without the script: the clone's: %s", out);
}

static void test_user_folders(void) {
    char out[PLACES_PATH_LEN], err[ERR_LEN];
    PlacesEnv e = env_at(NULL);
    e.home = "/home/u";
    CHECK(places_user_data_dir(out, sizeof out, &e, err) == 0 && !strcmp(out, "/home/u/.local/share/digitrec"), "%s", out);
    CHECK(places_config_dir(out, sizeof out, &e, err) == 0 && !strcmp(out, "/home/u/.config/digitrec"), "%s", out);
    CHECK(places_models_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, "/home/u/.local/share/digitrec/models"),
          "%s", out);
    CHECK(places_exports_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, "/home/u/.local/share/digitrec/exports"),
          "%s", out);
    CHECK(places_personal_dir(out, sizeof out, &e, NULL, err) == 0 &&
              !strcmp(out, "/home/u/.local/share/digitrec/personal"),
          "%s", out);
    CHECK(places_models_dir(out, sizeof out, &e, "/mine", err) == 0 && !strcmp(out, "/mine"), "explicit models dir");
    CHECK(places_exports_dir(out, sizeof out, &e, "/ex", err) == 0 && !strcmp(out, "/ex"), "explicit exports dir");
    CHECK(places_personal_dir(out, sizeof out, &e, "/pe", err) == 0 && !strcmp(out, "/pe"), "explicit personal dir");
    e.xdg_data_home = "/xdg/data";
    e.xdg_config_home = "/xdg/config";
    CHECK(places_user_data_dir(out, sizeof out, &e, err) == 0 && !strcmp(out, "/xdg/data/digitrec"), "%s", out);
    CHECK(places_config_dir(out, sizeof out, &e, err) == 0 && !strcmp(out, "/xdg/config/digitrec"), "%s", out);
    CHECK(places_personal_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, "/xdg/data/digitrec/personal"), "%s",
          out);
    e.xdg_data_home = "rel/data";
    e.xdg_config_home = "rel/config";
    CHECK(places_user_data_dir(out, sizeof out, &e, err) == 0 && !strcmp(out, "/home/u/.local/share/digitrec"),
          "a relative XDG_DATA_HOME is ignored: %s", out);
    CHECK(places_config_dir(out, sizeof out, &e, err) == 0 && !strcmp(out, "/home/u/.config/digitrec"),
          "a relative XDG_CONFIG_HOME is ignored: %s", out);
    e.home = "";
    strcpy(out, "untouched");
    CHECK(places_user_data_dir(out, sizeof out, &e, err) == -1 && strstr(err, "HOME") && !strcmp(out, "untouched"),
          "no HOME: %s", err);
    CHECK(places_config_dir(out, sizeof out, &e, err) == -1 && strstr(err, "HOME"), "no HOME: %s", err);
    CHECK(places_models_dir(out, sizeof out, &e, NULL, err) == -1 && !strcmp(out, "untouched"), "no HOME: models");
}

static void test_mnist(void) {
    char out[PLACES_PATH_LEN], err[ERR_LEN];
    PlacesEnv e = env_at("clone/build/digitrec");
    e.home = at("home_empty");
    /* user's folder empty, clone's full: the clone's */
    CHECK(places_mnist_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("clone/data/mnist")),
          "from a clone without the user's copy: %s", out);
    e.home = at("home_full");
    CHECK(places_mnist_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("home_full/.local/share/digitrec/mnist")),
          "the user's copy (what data fetch stores) comes first: %s", out);
    e.data = at("elsewhere");
    CHECK(places_mnist_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("elsewhere")),
          "$DIGITREC_DATA as it is: %s", out);
    CHECK(places_mnist_dir(out, sizeof out, &e, at("clone/data/mnist"), err) == 0 && !strcmp(out, at("clone/data/mnist")),
          "--data wins: %s", out);
    CHECK(places_mnist_dir(out, sizeof out, &e, "/no/such/folder", err) == 0 && !strcmp(out, "/no/such/folder"),
          "a missing --data folder is returned as is (loading names it)");
    CHECK(places_mnist_dir(out, sizeof out, &e, "MNIST", err) == 0 && !strcmp(out, at("elsewhere")),
          "the name mnist stands for the default chain: %s", out);
    char dirs[PLACES_PATH_LEN];
    snprintf(dirs, sizeof dirs, "%s:%s", at("xdg0"), at("xdg1"));
    e.xdg_data_dirs = dirs;
    CHECK(places_mnist_dir(out, sizeof out, &e, "fashion-mnist", err) == 0 &&
              !strcmp(out, at("xdg1/datasets/fashion-mnist")),
          "fashion-mnist: Debian's dataset folder under XDG_DATA_DIRS: %s", out);
    CHECK(places_fashion_dir(out, sizeof out, &e) == 0 && !strcmp(out, at("xdg1/datasets/fashion-mnist")), "%s", out);
    e.xdg_data_dirs = at("xdg0");
    CHECK(places_mnist_dir(out, sizeof out, &e, "fashion", err) == 0 && !strcmp(out, "/usr/share/datasets/fashion-mnist"),
          "fashion without the folder anywhere: Debian's path: %s", out);
    /* a folder named like a dataset wins over the name */
    char cwd[PLACES_PATH_LEN];
    CHECK(getcwd(cwd, sizeof cwd) != NULL && chdir(root) == 0, "chdir");
    mkdirs("mnist");
    CHECK(places_mnist_dir(out, sizeof out, &e, "mnist", err) == 0 && !strcmp(out, "mnist"), "an existing folder wins");
    CHECK(chdir(cwd) == 0, "chdir back");

    e.data = NULL;
    e.home = at("home_empty");
    e.xdg_data_home = NULL;
    PlacesEnv inst = env_at("inst/bin/digitrec");
    inst.home = e.home;
    CHECK(places_mnist_dir(out, sizeof out, &inst, NULL, err) == 0 && !strcmp(out, at("home_empty/.local/share/digitrec/mnist")),
          "installed, nothing fetched: the user's folder, where fetch puts it: %s", out);
    e.home = NULL;
    CHECK(places_mnist_dir(out, sizeof out, &e, NULL, err) == 0 && !strcmp(out, at("clone/data/mnist")),
          "no HOME, from a clone: the clone's: %s", out);
    inst.home = NULL;
    strcpy(out, "untouched");
    CHECK(places_mnist_dir(out, sizeof out, &inst, NULL, err) == -1 && strstr(err, "--data") && !strcmp(out, "untouched"),
          "no HOME and no clone: %s", err);

    /* where data fetch stores */
    inst.home = "/home/u";
    CHECK(places_mnist_fetch_dir(out, sizeof out, &inst, NULL, err) == 0 && !strcmp(out, "/home/u/.local/share/digitrec/mnist"),
          "fetch: %s", out);
    inst.xdg_data_home = "/x";
    CHECK(places_mnist_fetch_dir(out, sizeof out, &inst, NULL, err) == 0 && !strcmp(out, "/x/digitrec/mnist"), "fetch XDG");
    inst.data = "/d";
    CHECK(places_mnist_fetch_dir(out, sizeof out, &inst, NULL, err) == 0 && !strcmp(out, "/d"), "fetch: $DIGITREC_DATA");
    CHECK(places_mnist_fetch_dir(out, sizeof out, &inst, "/dir", err) == 0 && !strcmp(out, "/dir"), "fetch: --dir");

    CHECK(places_has_mnist(at("clone/data/mnist")) && places_has_mnist(at("gz")) && !places_has_mnist(at("home_empty")) &&
              !places_has_mnist(NULL) && !places_has_mnist(""),
          "has_mnist: raw, gzipped, absent");
}

static void test_process(void) {
    PlacesEnv e;
    places_env_from_process(&e);
    const char *home = getenv("HOME");
    size_t n = strlen(e.exe);
    CHECK(e.exe[0] == '/' && n > 12 && !strcmp(e.exe + n - 12, "/test_places"), "exe from /proc/self/exe: %s", e.exe);
    CHECK((home == NULL && e.home == NULL) || (home && e.home && !strcmp(home, e.home)), "HOME");
}

int main(void) {
    if (!mkdtemp(root)) {
        perror("mkdtemp");
        return 1;
    }
    touch("inst/bin/digitrec");
    touch("inst/share/digitrec/models/mlp.safetensors");
    touch("inst/share/digitrec/fetch_mnist.sh");
    touch("clone/CMakeLists.txt");
    mkdirs("clone/src/core");
    mkdirs("clone/assets/fonts");
    touch("clone/models/mlp.safetensors");
    touch("clone/scripts/fetch_mnist.sh");
    touch("clone/build/digitrec");
    touch("clone/data/mnist/train-images-idx3-ubyte");
    mkdirs("notaclone/models");
    mkdirs("notaclone/assets");
    touch("notaclone/build/digitrec");
    touch("loose/digitrec");
    mkdirs("other");
    mkdirs("elsewhere");
    mkdirs("xdg0/digitrec");
    mkdirs("xdg1/digitrec/models");
    mkdirs("xdg1/datasets/fashion-mnist");
    mkdirs("home_empty/.local/share/digitrec/mnist");
    touch("home_full/.local/share/digitrec/mnist/train-images-idx3-ubyte");
    touch("gz/train-images-idx3-ubyte.gz");

    test_share();
    test_shipped_files();
    test_user_folders();
    test_mnist();
    test_process();

    char cmd[PLACES_PATH_LEN + 16];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", root);
    return check_summary("test_places");
}
