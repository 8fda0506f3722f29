/* places.h - where digitrec's files are: the shared folder (shipped models, fonts, the fetch
 * script), the user's data and config folders, MNIST, and where models, exports and personal
 * examples go. Pure functions of a PlacesEnv that the caller fills (from the process or by hand
 * in tests); they look at the disk to choose but never create, write or print anything.
 *
 * The shared folder, in order: an explicit option; $DIGITREC_SHARE; <exe dir>/../share/digitrec
 * (an installed copy, any prefix); <exe dir>/.. when it is a source tree (build/digitrec run from
 * a clone); each of $XDG_DATA_DIRS (default /usr/local/share:/usr/share) + /digitrec. No path is
 * compiled in. MNIST: --data (or the names mnist / fashion-mnist), $DIGITREC_DATA,
 * $XDG_DATA_HOME/digitrec/mnist (default ~/.local/share/digitrec/mnist) when it holds the files,
 * the clone's data/mnist when it holds them, else the XDG folder (where `digitrec data fetch`
 * puts them). */
#ifndef DIGITREC_PLACES_H
#define DIGITREC_PLACES_H

#include <stddef.h>

#define PLACES_PATH_LEN 4096

/* The environment the answers depend on. NULL or "" means unset; XDG_* values that are not
 * absolute paths are ignored, as the XDG base directory specification asks. */
typedef struct {
    const char *home;            /* $HOME */
    const char *xdg_data_home;   /* $XDG_DATA_HOME */
    const char *xdg_config_home; /* $XDG_CONFIG_HOME */
    const char *xdg_data_dirs;   /* $XDG_DATA_DIRS, colon-separated */
    const char *share;           /* $DIGITREC_SHARE */
    const char *data;            /* $DIGITREC_DATA */
    char exe[PLACES_PATH_LEN];   /* absolute path of the running binary, "" when unknown */
} PlacesEnv;

/* Fills env from this process: the variables above through getenv (the pointers stay valid
 * while the environment is not changed) and exe from /proc/self/exe ("" if that cannot be
 * read). Never fails. */
void places_env_from_process(PlacesEnv *env);

/* Writes into out (n bytes) the shared folder, in the order given at the top. explicit_dir (may
 * be NULL) and $DIGITREC_SHARE must be existing folders when given; the searched places count
 * when they hold a models/ folder. Returns 0, or -1 with err listing what was tried (out
 * untouched). */
int places_share_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err);

/* The source tree the binary runs from: <exe dir>/.. when it holds CMakeLists.txt, src/core,
 * models/ and assets/. Returns 1 and writes it into out, or 0 (out untouched) when the binary
 * is not in a clone's build folder. */
int places_source_tree(char *out, size_t n, const PlacesEnv *env);

/* The shipped default recogniser, <share>/models/cnn.safetensors, or mlp.safetensors when the
 * CNN is not there (share as places_share_dir finds it, with share_explicit as its explicit
 * option). Returns 0 when one exists, else -1 with err. */
int places_default_model(char *out, size_t n, const PlacesEnv *env, const char *share_explicit, char *err);

/* <share>/assets, the bundled fonts' parent (assets/fonts/DejaVuSans.ttf). Returns 0 when the
 * shared folder is found (the assets folder itself may be absent: a package that uses the
 * system's fonts ships none), else -1 with err. */
int places_assets_dir(char *out, size_t n, const PlacesEnv *env, const char *share_explicit, char *err);

/* The MNIST fetch script: <share>/fetch_mnist.sh installed, <share>/scripts/fetch_mnist.sh in a
 * clone. Returns 0 when the file exists, else -1 with err. */
int places_fetch_script(char *out, size_t n, const PlacesEnv *env, char *err);

/* The user's data folder: $XDG_DATA_HOME/digitrec, else $HOME/.local/share/digitrec. Returns 0,
 * or -1 with err when neither HOME nor XDG_DATA_HOME is usable. */
int places_user_data_dir(char *out, size_t n, const PlacesEnv *env, char *err);

/* The user's config folder: $XDG_CONFIG_HOME/digitrec, else $HOME/.config/digitrec. Returns 0,
 * or -1 with err. */
int places_config_dir(char *out, size_t n, const PlacesEnv *env, char *err);

/* Where models are saved (the window's Ctrl+S and autosave, Ctrl+O's list): explicit_dir when
 * given, else <user data>/models. Returns 0, or -1 with err. */
int places_models_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err);

/* Where exports go: explicit_dir, else <user data>/exports. Returns 0, or -1 with err. */
int places_exports_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err);

/* The personal examples folder: explicit_dir, else <user data>/personal. Returns 0, or -1. */
int places_personal_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err);

/* The MNIST folder to read, in the order given at the top. explicit_dir may be a folder or one
 * of the names "mnist" (the default chain below it) and "fashion-mnist" / "fashion" /
 * "fashion_mnist" (places_fashion_dir); an existing folder of that name wins over the name.
 * The result need not exist: loading it says what is missing. Returns 0, or -1 with err when
 * no folder can be named at all (no HOME, no XDG_DATA_HOME, no clone). */
int places_mnist_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err);

/* Where `digitrec data fetch` stores MNIST: explicit_dir, else $DIGITREC_DATA (so what is
 * fetched is what is read), else <user data>/mnist. Returns 0, or -1 with err. */
int places_mnist_fetch_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err);

/* Fashion-MNIST as Debian's dataset-fashion-mnist installs it: the first of
 * $XDG_DATA_DIRS/datasets/fashion-mnist that exists, else /usr/share/datasets/fashion-mnist.
 * Never fails; returns 0. */
int places_fashion_dir(char *out, size_t n, const PlacesEnv *env);

/* 1 when dir holds MNIST's training images (train-images-idx3-ubyte, raw or .gz), else 0. */
int places_has_mnist(const char *dir);

#endif
