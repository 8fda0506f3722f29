/* test_settings.c - settings.json: a round trip of every field (text and file), corrupt and
 * truncated files, wrong types, unknown versions and absurd values (each ignored with one line,
 * the rest kept), atomic writes that fail without touching the old file, the .bad copy, the App's
 * values both ways, the command line winning, and a session that starts from settings (a last
 * model and data folder that are gone) and writes them back at close only when something changed. */
#include <dirent.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "common.h"
#include "optim.h"
#include "session.h"
#include "settings.h"
#include "startup.h"

/* Every field, none at its default. */
static void full_settings(Settings *s) {
    memset(s, 0, sizeof *s);
    s->have = SET_ALL;
    s->win_w = 1500, s->win_h = 930;
    s->scale = 1.75;
    snprintf(s->model, sizeof s->model, "/tmp/some where/\"quoted\" model.safetensors");
    snprintf(s->data, sizeof s->data, "/usr/share/datasets/fashion-mnist");
    snprintf(s->network, sizeof s->network, "784-256-32-10");
    s->opt = OPT_ADAM;
    s->lr = 0.0003;
    s->schedule = SCHED_COSINE;
    s->batch = 256;
    s->epochs = 37;
    s->seed = 4242;
    s->tab = TAB_INSIDE;
    s->saliency = 1, s->log_scale = 1, s->mix = 1;
    s->augment = 2;
}

static int one_line(const char *s) { return s[0] && !strchr(s, '\n') && strlen(s) < SETTINGS_NOTE_LEN; }

static SettingsState parse_str(const char *json, Settings *s, char *note) { return settings_parse(s, json, strlen(json), note); }

/* A valid file of three other fields plus `field` (a "key": value text): that field alone is
 * ignored, with a note naming it, and the other three are taken. */
static void expect_field_ignored(const char *field, const char *key, unsigned bit) {
    static const struct {
        const char *text;
        unsigned bit;
    } base[] = {{"\"lr\": 0.01", SET_LR}, {"\"epochs\": 3", SET_EPOCHS}, {"\"tab\": \"errors\"", SET_TAB},
                {"\"batch\": 16", SET_BATCH}};
    char json[1024], note[SETTINGS_NOTE_LEN];
    unsigned rest = 0;
    int used = 0;
    snprintf(json, sizeof json, "{\"version\": 1");
    for (int i = 0; i < 4 && used < 3; i++) {
        if (base[i].bit == bit) continue;
        snprintf(json + strlen(json), sizeof json - strlen(json), ", %s", base[i].text);
        rest |= base[i].bit;
        used++;
    }
    snprintf(json + strlen(json), sizeof json - strlen(json), ", %s}", field);
    Settings s;
    SettingsState r = parse_str(json, &s, note);
    CHECK(r == SETTINGS_PARTIAL, "%s: state %d", field, r);
    CHECK(!(s.have & bit), "%s: the field was taken", field);
    CHECK(strstr(note, key) && one_line(note), "%s: note \"%s\" does not name %s", field, note, key);
    CHECK((s.have & rest) == rest && (s.have & ~rest) == 0, "%s: the other fields (have %x, want %x)", field, s.have, rest);
    CHECK(!(rest & SET_LR) || s.lr == 0.01, "%s: lr", field);
    CHECK(!(rest & SET_EPOCHS) || s.epochs == 3, "%s: epochs", field);
    CHECK(!(rest & SET_TAB) || s.tab == TAB_ERRORS, "%s: tab", field);
    CHECK(!(rest & SET_BATCH) || s.batch == 16, "%s: batch", field);
}

static void expect_bad(const char *json, size_t len, const char *want, const char *what) {
    char note[SETTINGS_NOTE_LEN];
    Settings s;
    SettingsState r = settings_parse(&s, json, len, note);
    CHECK(r == SETTINGS_BAD && s.have == 0, "%s: state %d have %x", what, r, s.have);
    CHECK(one_line(note) && (!want || strstr(note, want)), "%s: note \"%s\" lacks \"%s\"", what, note, want ? want : "");
}

static int write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "wb");
    if (!f) return -1;
    size_t n = strlen(text), w = fwrite(text, 1, n, f);
    return fclose(f) == 0 && w == n ? 0 : -1;
}

static char *read_text(const char *path) {
    uint8_t *b = NULL;
    size_t n = 0;
    char err[ERR_LEN];
    if (file_read_all(path, &b, &n, err) != 0) return NULL;
    char *s = malloc(n + 1);
    if (s) memcpy(s, b, n), s[n] = 0;
    free(b);
    return s;
}

