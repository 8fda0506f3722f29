/* places.c - answers "where is X" from a PlacesEnv and what is on the disk (see places.h). It
 * only stats and reads /proc/self/exe; it creates no folder and reads no file's contents. */
#include "places.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

#define DEFAULT_DATA_DIRS "/usr/local/share:/usr/share"
#define FASHION_FALLBACK "/usr/share/datasets/fashion-mnist"

/* Formats into out (n bytes); -1 with err when it does not fit (out then holds nothing useful). */
static int put(char *out, size_t n, char *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

static int put(char *out, size_t n, char *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(out, n, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= n) {
        if (n) out[0] = 0;
        return err_set(err, "path too long");
    }
    return 0;
}

/* Copies s into out (n bytes) when it fits; -1 with err otherwise, out untouched. */
static int copy_out(char *out, size_t n, const char *s, char *err) {
    size_t len = strlen(s);
    if (len >= n) return err_set(err, "path too long: %.80s...", s);
    memcpy(out, s, len + 1);
    return 0;
}

static int set(const char *s) { return s && *s; }
static int absolute(const char *s) { return s && s[0] == '/'; }

static int is_dir(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

static int is_file(const char *p) {
    struct stat st;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

/* 1 when dir/name is a folder (kind 'd') or a regular file (kind 'f'). */
static int has(const char *dir, const char *name, char kind) {
    char p[PLACES_PATH_LEN];
    int w = snprintf(p, sizeof p, "%s/%s", dir, name);
    if (w < 0 || (size_t)w >= sizeof p) return 0;
    return kind == 'd' ? is_dir(p) : is_file(p);
}

/* Writes the folder two levels above the binary (exe /p/bin/digitrec -> /p) into out
 * (PLACES_PATH_LEN bytes). Returns 0, or -1 when the binary's path is unknown. */
static int exe_prefix(char *out, const PlacesEnv *env) {
    if (!absolute(env->exe)) return -1;
    snprintf(out, PLACES_PATH_LEN, "%s", env->exe);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(out, '/');
        if (!slash) return -1;
        if (slash == out) {
            out[1] = 0; /* the root stays the root */
        } else {
            *slash = 0;
        }
    }
    return 0;
}

void places_env_from_process(PlacesEnv *env) {
    memset(env, 0, sizeof *env);
    env->home = getenv("HOME");
    env->xdg_data_home = getenv("XDG_DATA_HOME");
    env->xdg_config_home = getenv("XDG_CONFIG_HOME");
    env->xdg_data_dirs = getenv("XDG_DATA_DIRS");
    env->share = getenv("DIGITREC_SHARE");
    env->data = getenv("DIGITREC_DATA");
    ssize_t len = readlink("/proc/self/exe", env->exe, sizeof env->exe - 1);
    env->exe[len > 0 ? len : 0] = 0;
    if (len >= (ssize_t)sizeof env->exe - 1) env->exe[0] = 0; /* possibly cut: unknown */
}

int places_source_tree(char *out, size_t n, const PlacesEnv *env) {
    char p[PLACES_PATH_LEN];
    if (exe_prefix(p, env) != 0) return 0;
    if (!has(p, "CMakeLists.txt", 'f') || !has(p, "src/core", 'd') || !has(p, "models", 'd') ||
        !has(p, "assets", 'd'))
        return 0;
    if (strlen(p) >= n) return 0;
    memcpy(out, p, strlen(p) + 1);
    return 1;
}

/* Calls fn(dir, ud) for each absolute entry of $XDG_DATA_DIRS (or its default) until it
 * returns non-zero; returns that value, or 0. */
static int each_data_dir(const PlacesEnv *env, int (*fn)(const char *dir, void *ud), void *ud) {
    const char *s = set(env->xdg_data_dirs) ? env->xdg_data_dirs : DEFAULT_DATA_DIRS;
    while (*s) {
        const char *e = strchr(s, ':');
        size_t len = e ? (size_t)(e - s) : strlen(s);
        if (len > 0 && len < PLACES_PATH_LEN && s[0] == '/') {
            char d[PLACES_PATH_LEN];
            memcpy(d, s, len);
            d[len] = 0;
            while (len > 1 && d[len - 1] == '/') d[--len] = 0;
            int r = fn(d, ud);
            if (r) return r;
        }
        if (!e) break;
        s = e + 1;
    }
    return 0;
}

typedef struct {
    char *out;
    size_t n;
    char tried[600];
} ShareSearch;

/* Appends a searched place to the list in the error message (dropped once it is full). */
static void tried_add(ShareSearch *s, const char *p) {
    size_t l = strlen(s->tried);
    if (l + strlen(p) + 3 < sizeof s->tried) snprintf(s->tried + l, sizeof s->tried - l, "%s%s", l ? ", " : "", p);
}

static int share_in_data_dir(const char *dir, void *ud) {
    ShareSearch *s = ud;
    char p[PLACES_PATH_LEN];
    if (snprintf(p, sizeof p, "%s/digitrec", dir) >= (int)sizeof p) return 0;
    if (has(p, "models", 'd') && strlen(p) < s->n) {
        memcpy(s->out, p, strlen(p) + 1);
        return 1;
    }
    tried_add(s, p);
    return 0;
}

int places_share_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err) {
    if (set(explicit_dir)) {
        if (!is_dir(explicit_dir)) return err_set(err, "shared data folder %s: no such folder", explicit_dir);
        return copy_out(out, n, explicit_dir, err);
    }
    if (set(env->share)) {
        if (!is_dir(env->share)) return err_set(err, "DIGITREC_SHARE=%s: no such folder", env->share);
        return copy_out(out, n, env->share, err);
    }
    ShareSearch s = {out, n, ""};
    char prefix[PLACES_PATH_LEN], p[PLACES_PATH_LEN + 32];
    if (exe_prefix(prefix, env) == 0) {
        snprintf(p, sizeof p, "%s/share/digitrec", strcmp(prefix, "/") ? prefix : "");
        if (has(p, "models", 'd')) return copy_out(out, n, p, err);
        tried_add(&s, p);
        if (places_source_tree(p, sizeof p, env)) return copy_out(out, n, p, err);
    }
    if (each_data_dir(env, share_in_data_dir, &s)) return 0;
    return err_set(err, "no digitrec shared folder (models/) found; set DIGITREC_SHARE; tried %s", s.tried);
}

int places_default_model(char *out, size_t n, const PlacesEnv *env, const char *share_explicit, char *err) {
    char share[PLACES_PATH_LEN], p[PLACES_PATH_LEN + 32];
    if (places_share_dir(share, sizeof share, env, share_explicit, err) != 0) return -1;
    snprintf(p, sizeof p, "%s/models/cnn.safetensors", share); /* the most accurate first */
    if (is_file(p)) return copy_out(out, n, p, err);
    snprintf(p, sizeof p, "%s/models/mlp.safetensors", share);
    if (!is_file(p)) return err_set(err, "no shipped model: %.200s is missing", p);
    return copy_out(out, n, p, err);
}

int places_assets_dir(char *out, size_t n, const PlacesEnv *env, const char *share_explicit, char *err) {
    char share[PLACES_PATH_LEN];
    if (places_share_dir(share, sizeof share, env, share_explicit, err) != 0) return -1;
    return put(out, n, err, "%s/assets", share);
}

int places_fetch_script(char *out, size_t n, const PlacesEnv *env, char *err) {
    char share[PLACES_PATH_LEN], p[PLACES_PATH_LEN + 32], e2[ERR_LEN];
    if (places_share_dir(share, sizeof share, env, NULL, e2) == 0) {
        snprintf(p, sizeof p, "%s/fetch_mnist.sh", share);
        if (is_file(p)) return copy_out(out, n, p, err);
        snprintf(p, sizeof p, "%s/scripts/fetch_mnist.sh", share);
        if (is_file(p)) return copy_out(out, n, p, err);
    }
    if (places_source_tree(share, sizeof share, env)) {
        snprintf(p, sizeof p, "%s/scripts/fetch_mnist.sh", share);
        if (is_file(p)) return copy_out(out, n, p, err);
    }
    return err_set(err, "fetch_mnist.sh not found in the shared folder (%.180s)",
                   places_share_dir(share, sizeof share, env, NULL, e2) == 0 ? share : e2);
}

int places_user_data_dir(char *out, size_t n, const PlacesEnv *env, char *err) {
    if (absolute(env->xdg_data_home)) return put(out, n, err, "%s/digitrec", env->xdg_data_home);
    if (set(env->home)) return put(out, n, err, "%s/.local/share/digitrec", env->home);
    return err_set(err, "neither HOME nor XDG_DATA_HOME is set: no folder for your files");
}

int places_config_dir(char *out, size_t n, const PlacesEnv *env, char *err) {
    if (absolute(env->xdg_config_home)) return put(out, n, err, "%s/digitrec", env->xdg_config_home);
    if (set(env->home)) return put(out, n, err, "%s/.config/digitrec", env->home);
    return err_set(err, "neither HOME nor XDG_CONFIG_HOME is set: no folder for settings");
}

/* explicit_dir, else <user data>/sub. */
static int user_sub(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, const char *sub, char *err) {
    if (set(explicit_dir)) return copy_out(out, n, explicit_dir, err);
    char d[PLACES_PATH_LEN];
    if (places_user_data_dir(d, sizeof d, env, err) != 0) return -1;
    return put(out, n, err, "%s/%s", d, sub);
}

int places_models_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err) {
    return user_sub(out, n, env, explicit_dir, "models", err);
}

