/* app.h - the window's state and logic without the window: synthetic events go in (mouse, keys,
 * text, resize, dropped files), a DrawList and RGBA images come out, and whatever needs the
 * worker, the disk or the environment is queued as an Action for src/session. No SDL, no file
 * access, no getenv here, so tests drive it headless. Text is measured through callbacks the
 * platform installs (an estimate otherwise).
 *
 * Inside src/app, files call downwards only: app.c (events, frame) -> the panels in view/
 * -> controls.c (the table of controls) -> predict.c (the drawing's reading) -> ui.c (drawing
 * helpers) -> state.c (messages, actions, images) and the pure canvas.c, drawlist.c, runs.c. */
#ifndef DIGITREC_APP_H
#define DIGITREC_APP_H

#include <stddef.h>
#include <stdint.h>

#include "calibrate.h"
#include "canvas.h"
#include "dataset.h"
#include "drawlist.h"
#include "net.h"
#include "ood.h"
#include "preprocess.h"
#include "saliency.h"
#include "worker.h"

#define APP_PATH_LEN 1024
#define APP_OPEN_MAX 300         /* rows the Open dialog lists (the folder's, then the recent files) */
#define APP_RECENT_MAX 10        /* recent files remembered */
#define APP_MAX_WIDGETS 32
#define APP_MAX_ACTIONS 32
#define APP_TAB_H 30             /* the right panel's tab row */
#define APP_GALLERY_MAX 400      /* thumbnails listed for one confusion cell */
#define APP_MAX_RUNS 5           /* earlier runs kept for comparison */

/* Keys the app understands; the platform maps its key codes onto these. */
typedef enum {
    KEY_NONE = 0, KEY_SPACE, KEY_N, KEY_R, KEY_C, KEY_L, KEY_Z, KEY_S, KEY_O, KEY_BACKSPACE,
    KEY_F1, KEY_QUESTION, KEY_ESCAPE, KEY_RETURN, KEY_UP, KEY_DOWN, KEY_LEFT, KEY_RIGHT, KEY_DELETE,
    KEY_Q, KEY_W, KEY_M, KEY_A, KEY_G, KEY_P, KEY_E, KEY_D, KEY_PAGEUP, KEY_PAGEDOWN,
    KEY_0, KEY_1, KEY_2, KEY_3, KEY_4, KEY_5, KEY_6, KEY_7, KEY_8, KEY_9, KEY_TAB
} AppKey;
#define MOD_CTRL 1
#define MOD_SHIFT 2

typedef enum { BTN_LEFT = 1, BTN_MIDDLE = 2, BTN_RIGHT = 3 } AppButton;

/* What the app asks of src/session; carried out once per frame by session_apply. */
typedef enum {
    ACT_RUN = 1,         /* start training */
    ACT_PAUSE,
    ACT_STEP,            /* one batch / one GD iteration */
    ACT_RESET,           /* fresh network from app->ctl (sizes, seed) */
    ACT_CONFIGURE,       /* app->ctl's training settings changed */
    ACT_SAVE,            /* save the current network under a generated name in the models folder */
    ACT_LOAD,            /* load path */
    ACT_QUIT,
    ACT_PERSONAL_ADD,    /* the drawing (the 28x28 input) joins the personal set as class arg */
    ACT_PERSONAL_UNDO,   /* the last personal example goes */
    ACT_MIX,             /* tell the worker app->mix (mix the personal set into training) */
    ACT_EXPORT,          /* history CSV (and, with an exporter, PNGs) into the export folder */
    ACT_DATA,            /* train on the IDX folder path (a fresh network from app->ctl) */
    ACT_LIST_MODELS,     /* fill app->open: the folder it shows (first: the models folder), the recent files */
    ACT_OPEN_PATH,       /* the Open dialog's path (typed, or a row): a folder is listed, a model file opened */
    ACT_SAVE_AS_NAME,    /* fill app->save with the generated name and the models folder */
    ACT_SAVE_AS,         /* save to path (a name in the models folder, or a path); arg 1: replace a file */
    ACT_LIST_DATA,       /* fill app->data with the dataset choices and whether each is there */
    ACT_DROP,            /* a file or folder dropped on the window: path */
    ACT_REVERT,          /* back to the model as it was loaded or last saved */
    ACT_QUIT_DISCARD,    /* quit, leaving the unsaved training unsaved */
    ACT_RESTORE_NO       /* the offered autosave is not wanted (not asked again) */
} ActionType;