/* Files in dir other than the names given (NULL-terminated): temp files left behind. */
static int stray_files(const char *dir, const char *const *keep) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' && (!e->d_name[1] || (e->d_name[1] == '.' && !e->d_name[2]))) continue;
        int kept = 0;
        for (int i = 0; keep[i]; i++) kept |= !strcmp(e->d_name, keep[i]);
        if (!kept) {
            fprintf(stderr, "  stray file %s\n", e->d_name);
            n++;
        }
    }
    if (d) closedir(d);
    return n;
}

static void test_text(void) {
    char note[SETTINGS_NOTE_LEN];
    Settings a, b;
    full_settings(&a);
    for (int pretty = 0; pretty < 2; pretty++) {
        char *json = settings_to_json(&a, pretty);
        CHECK(json != NULL, "to_json");
        if (!json) return;
        CHECK(settings_parse(&b, json, strlen(json), note) == SETTINGS_OK && note[0] == 0, "round trip parses: %s", note);
        CHECK(settings_equal(&a, &b), "every field survives the round trip (%s)", json);
        CHECK(b.have == SET_ALL && b.win_w == 1500 && b.win_h == 930 && b.scale == 1.75 && b.lr == 0.0003 && b.seed == 4242 &&
                  b.opt == OPT_ADAM && b.tab == TAB_INSIDE && b.mix && b.saliency && b.log_scale && b.augment == 2 &&
                  !strcmp(b.model, a.model) && !strcmp(b.network, "784-256-32-10"),
              "values");
        CHECK(pretty || !strchr(json, '\n'), "the compact form is one line");

        /* truncated: every cut before the closing brace makes the whole file unusable */
        size_t len = strlen(json), close = (size_t)(strrchr(json, '}') - json);
        int bad = 0;
        for (size_t cut = 0; cut <= close; cut++) {
            Settings t;
            if (settings_parse(&t, json, cut, note) != SETTINGS_BAD || t.have != 0 || !one_line(note)) bad++;
        }
        CHECK(bad == 0, "%d of %zu truncations were not refused whole", bad, close + 1);
        CHECK(settings_parse(&b, json, len, note) == SETTINGS_OK, "the whole text still parses");
        free(json);
    }
    /* settings_equal sees each field */
    full_settings(&b);
    b.epochs++;
    CHECK(!settings_equal(&a, &b), "epochs differ");
    full_settings(&b);
    b.have &= ~(unsigned)SET_MIX;
    CHECK(!settings_equal(&a, &b), "a missing field differs");
    full_settings(&b);
    snprintf(b.data, sizeof b.data, "/elsewhere");
    CHECK(!settings_equal(&a, &b), "data differs");

    /* only what it has is written */
    Settings few = {0};
    few.have = SET_LR;
    few.lr = 0.5;
    char *json = settings_to_json(&few, 0);
    CHECK(json && !strcmp(json, "{\"version\":1,\"lr\":0.5}"), "only lr: %s", json ? json : "(null)");
    free(json);
}