int places_exports_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err) {
    return user_sub(out, n, env, explicit_dir, "exports", err);
}

int places_personal_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err) {
    return user_sub(out, n, env, explicit_dir, "personal", err);
}

int places_mnist_fetch_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err) {
    if (set(explicit_dir)) return copy_out(out, n, explicit_dir, err);
    if (set(env->data)) return copy_out(out, n, env->data, err);
    return user_sub(out, n, env, NULL, "mnist", err);
}

int places_has_mnist(const char *dir) {
    return dir && *dir && (has(dir, "train-images-idx3-ubyte", 'f') || has(dir, "train-images-idx3-ubyte.gz", 'f'));
}

typedef struct {
    char *out;
    size_t n;
} FashionSearch;

static int fashion_in_data_dir(const char *dir, void *ud) {
    FashionSearch *s = ud;
    char p[PLACES_PATH_LEN];
    if (snprintf(p, sizeof p, "%s/datasets/fashion-mnist", dir) >= (int)sizeof p || !is_dir(p) || strlen(p) >= s->n)
        return 0;
    memcpy(s->out, p, strlen(p) + 1);
    return 1;
}

int places_fashion_dir(char *out, size_t n, const PlacesEnv *env) {
    FashionSearch s = {out, n};
    if (each_data_dir(env, fashion_in_data_dir, &s)) return 0;
    snprintf(out, n, "%s", FASHION_FALLBACK);
    return 0;
}