typedef struct {
    ActionType type;
    char path[APP_PATH_LEN];
    int arg;
} Action;

#define APP_MAX_MAPS 8       /* conv and pool layers whose feature maps the Inside tab shows */
#define APP_MAP_COLS 8       /* channels side by side in a feature-map image */

/* Images the app fills and the platform uploads when their version changes. */
enum {
    IMG_CANVAS = 0, IMG_PREVIEW, IMG_TILES, IMG_COLORBAR,
    IMG_GALLERY,             /* the thumbnails of the selected confusion cell, 28x28 each */
    IMG_SALIENCY,            /* the saliency map laid over the canvas (transparent where 0) */
    IMG_SAL_PREVIEW,         /* the same over the 28x28 input preview */
    IMG_SAL_MAP,             /* the saliency map itself, 28x28, opaque (Inside tab) */
    IMG_LAYER1,              /* deeper layers' weights, IMG_LAYER1 + l - 1 for layer l >= 1 */
    IMG_MAP0 = IMG_LAYER1 + NET_MAX_LAYERS - 1, /* a CNN's feature maps for the drawing (Inside tab) */
    IMG_EMB_THUMB = IMG_MAP0 + APP_MAX_MAPS,     /* the Map tab's hovered test image */
    IMG_COUNT
};

typedef struct {
    int w, h;
    uint8_t *rgba;           /* (h, w, 4) bytes R, G, B, A */
    unsigned long version;   /* bumped on every change */
    int smooth;              /* 1 = scale with filtering, 0 = nearest (visible pixels) */
} AppImage;

/* The controls, one row each in controls.c's table. */
typedef enum {
    WID_TRAIN = 0, WID_STEP, WID_RESET, WID_ARCH, WID_OPT, WID_LR, WID_BATCH, WID_EPOCHS, WID_SEED,
    WID_SAVE, WID_OPEN, WID_HELP, WID_CLEAR, WID_UNDO, WID_LOG,
    WID_TAB_WEIGHTS, WID_TAB_ERRORS, WID_TAB_INSIDE, /* the right panel's views */
    WID_MIX,                 /* mix the personal examples into training (on/off, with their count) */
    WID_SALIENCY,            /* saliency overlay on the canvas (on/off) */
    WID_EXPORT,              /* export history CSV and pictures */
    WID_DATA,                /* choose the dataset */
    WID_SCHED,               /* the learning-rate schedule: const or cosine */
    WID_REVERT,              /* back to the loaded or last saved model */
    WID_AUGMENT,             /* augmentation of the training images (on/off) */
    WID_TAB_EMBED,           /* the right panel's Map view (the embedding) */
    WID_COUNT
} WidgetId;

/* What the right-hand panel shows. */
typedef enum { TAB_WEIGHTS = 0, TAB_ERRORS, TAB_INSIDE, TAB_EMBED, TAB_COUNT } PanelTab;

/* An earlier run (before a Reset, a load or a dataset switch), kept to draw beside the current. */
typedef struct {
    char label[96];          /* what it trained with, e.g. "softmax sgd 0.1 b64, mnist" */
    Curve loss;              /* its training loss, bucketed */
    LossSpool *spool;        /* every step's loss, for the export (one reference), or NULL */
    EvalPoint *evals;        /* (nevals) test measurements */
    int nevals;
    double final_acc;        /* last test accuracy, -1 when never measured */
} RunRecord;

/* Takes n bytes of CSV text; returns 0, or -1 to stop (the write failed). */
typedef int (*CsvSink)(void *ud, const char *text, size_t n);

/* A control as laid out this frame. */
typedef struct {
    int id;                  /* WidgetId */
    int spin;                /* 1: a value with < > arrows; 0: a button */
    Rect r;                  /* whole widget */
    Rect dec, val, inc;      /* spin parts */
    Rect label;              /* spin caption */
} Widget;

typedef enum { ARCH_SOFTMAX = 0, ARCH_MLP, ARCH_CONVNET, ARCH_CUSTOM } ArchKind;

