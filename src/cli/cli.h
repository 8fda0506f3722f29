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
int cmd_calibrate(int argc, char **argv);

/* The shipped default recogniser's file (models/mlp.safetensors): models/ beside the executable or
 * one level up, else the build's DIGITREC_MODELS_DIR; written into buf (n bytes) and returned
 * (the last candidate when none exists, so the load error names it). The one place to change
 * when the default recogniser or the install layout changes. */
const char *cli_default_model(char *buf, size_t n);

/* Takes the option at argv[*i] ("--name value" or "--name=value"): copies "--name" into name
 * (at most n bytes), points *val at the value and moves *i past what it used. A positional
 * argument or a missing value prints a usage error and returns -1. */
int cli_take(int argc, char **argv, int *i, char *name, size_t n, const char **val);
/* Parses numbers strictly; print a usage error naming the option and return -1 on junk. */
int cli_int(const char *opt, const char *s, long lo, long hi, long *out);
int cli_double(const char *opt, const char *s, double lo, double hi, double *out);


#endif
