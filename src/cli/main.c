/* main.c - digitrec's entry point: dispatches subcommands; with none, opens the window. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common.h"

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
            "`digitrec data where` shows every folder.\n",
            DIGITREC_VERSION);
}

int main(int argc, char **argv) {
    cli_places_init();
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
