/* cli.h - the subcommands of the digitrec binary. Each returns the process exit code:
 * 0 success, 1 runtime error (message on stderr), 2 bad usage. */
#ifndef DIGITREC_CLI_H
#define DIGITREC_CLI_H

#include <stddef.h>

#define EXIT_RUNTIME 1
#define EXIT_USAGE 2

int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);
int cmd_info(int argc, char **argv);
/* The window (built with DIGITREC_GUI): argv[0] is the program, the rest its options. */
int cmd_window(int argc, char **argv);
int cmd_data(int argc, char **argv);

/* Start-up: asks places (src/session) for the MNIST and Fashion-MNIST folders and gives them to
 * core (dataset_set_named_dirs), so --data mnist|fashion-mnist and the default data folder mean
 * the same in every subcommand and the window. */
void cli_places_init(void);
/* Before loading a dataset: when data (--data, may be NULL; the default folder otherwise) names
 * a folder that is missing or holds none of MNIST's four files, prints one line naming it and
 * saying how to get the data (`digitrec data fetch`) prefixed with "digitrec CMD: ", and returns
 * -1; else 0 (dataset_load_dir then reports anything else). */
int cli_check_data(const char *cmd, const char *data);
int cmd_calibrate(int argc, char **argv);

/* Takes the option at argv[*i] ("--name value" or "--name=value"): copies "--name" into name
 * (at most n bytes), points *val at the value and moves *i past what it used. A positional
 * argument or a missing value prints a usage error and returns -1. */
int cli_take(int argc, char **argv, int *i, char *name, size_t n, const char **val);
/* Parses numbers strictly; print a usage error naming the option and return -1 on junk. */
int cli_int(const char *opt, const char *s, long lo, long hi, long *out);
int cli_double(const char *opt, const char *s, double lo, double hi, double *out);


#endif