static void test_bad_files(void) {
    const char *nan = "{\"version\": 1, \"lr\": NaN}";
    expect_bad(nan, strlen(nan), "not valid JSON", "a NaN literal");
    expect_bad("", 0, "not valid JSON", "empty");
    expect_bad("garbage", 7, "not valid JSON", "garbage");
    expect_bad("{\"version\": 1,}", 15, "not valid JSON", "a trailing comma");
    expect_bad("\xff\xfe{", 3, "not valid JSON", "binary");
    expect_bad("[1, 2]", 6, "not a JSON object", "a list");
    expect_bad("\"version\"", 9, "not a JSON object", "a string");
    expect_bad("{\"version\": 1} {}", 17, "text after", "two objects");
    expect_bad("{\"lr\": 0.1}", 11, "no \"version\"", "no version");
    expect_bad("{\"version\": 2, \"lr\": 0.1}", 25, "version 2", "version 2");
    expect_bad("{\"version\": \"1\"}", 16, "version a string", "version as a string");
    expect_bad("{\"version\": 1.5}", 16, "version 1.5", "version 1.5");
    char zero[] = "{\"version\": 1}\0\0garbage";
    expect_bad(zero, sizeof zero - 1, "text after", "garbage after a NUL");

    /* wrong types */
    expect_field_ignored("\"lr\": \"0.1\"", "lr", SET_LR);
    expect_field_ignored("\"epochs\": true", "epochs", SET_EPOCHS);
    expect_field_ignored("\"tab\": 2", "tab", SET_TAB);
    expect_field_ignored("\"saliency\": 1", "saliency", SET_SALIENCY);
    expect_field_ignored("\"mix\": \"yes\"", "mix", SET_MIX);
    expect_field_ignored("\"augment\": \"elastic\"", "augment", SET_AUGMENT);
    expect_field_ignored("\"augment\": true", "augment", SET_AUGMENT);
    expect_field_ignored("\"model\": 7", "model", SET_MODEL);
    expect_field_ignored("\"data\": [\"a\"]", "data", SET_DATA);
    expect_field_ignored("\"network\": {}", "network", SET_NETWORK);
    expect_field_ignored("\"batch\": null", "batch", SET_BATCH);
    expect_field_ignored("\"scale\": \"2\"", "scale", SET_SCALE);
    /* absurd values */
    expect_field_ignored("\"window_width\": 10, \"window_height\": 10", "window_width", SET_SIZE);
    expect_field_ignored("\"window_width\": 1280", "window_width", SET_SIZE);
    expect_field_ignored("\"window_width\": 1280.5, \"window_height\": 800", "window_width", SET_SIZE);
    expect_field_ignored("\"scale\": 99", "scale", SET_SCALE);
    expect_field_ignored("\"scale\": 0", "scale", SET_SCALE);
    expect_field_ignored("\"lr\": -1", "lr", SET_LR);
    expect_field_ignored("\"lr\": 0", "lr", SET_LR);
    expect_field_ignored("\"lr\": 1e999", "lr", SET_LR);
    expect_field_ignored("\"batch\": 0", "batch", SET_BATCH);
    expect_field_ignored("\"batch\": 64.5", "batch", SET_BATCH);
    expect_field_ignored("\"epochs\": 1e9", "epochs", SET_EPOCHS);
    expect_field_ignored("\"seed\": -5", "seed", SET_SEED);
    expect_field_ignored("\"tab\": \"sideways\"", "tab", SET_TAB);
    expect_field_ignored("\"optimizer\": \"sgdx\"", "optimizer", SET_OPT);
    expect_field_ignored("\"schedule\": \"linear\"", "schedule", SET_SCHED);
    expect_field_ignored("\"network\": \"785-10\"", "network", SET_NETWORK);
    expect_field_ignored("\"network\": \"784-0-10\"", "network", SET_NETWORK);
    expect_field_ignored("\"network\": \"conv8k9-fc10\"", "network", SET_NETWORK);
    expect_field_ignored("\"model\": \"\"", "model", SET_MODEL);

    /* several at once: still one line, every one named; unknown keys are no error */
    char note[SETTINGS_NOTE_LEN];
    Settings s;
    SettingsState r = parse_str("{\"version\":1,\"lr\":-1,\"batch\":\"x\",\"seed\":1e300,\"tab\":\"x\",\"future\":[1],\"epochs\":4}",
                                &s, note);
    CHECK(r == SETTINGS_PARTIAL && s.have == SET_EPOCHS && s.epochs == 4, "several ignored: %d %x", r, s.have);
    CHECK(one_line(note) && strstr(note, "lr") && strstr(note, "batch") && strstr(note, "seed") && strstr(note, "tab") &&
              !strstr(note, "future"),
          "the note names them all: %s", note);
    r = parse_str("{\"version\":1,\"something_new\":true}", &s, note);
    CHECK(r == SETTINGS_OK && s.have == 0 && !note[0], "an unknown key is skipped silently: %d %s", r, note);
}