/* Where the panels are (window pixels); made by app_resize. */
typedef struct {
    int bar_h;               /* the top bar's height */
    Rect canvas, canvas_panel, preview, verdict, probs_panel, loss_plot, acc_plot, heat, status;
    Rect tiles_area, colorbar;            /* the Weights tab's first-layer tiles and colour bar */
    Rect layer_rect[NET_MAX_LAYERS];      /* deeper weight heatmaps, index l >= 1 */
    int tile_cols, tile_px, tile_gap;
    int prob_row;            /* height of one probability bar row */
    int short_labels;        /* narrow window: buttons without their key hints */
    int short_tabs;          /* the panel's tabs without their key hints (they did not fit) */
} AppLayout;

/* The Open dialog: a folder browser (its subfolders and *.safetensors models, each model with
 * what its header says), a path box, and the recent files. The session lists the rows; the app
 * sorts, scrolls and chooses. */
typedef enum { OPEN_UP = 0, OPEN_DIR, OPEN_MODEL, OPEN_BROKEN } OpenKind;
typedef enum { OPEN_COL_NAME = 0, OPEN_COL_ARCH, OPEN_COL_ACC, OPEN_COL_DATA, OPEN_COL_DATE, OPEN_NCOLS } OpenColumn;
typedef struct {
    OpenKind kind;           /* "..", a folder, a model, a file that is not a readable model */
    int recent;              /* in the recent-files section */
    char path[APP_PATH_LEN]; /* the whole path */
    char name[256];          /* the file or folder's name */
    char arch[64];           /* layer sizes, "784-128-64-10" ("" unknown) */
    double acc;              /* test accuracy 0..1, -1 unknown */
    char data[32];           /* the dataset it was trained on ("" unknown) */
    char date[20];           /* "2024-05-01 14:03", when saved (else the file's time); sorts as text */
    char why[200];           /* OPEN_BROKEN: what is wrong with it */
} OpenEntry;

typedef struct {
    int show;
    char dir[APP_PATH_LEN];  /* the folder listed */
    OpenEntry ent[APP_OPEN_MAX]; /* [0, nlocal): the folder's rows; [nlocal, n): the recent files */
    int n, nlocal;
    int more;                /* the folder's models and folders beyond APP_OPEN_MAX, not listed */
    int sel, scroll;         /* the selected row; the first line shown */
    int sort_col, sort_desc; /* OpenColumn; descending */
    char edit[APP_PATH_LEN]; /* the path box: typing goes there */
    char msg[256];           /* one line in the dialog: a bad path, a file that would not open */
    double click_time;       /* the last click on a row, for a double click */
    int click_row;
} OpenDialog;

/* Save As: a name box (prefilled with the generated name; typing replaces it), then, if the file
 * is there, "Replace it?". */
typedef struct {
    int show;
    char edit[APP_PATH_LEN]; /* a name (in dir), or a path with folders */
    int fresh;               /* edit still holds the suggestion: the first key replaces it */
    char dir[APP_PATH_LEN];  /* where a bare name goes: the models folder */
    char confirm[APP_PATH_LEN]; /* non-empty: asking whether to replace this file */
    char msg[256];           /* one line: why it was not saved */
} SaveDialog;

/* A question the window asks before going on: quitting with unsaved training (save, discard or
 * cancel), or restoring the autosave found at start. */
typedef enum { ASK_NONE = 0, ASK_QUIT, ASK_RESTORE } AskKind;
typedef struct {
    AskKind kind;
    char path[APP_PATH_LEN]; /* ASK_RESTORE: the autosave */
    char what[256];          /* ASK_RESTORE: its architecture, steps, accuracy, time */
} Ask;

/* The dataset chooser (Ctrl+D): MNIST, Fashion-MNIST, the folder in use, or a typed one. */
typedef struct {
    int show;
    char opts[4][APP_PATH_LEN];
    int present[4];          /* the folder holds MNIST's four files (found by the session) */
    int n, sel;
    char edit[APP_PATH_LEN]; /* a folder being typed */
    unsigned long seen_seq;  /* the snapshot's data_seq last taken in */
} DataDialog;

