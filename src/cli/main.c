/* main.c - digitrec's entry point: dispatches subcommands; with none, opens the window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"
#include "kernels_isa.h"

static void usage(FILE *f) {
    fprintf(f,
            "digitrec %s - draw a digit, watch a neural network learn to read it\n"
            "\n"
            "usage: digitrec [--model F] [--data DIR]      open the window\n"
            "       digitrec train [options]               train a network on MNIST\n"
            "       digitrec eval --model F [--json]       accuracy, loss, confusion matrix\n"
            "       digitrec predict [--model F] IMAGE...  read digits from PNG/JPEG/BMP/PGM files\n"
            "       digitrec calibrate --model F           fit its confidence on held-out images\n"
            "       digitrec info F                        describe a model file\n"
            "       digitrec data fetch [--dir DIR]        download MNIST (SHA-256 checked)\n"
            "       digitrec data where                    the folders digitrec reads and writes\n"
            "       digitrec --help | --version\n"
            "\n"
            "Run `digitrec SUBCOMMAND --help` for the options of each, `digitrec --help-window` for the window's.\n"
            "Data folder: --data DIR, else $DIGITREC_DATA, else ~/.local/share/digitrec/mnist ($XDG_DATA_HOME),\n"
            "where `digitrec data fetch` puts it (from a clone: its data/mnist until then);\n"
            "`digitrec data where` shows every folder.\n"
            "Kernels: the best vector instructions the CPU has (AVX-512, AVX2+FMA, else portable);\n"
            "$DIGITREC_KERNELS=avx2|generic|avx512|auto chooses them (to compare, or to rule them out).\n",
            DIGITREC_VERSION);
}

/* $DIGITREC_KERNELS: the kernels' vector ISA for every subcommand. 0, or -1 after saying why. */
static int kernels_from_env(void) {
    const char *v = getenv("DIGITREC_KERNELS");
    if (!v || !*v) return 0;
    KernelsIsa isa;
    char err[ERR_LEN];
    if (kernels_isa_parse(v, &isa) != 0) {
        fprintf(stderr, "digitrec: DIGITREC_KERNELS=%s: must be auto, avx512, avx2 or generic\n", v);
        return -1;
    }
    if (kernels_set_isa(isa, err) != 0) {
        fprintf(stderr, "digitrec: DIGITREC_KERNELS=%s: %s\n", v, err);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv) {
    cli_places_init();
    if (kernels_from_env() != 0) return EXIT_USAGE;
    if (argc >= 2) {
        const char *c = argv[1];
        if (!strcmp(c, "train")) return cmd_train(argc - 1, argv + 1);
        if (!strcmp(c, "eval")) return cmd_eval(argc - 1, argv + 1);
        if (!strcmp(c, "predict")) return cmd_predict(argc - 1, argv + 1);
        if (!strcmp(c, "info")) return cmd_info(argc - 1, argv + 1);
        if (!strcmp(c, "data")) return cmd_data(argc - 1, argv + 1);
        if (!strcmp(c, "calibrate")) return cmd_calibrate(argc - 1, argv + 1);
        if (!strcmp(c, "--help") || !strcmp(c, "-h") || !strcmp(c, "help")) {
            usage(stdout);
            return 0;
        }
        if (!strcmp(c, "--version")) {
            printf("digitrec %s\n", DIGITREC_VERSION);
            return 0;
        }
        if (c[0] != '-') {
            fprintf(stderr, "digitrec: unknown command '%s'\n", c);
            usage(stderr);
            return EXIT_USAGE;
        }
    }
#ifdef DIGITREC_GUI
    return cmd_window(argc, argv);
#else
    usage(stderr);
    return EXIT_USAGE;
#endif
}
