/* test_arch.c - the architecture grammar: shapes and parameter counts worked out, the dense
 * shorthand, canonical strings and their round trip, and one-line errors naming the bad token. */
#include <stdio.h>
#include <string.h>

#include "arch.h"
#include "check.h"
#include "common.h"

/* Parses s and checks its canonical form. */
static int parse_ok(Arch *a, const char *s, const char *canon) {
    char err[ERR_LEN] = "", buf[ARCH_MAX_TEXT];
    if (arch_parse(a, s, err) != 0) {
        CHECK(0, "\"%s\" should parse: %s", s, err);
        return 0;
    }
    int n = arch_format(a, buf, sizeof buf);
    CHECK(n == (int)strlen(canon) && strcmp(buf, canon) == 0, "\"%s\": canonical \"%s\", expected \"%s\"", s, buf, canon);
    /* the canonical string parses back to the same specs */
    Arch b;
    CHECK(arch_parse(&b, buf, err) == 0, "canonical \"%s\" does not parse: %s", buf, err);
    CHECK(b.n == a->n && memcmp(b.layer, a->layer, sizeof(LayerSpec) * (size_t)a->n) == 0 && b.nparams == a->nparams &&
              b.dense == a->dense && b.classes == a->classes,
          "\"%s\" and its canonical form \"%s\" give different networks", s, buf);
    return 1;
}

/* Fails to parse s, with a message containing want; a stays untouched. */
static void parse_bad(const char *s, const char *want) {
    Arch a;
    memset(&a, 0x5a, sizeof a);
    char err[ERR_LEN] = "";
    int rc = arch_parse(&a, s, err);
    unsigned char *p = (unsigned char *)&a;
    int untouched = 1;
    for (size_t i = 0; i < sizeof a; i++)
        if (p[i] != 0x5a) untouched = 0;
    CHECK(rc == -1, "\"%s\" should be refused", s);
    CHECK(strstr(err, want) != NULL, "\"%s\": message \"%s\" lacks \"%s\"", s, err, want);
    CHECK(strchr(err, '\n') == NULL && strlen(err) > 10, "\"%s\": not one line: \"%s\"", s, err);
    CHECK(untouched, "\"%s\": the output was written on failure", s);
}

static void test_dense(void) {
    Arch a;
    if (parse_ok(&a, "784-128-64-10", "784-128-64-10")) {
        int sizes[8];
        CHECK(a.dense == 1 && a.classes == 10, "mlp: dense %d classes %d", a.dense, a.classes);
        CHECK(arch_dense_sizes(&a, sizes, 8) == 4 && sizes[0] == 784 && sizes[1] == 128 && sizes[2] == 64 && sizes[3] == 10,
              "mlp sizes");
        CHECK(a.n == 6 && a.layer[0].kind == LAYER_FLATTEN && a.layer[1].kind == LAYER_FC && a.layer[2].kind == LAYER_RELU &&
                  a.layer[5].kind == LAYER_FC,
              "mlp layers: %d", a.n);
        CHECK(a.nparams == 784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10, "mlp params %zu", a.nparams);
        CHECK(a.layer[1].param_index == 0 && a.layer[3].param_index == 1 && a.layer[5].param_index == 2 &&
                  a.layer[2].param_index == -1 && a.nparam_layers == 3,
              "mlp param indices");
        CHECK(a.layer[1].in_c == 784 && a.layer[1].nweight == 784 * 128 && a.layer[1].nbias == 128, "mlp first fc");
    }
    Arch b;
    parse_ok(&b, "784,128,64,10", "784-128-64-10");
    CHECK(b.n == a.n && memcmp(a.layer, b.layer, sizeof(LayerSpec) * (size_t)a.n) == 0, "comma form differs");
    parse_ok(&b, "fc128-relu-fc64-relu-fc10", "784-128-64-10");
    CHECK(b.dense && b.n == a.n && memcmp(a.layer, b.layer, sizeof(LayerSpec) * (size_t)a.n) == 0, "fc form differs");
    parse_ok(&b, "flatten-fc128-relu-fc64-relu-fc10", "784-128-64-10");
    /* flatten is implied only before an fc: before a relu the canonical form keeps it */
    parse_ok(&b, "flatten-relu-fc10", "flatten-relu-fc10");
    parse_ok(&b, "conv2k3-flatten-relu-fc10", "conv2k3-flatten-relu-fc10");
    parse_ok(&b, "conv2k3-pool-flatten-fc10", "conv2k3-pool-fc10");
    parse_ok(&b, "  mlp ", "784-128-64-10");
    parse_ok(&b, "softmax", "784-10");
    CHECK(b.dense && b.nparams == 7850 && b.n == 2, "softmax: %zu params", b.nparams);
    parse_ok(&b, "784-10", "784-10");
    /* fc layers without a ReLU between are not the dense shorthand */
    parse_ok(&b, "fc128-fc10", "fc128-fc10");
    CHECK(!b.dense && arch_dense_sizes(&b, (int[4]){0}, 4) == -1, "fc128-fc10 is not dense");
    parse_ok(&b, "fc32-relu-fc10-relu-fc10", "784-32-10-10");
}