static void test_files(const char *dir) {
    char path[600], note[SETTINGS_NOTE_LEN], err[ERR_LEN], bad[700];
    snprintf(path, sizeof path, "%s/cfg/digitrec/settings.json", dir);
    snprintf(bad, sizeof bad, "%s.bad", path);
    PlacesEnv env = {0};
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/cfg", dir);
    env.xdg_config_home = cfg;
    char where[700];
    CHECK(settings_path(where, sizeof where, &env, err) == 0 && !strcmp(where, path), "the path: %s", where);
    env.xdg_config_home = NULL;
    env.home = dir;
    CHECK(settings_path(where, sizeof where, &env, err) == 0 && strstr(where, "/.config/digitrec/settings.json"),
          "the fallback: %s", where);

    Settings a, b;
    CHECK(settings_load(path, &b, note) == SETTINGS_NONE && b.have == 0 && note[0] == 0, "a missing file is silent");
    full_settings(&a);
    CHECK(settings_save(path, &a, 0, err) == 0, "save (its folder made): %s", err);
    CHECK(settings_load(path, &b, note) == SETTINGS_OK && settings_equal(&a, &b), "the file round trip: %s", note);
    char *first = read_text(path);
    CHECK(first && first[strlen(first) - 1] == '\n' && strstr(first, "\"version\":\t1"), "a readable file: %s",
          first ? first : "(none)");
    char sub[650];
    snprintf(sub, sizeof sub, "%s/cfg/digitrec", dir);
    const char *only[] = {"settings.json", NULL};
    CHECK(stray_files(sub, only) == 0, "no temp file left");

    /* a write that fails half way (the file size limit) leaves the old file as it was */
    Settings big = a;
    snprintf(big.model, sizeof big.model, "%0900d", 7);
    struct rlimit old, small = {200, 200};
    getrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_IGN);
    small.rlim_max = old.rlim_max;
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0, "setrlimit");
    int rc = settings_save(path, &big, 0, err);
    setrlimit(RLIMIT_FSIZE, &old);
    CHECK(rc != 0 && one_line(err), "the write fails: %d %s", rc, err);
    char *after = read_text(path);
    CHECK(first && after && !strcmp(first, after), "the old file is byte-identical after the failure");
    CHECK(stray_files(sub, only) == 0, "no partial file left after the failure");
    free(after);

    /* a corrupt file: ignored whole, and kept as .bad when written over */
    CHECK(write_text(path, "{\"version\": 1, \"lr\": 0.1") == 0, "write corrupt");
    SettingsFile f;
    env.xdg_config_home = cfg;
    settings_open(&f, &env);
    CHECK(f.state == SETTINGS_BAD && f.values.have == 0 && one_line(f.note) && strstr(f.note, path), "open a corrupt file: %s",
          f.note);
    CHECK(settings_save(path, &a, 1, err) == 0, "save over it: %s", err);
    char *kept = read_text(bad);
    CHECK(kept && !strcmp(kept, "{\"version\": 1, \"lr\": 0.1"), "the corrupt file is kept as .bad");
    CHECK(settings_load(path, &b, note) == SETTINGS_OK && settings_equal(&a, &b), "and the new one is whole");
    free(kept);
    /* a folder where the file should be: the save fails, the folder stays */
    remove(path);
    mkdir(path, 0755);
    CHECK(settings_load(path, &b, note) == SETTINGS_BAD && strstr(note, "folder"), "a folder: %s", note);
    CHECK(settings_save(path, &a, 0, err) != 0, "cannot write over a folder");
    struct stat st;
    CHECK(stat(path, &st) == 0 && S_ISDIR(st.st_mode), "the folder is untouched");
    rmdir(path);
    remove(bad);
    free(first);
}

static void test_app_values(void) {
    static App a, b;
    char err[ERR_LEN];
    CHECK(app_init(&a, 1280, 800, err) == 0 && app_init(&b, 1280, 800, err) == 0, "app_init: %s", err);
    Settings s;
    full_settings(&s);
    settings_apply_app(&s, &a);
    CHECK(a.ctl.train.opt == OPT_ADAM && fabsf(a.ctl.train.lr - 0.0003f) < 1e-9f && a.ctl.train.batch == 256 &&
              a.ctl.train.epochs == 37 && a.ctl.train.seed == 4242 && a.ctl.train.schedule == SCHED_COSINE,
          "training settings applied");
    CHECK(a.tab == TAB_INSIDE && a.show_saliency && a.log_scale && a.mix, "tab and overlays applied");
    CHECK(a.arch == ARCH_CUSTOM && !strcmp(a.ctl.arch, "784-256-32-10"), "network applied: %s", a.ctl.arch);
    Settings back = {0};
    settings_from_app(&back, &a);
    CHECK(back.lr == 0.0003 && back.epochs == 37 && back.seed == 4242 && !strcmp(back.network, "784-256-32-10") &&
              back.tab == TAB_INSIDE && back.mix == 1,
          "read back from the app: lr %.17g network %s", back.lr, back.network);
    /* the preset sizes come back as the preset */
    Settings mlp = {0};
    mlp.have = SET_NETWORK;
    snprintf(mlp.network, sizeof mlp.network, "784-128-64-10");
    settings_apply_app(&mlp, &b);
    CHECK(b.arch == ARCH_MLP, "784-128-64-10 is the mlp preset");
    /* a Settings not from a file is checked again */
    Settings wild = {0};
    wild.have = SET_LR | SET_BATCH | SET_TAB | SET_OPT | SET_NETWORK;
    wild.lr = -3, wild.batch = 0, wild.tab = 9, wild.opt = 17;
    snprintf(wild.network, sizeof wild.network, "12-10");
    TrainConfig before = b.ctl.train;
    settings_apply_app(&wild, &b);
    CHECK(b.ctl.train.lr == before.lr && b.ctl.train.batch == before.batch && b.ctl.train.opt == before.opt &&
              b.tab == TAB_WEIGHTS && b.arch == ARCH_MLP,
          "out-of-range values skipped");
    app_free(&a);
    app_free(&b);
}