static int is_fashion_name(const char *s) {
    return !strcasecmp(s, "fashion-mnist") || !strcasecmp(s, "fashion") || !strcasecmp(s, "fashion_mnist");
}

int places_mnist_dir(char *out, size_t n, const PlacesEnv *env, const char *explicit_dir, char *err) {
    if (set(explicit_dir)) {
        if (is_dir(explicit_dir)) return copy_out(out, n, explicit_dir, err);
        if (is_fashion_name(explicit_dir)) return places_fashion_dir(out, n, env);
        if (strcasecmp(explicit_dir, "mnist") != 0) return copy_out(out, n, explicit_dir, err);
        /* "mnist": the default chain */
    }
    if (set(env->data)) return copy_out(out, n, env->data, err);
    char user[PLACES_PATH_LEN], src[PLACES_PATH_LEN], clone[PLACES_PATH_LEN + 16];
    int have_user = user_sub(user, sizeof user, env, NULL, "mnist", NULL) == 0;
    int have_clone = places_source_tree(src, sizeof src, env);
    if (have_clone) snprintf(clone, sizeof clone, "%s/data/mnist", src);
    if (have_user && places_has_mnist(user)) return copy_out(out, n, user, err);
    if (have_clone && places_has_mnist(clone)) return copy_out(out, n, clone, err);
    if (have_user) return copy_out(out, n, user, err);
    if (have_clone) return copy_out(out, n, clone, err);
    return err_set(err, "neither HOME nor XDG_DATA_HOME is set: no folder for MNIST (use --data DIR)");
}