static void test_conv(void) {
    Arch a;
    if (parse_ok(&a, "cnn", ARCH_CNN)) {
        /* 28 -> conv 24 -> pool 12 -> conv 8 -> pool 4; 32*4*4 = 512 -> 64 -> 10 */
        CHECK(!a.dense && a.classes == 10 && a.nparams == 46730 && a.n == 10, "cnn preset: %zu params, %d layers",
              a.nparams, a.n);
        CHECK(a.layer[7].in_c == 512 && a.layer[7].out_c == 64, "cnn preset fc %d -> %d", a.layer[7].in_c, a.layer[7].out_c);
        CHECK(arch_macs(&a) == 16 * 576 * 25 + 32 * 64 * 400 + 512 * 64 + 640, "cnn preset macs %.0f", arch_macs(&a));
    }
    if (parse_ok(&a, "conv16k5-relu-pool-conv32k5-relu-pool-fc10", "conv16k5-relu-pool-conv32k5-relu-pool-fc10")) {
        const LayerSpec *c1 = &a.layer[0], *p1 = &a.layer[2], *c2 = &a.layer[3], *f = &a.layer[6], *fc = &a.layer[7];
        CHECK(a.n == 8 && c1->kind == LAYER_CONV && f->kind == LAYER_FLATTEN && fc->kind == LAYER_FC, "layers %d", a.n);
        CHECK(c1->in_c == 1 && c1->in_h == 28 && c1->out_c == 16 && c1->out_h == 28 && c1->out_w == 28 && c1->k == 5 &&
                  c1->s == 1 && c1->p == 2,
              "conv1 shape");
        CHECK(p1->out_h == 14 && p1->out_c == 16, "pool1 %dx%d", p1->out_h, p1->out_w);
        CHECK(c2->in_c == 16 && c2->out_c == 32 && c2->out_h == 14 && c2->nweight == 32 * 16 * 25 && c2->nbias == 32,
              "conv2 shape");
        CHECK(f->out_c == 32 * 7 * 7 && fc->in_c == 1568 && fc->nweight == 15680, "flatten %d", f->out_c);
        /* the same count torch reports for this stack */
        CHECK(a.nparams == 28938, "params %zu", a.nparams);
        CHECK(c1->param_index == 0 && c2->param_index == 1 && fc->param_index == 2 && a.nparam_layers == 3, "indices");
        CHECK(arch_macs(&a) == 16 * 784 * 25 + 32 * 196 * 400 + 15680, "macs %.0f", arch_macs(&a));
    }
    parse_ok(&a, "conv16k5p2-relu-pool-conv32k5s1-relu-pool-flatten-fc10", "conv16k5-relu-pool-conv32k5-relu-pool-fc10");
    if (parse_ok(&a, "conv8k5p0-relu-pool-conv16k5p0-relu-pool-fc10", "conv8k5p0-relu-pool-conv16k5p0-relu-pool-fc10")) {
        CHECK(a.layer[0].out_h == 24 && a.layer[2].out_h == 12 && a.layer[3].out_h == 8 && a.layer[5].out_h == 4,
              "valid convs: %d %d %d %d", a.layer[0].out_h, a.layer[2].out_h, a.layer[3].out_h, a.layer[5].out_h);
        CHECK(a.layer[7].in_c == 256, "fc input %d", a.layer[7].in_c);
    }
    if (parse_ok(&a, "conv8k3s2p1-relu-conv16k3s2-fc10", "conv8k3s2-relu-conv16k3s2-fc10"))
        CHECK(a.layer[0].out_h == 14 && a.layer[2].out_h == 7, "strided %d %d", a.layer[0].out_h, a.layer[2].out_h);
    if (parse_ok(&a, "conv4k4-pool-fc10", "conv4k4-pool-fc10")) /* even kernel: default padding 2 */
        CHECK(a.layer[0].p == 2 && a.layer[0].out_h == 29 && a.layer[1].out_h == 14, "k4 %d", a.layer[0].out_h);
    if (parse_ok(&a, "conv8k7s2p0-pool-fc10", "conv8k7s2p0-pool-fc10"))
        CHECK(a.layer[0].out_h == 11 && a.layer[1].out_h == 5, "stride and padding");
    /* odd sizes floor through pooling: 28 -> 14 -> 7 -> 3 -> 1 */
    if (parse_ok(&a, "conv4k3-pool-pool-pool-pool-fc10", "conv4k3-pool-pool-pool-pool-fc10"))
        CHECK(a.layer[3].out_h == 3 && a.layer[4].out_h == 1, "floors %d %d", a.layer[3].out_h, a.layer[4].out_h);
    parse_ok(&a, "conv8k3-pool-relu-fc64-relu-fc10", "conv8k3-pool-relu-fc64-relu-fc10");
}