static void test_precedence(void) {
    SettingsFile f;
    memset(&f, 0, sizeof f);
    full_settings(&f.values);
    WindowOptions o;
    window_options_default(&o);
    window_options_settings(&o, &f);
    CHECK(o.settings == &f && o.w == 1500 && o.h == 930 && o.size_set && o.scale == 1.75, "size and scale from settings");
    CHECK(f.use.have == SET_ALL, "nothing given: all of it applies");
    window_options_default(&o);
    o.w = 1000, o.h = 700, o.size_set = 1;
    o.scale = 2;
    o.model = "/x.safetensors";
    o.data = "/d";
    o.seed_set = 1;
    o.tab_set = 1;
    o.mix = 1;
    o.saliency = 1;
    window_options_settings(&o, &f);
    CHECK(o.w == 1000 && o.h == 700 && o.scale == 2, "the command line's size and scale win");
    unsigned left = SET_NETWORK | SET_OPT | SET_LR | SET_SCHED | SET_BATCH | SET_EPOCHS | SET_LOG | SET_AUGMENT;
    CHECK(f.use.have == left, "what the command line gave is dropped: %x", f.use.have);
    CHECK(f.values.have == SET_ALL, "the file's own values stay");
    window_options_default(&o);
    o.arch = "softmax";
    window_options_settings(&o, &f);
    CHECK(!(f.use.have & SET_MODEL) && !(f.use.have & SET_NETWORK), "--arch: no last model, no network");
}

/* A session from settings: the last model and the data folder are gone (one line each), the
 * controls come from the settings; close writes them only when something changed. */