/* The Errors tab: matrix geometry and the selected cell's gallery. */
typedef struct {
    Rect grid;               /* the 10x10 cells */
    int cell;                /* cell side in px */
    Rect gal_area;           /* where the thumbnails go */
    int gal_px, gal_cols, gal_rows;   /* thumbnail side, grid of one page */
    int t, p;                /* selected cell (true, predicted), -1 = none */
    int idx[APP_GALLERY_MAX];/* test-set indices, most confident first */
    int n, count;            /* listed, in the cell */
    int scroll;              /* first listed thumbnail shown */
    int hover_t, hover_p, hover_thumb;  /* -1 none */
    const void *view;        /* the TestView the gallery was made from (identity only) */
    const void *test;        /* the test set that view measured (identity only) */
    int autosel;             /* the selection was made automatically, not by a click */
} Explorer;

typedef int (*TextWidthFn)(void *ud, int font, const char *s);
typedef int (*FontHeightFn)(void *ud, int font);
/* Receives one JSON line (without its newline) for the trace. */
typedef void (*TraceFn)(void *ud, const char *line);

typedef struct App {
    int w, h;                /* window size */
    AppLayout lay;
    int tab;                 /* PanelTab */
    Widget widgets[APP_MAX_WIDGETS];
    int nwidgets;

    /* the drawing and what the network reads in it */
    Canvas canvas_px;
    int pen;                 /* 0 up, 1 drawing, 2 erasing */
    float input[784];        /* what the network sees (28x28) */
    PreFrame frame;          /* where the canvas went in input */
    PreInfo info;            /* what preprocessing saw (near blank, odd shape, stroke width) */
    int frame_ok;
    int has_ink;
    float probs[10];         /* calibrated: softmax(scores / temperature) */
    int top;                 /* -1: no reading */
    ReadState state;         /* blank ("no digit"), unsure ("not sure") or sure */
    double temperature;      /* the loaded model's calibration (1: none) ... */
    unsigned long temp_gen;  /* ... for this generation only: training changes the network */
    double temp_next;        /* the calibration of the model being loaded, for its generation */
    OodModel ood;            /* the loaded model's not-a-digit detector (K = 0: none), for temp_gen too */
    OodModel ood_next;       /* the detector of the model being loaded */
    int nclass;
    unsigned long pred_canvas_ver, pred_net_ver;
    long npredictions;
    Saliency probe;          /* the drawing's one forward pass, every layer kept */
    int probe_ok;            /* probe holds this drawing's forward pass */
    float sal[784];          /* d score(top) / d input */
    float sal_scale;         /* robust max |sal| */
    int show_saliency;       /* overlay on the canvas (G) */

    /* the network as last published by the worker */
    Snapshot snap;
    char classes[10][DATASET_CLASS_LEN];
    int classes_from_model;  /* the bar labels came with a loaded model, not the data */

    /* controls */
    WorkerConfig ctl;        /* the settings the controls show; sent to the worker as they change */
    ArchKind arch;
    char custom[ARCH_MAX_TEXT]; /* a custom architecture, "784-256-10" or "conv8k5-relu-pool-fc10" */
    int editing;             /* typing into a spin's value or the Network field ... */
    int edit_id;             /* ... of this control (WidgetId) */
    char edit[ARCH_MAX_TEXT];
    int focus;               /* the control the keyboard works (WidgetId), -1 none */
    int log_scale;
    int show_help;
    OpenDialog open;
    SaveDialog save;
    DataDialog data;
    Ask ask;
    int pressed;             /* widget id held down, -1 none */

    /* the mouse and what it hovers */
    int mx, my;
    double hover_since;      /* when the mouse came to rest where it is (for tooltips) */
    int hover_tile;          /* -1 none */
    int hover_layer, hover_row, hover_col;  /* deeper heatmap under the mouse (layer 0 = none) */
    int hover_unit_layer, hover_unit;       /* Inside tab: hidden unit under the mouse, -1 none */
    int emb_hover;                          /* Map tab: test image under the mouse, -1 none */
    int emb_thumb;                          /* ... the one IMG_EMB_THUMB shows, of the view emb_thumb_view */
    const void *emb_thumb_view;

    /* the status bar's message */
    char msg[512];
    Severity msg_sev;
    int msg_canvas;          /* it is about what is on the canvas: it goes when the drawing changes */
    Rect msg_rect;           /* where it was drawn (for its full text on hover), w = 0 when not shown */
    double msg_time, now;
    unsigned long seen_status_seq;

    /* save state: the training since the last save or load is "unsaved" */
    unsigned long saved_gen;
    long saved_step;
    unsigned long seen_gen;

    Explorer ex;

    /* personal examples ("learn my handwriting"): how many the session holds, and the switch */
    int personal_n;
    int mix;                 /* the switch as the user set it (the snapshot says what the worker does) */

    /* earlier runs, oldest first */
    RunRecord runs[APP_MAX_RUNS];
    int nruns;
    unsigned long runs_total; /* runs ever archived: numbers the legend */

    AppImage img[IMG_COUNT];
    float heat_scale[NET_MAX_LAYERS];
    double weights_at;       /* when the weight pictures were last painted (time_now) */
    int weights_stale;       /* a snapshot came since, not painted yet */
    unsigned long painted_gen; /* the generation they show */

    Action act[APP_MAX_ACTIONS];
    int nact;
    DrawList dl;

    char traced_controls[512]; /* the controls' values as last traced (a "controls" event when they change) */
    TraceFn trace;           /* NULL: no trace */
    void *trace_ud;
    TextWidthFn text_width;
    FontHeightFn font_height;
    void *text_ud;
} App;