static void test_errors(void) {
    parse_bad("", "empty");
    parse_bad("   ", "empty");
    parse_bad(NULL, "no architecture");
    parse_bad("conv8k9-fc10", "token 1 \"conv8k9\": kernel size 9 outside 3..7");
    parse_bad("conv8k2-fc10", "kernel size 2");
    parse_bad("conv8k5p5-fc10", "token 1 \"conv8k5p5\": padding 5 outside 0..4");
    parse_bad("conv8k5s3-fc10", "stride 3");
    parse_bad("conv0k5-fc10", "0 channels");
    parse_bad("conv2000k3-fc10", "2000 channels outside 1..1024");
    parse_bad("conv8-fc10", "missing k<K>");
    parse_bad("conv8k-fc10", "kernel size, e.g. k5");
    parse_bad("convk5-fc10", "expected conv<C>k<K>");
    parse_bad("conv8k5x-fc10", "unexpected \"x\"");
    parse_bad("conv8k5p1s1-fc10", "s before p");
    parse_bad("conv8k5s-fc10", "stride (1 or 2)");
    parse_bad("fc0", "token 1 \"fc0\": width 0");
    parse_bad("fc70000", "width 70000 outside 1..65536");
    parse_bad("fc", "expected fc<N>");
    parse_bad("fc1x0", "expected fc<N>");
    parse_bad("relu-conv8k5-fc10", "token 1 \"relu\": a relu needs");
    parse_bad("conv8k5-relu-relu-fc10", "token 3 \"relu\": relu twice");
    parse_bad("fc10-conv8k5-fc10", "token 2 \"conv8k5\": a conv cannot follow");
    parse_bad("fc10-pool-fc10", "a pool cannot follow");
    parse_bad("fc10-flatten-fc10", "already flat");
    parse_bad("flatten-flatten-fc10", "already flat");
    parse_bad("conv8k5-relu", "token 2 \"relu\": the last layer must be fc<N>");
    parse_bad("conv8k5-pool", "the last layer must be fc");
    parse_bad("conv8k5--fc10", "token 2 is empty");
    parse_bad("conv8k5-fc10-", "token 3 is empty");
    parse_bad("-fc10", "token 1 is empty");
    parse_bad("conv8k5-dropout-fc10", "token 2 \"dropout\": unknown layer");
    parse_bad("Conv8k5-fc10", "unknown layer");
    parse_bad("conv8k5-10", "token 2 \"10\": a bare size");
    parse_bad("conv8k5 - fc10", "spaces inside");
    parse_bad("784-abc", "token 2 \"abc\": the dense form takes sizes only");
    parse_bad("784-128-conv8k5", "dense form");
    parse_bad("783-10", "token 1 \"783\": the first size is the input, 784");
    parse_bad("784", "at least one layer");
    parse_bad("784-0", "width 0");
    parse_bad("784--10", "dense form");
    parse_bad("784-99999999999-10", "dense form");
    parse_bad("conv99999999999k5-fc10", "expected conv");
    /* spatial size: 28 pooled five times is 0; a kernel larger than what is left */
    parse_bad("conv4k3-pool-pool-pool-pool-pool-fc10", "token 6 \"pool\": input 1x1 is too small to pool");
    parse_bad("conv4k7s2p0-conv4k7p0-conv4k7p0-fc10", "token 3 \"conv4k7p0\": input 5x5 is smaller than the 7x7 kernel");
    /* limits: parameters, activations, layers, length */
    parse_bad("fc65536-relu-fc65536-relu-fc65536-fc10", "more than 268435456 parameters");
    parse_bad("conv1024k3-conv1024k3-fc10", "output 1024x28x28 has more than");
    char many[ARCH_MAX_TEXT];
    strcpy(many, "conv4k3");
    for (int i = 0; i < 40; i++) strcat(many, "-fc4");
    parse_bad(many, "more than 32 layers");
    char longs[400];
    memset(longs, 'f', sizeof longs - 1), longs[sizeof longs - 1] = 0;
    parse_bad(longs, "longer than 255 characters");
    /* the message names the whole string and the token even for a long input */
    char err[ERR_LEN];
    Arch a;
    CHECK(arch_parse(&a, "conv8k5-relu-pool-conv16k5-relu-pool-conv32k5-relu-pool-conv64k5-relu-pool-conv64k9-fc10", err) ==
              -1 && strstr(err, "token 13 \"conv64k9\"") != NULL,
          "long string error: %s", err);
}

static void test_format(void) {
    Arch a;
    char err[ERR_LEN], small[8];
    CHECK(arch_parse(&a, "conv16k5-relu-pool-fc10", err) == 0, "%s", err);
    CHECK(arch_format(&a, small, sizeof small) == -1 && strlen(small) < sizeof small, "truncation not reported");
    CHECK(arch_format(&a, small, 0) == -1, "zero-size buffer");
}

int main(void) {
    test_dense();
    test_conv();
    test_errors();
    test_format();
    return check_summary("arch");
}