static void test_session(const char *dir) {
    char err[ERR_LEN], msg[1200], path[700];
    static App app;
    static Session s;
    snprintf(path, sizeof path, "%s/home/.config/digitrec/settings.json", dir);
    char home[600];
    snprintf(home, sizeof home, "%s/home", dir);
    mkdir(home, 0755);
    setenv("HOME", home, 1);
    unsetenv("XDG_CONFIG_HOME");
    unsetenv("XDG_DATA_HOME");
    setenv("DIGITREC_DATA", "/nonexistent/digitrec-data", 1);

    session_make_dirs_for(path);
    char *tbuf = NULL;
    size_t tlen = 0;
    FILE *trace = open_memstream(&tbuf, &tlen);
    CHECK(write_text(path, "{\"version\": 1, \"model\": \"/nonexistent/gone.safetensors\", \"data\": \"/nonexistent/old-data\","
                           " \"lr\": 0.02, \"epochs\": 7, \"batch\": 32, \"tab\": \"errors\", \"log_scale\": true}\n") == 0,
          "write settings");
    PlacesEnv env;
    places_env_from_process(&env);
    static SettingsFile f;
    settings_open(&f, &env);
    CHECK(f.state == SETTINGS_OK && !strcmp(f.path, path), "read: %d %s", f.state, f.note);
    WindowOptions o;
    window_options_default(&o);
    window_options_settings(&o, &f);
    CHECK(session_start(&s, &app, &o, trace, err) == 0, "start: %s", err);
    fflush(trace);
    CHECK(strstr(tbuf, "\"event\":\"settings\",\"state\":\"ok\"") && strstr(tbuf, "\"epochs\":7"), "the settings are traced");
    CHECK(fabsf(app.ctl.train.lr - 0.02f) < 1e-9f && app.ctl.train.epochs == 7 && app.ctl.train.batch == 32 &&
              app.tab == TAB_ERRORS && app.log_scale,
          "the settings are in the controls (lr %g epochs %d)", (double)app.ctl.train.lr, app.ctl.train.epochs);
    CHECK(strstr(tbuf, "gone.safetensors is gone: starting without it; the dataset folder /nonexistent/old-data"),
          "one line says the last model and the data folder are gone: %s", tbuf);
    CHECK(strcmp(s.baseline_name, "/nonexistent/gone.safetensors") != 0, "started without the gone model");
    char *before = read_text(path);
    CHECK(session_close(&s, msg, sizeof msg) >= 0, "close: %s", msg);
    fflush(trace);
    CHECK(strstr(tbuf, "\"event\":\"settings\",\"written\":true,\"kept_bad\":false"), "the write is traced");
    char *after = read_text(path);
    /* the model and data that are gone are no longer in effect: the file is rewritten without them */
    Settings b;
    char note[SETTINGS_NOTE_LEN];
    CHECK(settings_load(path, &b, note) == SETTINGS_OK && b.lr == 0.02 && b.epochs == 7 && b.tab == TAB_ERRORS &&
              !(b.have & SET_DATA) && !((b.have & SET_MODEL) && strstr(b.model, "gone")),
          "written back: have %x model %s", b.have, (b.have & SET_MODEL) ? b.model : "-");
    free(before);
    free(after);
    session_free(&s);
    app_free(&app);

    /* a run that changes nothing leaves a whole file as it is */
    settings_open(&f, &env);
    window_options_default(&o);
    window_options_settings(&o, &f);
    before = read_text(path);
    struct stat st0, st1;
    stat(path, &st0);
    CHECK(session_start(&s, &app, &o, NULL, err) == 0, "start: %s", err);
    CHECK(session_close(&s, msg, sizeof msg) >= 0, "close");
    session_free(&s);
    app_free(&app);
    after = read_text(path);
    stat(path, &st1);
    CHECK(before && after && !strcmp(before, after) && st0.st_ino == st1.st_ino, "unchanged: not rewritten");
    free(before);
    free(after);

    /* a corrupt file: one line, the defaults; not overwritten by a run that changes nothing ... */
    const char *garbage = "{\"version\": 1, \"lr\": 0.5, oops";
    CHECK(write_text(path, garbage) == 0, "write garbage");
    settings_open(&f, &env);
    window_options_default(&o);
    window_options_settings(&o, &f);
    fseek(trace, 0, SEEK_SET);
    CHECK(session_start(&s, &app, &o, trace, err) == 0, "start with a corrupt file: %s", err);
    fflush(trace);
    CHECK(strstr(tbuf, "settings.json: not valid JSON (at byte") && strstr(tbuf, "\"state\":\"bad\""),
          "the status says so: %s", tbuf);
    CHECK(fabsf(app.ctl.train.lr - 0.5f) > 1e-6f, "nothing of it applied");
    CHECK(session_close(&s, msg, sizeof msg) >= 0, "close");
    session_free(&s);
    app_free(&app);
    after = read_text(path);
    char bad[720];
    snprintf(bad, sizeof bad, "%s.bad", path);
    CHECK(after && !strcmp(after, garbage) && access(bad, F_OK) != 0, "left as it is, no .bad yet");
    free(after);
    /* ... and kept as settings.json.bad once a setting changes */
    settings_open(&f, &env);
    window_options_default(&o);
    window_options_settings(&o, &f);
    CHECK(session_start(&s, &app, &o, NULL, err) == 0, "start: %s", err);
    app.ctl.train.epochs = 9;
    CHECK(session_close(&s, msg, sizeof msg) >= 0, "close");
    session_free(&s);
    app_free(&app);
    char *kept = read_text(bad);
    CHECK(kept && !strcmp(kept, garbage), "the corrupt file is kept as settings.json.bad");
    CHECK(settings_load(path, &b, note) == SETTINGS_OK && b.epochs == 9, "the new file holds the change: %s", note);
    free(kept);

    /* no settings (tests, --no-settings): nothing read, nothing written */
    remove(path);
    window_options_default(&o);
    CHECK(session_start(&s, &app, &o, NULL, err) == 0, "start: %s", err);
    app.ctl.train.epochs = 11;
    session_close(&s, msg, sizeof msg);
    session_free(&s);
    app_free(&app);
    CHECK(access(path, F_OK) != 0, "no settings: no file written");
    fclose(trace);
    free(tbuf);
}

int main(void) {
    char dir[] = "/tmp/digitrec_test_settings_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    test_text();
    test_bad_files();
    test_files(dir);
    test_app_values();
    test_precedence();
    test_session(dir);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir); /* dir came from mkdtemp */
    CHECK(system(cmd) == 0, "clean up");
    return check_summary("test_settings");
}