/* ---- state.c: setup, messages, actions, the trace ---- */

/* Sets up an app for a w x h window. Returns 0, or -1 with err. */
int app_init(App *a, int w, int h, char *err);
void app_free(App *a);
void app_set_text_metrics(App *a, TextWidthFn tw, FontHeightFn fh, void *ud);
/* Trace of JSON lines (layout, predictions, publishes, saves, loads, errors); NULL = off. */
void app_set_trace(App *a, TraceFn fn, void *ud);
/* Sends one JSON line to the trace (fmt is the object body without braces; "t" is added). */
void app_trace(App *a, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Shows a one-line message in the status bar, coloured by sev, and traces it. */
void app_message(App *a, Severity sev, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
/* Queues an action; returns 0, or -1 when the queue is full (the action is dropped). */
int app_push_action(App *a, ActionType t, const char *path);
/* 1 when the network has training the user has not saved. */
int app_unsaved(const App *a);
/* The network is the model as loaded, untrained since: its temperature and detector hold. */
int app_as_loaded(const App *a);
/* Sets the bar labels from a comma-separated list ("0,1,..."), falling back to digits. */
void app_set_classes(App *a, const char *csv);
/* Shows a panel view (PanelTab). */
void app_set_tab(App *a, int tab);
/* Diverging colour map: v in [-1, 1] -> rgb (negative blue, zero dark, positive orange). */
void app_colormap(float v, uint8_t rgb[3]);
/* "Nice" tick step (1, 2 or 5 x 10^k) giving about n ticks over range. */
double app_nice_step(double range, int n);
/* (Re)allocates im as w x h RGBA (zeroed) unless it already has that size. Returns 0 or -1. */
int app_image_alloc(AppImage *im, int w, int h, int smooth);

/* ---- predict.c: the drawing's reading ---- */

/* Re-runs preprocessing and the forward pass if the drawing or the network changed. */
void app_update_prediction(App *a);
/* Shows or hides the saliency overlay on the canvas (G). */
void app_toggle_saliency(App *a);
/* A layer stack's layers whose feature maps the Inside tab shows (conv and pool; a conv with its
 * ReLU fused shows the ReLU's output): their indices in net->arch into idx (at most max). Returns
 * the count (0 for a dense net). */
int app_map_layers(const Net *net, int *idx, int max);
/* The size of stack layer l's feature-map image (IMG_MAP0 + m): APP_MAP_COLS channels a row,
 * each out_h x out_w, 1 px apart. */
void app_map_dims(const LayerSpec *l, int *w, int *h);

/* After a reading: the drawing's last-hidden-layer features (*d wide), or NULL (no hidden layer). */
const float *app_drawing_features(const App *a, int *d);
/* The detector of the model being loaded (taken over; K = 0: it has none), for its generation. */
void app_next_detector(App *a, OodModel *ood);
/* Generation gen is the loaded model's: its calibration and detector hold until training changes it. */
void app_model_generation(App *a, unsigned long gen);

/* ---- controls.c ---- */

/* Adjusts the controls to describe net (after a load or at start). */
void app_adopt_network(App *a, const Net *net);
/* Sets the Network control to the architecture text (as app_parse_arch takes it). Returns 0, or
 * -1 with err and the controls unchanged. */
int app_adopt_arch(App *a, const char *text, char *err);
/* Parses an architecture for the window: dense sizes ("784-128-10", "784,128,10") or any stack
 * of the grammar (arch.h, e.g. "conv8k5-relu-pool-fc10"), 784 inputs, 10 outputs, at most
 * NET_MAX_LAYERS layers with parameters. Sets cfg's architecture (canonical); returns 0 or -1
 * with a one-line err. */
int app_parse_arch(const char *s, WorkerConfig *cfg, char *err);
/* 1 when name is one of the presets the Network control cycles through: softmax, mlp, cnn. */
int app_is_preset(const char *name);

/* ---- runs.c: earlier runs ---- */

/* Keeps the snapshot's current run (curves, test points, a label from its configuration) as an
 * earlier run, dropping the oldest beyond APP_MAX_RUNS. Does nothing for a run without history.
 * Returns 0, or -1 when out of memory (nothing kept). */
int app_archive_run(App *a);
/* Every run's history as CSV (earlier runs, then the current one) through sink: a header, then
 * one row per training step (kind=step, from the run's loss spool) and per test measurement
 * (kind=test). *missing (if non-NULL) gets the count of steps no spool could give. Returns 0, or
 * -1 when the sink failed. */
int app_history_csv(const App *a, CsvSink sink, void *ud, long *missing);
/* The label app_archive_run gives the snapshot's run. */
void app_run_label(const App *a, char *buf, size_t n);
void app_runs_free(App *a);


/* ---- view/dialogs.c ---- */

/* Sorts the Open dialog's rows by o->sort_col (o->sort_desc: descending), each section apart:
 * ".." first, then the folders by name, then the models (a missing value after the others, ties by
 * name); the recent files likewise. The selection stays on its row. */
void app_open_sort(OpenDialog *o);
/* Opens Save As (the session fills the suggested name). */
void app_open_save_as(App *a);
/* Sets the Open or Save As dialog's one-line message (and traces it); which: "open" or "save_as". */
void app_dialog_message(App *a, const char *which, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* ---- view/errors.c ---- */

/* Selects confusion cell (t = true class, p = predicted) and lists its test images; t < 0 clears. */
void app_select_cell(App *a, int t, int p);
/* Puts test image i of the current view's test set on the canvas. Returns 0, or -1 if there is none. */
int app_canvas_from_test(App *a, int i);

/* ---- layout.c ---- */

void app_resize(App *a, int w, int h);
/* The window's parts that change on their own (top bar, canvas column, probabilities, each plot,
 * the right panel, status bar), at most max, into r; returns how many. A renderer that redraws
 * only what changed compares what each holds between frames. */
int app_regions(const App *a, Rect *r, int max);

/* ---- app.c: events and the frame ---- */

/* Events. Coordinates in window pixels. */
void app_mouse_down(App *a, int x, int y, int button);
void app_mouse_up(App *a, int x, int y, int button);
void app_mouse_move(App *a, int x, int y);
void app_wheel(App *a, int x, int y, int dy);
void app_key(App *a, int key, int mods);
void app_text(App *a, const char *utf8);
/* A file or folder dropped on the window: the session decides what it is. */
void app_drop_file(App *a, const char *path);
/* The window is asked to close (its close button, Ctrl+Q): with unsaved training it asks first
 * (save, discard or cancel); otherwise it queues ACT_QUIT. */
void app_request_quit(App *a);
/* Offers to restore the autosave at path (what: one line describing it). */
void app_offer_restore(App *a, const char *path, const char *what);
/* Opens the dataset chooser (the session lists its rows). */
void app_open_data(App *a);
/* Takes in a newly synced snapshot (a.snap already updated): heatmaps, prediction, messages. */
void app_on_snapshot(App *a);
/* Builds this frame's draw list (a->dl) for time now (seconds). */
void app_frame(App *a, double now);

#endif
